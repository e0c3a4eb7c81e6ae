/*
 * fuzz_reload.c - libFuzzer target for the daemon's configuration reload
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_reload [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	What SIGUSR1 does (milter_set.c, mset_reload()): the input is
 *	written to a temporary file that stands for the configuration, and
 *	mset_reload() loads it over the defaults, finds and loads the rules
 *	directory it names (or the repository's), builds the evidence
 *	context and swaps the new set in, while a set acquired before the
 *	reload (a message in flight) is held across it and released after.
 *	A "rules" setting in the input is replaced by the repository's
 *	rules directory (loading other directories is fuzz_rules' job, and
 *	a directory named by the fuzzer would mostly not exist).  Checks:
 *	a failed reload leaves the previous set current (same generation);
 *	a successful one installs a set with a newer generation whose
 *	configuration is the file's; the set held across the reload keeps
 *	its own configuration and rules until it is released (ASan sees a
 *	use after free otherwise).  Log lines go nowhere (mlog without -e
 *	writes to syslog; LOG_MASK keeps it quiet).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "milter.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_reload: broken promise: %s\n", #c); abort(); } } while (0)

static char path[4096];
static char rules[4096];
static struct mopts mo;

static void
cleanup(void)
{
	mset_shutdown();
	if (path[0] != '\0')
		unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR"), *r = getenv("FUZZ_RULES");
	struct mset *s;
	char err[1024];
	FILE *fp;
	int fd;

	(void)argc;
	snprintf(path, sizeof(path), "%s/fuzz_reload.XXXXXX", t ? t : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		perror("fuzz_reload: mkstemp");
		exit(1);
	}
	close(fd);
	atexit(cleanup);
	/* the repository's rules: $FUZZ_RULES, else beside the program */
	if (r != NULL)
		snprintf(rules, sizeof(rules), "%s", r);
	else if (rules_find_dir(NULL, "", (*argv)[0], rules,
	    sizeof(rules)) == NULL) {
		fprintf(stderr, "fuzz_reload: no rules directory "
		    "(set FUZZ_RULES)\n");
		exit(1);
	}
	mlog_init("mail", 0, 0);
	setlogmask(LOG_MASK(LOG_EMERG));
	if ((fp = fopen(path, "w")) == NULL)
		exit(1);
	fprintf(fp, "rules = \"%s\";\ndns = { spf = false; dkim = false; "
	    "mx = false; };\n", rules);
	fclose(fp);
	mo.conf = path;
	mo.conf_given = 1;
	mo.argv0 = (*argv)[0];
	if ((s = mset_load(&mo, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_reload: first set: %s\n", err);
		exit(1);
	}
	mset_install(s);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mset *held, *now;
	unsigned long gen;
	const char *p, *e;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "w")) == NULL)
		return (0);
	/* every line but those setting "rules", then our rules */
	for (p = (const char *)data; p < (const char *)data + size; p = e) {
		e = memchr(p, '\n', (size_t)((const char *)data + size - p));
		e = e != NULL ? e + 1 : (const char *)data + size;
		if ((size_t)(e - p) >= 5 && memcmp(p, "rules", 5) == 0)
			continue;
		fwrite(p, 1, (size_t)(e - p), fp);
	}
	fprintf(fp, "\nrules = \"%s\";\n", rules);
	fclose(fp);
	held = mset_acquire();
	CHECK(held != NULL);
	gen = held->generation;
	rc = mset_reload(&mo);
	now = mset_acquire();
	CHECK(now != NULL);
	if (rc == -1)
		CHECK(now == held && now->generation == gen);
	else {
		CHECK(now != held && now->generation > gen);
		CHECK(now->conf.file != NULL &&
		    strcmp(now->conf.file, path) == 0);
		CHECK(now->rules != NULL);
	}
	/* the held set is still whole */
	CHECK(held->rules != NULL && held->conf.socket != NULL);
	mset_release(now);
	mset_release(held);
	return (0);
}
