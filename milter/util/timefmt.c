/*
 * timefmt.c - one way to write a time; see timefmt.h
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

char *
timefmt_iso(char *dst, size_t len, time_t t, const char *fallback)
{
	struct tm tm;

	if (len == 0)
		return (dst);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(dst, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(dst, len, "%s", fallback != NULL ? fallback : "");
	return (dst);
}
