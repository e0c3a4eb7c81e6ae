/*
 * common.c - what the libFuzzer targets share: the rules, report checks
 *
 * SYNOPSIS
 *	See common.h.
 *
 * DESCRIPTION
 *	Linked into every fuzz/fuzz_*.c target by fuzz/build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void
fuzz_broken(const char *target, const char *what)
{
	fprintf(stderr, "%s: broken promise: %s\n", target, what);
	abort();
}

struct rules *
fuzz_rules(const char *target, char **argv)
{
	struct rules *rules;
	char err[1024], dir[4096];
	const char *d;

	d = rules_find_dir(getenv("FUZZ_RULES"), NULL,
	    argv != NULL ? argv[0] : NULL, dir, sizeof(dir));
	if ((rules = rules_load(d, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", target, err);
		exit(1);
	}
	return (rules);
}

void
fuzz_check_report(const char *t, const struct report *r)
{
	const struct rcpt *rc;
	size_t i;

	FUZZ_CHECK(t, r->kind && r->format && r->reporting_mta && r->error);
	FUZZ_CHECK(t, r->orig.message_id && r->orig.from && r->orig.to &&
	    r->orig.subject);
	FUZZ_CHECK(t, r->nrcpt <= REPORT_MAX_RCPT);
	FUZZ_CHECK(t, r->bounce || r->nrcpt == 0);
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		FUZZ_CHECK(t, rc->addr && rc->action && rc->diag &&
		    rc->reason && rc->cause && rc->side && rc->hint &&
		    rc->inner_cause);
		FUZZ_CHECK(t, memchr(rc->status, '\0',
		    sizeof(rc->status)) != NULL);
		FUZZ_CHECK(t, memchr(rc->reply, '\0',
		    sizeof(rc->reply)) != NULL);
		FUZZ_CHECK(t, rc->ev.spf && rc->ev.dkim && rc->ev.mx);
	}
}
