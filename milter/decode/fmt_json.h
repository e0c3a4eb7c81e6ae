/*
 * fmt_json.h - a small, bounded JSON reader for the format parsers
 *
 * SYNOPSIS
 *	const struct fjson *fjson_parse(struct arena *a, const char *s,
 *		    size_t n);
 *	const struct fjson *fjson_get(const struct fjson *obj,
 *		    const char *key);
 *
 * DESCRIPTION
 *	fjson_parse() reads one JSON value from s[0..n) into a tree in the
 *	arena (strings unescaped to UTF-8; numbers, true, false and null
 *	kept as their text).  It returns NULL on a syntax error, past
 *	FJSON_MAX_DEPTH nesting or FJSON_MAX_NODES values, or when the
 *	arena runs out.  fjson_get() returns the member key of an object,
 *	or NULL.  Array elements and object members are the children, in
 *	order.
 */
#ifndef FMT_JSON_H
#define FMT_JSON_H

#include <stddef.h>

#include "arena.h"

#define FJSON_MAX_DEPTH	64
#define FJSON_MAX_NODES	100000

enum fjson_type { FJ_NULL, FJ_BOOL, FJ_NUMBER, FJ_STRING, FJ_ARRAY, FJ_OBJECT };

struct fjson {
	enum fjson_type	 type;
	const char	*key;	/* member name inside an object, or NULL */
	const char	*str;	/* string value, or the literal's text */
	struct fjson	*child;
	struct fjson	*next;
};

const struct fjson *fjson_parse(struct arena *, const char *, size_t);
const struct fjson *fjson_get(const struct fjson *, const char *);

#endif
