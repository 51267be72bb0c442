/* libFuzzer target for the config.json parser: any input must either parse
 * or fail with a message, never crash, hang or leak.  `make fuzz` builds it
 * with -fsanitize=fuzzer,address,undefined and runs it for 30 s.  A parsed
 * linux.seccomp is compiled too (seccomp-filter.c), under the same rule. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "seccomp-filter.h"
#include "spec.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hull_spec *spec = NULL;
	struct hull_error *err = NULL;
	int r = hull_spec_parse((const char *)data, size, &spec, &err);

	/* The contract: success gives a spec and no error, failure the reverse. */
	if (r == 0 ? (!spec || err) : (spec || !err || !err->msg))
		abort();
	if (spec && spec->has_process && (!spec->process.args || !spec->process.args[0] || !spec->process.cwd))
		abort();
	if (spec && spec->linux.seccomp) {
		struct hull_seccomp *sc = NULL;
		struct hull_error *serr = NULL;
		char **warnings = NULL;

		r = hull_seccomp_compile(spec->linux.seccomp, &sc, &warnings, &serr);
		if (r == 0 ? (!sc || serr) : (sc || warnings || !serr || !serr->msg))
			abort();
		hull_seccomp_free(sc);
		strv_free(warnings);
		hull_error_free(serr);
	}
	hull_spec_free(spec);
	hull_error_free(err);
	return 0;
}
