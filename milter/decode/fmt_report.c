/*
 * fmt_report.c - ARF feedback reports and RFC 3834 auto-replies; see fmt.h
 *
 * SYNOPSIS
 *	int	fmt_arf_parse(struct fmt_ctx *c);
 *	int	fmt_arf_jmrp(struct fmt_ctx *c);
 *	int	fmt_arf_unsubscribe(struct fmt_ctx *c);
 *	int	fmt_rfc3834_detect(struct fmt_ctx *c);
 *	int	fmt_rfc3834_parse(struct fmt_ctx *c);
 *	int	fmt_autoreply_load(struct rules *rules, char *err,
 *		    size_t errlen);
 *	void	fmt_autoreply_free(struct fmt_autoreply *w);
 *
 * DESCRIPTION
 *	fmt_arf_parse() reads the message/feedback-report part (RFC 5965):
 *	one recipient per Original-Rcpt-To, else per Removal-Recipient,
 *	else the To of the reported message; Feedback-Type, Reporting-MTA,
 *	Arrival-Date.  The diagnostic is the first line of the report's
 *	human-readable text; reason_hint is "feedback".  Microsoft's JMRP
 *	complaints (no feedback-report part, a message/rfc822 carrying
 *	X-HmXmrOriginalRecipient) are read the same way.
 *
 *	fmt_rfc3834_detect() says whether the message is an auto-reply:
 *	Auto-Submitted: auto-replied, X-Autoreply, X-Autorespond,
 *	X-Apple-Action: VACATION, Precedence: auto_reply, or an
 *	auto-reply Subject together with X-Auto-Response-Suppress or a
 *	null Return-Path; never when the From or Subject says the message
 *	is a bounce or a notification.  fmt_rfc3834_parse() adds one
 *	recipient: the address that replied (From), with the first lines
 *	of the reply as diagnostic and reason_hint "vacation" ("suspend"
 *	when the reply says the mailbox is no longer in use).  The words
 *	of those Subjects, Froms and replies are data, rules/autoreply,
 *	read once per rules set by fmt_autoreply_load() into
 *	rules->autoreply (errors "FILE:LINE: message").
 *
 *	fmt_arf_unsubscribe() reads Apple Mail's unsubscribe message
 *	(X-Apple-Unsubscribe: true) as a feedback report of type opt-out.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "rulelist.h"

#define DIAG_MAX	400	/* bytes of reply text kept as diagnostic */

/* The sections of rules/autoreply, in the order of struct fmt_autoreply. */
enum { AR_SUBJECT, AR_BOUNCE_SUBJECT, AR_BOUNCE_FROM, AR_GONE, AR_N };

static const char *const ar_section[AR_N] = {
	"subject", "bounce-subject", "bounce-from", "gone"
};

struct fmt_autoreply {
	struct rlist		*list;
	const char *const	*v[AR_N];	/* each section's phrases */
	size_t			 n[AR_N];
};

int
fmt_autoreply_load(struct rules *rules, char *err, size_t errlen)
{
	struct fmt_autoreply *w;
	int i;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "%s/autoreply:0: out of memory",
		    rules->dir);
		return (-1);
	}
	rules->autoreply = w;
	if ((w->list = rlist_load(rules->dir, "autoreply", err, errlen)) ==
	    NULL)
		return (-1);
	for (i = 0; i < AR_N; i++) {
		if (rlist_need(w->list, ar_section[i], err, errlen) == -1)
			return (-1);
		w->v[i] = rlist_get(w->list, ar_section[i], &w->n[i]);
	}
	return (0);
}

void
fmt_autoreply_free(struct fmt_autoreply *w)
{
	if (w == NULL)
		return;
	rlist_free(w->list);
	free(w);
}

/* Whether s[0..n) holds one of the phrases of section k. */
static int
ar_has(const struct fmt_ctx *c, int k, const char *s, size_t n)
{
	const struct fmt_autoreply *w = c->rules->autoreply;
	size_t i;

	if (w == NULL)
		return (0);
	for (i = 0; i < w->n[k]; i++)
		if (fmt_strcasestr(s, n, w->v[k][i]))
			return (1);
	return (0);
}

/* The first non-empty line of c->text, or "". */
static const char *
first_line(struct fmt_ctx *c, size_t max)
{
	const char *p = c->text, *end = p + c->textlen, *line;
	size_t len, nl = 0;
	char *acc = NULL;

	while (nl++ < 200 && fmt_next_line(&p, end, &line, &len)) {
		while (len > 0 && isspace((unsigned char)*line)) {
			line++;
			len--;
		}
		if (len == 0) {
			if (acc != NULL)
				break;
			continue;
		}
		acc = fmt_append(c->a, acc, line, len);
		if (acc == NULL || strlen(acc) >= max)
			break;
	}
	return (acc != NULL ? acc : "");
}

static int
arf_add(struct fmt_ctx *c, const char *addr, size_t n, const char *type,
    const char *diag)
{
	struct rcpt *rc;

	if ((rc = fmt_rcpt_add(c)) == NULL)
		return (-1);
	rc->addr = fmt_addr(c->a, addr, n);
	rc->feedback_type = type;
	rc->diag = diag;
	rc->action = "";
	rc->reason_hint = "feedback";
	return (0);
}

/* Addresses of a To-like header value, comma-separated. */
static int
add_list(struct fmt_ctx *c, const char *v, const char *type,
    const char *diag)
{
	const char *p = v, *q;
	int n = 0, k = 0;

	while (p != NULL && *p != '\0' && k++ < 1000) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if (memchr(p, '@', (size_t)(q - p)) != NULL) {
			if (arf_add(c, p, (size_t)(q - p), type, diag) == -1)
				return (n);
			n++;
		}
		p = *q != '\0' ? q + 1 : q;
	}
	return (n);
}

int
fmt_arf_parse(struct fmt_ctx *c)
{
	const char *p, *end, *line, *type = "", *diag;
	size_t len, k, nl = 0;
	int n = 0, removal = 0;
	const char *v;

	if (c->arf == NULL || c->arf->body == NULL)
		return (0);
	diag = first_line(c, DIAG_MAX);
	p = c->arf->body;
	end = p + c->arf->bodylen;
	/* first pass: the type and per-report fields */
	while (nl++ < 10000 && fmt_next_line(&p, end, &line, &len)) {
		if (len > 14 && strncasecmp(line, "Feedback-Type:", 14) == 0) {
			for (k = 14; k < len && isspace((unsigned char)line[k]);)
				k++;
			type = fmt_oneline(c->a, line + k, len - k);
		} else if (len > 14 &&
		    strncasecmp(line, "Reporting-MTA:", 14) == 0) {
			v = arena_strndup(c->a, line + 14, len - 14);
			if (v != NULL && (v = strchr(v, ';')) != NULL)
				v++;
			else
				v = arena_strndup(c->a, line + 14, len - 14);
			c->r->reporting_mta = fmt_oneline(c->a, v, strlen(v));
		} else if (len > 13 &&
		    strncasecmp(line, "Arrival-Date:", 13) == 0)
			c->r->arrival_date = fmt_oneline(c->a, line + 13,
			    len - 13);
	}
	if (type == NULL)
		type = "";
	/* second pass: recipients in order */
	p = c->arf->body;
	nl = 0;
	while (nl++ < 10000 && fmt_next_line(&p, end, &line, &len)) {
		if (len > 16 && strncasecmp(line, "Original-Rcpt-To:", 17) == 0) {
			if (arf_add(c, line + 17, len - 17, type, diag) == -1)
				return (n);
			n++;
		}
	}
	if (n == 0) {
		p = c->arf->body;
		nl = 0;
		while (nl++ < 10000 && fmt_next_line(&p, end, &line, &len))
			if (len > 18 && strncasecmp(line,
			    "Removal-Recipient:", 18) == 0) {
				if (arf_add(c, line + 18, len - 18, type,
				    diag) == -1)
					return (n);
				n++;
				removal = 1;
			}
	}
	(void)removal;
	if (n == 0 && c->orig != NULL &&
	    (v = mime_hdr_get(c->orig, "To")) != NULL)
		n = add_list(c, v, type, diag);
	if (n == 0)
		n = arf_add(c, "", 0, type, diag) == 0;
	return (n);
}

/* Microsoft JMRP: a complaint forwarded as message/rfc822 (no ARF part). */
int
fmt_arf_jmrp(struct fmt_ctx *c)
{
	const char *v;

	if (c->orig == NULL || c->dsn != NULL)
		return (0);
	if ((v = mime_hdr_get(c->orig, "X-HmXmrOriginalRecipient")) == NULL)
		return (0);
	if (arf_add(c, v, strlen(v), "abuse", first_line(c, DIAG_MAX)) == -1)
		return (0);
	return (1);
}

/*
 * Apple Mail's one-click unsubscribe (X-Apple-Unsubscribe: true): a
 * feedback report of type opt-out from the address in From.
 */
int
fmt_arf_unsubscribe(struct fmt_ctx *c)
{
	const char *v, *from;

	if (c->dsn != NULL || c->root == NULL)
		return (0);
	if ((v = mime_hdr_get(c->root, "X-Apple-Unsubscribe")) == NULL ||
	    !fmt_strcasestr(v, strlen(v), "true"))
		return (0);
	if ((from = mime_hdr_get(c->root, "From")) == NULL)
		return (0);
	if (arf_add(c, from, strlen(from), "opt-out",
	    first_line(c, DIAG_MAX)) == -1)
		return (0);
	return (1);
}

static int
hdr_has(struct fmt_ctx *c, const char *name, const char *needle)
{
	const char *v = mime_hdr_get(c->root, name);

	if (v == NULL)
		return (0);
	if (needle == NULL)
		return (1);
	return (fmt_strcasestr(v, strlen(v), needle));
}

static int
looks_like_bounce(struct fmt_ctx *c)
{
	return (ar_has(c, AR_BOUNCE_SUBJECT, c->subject, strlen(c->subject)) ||
	    ar_has(c, AR_BOUNCE_FROM, c->from, strlen(c->from)));
}

int
fmt_rfc3834_detect(struct fmt_ctx *c)
{
	const char *as;

	if (c->root == NULL || looks_like_bounce(c))
		return (0);
	if ((as = mime_hdr_get(c->root, "Auto-Submitted")) != NULL &&
	    fmt_strcasestr(as, strlen(as), "auto-replied"))
		return (1);
	if (hdr_has(c, "X-Autoreply", NULL) ||
	    hdr_has(c, "X-Autorespond", NULL) ||
	    hdr_has(c, "X-Apple-Action", "vacation") ||
	    hdr_has(c, "Precedence", "auto_reply"))
		return (1);
	if (ar_has(c, AR_SUBJECT, c->subject, strlen(c->subject)) &&
	    (hdr_has(c, "X-Auto-Response-Suppress", NULL) ||
	    hdr_has(c, "Return-Path", "<>") ||
	    (as != NULL && !fmt_strcasestr(as, strlen(as), "no"))))
		return (1);
	return (0);
}

int
fmt_rfc3834_parse(struct fmt_ctx *c)
{
	struct rcpt *rc;
	const char *from;

	from = mime_hdr_get(c->root, "From");
	if ((rc = fmt_rcpt_add(c)) == NULL)
		return (0);
	rc->addr = from != NULL ? fmt_addr(c->a, from, strlen(from)) : "";
	rc->diag = first_line(c, DIAG_MAX);
	rc->action = "";
	rc->reason_hint = "vacation";
	/* "this inbox is no longer in use": the address is gone */
	if (ar_has(c, AR_GONE, c->text, c->textlen))
		rc->reason_hint = "suspend";
	return (1);
}
