/* engine-util.c - error printing, time, JSON files, formats. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "path.h"
#include "util.h"

int eng_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hull: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ENGINE;
}

int eng_fail(struct hull_error *err, int r, const char *what)
{
	if (err && err->msg)
		return eng_error("%s", err->msg);
	return eng_error("%s: %s", what, strerror(r < 0 ? -r : r));
}

int eng_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hull: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'hull %s --help'.\n", cmd);
	return EXIT_ENGINE;
}

int eng_getopt(const char *cmd, int argc, char **argv, const char *optstring, const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c == '?') {
		if (optopt && optopt < 256)
			eng_usage_error(cmd, "unknown shorthand flag: '%c' in -%c", optopt, optopt);
		else
			eng_usage_error(cmd, "unknown flag: %s", argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		eng_usage_error(cmd, "flag needs an argument: %s", argv[optind - 1]);
		return '?';
	}
	return c;
}

char *eng_now(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		abort();
	return out;
}

int64_t eng_parse_time(const char *s)
{
	struct tm tm = {};

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

const char *eng_human_duration(int64_t secs, char *buf, size_t size)
{
	int64_t m = secs / 60, h = m / 60;

	if (secs < 1)
		snprintf(buf, size, "Less than a second");
	else if (secs == 1)
		snprintf(buf, size, "1 second");
	else if (secs < 60)
		snprintf(buf, size, "%lld seconds", (long long)secs);
	else if (m == 1)
		snprintf(buf, size, "About a minute");
	else if (m < 60)
		snprintf(buf, size, "%lld minutes", (long long)m);
	else if (h == 1)
		snprintf(buf, size, "About an hour");
	else if (h < 48)
		snprintf(buf, size, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, size, "%lld days", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(buf, size, "%lld weeks", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%lld months", (long long)(h / 24 / 30));
	else
		snprintf(buf, size, "%lld years", (long long)(h / 24 / 365));
	return buf;
}

const char *eng_human_since(const char *rfc3339, char *buf, size_t size)
{
	int64_t t = eng_parse_time(rfc3339);
	char d[64];

	if (t < 0)
		snprintf(buf, size, "N/A");
	else
		snprintf(buf, size, "%s ago", eng_human_duration((int64_t)time(NULL) - t, d, sizeof(d)));
	return buf;
}

/* go-units HumanSize: decimal units, 4 significant digits, "%.4g%s". */
const char *eng_human_size(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1000 && i + 1 < ARRAY_SIZE(units)) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, "%.4g%s", v, units[i]);
	return buf;
}

void eng_random_hex(char *out, size_t n)
{
	unsigned char b[64];

	if (n > sizeof(b))
		n = sizeof(b);
	if (getrandom(b, n, 0) != (ssize_t)n)
		abort();
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

struct json_object *eng_json_read(const char *path, struct hull_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (fd < 0) {
		hull_error_set(err, errno, "cannot read '%s'", path);
		return NULL;
	}
	int r = path_read_fd(fd, 64 << 20, &text, &len);
	if (r < 0) {
		hull_error_set(err, -r, "cannot read '%s'", path);
		return NULL;
	}
	struct json_object *o = json_tokener_parse(text);
	if (!o)
		hull_error_plain(err, EINVAL, "'%s' is not valid JSON", path);
	return o;
}

int eng_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int eng_write_file(const char *path, const char *text, size_t len, mode_t mode, bool durable,
		   struct hull_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&tmp, "%s.tmp-%d", path, getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return hull_error_set(err, errno, "cannot write '%s'", path);
	if ((r = eng_write_all(fd, text, len)) < 0) {
		unlink(tmp);
		return hull_error_set(err, -r, "cannot write '%s'", path);
	}
	/* Durable before it replaces the old one: a crash leaves either. */
	if ((durable && fsync(fd) < 0) || rename(tmp, path) < 0) {
		r = hull_error_set(err, errno, "cannot write '%s'", path);
		unlink(tmp);
		return r;
	}
	return 0;
}

int eng_json_write(const char *path, struct json_object *obj, struct hull_error **err)
{
	const char *text = json_object_to_json_string_ext(obj, ENG_JSON_PRETTY);
	return eng_write_file(path, text, strlen(text), 0600, false, err);
}

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	return v ? json_object_get_int64(v) : 0;
}

bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);
	return v && json_object_get_boolean(v);
}

void jset(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

struct json_object *jstrv(char **v)
{
	if (!v)
		return NULL;
	struct json_object *a = json_object_new_array();
	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

struct json_object *jpath(struct json_object *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path[0] == '.' ? path + 1 : path);
	if (!buf[0])
		return o;
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = jget(o, k);
	return o;
}

static void format_value(FILE *out, struct json_object *v, bool as_json)
{
	if (as_json) {
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), out);
		return;
	}
	if (!v) {
		fputs("<no value>", out);
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		fputs(json_object_get_string(v), out);
		break;
	case json_type_array:
		/* Go prints a slice as [a b c]. */
		fputc('[', out);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i)
				fputc(' ', out);
			format_value(out, json_object_array_get_idx(v, i), false);
		}
		fputc(']', out);
		break;
	case json_type_object: {
		bool first = true;
		fputs("map[", out);
		json_object_object_foreach(v, k, val)
		{
			fprintf(out, "%s%s:", first ? "" : " ", k);
			format_value(out, val, false);
			first = false;
		}
		fputc(']', out);
		break;
	}
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), out);
	}
}

char *eng_format(const char *fmt, struct json_object *o)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		return NULL;
	if (startswith(fmt, "table "))
		fmt += 6;
	for (const char *p = fmt; *p;) {
		if (p[0] == '\\' && p[1] == 't') {
			fputc('\t', out);
			p += 2;
		} else if (p[0] == '\\' && p[1] == 'n') {
			fputc('\n', out);
			p += 2;
		} else if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p, "}}");
			if (!end) {
				fclose(out);
				free(buf);
				eng_error("invalid format '%s': unclosed action", fmt);
				return NULL;
			}
			char expr[256];
			size_t n = (size_t)(end - p - 2);
			snprintf(expr, sizeof(expr), "%.*s", (int)(n < sizeof(expr) ? n : sizeof(expr) - 1), p + 2);
			char *e = expr;
			while (*e == ' ')
				e++;
			for (char *t = e + strlen(e); t > e && t[-1] == ' ';)
				*--t = '\0';
			bool as_json = false;
			if (startswith(e, "json ")) {
				as_json = true;
				e += 5;
				while (*e == ' ')
					e++;
			}
			if (e[0] != '.') {
				fclose(out);
				free(buf);
				eng_error("invalid format '%s': '%s' is not a field path like .State.Status", fmt, e);
				return NULL;
			}
			format_value(out, jpath(o, e), as_json);
			p = end + 2;
		} else
			fputc(*p++, out);
	}
	fclose(out);
	return buf;
}

int eng_print_objects(const char *format, struct json_object *arr)
{
	size_t n = json_object_array_length(arr);

	if (!format) {
		printf("%s\n", n ? json_object_to_json_string_ext(arr, ENG_JSON_PRETTY) : "[]");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *line = eng_format(format, json_object_array_get_idx(arr, i));
		if (!line)
			return EXIT_ENGINE;
		printf("%s\n", line);
	}
	return 0;
}

bool eng_parse_int(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

int64_t eng_parse_bytes(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	int64_t mult = 1;
	switch (*end) {
	case 'b': case 'B': mult = 1; end++; break;
	case 'k': case 'K': mult = 1LL << 10; end++; break;
	case 'm': case 'M': mult = 1LL << 20; end++; break;
	case 'g': case 'G': mult = 1LL << 30; end++; break;
	case 't': case 'T': mult = 1LL << 40; end++; break;
	case '\0': break;
	default: return -1;
	}
	if ((*end == 'b' || *end == 'B' || *end == 'i') && mult > 1)
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	return (int64_t)(v * (double)mult);
}

int eng_exec_status(const struct hull_error *err, int r, const char **ret_msg, int *ret_len)
{
	const char *msg = err && err->msg ? err->msg : NULL;
	int code = EXIT_ENGINE;

	*ret_msg = msg;
	*ret_len = msg ? (int)strlen(msg) : 0;
	if (!msg || !strstr(msg, "exec: "))
		return code;
	int e = err->code ? err->code : -r;
	code = e == ENOENT ? EXIT_NOT_FOUND : (e == EACCES || e == EPERM || e == ENOEXEC) ? EXIT_CANNOT_INVOKE : EXIT_ENGINE;
	if (code == EXIT_ENGINE)
		return code;
	/* "exec: 'x': executable file not found in $PATH", once. */
	const char *m = strstr(msg, "exec: "), *next;
	while ((next = strstr(m + 6, "exec: ")))
		m = next;
	const char *nf = strstr(m, "not found in $PATH");
	*ret_msg = m;
	*ret_len = nf ? (int)(nf - m + strlen("not found in $PATH")) : (int)strlen(m);
	return code;
}
