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
	const char *p = "linux.resources.memory";
	struct json_object *mem = NULL;
	int q;

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
	const char *p = "linux.resources.cpu";
	struct json_object *cpu = NULL;
	int q;

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
	/* realtimeRuntime, realtimePeriod, idle and burst are ignored. */
	return 0;
}

static int parse_pids(struct json_object *res, const char *path, struct hull_resources *r, struct hull_error **err)
{
	struct json_object *pids = NULL;
	int q;

	q = spec_get_object(res, path, "pids", &pids, err);
	if (q <= 0)
		return q;
	q = spec_get_int(pids, "linux.resources.pids", "limit", INT64_MIN, INT64_MAX, &r->pids_limit, err);
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
	const char *p = "linux.resources.blockIO";
	struct json_object *blk = NULL;
	uint64_t v;
	int q;

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
