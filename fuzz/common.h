/*
 * common.h - what the libFuzzer targets share
 *
 * SYNOPSIS
 *	#include "common.h"
 *
 *	struct rules *fuzz_rules(const char *target, char **argv);
 *	void	fuzz_check_report(const char *target, const struct report *r);
 *
 * DESCRIPTION
 *	fuzz_rules() loads the repository's rules the way bounce-decode
 *	finds them (FUZZ_RULES in the environment, else rules/ beside the
 *	build directory of argv[0]); on failure it prints "TARGET: error"
 *	and exits 1, so a target's LLVMFuzzerInitialize() is one line.
 *
 *	fuzz_check_report() aborts (a libFuzzer crash) when a report breaks
 *	a promise of report.h: a NULL string, more recipients than
 *	REPORT_MAX_RCPT, recipients in a report that is no bounce, a status
 *	or reply code without its NUL.
 *
 *	FUZZ_CHECK(target, cond) aborts with "TARGET: broken promise: cond".
 *
 *	fuzz/build compiles fuzz/common.c once and links it into every
 *	target.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "report.h"
#include "rules.h"

#define FUZZ_CHECK(t, c)	do { if (!(c)) fuzz_broken((t), #c); } while (0)

struct rules *fuzz_rules(const char *, char **);
void	fuzz_check_report(const char *, const struct report *);
void	fuzz_broken(const char *, const char *);

#endif
