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
 *	walk, every format parser and the classifier.  The rules and the
 *	report checks are in common.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"
#include "common.h"
#include "json.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rules *rules;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	rules = fuzz_rules("fuzz_decode", *argv);
	return (0);
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
	fuzz_check_report("fuzz_decode", r);
	if (json_report(&out, r, "fuzz") == 0) {
		for (i = 0; i < out.len; i++)
			FUZZ_CHECK("fuzz_decode",
			    (unsigned char)out.p[i] >= 0x20);
	}
	buf_free(&out);
	report_free(r);
	return (0);
}
