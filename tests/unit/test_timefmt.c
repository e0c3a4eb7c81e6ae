/*
 * test_timefmt.c - unit tests of the one time formatter (timefmt.h)
 *
 *	timefmt_iso() writes UTC ISO 8601 with a Z; a time gmtime_r()
 *	cannot break down, or a buffer too short for the text, gives the
 *	caller's fallback ("-" in the reports, "" in the history values),
 *	cut to the buffer; a buffer of 0 octets is not touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

static void
test_iso(void **state)
{
	char b[TIMEFMT_ISO_LEN];

	(void)state;
	assert_ptr_equal(timefmt_iso(b, sizeof(b), 0, "-"), b);
	assert_string_equal(b, "1970-01-01T00:00:00Z");
	timefmt_iso(b, sizeof(b), (time_t)1796523607, "-");
	assert_string_equal(b, "2026-12-06T02:20:07Z");
	assert_int_equal(strlen(b) + 1, TIMEFMT_ISO_LEN);
}

static void
test_fallback(void **state)
{
	char b[TIMEFMT_ISO_LEN], s[8];

	(void)state;
	/* a year past INT_MAX: gmtime_r() fails */
	if (sizeof(time_t) > 4) {
		timefmt_iso(b, sizeof(b), (time_t)LLONG_MAX, "-");
		assert_string_equal(b, "-");
		timefmt_iso(b, sizeof(b), (time_t)LLONG_MAX, "");
		assert_string_equal(b, "");
	}
	timefmt_iso(s, sizeof(s), 0, "-");		/* too short */
	assert_string_equal(s, "-");
	timefmt_iso(s, sizeof(s), 0, NULL);
	assert_string_equal(s, "");
	timefmt_iso(s, 2, 0, "fallback");		/* cut */
	assert_string_equal(s, "f");
	s[0] = 'x';
	timefmt_iso(s, 0, 0, "-");			/* untouched */
	assert_int_equal(s[0], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_fallback),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
