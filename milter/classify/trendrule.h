/*
 * trendrule.h - the trend rules (rules/trends), as data
 *
 * SYNOPSIS
 *	int	trend_rules_load(struct rules *r, char *err, size_t errlen);
 *	void	trend_rules_free(struct trend_rules *t);
 *	const struct trend_rule *trend_rules_get(const struct rules *r,
 *		    size_t *n);
 *	int	trend_rule_threshold(const struct trend_rule *tr,
 *		    const struct config *c);
 *
 * DESCRIPTION
 *	rules/trends lists the rules of the trend lines (trend.h), one
 *	"CAUSE BY THRESHOLD HINT" entry each in its section [rules] (the
 *	file's header says what each field means).  trend_rules_load(),
 *	called by rules_load(), reads and checks it into r->trends: CAUSE
 *	must be a cause of the catalog (cause_table_load() first), BY
 *	"address" or "domain", THRESHOLD a known setting (trends.NAME) or
 *	a number from 0 to TREND_MAX_THRESHOLD, and a HINT must follow;
 *	at most TREND_MAX_RULES rules.  A mistake is -1 with "FILE:LINE:
 *	message" in err.
 *
 *	trend_rules_get() returns the rules in file order and their
 *	number in *n (none: n = 0).  trend_rule_threshold() is a rule's
 *	threshold under the configuration c: the setting it names, or its
 *	number; with c NULL the settings' defaults (config_defaults()).
 */
#ifndef TRENDRULE_H
#define TRENDRULE_H

#include <stddef.h>

#define TREND_MAX_THRESHOLD	10000
#define TREND_MAX_RULES		64

enum trend_by { TREND_BY_ADDRESS, TREND_BY_DOMAIN };

struct trend_rule {
	const char	*cause;		/* a catalog cause */
	enum trend_by	 by;
	const char	*setting;	/* "trends.NAME", or NULL: threshold */
	int		 threshold;
	const char	*hint;
};

struct rules;
struct trend_rules;
struct config;

int	 trend_rules_load(struct rules *, char *, size_t);
void	 trend_rules_free(struct trend_rules *);
const struct trend_rule *trend_rules_get(const struct rules *, size_t *);
int	 trend_rule_threshold(const struct trend_rule *,
	    const struct config *);

#endif
