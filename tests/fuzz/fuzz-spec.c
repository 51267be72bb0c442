/* libFuzzer target for the config.json parser: any input must either parse
 * or fail with a message, never crash, hang or leak.  `make fuzz` builds it
 * with -fsanitize=fuzzer,address,undefined and runs it for 30 s. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "spec.h"

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
	hull_spec_free(spec);
	hull_error_free(err);
	return 0;
}
