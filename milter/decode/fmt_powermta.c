/*
 * fmt_powermta.c - PowerMTA's own verdicts in its delivery-status parts
 *
 * SYNOPSIS
 *	void	fmt_powermta_fixup(struct fmt_ctx *c);
 *	int	fmt_powermta_load(struct rules *rules, char *err,
 *		    size_t errlen);
 *	void	fmt_powermta_free(struct fmt_powermta *t);
 *
 * DESCRIPTION
 *	PowerMTA (Port25, SparkPost) writes RFC 3464 reports whose
 *	per-recipient groups carry its own classification, e.g.
 *
 *		Status: 5.2.1 (mailbox disabled, not accepting messages)
 *		X-PowerMTA-BounceCategory: bad-mailbox
 *
 *	fmt_powermta_fixup() reads every delivery-status part again and,
 *	for each recipient group, sets the reason_hint of the recipient
 *	with the same Final-Recipient (when it has none yet): from the
 *	comment PowerMTA puts after a status it recognizes ("mailbox
 *	disabled" is the specific X.2.1 meaning), else from the bounce
 *	category (bad-mailbox, bad-domain, quota-issues, ...).  The
 *	categories "other" and unknown ones leave the decision to the
 *	classifier.  Both tables are data, rules/powermta, read once per
 *	rules set by fmt_powermta_load() into rules->powermta (a reason
 *	out of the vocabulary is "FILE:LINE: message").  Bounded: at most DSN_LINES lines per part, and a
 *	group whose recipient is not at its own position is looked up
 *	among the first SEARCH_MAX recipients only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "rulelist.h"
#include "vocab.h"

#define DSN_LINES	20000
#define SEARCH_MAX	256	/* recipients searched out of order */

void	fmt_powermta_fixup(struct fmt_ctx *);

/* One "KEY REASON" entry of rules/powermta. */
struct pmta_row {
	const char	*key;
	size_t		 keylen;
	const char	*reason;
};

enum { PM_CATEGORY, PM_COMMENT, PM_N };

static const char *const pm_section[PM_N] = {
	"category", "status-comment"
};

struct fmt_powermta {
	struct rlist	*list;
	struct pmta_row	*row[PM_N];
	size_t		 n[PM_N];
};

/* Split entry i of section k, "KEY REASON", into row r (in place). */
static int
pm_row(const struct vocab *vocab, const struct rlist *l, int k, size_t i,
    char *e, struct pmta_row *r, char *err, size_t errlen)
{
	char *w = e + strlen(e);

	while (w > e && !isspace((unsigned char)w[-1]))
		w--;
	r->reason = w;
	while (w > e && isspace((unsigned char)w[-1]))
		w--;
	if (w == e)
		return (rlist_error(l, pm_section[k], i, err, errlen,
		    "\"%s\": want KEY REASON", e));
	if (!reason_known(vocab, r->reason))
		return (rlist_error(l, pm_section[k], i, err, errlen,
		    "unknown reason \"%s\"", r->reason));
	*w = '\0';
	r->key = e;
	r->keylen = (size_t)(w - e);
	return (0);
}

int
fmt_powermta_load(struct rules *rules, char *err, size_t errlen)
{
	struct fmt_powermta *t;
	const char *const *e;
	size_t i;
	int k;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s/powermta:0: out of memory",
		    rules->dir);
		return (-1);
	}
	rules->powermta = t;
	if ((t->list = rlist_load(rules->dir, "powermta", err, errlen)) ==
	    NULL)
		return (-1);
	for (k = 0; k < PM_N; k++) {
		if (rlist_need(t->list, pm_section[k], err, errlen) == -1)
			return (-1);
		e = rlist_get(t->list, pm_section[k], &t->n[k]);
		if (t->n[k] > 0 && (t->row[k] = calloc(t->n[k],
		    sizeof(*t->row[k]))) == NULL) {
			snprintf(err, errlen, "%s/powermta:0: out of memory",
			    rules->dir);
			return (-1);
		}
		for (i = 0; i < t->n[k]; i++)
			if (pm_row(rules->vocab, t->list, k, i, (char *)e[i],
			    &t->row[k][i], err, errlen) == -1)
				return (-1);
	}
	return (0);
}

void
fmt_powermta_free(struct fmt_powermta *t)
{
	int k;

	if (t == NULL)
		return;
	for (k = 0; k < PM_N; k++)
		free(t->row[k]);
	rlist_free(t->list);
	free(t);
}

struct group {
	const char	*addr;		/* Final-Recipient, bare */
	const char	*by_status;	/* reason from the Status comment */
	const char	*by_category;	/* reason from the category */
};

/* Value of "Name: value" when line starts with name (any case). */
static int
field(const char *line, size_t len, const char *name, const char **v,
    size_t *vlen)
{
	size_t k = strlen(name);

	if (len <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return (0);
	k++;
	while (k < len && isspace((unsigned char)line[k]))
		k++;
	*v = line + k;
	*vlen = len - k;
	while (*vlen > 0 && isspace((unsigned char)(*v)[*vlen - 1]))
		(*vlen)--;
	return (1);
}

/*
 * Give g's reason to its recipient: the k-th one when the addresses
 * agree (the groups are read in the order the recipients were added),
 * else the first with that address among at most SEARCH_MAX.
 */
static void
apply(struct fmt_ctx *c, const struct group *g, size_t k)
{
	struct rcpt *rc = NULL;
	const char *reason;
	size_t i;

	reason = g->by_status != NULL ? g->by_status : g->by_category;
	if (g->addr == NULL || reason == NULL)
		return;
	if (k < c->r->nrcpt && c->r->rcpt[k].addr != NULL &&
	    strcasecmp(c->r->rcpt[k].addr, g->addr) == 0)
		rc = &c->r->rcpt[k];
	for (i = 0; rc == NULL && i < c->r->nrcpt && i < SEARCH_MAX; i++)
		if (c->r->rcpt[i].addr != NULL &&
		    strcasecmp(c->r->rcpt[i].addr, g->addr) == 0)
			rc = &c->r->rcpt[i];
	if (rc != NULL && rc->reason_hint == NULL)
		rc->reason_hint = reason;
}

static void
scan_part(struct fmt_ctx *c, const struct mime_part *p, size_t *k)
{
	const struct fmt_powermta *t = c->rules->powermta;
	struct group g;
	const char *s, *end, *line, *v;
	size_t len, vlen, nl = 0, i;

	if (p == NULL || p->body == NULL || t == NULL)
		return;
	memset(&g, 0, sizeof(g));
	s = p->body;
	end = s + p->bodylen;
	while (nl++ < DSN_LINES && fmt_next_line(&s, end, &line, &len)) {
		if (field(line, len, "Final-Recipient", &v, &vlen)) {
			if (g.addr != NULL)
				apply(c, &g, (*k)++);
			memset(&g, 0, sizeof(g));
			g.addr = fmt_addr(c->a, v, vlen);
		} else if (field(line, len, "Status", &v, &vlen)) {
			for (i = 0; i < t->n[PM_COMMENT]; i++)
				if (fmt_strcasestr(v, vlen,
				    t->row[PM_COMMENT][i].key))
					g.by_status = t->row[PM_COMMENT][i].reason;
		} else if (field(line, len, "X-PowerMTA-BounceCategory", &v,
		    &vlen)) {
			for (i = 0; i < t->n[PM_CATEGORY]; i++)
				if (vlen == t->row[PM_CATEGORY][i].keylen &&
				    strncasecmp(v, t->row[PM_CATEGORY][i].key,
				    vlen) == 0)
					g.by_category =
					    t->row[PM_CATEGORY][i].reason;
		}
	}
	if (g.addr != NULL)
		apply(c, &g, (*k)++);
}

void
fmt_powermta_fixup(struct fmt_ctx *c)
{
	size_t i, k = 0;

	for (i = 0; i < c->ndsn; i++)
		scan_part(c, c->dsns[i], &k);
}
