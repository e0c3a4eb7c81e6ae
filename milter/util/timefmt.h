/*
 * timefmt.h - one way to write a time for people and for JSON
 *
 * SYNOPSIS
 *	char	*timefmt_iso(char *dst, size_t len, time_t t,
 *		    const char *fallback);
 *
 * DESCRIPTION
 *	timefmt_iso() writes t in UTC as ISO 8601, "2026-12-07T02:20:07Z"
 *	(TIMEFMT_ISO_LEN octets with its NUL), into dst of len octets and
 *	returns dst.  When t cannot be broken down (gmtime_r() fails) or
 *	the text does not fit, dst gets fallback instead (the reports
 *	write "-", the history's values ""), cut to len.  Every time the
 *	reports, the history views and the history's header values print
 *	is written here, so they all read the same.
 */
#ifndef TIMEFMT_H
#define TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define TIMEFMT_ISO_LEN	21	/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL */

char	*timefmt_iso(char *, size_t, time_t, const char *);

#endif
