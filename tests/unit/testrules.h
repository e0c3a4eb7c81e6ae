/*
 * testrules.h - the repository's rules/ for the unit tests
 *
 * SYNOPSIS
 *	#include "testrules.h"
 *
 *	const char *tu_rules_dir(void);
 *	struct rules *tu_rules_load(const char *prog);
 *
 * DESCRIPTION
 *	tu_rules_dir() names the rules directory a test reads: $RULES_DIR
 *	when set, else $ROOT/rules (tests/run exports ROOT), else rules/ of
 *	the current directory (a test run by hand from the top of the tree,
 *	or a $ROOT too long for the buffer: tests/run works in $ROOT).
 *	tu_rules_load() loads that directory with rules_load(); when it
 *	cannot, it prints "prog: FILE:LINE: message" to stderr and returns
 *	NULL, so a cmocka group setup can fail with it.
 *
 *	The functions are static inline, so a program need not use both.
 */
#ifndef TESTRULES_H
#define TESTRULES_H

#include <stdio.h>
#include <stdlib.h>

#include "rules.h"

static inline const char *
tu_rules_dir(void)
{
	static char dir[512];
	const char *d = getenv("RULES_DIR"), *root = getenv("ROOT");

	if (d != NULL && *d != '\0')
		return (d);
	if (root == NULL || *root == '\0' ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/rules", root) >= sizeof(dir))
		return ("rules");
	return (dir);
}

static inline struct rules *
tu_rules_load(const char *prog)
{
	struct rules *r;
	char err[1024];

	if ((r = rules_load(tu_rules_dir(), err, sizeof(err))) == NULL)
		fprintf(stderr, "%s: %s\n", prog, err);
	return (r);
}

#endif
