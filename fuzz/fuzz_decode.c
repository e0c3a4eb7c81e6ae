/*
 * fuzz_decode.c - libFuzzer target for the whole pipeline (bounce_decode)
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_decode [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	Runs each input through bounce_decode() with the repository's rules
 *	(found like bounce-decode finds them: FUZZ_RULES in the environment,
 *	else rules/ beside the build directory), no evidence, and renders
 *	the report as bounce-decode --json does.  Checks the report's
 *	promises (no NULL string, recipients within REPORT_MAX_RCPT) and the
 *	JSON contract (no raw control bytes, one line).  Covers the MIME
 *	walk, every format parser and the classifier.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "json.h"
#include "rules.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_decode: broken promise: %s\n", #c); abort(); } } while (0)

static struct rules *rules;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[1024], dir[4096];
	const char *d;

	(void)argc;
	d = rules_find_dir(getenv("FUZZ_RULES"), NULL, (*argv)[0], dir,
	    sizeof(dir));
	if ((rules = rules_load(d, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_decode: %s\n", err);
		exit(1);
	}
	return (0);
}

static void
check_report(const struct report *r)
{
	const struct rcpt *rc;
	size_t i;

	CHECK(r->kind && r->format && r->reporting_mta && r->error);
	CHECK(r->orig.message_id && r->orig.from && r->orig.to &&
	    r->orig.subject);
	CHECK(r->nrcpt <= REPORT_MAX_RCPT);
	CHECK(r->bounce || r->nrcpt == 0);
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		CHECK(rc->addr && rc->action && rc->diag && rc->reason &&
		    rc->cause && rc->side && rc->hint && rc->inner_cause);
		CHECK(memchr(rc->status, '\0', sizeof(rc->status)) != NULL);
		CHECK(memchr(rc->reply, '\0', sizeof(rc->reply)) != NULL);
		CHECK(rc->ev.spf && rc->ev.dkim && rc->ev.mx);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_opts o;
	struct report *r;
	struct buf out = BUF_INIT;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.arena_cap = 32u * 1024 * 1024;
	if ((r = bounce_decode(rules, (const char *)data, size, &o)) == NULL)
		return (0);
	check_report(r);
	if (json_report(&out, r, "fuzz") == 0) {
		for (i = 0; i < out.len; i++)
			CHECK((unsigned char)out.p[i] >= 0x20);
	}
	buf_free(&out);
	report_free(r);
	return (0);
}
