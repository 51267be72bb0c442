/* unit.h - a tiny unit test harness: TEST(name) { CHECK(...); } and a main
 * that runs every test and prints "<prog>: N passed, N failed". */
#ifndef HULL_UNIT_H
#define HULL_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

static struct unit_test unit_tests[256];
static int unit_n_tests;
static int unit_failed_checks;

#define TEST(name)                                                               \
	static void test_##name(void);                                           \
	__attribute__((constructor)) static void register_##name(void)            \
	{                                                                        \
		unit_tests[unit_n_tests++] = (struct unit_test){ #name, test_##name }; \
	}                                                                        \
	static void test_##name(void)

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_failed_checks++;                                          \
		}                                                                      \
	} while (0)

#define CHECK_STREQ(a, b)                                                                    \
	do {                                                                                 \
		const char *_a = (a), *_b = (b);                                             \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                     \
			fprintf(stderr, "  %s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n", \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
			unit_failed_checks++;                                                \
		}                                                                            \
	} while (0)

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < unit_n_tests; i++) {
		int before = unit_failed_checks;

		if (argc > 1 && strcmp(argv[1], unit_tests[i].name) != 0)
			continue;
		unit_tests[i].fn();
		if (unit_failed_checks == before)
			passed++;
		else {
			failed++;
			fprintf(stderr, "FAIL %s\n", unit_tests[i].name);
		}
	}
	printf("%s: %d passed, %d failed\n", argv[0], passed, failed);
	return failed ? 1 : 0;
}

#endif
