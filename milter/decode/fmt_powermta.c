/*
 * fmt_powermta.c - PowerMTA's own verdicts in its delivery-status parts
 *
 * SYNOPSIS
 *	void	fmt_powermta_fixup(struct fmt_ctx *c);
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
 *	classifier.  Bounded: at most DSN_LINES lines per part, and a
 *	group whose recipient is not at its own position is looked up
 *	among the first SEARCH_MAX recipients only.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"

#define DSN_LINES	20000
#define SEARCH_MAX	256	/* recipients searched out of order */

void	fmt_powermta_fixup(struct fmt_ctx *);

static const struct {
	const char	*category;
	const char	*reason;
} categories[] = {
	{ "bad-domain", "hostunknown" },
	{ "bad-mailbox", "userunknown" },
	{ "inactive-mailbox", "suspend" },
	{ "message-expired", "expired" },
	{ "no-answer-from-host", "networkerror" },
	{ "policy-related", "policyviolation" },
	{ "quota-issues", "mailboxfull" },
	{ "routing-errors", "systemerror" },
	{ "spam-related", "spamdetected" },
};

/* Status comments that name a reason more exactly than the category. */
static const struct {
	const char	*comment;
	const char	*reason;
} comments[] = {
	{ "(mailbox disabled", "suspend" },
	{ "(mailbox full", "mailboxfull" },
};

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
	struct group g;
	const char *s, *end, *line, *v;
	size_t len, vlen, nl = 0, i;

	if (p == NULL || p->body == NULL)
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
			for (i = 0; i < sizeof(comments) / sizeof(comments[0]);
			    i++)
				if (fmt_strcasestr(v, vlen, comments[i].comment))
					g.by_status = comments[i].reason;
		} else if (field(line, len, "X-PowerMTA-BounceCategory", &v,
		    &vlen)) {
			for (i = 0; i < sizeof(categories) /
			    sizeof(categories[0]); i++)
				if (vlen == strlen(categories[i].category) &&
				    strncasecmp(v, categories[i].category,
				    vlen) == 0)
					g.by_category = categories[i].reason;
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
