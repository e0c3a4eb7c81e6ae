/*
 * test_arena.c - unit tests of the per-message arena (arena.h)
 *
 *	Zeroing by arena_alloc() on recycled blocks, the cap and
 *	arena_used() counting what was asked for whatever block served it
 *	(fresh, or a recycled standard or big one), big requests of every
 *	size class in a row, strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "arena.h"

/* Fill n bytes with junk so that a recycled block is not zero. */
static void
dirty(struct arena *a, size_t n)
{
	char *p = arena_alloc_raw(a, n);

	assert_non_null(p);
	memset(p, 0xa5, n);
}

static void
test_zeroed(void **state)
{
	struct arena *a;
	unsigned char *p;
	size_t i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		a = arena_new(0);
		assert_non_null(a);
		for (i = 0; i < 64; i++) {
			p = arena_alloc(a, 1000 + i * 37);
			assert_non_null(p);
			assert_true(p[0] == 0 && p[999 + i * 37] == 0);
			memset(p, 0x5a, 1000 + i * 37);
		}
		p = arena_alloc(a, 100000);	/* a big block, maybe reused */
		assert_non_null(p);
		assert_true(p[0] == 0 && p[99999] == 0);
		memset(p, 0x5a, 100000);
		arena_free(a);
	}
}

/*
 * The same requests give the same arena_used(), cached blocks or not:
 * a 70000-byte request served first by a fresh block, then by a cached
 * 100000-byte one.
 */
static void
test_used(void **state)
{
	struct arena *a, *x, *y, *big[8];
	size_t i;

	(void)state;
	/* a cache full of blocks too big for 70000 bytes */
	for (i = 0; i < 8; i++) {
		big[i] = arena_new(0);
		dirty(big[i], 250000);
	}
	for (i = 0; i < 8; i++)
		arena_free(big[i]);
	x = arena_new(0);
	dirty(x, 17);
	dirty(x, 70000);
	dirty(x, 5);
	a = arena_new(0);
	dirty(a, 100000);
	arena_free(a);
	y = arena_new(0);
	dirty(y, 17);
	dirty(y, 70000);
	dirty(y, 5);
	assert_int_equal(arena_used(x), arena_used(y));
	arena_free(x);
	arena_free(y);
}

/* The cap stops the same request whether a cached block could serve it. */
static void
test_cap(void **state)
{
	struct arena *a;
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		a = arena_new(128 * 1024);
		assert_non_null(arena_alloc_raw(a, 60000));
		assert_false(arena_exhausted(a));
		assert_null(arena_alloc_raw(a, 60000));
		assert_true(arena_exhausted(a));
		assert_null(arena_alloc_raw(a, 1));	/* and stays so */
		arena_free(a);
		a = arena_new(0);
		dirty(a, 120000);		/* a block that would fit */
		arena_free(a);
	}
}

static void
test_strings(void **state)
{
	struct arena *a = arena_new(0);
	char *s;

	(void)state;
	assert_string_equal(arena_strdup(a, "abc"), "abc");
	s = arena_strndup(a, "abcdef", 3);
	assert_string_equal(s, "abc");
	assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
	s = arena_alloc_raw(a, 0);		/* one byte, never NULL */
	assert_non_null(s);
	arena_free(a);
	arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroed),
		cmocka_unit_test(test_used),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_strings),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
