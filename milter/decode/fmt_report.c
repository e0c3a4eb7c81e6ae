/*
 * fmt_report.c - ARF feedback reports and RFC 3834 auto-replies; see fmt.h
 *
 * SYNOPSIS
 *	int	fmt_arf_parse(struct fmt_ctx *c);
 *	int	fmt_arf_jmrp(struct fmt_ctx *c);
 *	int	fmt_arf_unsubscribe(struct fmt_ctx *c);
 *	int	fmt_rfc3834_detect(struct fmt_ctx *c);
 *	int	fmt_rfc3834_parse(struct fmt_ctx *c);
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
 *	when the reply says the mailbox is no longer in use).
 *
 *	fmt_arf_unsubscribe() reads Apple Mail's unsubscribe message
 *	(X-Apple-Unsubscribe: true) as a feedback report of type opt-out.
 */
#include <ctype.h>
#include <string.h>

#include "fmt.h"

#define DIAG_MAX	400	/* bytes of reply text kept as diagnostic */

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
subject_autoreply(const char *s)
{
	static const char *const pre[] = {
		"auto:", "auto reply", "auto-reply", "autoreply",
		"automatic reply", "auto response", "autoresponse",
		"autorespons", "auto-response", "out of office",
		"out of the office", "vacation", "away from",
		"absence", "abwesenheit", "automatische antwort",
		"réponse automatique", "respuesta automática", "away until",
	};
	size_t i, n = strlen(s);

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (fmt_strcasestr(s, n, pre[i]))
			return (1);
	return (0);
}

static int
looks_like_bounce(struct fmt_ctx *c)
{
	static const char *const subj[] = {
		"bounce", "undeliver", "undelivered", "delivery status",
		"delivery failure", "delivery notification", "returned mail",
		"failure notice", "mail delivery", "not delivered",
		"delivery has failed", "non remis", "nicht zustellbar",
	};
	static const char *const from[] = {
		"mailer-daemon", "postmaster", "mail delivery",
	};
	size_t i, n = strlen(c->subject), m = strlen(c->from);

	for (i = 0; i < sizeof(subj) / sizeof(subj[0]); i++)
		if (fmt_strcasestr(c->subject, n, subj[i]))
			return (1);
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		if (fmt_strcasestr(c->from, m, from[i]))
			return (1);
	return (0);
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
	if (subject_autoreply(c->subject) &&
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
	if (fmt_strcasestr(c->text, c->textlen, "no longer in use") ||
	    fmt_strcasestr(c->text, c->textlen, "no longer active") ||
	    fmt_strcasestr(c->text, c->textlen, "is no longer valid"))
		rc->reason_hint = "suspend";
	return (1);
}
