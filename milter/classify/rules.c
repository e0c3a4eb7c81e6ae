/*
 * rules.c - load a rules directory; see rules.h
 *
 *	Each kind of rule file has its own loader (status.c, reason_load.c,
 *	cause.c, fmt_load.c, eophost.c, trendrule.c, and the modules that
 *	read a list of rules/README); this module only strings them
 *	together and finds the directory.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "smtpcmd.h"
#include "trendrule.h"
#include "vocab.h"

struct rules *
rules_load(const char *dir, char *err, size_t errlen)
{
	struct rules *r;
	struct stat st;

	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s:0: not a readable rules directory", dir);
		return (NULL);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->dir = strdup(dir)) == NULL) {
		free(r);
		snprintf(err, errlen, "%s:0: out of memory", dir);
		return (NULL);
	}
	if ((r->vocab = vocab_load(dir, err, errlen)) == NULL ||
	    status_table_load(r, err, errlen) == -1 ||
	    reason_rules_load(r, err, errlen) == -1 ||
	    cause_table_load(r, err, errlen) == -1 ||
	    reason_scan_build(r, err, errlen) == -1 ||
	    format_table_load(r, err, errlen) == -1 ||
	    eop_hosts_load(r, err, errlen) == -1 ||
	    fmt_autoreply_load(r, err, errlen) == -1 ||
	    fmt_powermta_load(r, err, errlen) == -1 ||
	    smtp_cmds_load(r, err, errlen) == -1 ||
	    trend_rules_load(r, err, errlen) == -1) {
		rules_free(r);
		return (NULL);
	}
	return (r);
}

void
rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	status_table_free(r->status);
	reason_rules_free(r->reasons);
	cause_table_free(r->causes);
	format_table_free(r->formats);
	eop_hosts_free(r->eop);
	fmt_autoreply_free(r->autoreply);
	fmt_powermta_free(r->powermta);
	smtp_cmds_free(r->smtpcmd);
	vocab_free(r->vocab);
	trend_rules_free(r->trends);
	free(r->dir);
	free(r);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return (stat(p, &st) == 0 && S_ISDIR(st.st_mode));
}

const char *
rules_find_dir(const char *opt, const char *conf, const char *argv0,
    char *out, size_t outlen)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (opt != NULL && *opt != '\0')
		return (opt);
	if (conf != NULL && *conf != '\0')
		return (conf);
	/* build/../rules: prefer the real executable, then argv[0] */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = '\0';
	else if (argv0 != NULL && strlen(argv0) < sizeof(exe))
		strcpy(exe, argv0);
	else
		exe[0] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		if ((size_t)snprintf(out, outlen, "%s/../rules", exe) < outlen &&
		    is_dir(out))
			return (out);
	}
	snprintf(out, outlen, "%s/rules", BM_DATADIR);
	return (out);
}
