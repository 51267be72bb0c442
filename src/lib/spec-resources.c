/* spec-resources.c - linux.resources of config.json to struct hull_resources.
 *
 * Only what hull's cgroup code applies is kept; each has_* flag records
 * whether the field was given, so that an absent limit leaves the cgroup's
 * default alone instead of writing zero.  Fields runc accepts but hull
 * ignores are listed where they would be read.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>

#include "spec-internal.h"
#include "util.h"

static int parse_memory(struct json_object *res, const char *path, struct hull_resources *r, struct hull_error **err)
{
	struct json_object *mem = NULL;
	char p[SPEC_PATH_MAX];
	int q;

	spec_path(p, sizeof(p), path, "memory", SPEC_NO_INDEX);

	q = spec_get_object(res, path, "memory", &mem, err);
	if (q <= 0)
		return q;
	/* -1 is "unlimited"; anything below that has no meaning. */
	if ((q = spec_get_int(mem, p, "limit", -1, INT64_MAX, &r->memory_limit, err)) < 0)
		return q;
	r->has_memory_limit = q > 0;
	if ((q = spec_get_int(mem, p, "reservation", -1, INT64_MAX, &r->memory_reservation, err)) < 0)
		return q;
	r->has_memory_reservation = q > 0;
	if ((q = spec_get_int(mem, p, "swap", -1, INT64_MAX, &r->memory_swap, err)) < 0)
		return q;
	r->has_memory_swap = q > 0;
	if ((q = spec_get_uint(mem, p, "swappiness", 100, &r->memory_swappiness, err)) < 0)
		return q;
	r->has_memory_swappiness = q > 0;
	if ((q = spec_get_bool(mem, p, "disableOOMKiller", &r->disable_oom_killer, err)) < 0)
		return q;
	/* kernel and kernelTCP (deprecated, cgroup v1 only), useHierarchy and
	 * checkBeforeUpdate are ignored. */
	return 0;
}

static int parse_cpu(struct json_object *res, const char *path, struct hull_resources *r, struct hull_error **err)
{
	struct json_object *cpu = NULL;
	char p[SPEC_PATH_MAX];
	int q;

	spec_path(p, sizeof(p), path, "cpu", SPEC_NO_INDEX);

	q = spec_get_object(res, path, "cpu", &cpu, err);
	if (q <= 0)
		return q;
	if ((q = spec_get_uint(cpu, p, "shares", UINT64_MAX, &r->cpu_shares, err)) < 0)
		return q;
	r->has_cpu_shares = q > 0;
	if ((q = spec_get_int(cpu, p, "quota", -1, INT64_MAX, &r->cpu_quota, err)) < 0)
		return q;
	r->has_cpu_quota = q > 0;
	if ((q = spec_get_uint(cpu, p, "period", UINT64_MAX, &r->cpu_period, err)) < 0)
		return q;
	r->has_cpu_period = q > 0;
	if ((q = spec_get_string(cpu, p, "cpus", &r->cpu_cpus, err)) < 0 ||
	    (q = spec_get_string(cpu, p, "mems", &r->cpu_mems, err)) < 0)
		return q;
	if ((q = spec_get_int(cpu, p, "realtimeRuntime", -1, INT64_MAX, &r->cpu_rt_runtime, err)) < 0)
		return q;
	r->has_cpu_rt_runtime = q > 0;
	if ((q = spec_get_uint(cpu, p, "realtimePeriod", UINT64_MAX, &r->cpu_rt_period, err)) < 0)
		return q;
	r->has_cpu_rt_period = q > 0;
	/* idle and burst are ignored. */
	return 0;
}

static int parse_pids(struct json_object *res, const char *path, struct hull_resources *r, struct hull_error **err)
{
	struct json_object *pids = NULL;
	char p[SPEC_PATH_MAX];
	int q;

	q = spec_get_object(res, path, "pids", &pids, err);
	if (q <= 0)
		return q;
	spec_path(p, sizeof(p), path, "pids", SPEC_NO_INDEX);
	q = spec_get_int(pids, p, "limit", INT64_MIN, INT64_MAX, &r->pids_limit, err);
	if (q < 0)
		return q;
	r->has_pids_limit = q > 0;
	/* runc treats any limit <= 0 as "max"; keep one spelling of it. */
	if (r->pids_limit < 0)
		r->pids_limit = -1;
	return 0;
}

/* The device number of a blockIO entry; both halves are required. */
static int parse_major_minor(struct json_object *o, const char *p, struct hull_blkio_device *d,
			     struct hull_error **err)
{
	int q;

	if ((q = spec_require(spec_get_int(o, p, "major", 0, INT64_MAX, &d->major, err), p, "major", err)) < 0 ||
	    (q = spec_require(spec_get_int(o, p, "minor", 0, INT64_MAX, &d->minor, err), p, "minor", err)) < 0)
		return q;
	return 0;
}

static int parse_weight_devices(struct json_object *blk, const char *path, struct hull_resources *r,
				struct hull_error **err)
{
	struct json_object *arr = NULL;
	int q;

	q = spec_get_object_array(blk, path, "weightDevice", sizeof(*r->blkio_weight_device), &r->blkio_weight_device,
				  &r->n_blkio_weight_device, &arr, err);
	if (q <= 0)
		return q;
	for (size_t i = 0; i < r->n_blkio_weight_device; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_blkio_device *d = &r->blkio_weight_device[i];
		char p[SPEC_PATH_MAX];
		uint64_t v;

		spec_path(p, sizeof(p), path, "weightDevice", i);
		if ((q = parse_major_minor(o, p, d, err)) < 0)
			return q;
		if ((q = spec_get_uint(o, p, "weight", UINT16_MAX, &v, err)) < 0)
			return q;
		d->weight = q ? (uint16_t)v : 0;
		if ((q = spec_get_uint(o, p, "leafWeight", UINT16_MAX, &v, err)) < 0)
			return q;
		d->leaf_weight = q ? (uint16_t)v : 0;
	}
	return 0;
}

static int parse_throttle(struct json_object *blk, const char *path, const char *key, struct hull_blkio_device **ret,
			  size_t *ret_n, struct hull_error **err)
{
	struct json_object *arr = NULL;
	int q;

	q = spec_get_object_array(blk, path, key, sizeof(**ret), ret, ret_n, &arr, err);
	if (q <= 0)
		return q;
	for (size_t i = 0; i < *ret_n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_blkio_device *d = &(*ret)[i];
		char p[SPEC_PATH_MAX];

		spec_path(p, sizeof(p), path, key, i);
		if ((q = parse_major_minor(o, p, d, err)) < 0 ||
		    (q = spec_require(spec_get_uint(o, p, "rate", UINT64_MAX, &d->rate, err), p, "rate", err)) < 0)
			return q;
	}
	return 0;
}

static int parse_blkio(struct json_object *res, const char *path, struct hull_resources *r, struct hull_error **err)
{
	struct json_object *blk = NULL;
	char p[SPEC_PATH_MAX];
	uint64_t v;
	int q;

	spec_path(p, sizeof(p), path, "blockIO", SPEC_NO_INDEX);

	q = spec_get_object(res, path, "blockIO", &blk, err);
	if (q <= 0)
		return q;
	if ((q = spec_get_uint(blk, p, "weight", UINT16_MAX, &v, err)) < 0)
		return q;
	r->has_blkio_weight = q > 0;
	r->blkio_weight = q ? (uint16_t)v : 0;
	if ((q = spec_get_uint(blk, p, "leafWeight", UINT16_MAX, &v, err)) < 0)
		return q;
	r->has_blkio_leaf_weight = q > 0;
	r->blkio_leaf_weight = q ? (uint16_t)v : 0;

	if ((q = parse_weight_devices(blk, p, r, err)) < 0 ||
	    (q = parse_throttle(blk, p, "throttleReadBpsDevice", &r->throttle_read_bps, &r->n_throttle_read_bps, err)) <
		    0 ||
	    (q = parse_throttle(blk, p, "throttleWriteBpsDevice", &r->throttle_write_bps, &r->n_throttle_write_bps,
				err)) < 0 ||
	    (q = parse_throttle(blk, p, "throttleReadIOPSDevice", &r->throttle_read_iops, &r->n_throttle_read_iops,
				err)) < 0 ||
	    (q = parse_throttle(blk, p, "throttleWriteIOPSDevice", &r->throttle_write_iops, &r->n_throttle_write_iops,
				err)) < 0)
		return q;
	return 0;
}

static int parse_hugepages(struct json_object *res, const char *path, struct hull_resources *r,
			   struct hull_error **err)
{
	struct json_object *arr = NULL;
	int q;

	q = spec_get_object_array(res, path, "hugepageLimits", sizeof(*r->hugepage_limits), &r->hugepage_limits,
				  &r->n_hugepage_limits, &arr, err);
	if (q <= 0)
		return q;
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_hugepage_limit *h = &r->hugepage_limits[i];
		char p[SPEC_PATH_MAX];

		spec_path(p, sizeof(p), path, "hugepageLimits", i);
		if ((q = spec_require(spec_get_string(o, p, "pageSize", &h->page_size, err), p, "pageSize", err)) < 0 ||
		    (q = spec_require(spec_get_uint(o, p, "limit", UINT64_MAX, &h->limit, err), p, "limit", err)) < 0)
			return q;
	}
	return 0;
}

/* The device cgroup rules: {allow, type, major, minor, access}. */
static int parse_device_rules(struct json_object *res, const char *path, struct hull_resources *r,
			      struct hull_error **err)
{
	struct json_object *arr = NULL;
	int q;

	q = spec_get_object_array(res, path, "devices", sizeof(*r->devices), &r->devices, &r->n_devices, &arr, err);
	if (q <= 0)
		return q;
	for (size_t i = 0; i < r->n_devices; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct hull_device_rule *d = &r->devices[i];
		_cleanup_free_ char *type = NULL, *access = NULL;
		char p[SPEC_PATH_MAX];

		spec_path(p, sizeof(p), path, "devices", i);
		if ((q = spec_require(spec_get_bool(o, p, "allow", &d->allow, err), p, "allow", err)) < 0 ||
		    (q = spec_get_string(o, p, "type", &type, err)) < 0)
			return q;
		/* Absent type, major or minor mean "all", as in runc. */
		if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
			return spec_error(err, p, "type", "unknown device type '%s' (must be a, c or b)", type);
		d->type = type ? type[0] : 'a';
		d->major = d->minor = -1;
		if ((q = spec_get_int(o, p, "major", -1, INT64_MAX, &d->major, err)) < 0 ||
		    (q = spec_get_int(o, p, "minor", -1, INT64_MAX, &d->minor, err)) < 0 ||
		    (q = spec_get_string(o, p, "access", &access, err)) < 0)
			return q;

		/* Absent or empty access means all of "rwm", as crun has it. */
		if (!access || !access[0]) {
			strcpy(d->access, "rwm");
			continue;
		}
		for (const char *c = access; *c; c++)
			if (!strchr("rwm", *c) || strchr(c + 1, *c))
				return spec_error(err, p, "access", "invalid access '%s' (a combination of r, w and m)",
						  access);
		strcpy(d->access, access); /* at most 3 distinct characters */
	}
	return 0;
}

int spec_parse_resources(struct json_object *res, const char *path, struct hull_resources *r, struct hull_error **err)
{
	int q;

	if ((q = parse_memory(res, path, r, err)) < 0 || (q = parse_cpu(res, path, r, err)) < 0 ||
	    (q = parse_pids(res, path, r, err)) < 0 || (q = parse_blkio(res, path, r, err)) < 0 ||
	    (q = parse_hugepages(res, path, r, err)) < 0 || (q = parse_device_rules(res, path, r, err)) < 0 ||
	    (q = spec_get_kv(res, path, "unified", &r->unified, &r->n_unified, err)) < 0)
		return q;
	/* network (classID, priorities) and rdma are ignored. */
	return 0;
}

void spec_resources_done(struct hull_resources *r)
{
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->blkio_weight_device);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	free(r->devices);
	spec_kv_free(r->unified, r->n_unified);
}

HULL_EXPORT void hull_resources_done(struct hull_resources *res)
{
	spec_resources_done(res);
	*res = (struct hull_resources){ 0 };
}

/* "config.json: memory.limit: ..." -> "memory.limit: ...": the object
 * given on its own is not a config.json. */
static int drop_config_prefix(struct hull_error **err, int r)
{
	if (err && *err && (*err)->msg && startswith((*err)->msg, "config.json: "))
		memmove((*err)->msg, (*err)->msg + 13, strlen((*err)->msg + 13) + 1);
	return r;
}

HULL_EXPORT int hull_resources_parse(const char *json, size_t len, struct hull_resources *ret, struct hull_error **err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL;
	enum json_tokener_error jerr;
	int r;

	*ret = (struct hull_resources){ 0 };
	if (!tok)
		return spec_oom(err);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json ? json : "", (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success && json_tokener_get_parse_end(tok) < len) {
		size_t end = json_tokener_get_parse_end(tok);
		while (end < len && strchr(" \t\r\n", json[end]))
			end++;
		if (end < len)
			jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !root) {
		json_object_put(root);
		return hull_error_set(err, 0, "invalid JSON: %s",
				      jerr == json_tokener_continue ? "unexpected end of input"
								    : jerr == json_tokener_success
									      ? "empty input"
									      : json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return hull_error_set(err, 0, "must be a JSON object (a runtime-spec linux.resources)");
	}
	r = spec_parse_resources(root, "", ret, err);
	json_object_put(root);
	if (r < 0) {
		hull_resources_done(ret);
		return drop_config_prefix(err, r);
	}
	return 0;
}
