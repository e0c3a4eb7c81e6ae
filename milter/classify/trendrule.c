/*
 * trendrule.c - the trend rules (rules/trends), as data; see trendrule.h
 *
 *	The rules are read here, with the classifier's rules set, so that
 *	one load checks them against the cause catalog and a reload
 *	refuses a broken file; the counting is trend.c's (history).
 */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "config.h"
#include "rulelist.h"
#include "rules.h"
#include "trendrule.h"

#define SECTION	"rules"

struct trend_rules {
	struct trend_rule	 rule[TREND_MAX_RULES];
	char			*text[TREND_MAX_RULES];	/* the split entries */
	size_t			 n;
};

/* The settings a rule may take its threshold from. */
static const struct {
	const char	*name;
	size_t		 off;
} settings[] = {
	{ "trends.dbeb_addresses", offsetof(struct config,
	    trends.dbeb_addresses) },
	{ "trends.blocked_domains", offsetof(struct config,
	    trends.blocked_domains) },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

static int
setting_find(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return ((int)i);
	return (-1);
}

/* The next blank-separated word of *p, NUL-terminated in place. */
static char *
word(char **p)
{
	char *s = *p, *w;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return (NULL);
	w = s;
	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	while (isspace((unsigned char)*s))
		s++;
	*p = s;
	return (w);
}

/* Entry i, "CAUSE BY THRESHOLD HINT", into tr (split in place in e). */
static int
rule_parse(const struct rules *r, const struct rlist *l, size_t i, char *e,
    struct trend_rule *tr, char *err, size_t errlen)
{
	char *p = e, *cause, *by, *th, *end;
	long n;

	cause = word(&p);
	by = word(&p);
	th = word(&p);
	if (cause == NULL || by == NULL || th == NULL || *p == '\0')
		return (rlist_error(l, SECTION, i, err, errlen,
		    "want CAUSE BY THRESHOLD HINT"));
	if (!cause_known(r, cause))
		return (rlist_error(l, SECTION, i, err, errlen,
		    "\"%s\" is not a cause of causes.rules", cause));
	tr->cause = cause;
	if (strcmp(by, "address") == 0)
		tr->by = TREND_BY_ADDRESS;
	else if (strcmp(by, "domain") == 0)
		tr->by = TREND_BY_DOMAIN;
	else
		return (rlist_error(l, SECTION, i, err, errlen,
		    "by \"%s\": want address or domain", by));
	tr->setting = NULL;
	tr->threshold = 0;
	if (isdigit((unsigned char)*th)) {
		n = strtol(th, &end, 10);
		if (*end != '\0' || n < 0 || n > TREND_MAX_THRESHOLD)
			return (rlist_error(l, SECTION, i, err, errlen,
			    "threshold \"%s\": want a setting or a number "
			    "from 0 to %d", th, TREND_MAX_THRESHOLD));
		tr->threshold = (int)n;
	} else if (setting_find(th) >= 0)
		tr->setting = th;
	else
		return (rlist_error(l, SECTION, i, err, errlen,
		    "threshold \"%s\": not a setting of the trends (or a "
		    "number)", th));
	tr->hint = p;
	return (0);
}

int
trend_rules_load(struct rules *r, char *err, size_t errlen)
{
	struct trend_rules *t;
	struct rlist *l;
	const char *const *e;
	size_t i, n;
	int rc = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s/trends:0: out of memory", r->dir);
		return (-1);
	}
	r->trends = t;
	if ((l = rlist_load(r->dir, "trends", err, errlen)) == NULL)
		return (-1);
	if (rlist_need(l, SECTION, err, errlen) == -1) {
		rlist_free(l);
		return (-1);
	}
	e = rlist_get(l, SECTION, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (i == TREND_MAX_RULES)
			rc = rlist_error(l, SECTION, i, err, errlen,
			    "more than %d rules", TREND_MAX_RULES);
		else if ((t->text[i] = strdup(e[i])) == NULL) {
			snprintf(err, errlen, "%s/trends:0: out of memory",
			    r->dir);
			rc = -1;
		} else {
			t->n++;
			rc = rule_parse(r, l, i, t->text[i], &t->rule[i], err,
			    errlen);
		}
	}
	rlist_free(l);
	return (rc);
}

void
trend_rules_free(struct trend_rules *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->text[i]);
	free(t);
}

const struct trend_rule *
trend_rules_get(const struct rules *r, size_t *n)
{
	if (r == NULL || r->trends == NULL) {
		*n = 0;
		return (NULL);
	}
	*n = r->trends->n;
	return (r->trends->rule);
}

int
trend_rule_threshold(const struct trend_rule *tr, const struct config *c)
{
	struct config def;
	int k;

	if (tr->setting == NULL || (k = setting_find(tr->setting)) < 0)
		return (tr->threshold);
	if (c == NULL) {
		config_defaults(&def);
		c = &def;
	}
	return (*(const int *)(const void *)((const char *)c +
	    settings[k].off));
}
