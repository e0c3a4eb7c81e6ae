/*
 * testutil.h - small helpers the unit tests share
 *
 * SYNOPSIS
 *	char	*tu_slurp(const char *path, size_t *len);
 *	void	 tu_put(const char *path, const char *body);
 *	long long tu_now_us(void);
 *
 * DESCRIPTION
 *	tu_slurp() returns the whole file at path, malloc'd and
 *	NUL-terminated, its length in *len; NULL (and *len 0) when it
 *	cannot be read.
 *	tu_put() writes body to path, replacing it; the test fails when
 *	it cannot.  tu_now_us() is CLOCK_MONOTONIC in microseconds.
 *
 *	Included after <cmocka.h> (tu_put() asserts); the functions are
 *	static inline, so a program need not use them all.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline char *
tu_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *b;
	long l;

	*len = 0;
	if (fp == NULL)
		return (NULL);
	if (fseek(fp, 0, SEEK_END) != 0 || (l = ftell(fp)) < 0) {
		fclose(fp);
		return (NULL);
	}
	rewind(fp);
	if ((b = malloc((size_t)l + 1)) == NULL) {
		fclose(fp);
		return (NULL);
	}
	*len = fread(b, 1, (size_t)l, fp);
	b[*len] = '\0';
	fclose(fp);
	return (b);
}

static inline void
tu_put(const char *path, const char *body)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_true(fputs(body, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static inline long long
tu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

#endif
