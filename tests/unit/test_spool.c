/*
 * test_spool.c - spool_add()/spool_view(): memory first, a file past that
 *
 *	A message is fed in chunks of different sizes; whatever the split,
 *	the view must give back exactly the octets fed (up to the cap), from
 *	memory below memmax and from an unnamed file above it, and the
 *	memory a spilled spool holds must drop to nothing.  A spill
 *	directory that does not exist is an error the spool survives: it
 *	says why and keeps the message in memory.  So is a spill file that
 *	cannot grow (a full directory; here RLIMIT_FSIZE with SIGXFSZ
 *	ignored, so a write stops short, then fails): before the spill or
 *	midway, the view gives back exactly the octets fed, none twice.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

static char *
pattern(size_t n)
{
	char *p = malloc(n + 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 13) % 26);
	return (p);
}

static const struct {
	size_t	 total;		/* octets fed */
	size_t	 chunk;		/* in pieces of */
	size_t	 memmax;
	size_t	 cap;
	int	 spilled;	/* want a file behind it */
	size_t	 kept;		/* want this many octets kept */
} cases[] = {
	{ 0, 1, 64, 1000, 0, 0 },
	{ 10, 3, 64, 1000, 0, 10 },
	{ 64, 64, 64, 1000, 0, 64 },		/* exactly memmax: memory */
	{ 65, 64, 64, 1000, 1, 65 },		/* one past: a file */
	{ 500, 7, 64, 1000, 1, 500 },
	{ 5000, 999, 64, 1000, 1, 1000 },	/* cut at the cap */
	{ 5000, 1, 64, 1000, 1, 1000 },
	{ 300, 100, 4096, 200, 0, 200 },	/* cap below memmax */
	{ 200000, 65536, 65536, 1u << 20, 1, 200000 },
};

static void
test_split(void **state)
{
	struct spool s;
	const char *v;
	char *src;
	size_t i, off, n, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		src = pattern(cases[i].total);
		spool_init(&s, cases[i].memmax, cases[i].cap, NULL);
		for (off = 0; off < cases[i].total; off += n) {
			n = cases[i].total - off;
			if (n > cases[i].chunk)
				n = cases[i].chunk;
			assert_int_equal(spool_add(&s, src + off, n), 0);
		}
		assert_int_equal(s.seen, cases[i].total);
		assert_int_equal(s.len, cases[i].kept);
		assert_int_equal(s.cut, cases[i].total > cases[i].cap);
		if ((s.fd != -1) != cases[i].spilled)
			fail_msg("case %zu: spilled %d, want %d", i,
			    s.fd != -1, cases[i].spilled);
		if (cases[i].spilled)
			assert_null(s.mem.p);	/* memory given back */
		v = spool_view(&s, &len);
		assert_int_equal(len, cases[i].kept);
		if (len > 0) {
			assert_non_null(v);
			if (memcmp(v, src, len) != 0)
				fail_msg("case %zu: view differs", i);
		} else
			assert_null(v);
		/* a second view is the same span */
		assert_ptr_equal(spool_view(&s, &len), v);
		spool_unview(&s);
		spool_free(&s);
		assert_int_equal(s.fd, -1);
		free(src);
	}
}

/* No spill directory: an error message, and the message stays whole. */
static void
test_no_dir(void **state)
{
	struct spool s;
	const char *v;
	char *src = pattern(3000);
	size_t len;
	int i, rc, failures = 0;

	(void)state;
	spool_init(&s, 100, 1u << 20, "/nonexistent/bounce-milter-test");
	for (i = 0; i < 30; i++) {
		rc = spool_add(&s, src + i * 100, 100);
		failures += rc == -1;
	}
	assert_int_equal(failures, 1);		/* said once, not per chunk */
	assert_non_null(strstr(s.err, "/nonexistent/bounce-milter-test"));
	assert_int_equal(s.fd, -1);
	v = spool_view(&s, &len);
	assert_int_equal(len, 3000);
	assert_memory_equal(v, src, 3000);
	spool_free(&s);
	free(src);
}

/*
 * The spill file stops growing at limit octets (a full directory: a
 * write stops short there, the next fails): the spool keeps the message
 * in memory, says so once, and gives back every octet once.
 */
static void
full_at(rlim_t limit, size_t total, size_t chunk)
{
	char dir[] = "/tmp/test_spool.XXXXXX";
	struct rlimit old, rl;
	struct spool s;
	const char *v;
	char *src = pattern(total);
	size_t off, n, len;
	int rc, failures = 0;
	void (*oldh)(int);

	assert_non_null(mkdtemp(dir));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = limit;
	oldh = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	spool_init(&s, 65536, 1u << 20, dir);
	for (off = 0; off < total; off += n) {
		n = total - off < chunk ? total - off : chunk;
		rc = spool_add(&s, src + off, n);
		failures += rc == -1;
	}
	/* the limit off before anything is printed (the log is a file) */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldh);
	assert_int_equal(failures, 1);
	assert_non_null(strstr(s.err, "cannot write a spool file"));
	assert_int_equal(s.fd, -1);
	assert_int_equal(s.len, total);
	v = spool_view(&s, &len);
	assert_int_equal(len, total);
	if (memcmp(v, src, total) != 0)
		fail_msg("limit %lu: the view differs from what was fed",
		    (unsigned long)limit);
	spool_free(&s);
	assert_int_equal(rmdir(dir), 0);
	free(src);
}

static void
test_full(void **state)
{
	(void)state;
	full_at(1000, 200000, 16000);		/* full before the spill */
	full_at(100000, 200000, 16000);		/* midway: a write stops short */
	full_at(65536 + 16000, 200000, 16000);	/* at a chunk's end */
}

/* The spill file has no name: nothing is left in the directory. */
static void
test_no_leftovers(void **state)
{
	char dir[] = "/tmp/test_spool.XXXXXX";
	struct spool s;
	struct dirent *de;
	DIR *d;
	char *src = pattern(10000);
	int names = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	spool_init(&s, 10, 1u << 20, dir);
	assert_int_equal(spool_add(&s, src, 10000), 0);
	assert_int_not_equal(s.fd, -1);
	assert_non_null((d = opendir(dir)));
	while ((de = readdir(d)) != NULL)
		names += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(names, 0);
	spool_free(&s);
	assert_int_equal(rmdir(dir), 0);
	free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_no_dir),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_no_leftovers),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
