/*
 * fmt_rfc3464.c - RFC 3464 delivery-status fields; see fmt.h
 *
 * SYNOPSIS
 *	int	fmt_rfc3464_parse(struct fmt_ctx *c);
 *	int	fmt_rfc3464_text(struct fmt_ctx *c);
 *	int	fmt_rfc3464_fields(struct fmt_ctx *c, const char *s, size_t n);
 *	int	fmt_rfc3464_epilogue(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	fmt_rfc3464_fields() reads DSN fields from s[0..n): the per-message
 *	group (Reporting-MTA, Arrival-Date, Original-Envelope-Id,
 *	X-Postfix-Queue-ID, X-Postfix-Sender, Received-From-MTA) and one
 *	recipient record per per-recipient group (Final-Recipient,
 *	Original-Recipient, X-Actual-Recipient, Action, Status, Remote-MTA,
 *	Diagnostic-Code with its continuation lines, Last-Attempt-Date),
 *	in order.  It is tolerant: field names in any case, missing blank
 *	lines between groups (a second Final-Recipient starts a new
 *	record), "rfc822;" types and <> around addresses, RFC 2047 words
 *	in Diagnostic-Code, a part indented as a whole.  A recipient's
 *	address is the first of Final-Recipient, Original-Recipient and
 *	X-Actual-Recipient that holds a usable mailbox (usable_addr(): an
 *	X.400 address's DDA:SMTP= element, no "SMTP:" prefix, a source
 *	route's mailbox; "<>", "unknown" or an X.400 address without one
 *	are none), a value folded onto the next line included.  A stated
 *	X.4.7 marks the recipient expired.  Returns the number of
 *	recipients added.
 *
 *	fmt_rfc3464_parse() applies it to the delivery-status part;
 *	fmt_rfc3464_text() to plain text that holds DSN fields (a report
 *	forwarded as text, also quoted with "> "), only when a
 *	Final-Recipient line and an Action or Status line are both there.
 */
#include <ctype.h>
#include <string.h>

#include "fmt.h"
#include "litscan.h"

#define DSN_MAX_LINES	200000
#define DSN_MAX_LINE	16384	/* bytes of a field line kept */

enum dsn_field {
	DF_NONE, DF_REPORTING_MTA, DF_ARRIVAL, DF_ENVID, DF_QUEUEID,
	DF_PFSENDER, DF_RECEIVED_FROM, DF_FINAL, DF_ORIGINAL, DF_ACTUAL,
	DF_ACTION, DF_STATUS, DF_REMOTE_MTA, DF_DIAG, DF_LAST_ATTEMPT,
	DF_OTHER
};

static const struct {
	const char	*name;
	size_t		 len;
	enum dsn_field	 f;
} fields[] = {
	{ "reporting-mta", 13, DF_REPORTING_MTA },
	{ "arrival-date", 12, DF_ARRIVAL },
	{ "original-envelope-id", 20, DF_ENVID },
	{ "x-postfix-queue-id", 18, DF_QUEUEID },
	{ "x-postfix-sender", 16, DF_PFSENDER },
	{ "received-from-mta", 17, DF_RECEIVED_FROM },
	{ "final-recipient", 15, DF_FINAL },
	{ "original-recipient", 18, DF_ORIGINAL },
	{ "x-actual-recipient", 18, DF_ACTUAL },
	{ "action", 6, DF_ACTION },
	{ "status", 6, DF_STATUS },
	{ "remote-mta", 10, DF_REMOTE_MTA },
	{ "diagnostic-code", 15, DF_DIAG },
	{ "last-attempt-date", 17, DF_LAST_ATTEMPT },
};

/* One recipient group as read, before it becomes a struct rcpt. */
struct dsn_rec {
	const char	*final, *orig, *actual, *action, *status, *rmta;
	const char	*last;
	char		*diag;
	int		 any;
};

static enum dsn_field
field_of(const char *s, size_t n, size_t *vpos)
{
	const char *colon;
	size_t k, i;

	if ((colon = memchr(s, ':', n)) == NULL)
		return (DF_NONE);
	k = (size_t)(colon - s);
	while (k > 0 && s[k - 1] == ' ')
		k--;
	if (k == 0)
		return (DF_NONE);
	for (i = 0; i < k; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return (DF_NONE);
	*vpos = (size_t)(colon - s) + 1;
	while (*vpos < n && isspace((unsigned char)s[*vpos]))
		(*vpos)++;
	/* the length and the first letter rule out most names at once */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].len == k && fields[i].name[0] ==
		    (s[0] | 0x20) && strncasecmp(fields[i].name, s, k) == 0)
			return (fields[i].f);
	return (DF_OTHER);
}

/* "type; value": the value part, trimmed; the whole when no type. */
static const char *
after_type(struct arena *a, const char *v)
{
	const char *semi;

	if (v == NULL)
		return (NULL);
	if ((semi = strchr(v, ';')) != NULL && semi - v < 24 &&
	    memchr(v, ' ', (size_t)(semi - v)) == NULL) {
		v = semi + 1;
	}
	return (fmt_oneline(a, v, strlen(v)));
}

static void
normalize_action(struct arena *a, struct rcpt *rc, const char *v)
{
	static const struct { const char *in, *out; } t[] = {
		{ "failed", "failed" }, { "failure", "failed" },
		{ "delayed", "delayed" }, { "expired", "delayed" },
		{ "delivered", "delivered" }, { "deliverable", "delivered" },
		{ "relayed", "relayed" }, { "expanded", "expanded" },
	};
	size_t i, k;

	(void)a;
	if (v == NULL)
		return;
	while (isspace((unsigned char)*v))
		v++;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		k = strlen(t[i].in);
		if (strncasecmp(v, t[i].in, k) == 0 &&
		    !isalpha((unsigned char)v[k])) {
			rc->action = t[i].out;
			return;
		}
	}
}

/*
 * A recipient field's value as a bare mailbox, or NULL when it holds no
 * usable one: an X.400 address gives its "DDA:SMTP=" (or "RFC-822=")
 * element; "SMTP:" before the mailbox (Exchange) goes; a source route
 * ("@relay.example:user@host", PMDF) keeps its mailbox; "<>", a value
 * without an '@' or with two are no address.
 */
static const char *
usable_addr(struct arena *a, const char *v)
{
	const char *p, *semi, *e;
	char *m;
	size_t n;

	if (v == NULL)
		return (NULL);
	while (*v == ' ' || *v == '\t')
		v++;
	semi = strchr(v, ';');
	if (semi != NULL && semi - v < 16 &&
	    memchr(v, '@', (size_t)(semi - v)) == NULL)
		v = semi + 1;
	/* X.400: /C=../ADMD=../DDA:SMTP=user@host/ (both forms have an
	   '=': most values have none and skip the two searches) */
	if (strchr(v, '=') != NULL &&
	    (((p = strcasestr(v, "dda:smtp=")) != NULL && (p += 9)) ||
	    ((p = strcasestr(v, "rfc-822=")) != NULL && (p += 8)))) {
		for (e = p; *e != '\0' && *e != '/' && *e != ';' &&
		    !isspace((unsigned char)*e); e++)
			;
		v = arena_strndup(a, p, (size_t)(e - p));
		if (v == NULL)
			return (NULL);
	}
	if ((m = fmt_addr(a, v, strlen(v))) == NULL)
		return (NULL);
	if (strncasecmp(m, "smtp:", 5) == 0)
		m += 5;
	/* a source route: the mailbox after the last ':' */
	if (m[0] == '@' && (p = strrchr(m, ':')) != NULL)
		m = (char *)p + 1;
	n = strlen(m);
	if (n < 3 || (p = strchr(m, '@')) == NULL || p == m ||
	    p[1] == '\0' || strchr(p + 1, '@') != NULL)
		return (NULL);
	return (m);
}

static int
rec_commit(struct fmt_ctx *c, struct dsn_rec *d)
{
	struct rcpt *rc;
	const char *addr, *fin, *org, *act;
	char st[16];

	if (!d->any)
		return (0);
	/*
	 * The first of Final-Recipient, Original-Recipient and
	 * X-Actual-Recipient that holds a usable mailbox; when none does,
	 * the Final-Recipient as written.
	 */
	fin = usable_addr(c->a, d->final);
	org = usable_addr(c->a, d->orig);
	act = usable_addr(c->a, d->actual);
	addr = fin != NULL ? fin : org != NULL ? org : act;
	if (addr == NULL)
		addr = d->final != NULL ? d->final : d->orig != NULL ?
		    d->orig : d->actual;
	if (addr == NULL && d->status == NULL && d->diag == NULL)
		goto out;
	if (addr == NULL && c->r->nrcpt > 0) {
		/* a group split by a stray blank line: complete the last */
		rc = &c->r->rcpt[c->r->nrcpt - 1];
		if (rc->status[0] == '\0' && d->status != NULL &&
		    fmt_status_find(d->status, st))
			memcpy(rc->status, st, sizeof(rc->status));
		if ((rc->diag == NULL || *rc->diag == '\0') && d->diag) {
			const char *v = after_type(c->a, d->diag);

			if (v != NULL && strstr(v, "=?") != NULL)
				v = mime_decode_words(c->a, v);
			rc->diag = v;
		}
		goto out;
	}
	if ((rc = fmt_rcpt_add(c)) == NULL)
		goto out;
	if (addr != NULL && (addr == fin || addr == org || addr == act))
		rc->addr = addr;
	else
		rc->addr = addr != NULL ? fmt_addr(c->a, addr, strlen(addr)) :
		    "";
	rc->orig_addr = org != NULL ? org : d->orig != NULL ?
	    fmt_addr(c->a, d->orig, strlen(d->orig)) : "";
	if (rc->addr != NULL && *rc->addr == '\0' && d->actual != NULL)
		rc->addr = fmt_addr(c->a, d->actual, strlen(d->actual));
	if (rc->addr == NULL)	/* fmt_addr() found no address in it */
		rc->addr = "";
	normalize_action(c->a, rc, d->action);
	if (d->status != NULL && fmt_status_find(d->status, st)) {
		memcpy(rc->status, st, sizeof(rc->status));
		/* X.4.7: delivery time expired, the sender's own verdict */
		rc->expired = strcmp(st + 1, ".4.7") == 0;
	}
	if (d->diag != NULL) {
		const char *v = after_type(c->a, d->diag);

		if (v != NULL && strstr(v, "=?") != NULL)
			v = mime_decode_words(c->a, v);
		rc->diag = v != NULL ? fmt_oneline(c->a, v, strlen(v)) : NULL;
	}
	rc->remote_mta = after_type(c->a, d->rmta);
	rc->last_attempt = d->last != NULL ?
	    fmt_oneline(c->a, d->last, strlen(d->last)) : NULL;
out:
	memset(d, 0, sizeof(*d));
	return (1);
}

/* Does the record already hold something that f would overwrite? */
static int
rec_full(const struct dsn_rec *d, enum dsn_field f)
{
	switch (f) {
	case DF_FINAL:
		return (d->final != NULL);
	case DF_ORIGINAL:
		return (d->orig != NULL || (d->final != NULL &&
		    (d->status != NULL || d->diag != NULL || d->rmta)));
	case DF_ACTION:
		return (d->action != NULL);
	case DF_STATUS:
		return (d->status != NULL);
	case DF_DIAG:
		return (d->diag != NULL);
	default:
		return (0);
	}
}

/*
 * The white space before the first field when the part's first line
 * that is not blank is an indented DSN field ("   Reporting-MTA: ..."),
 * else 0: some gateways indent the whole report.
 */
static size_t
base_indent(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *line;
	size_t len, k, vpos, nl = 0;
	enum dsn_field f;

	while (nl++ < 50 && fmt_next_line(&p, end, &line, &len)) {
		for (k = 0; k < len && (line[k] == ' ' || line[k] == '\t'); k++)
			;
		if (k == len)
			continue;
		if (k == 0 || k > 16)
			return (0);
		f = field_of(line + k, len - k, &vpos);
		return (f != DF_NONE && f != DF_OTHER ? k : 0);
	}
	return (0);
}

int
fmt_rfc3464_fields(struct fmt_ctx *c, const char *s, size_t n)
{
	struct report *r = c->r;
	struct dsn_rec d;
	const char *p = s, *end = s + n, *line, **slot;
	char **cont = NULL, *v;
	size_t len, vpos = 0, before = r->nrcpt, nl = 0, base, k;
	enum dsn_field f;

	memset(&d, 0, sizeof(d));
	base = base_indent(s, n);
	while (nl++ < DSN_MAX_LINES && fmt_next_line(&p, end, &line, &len)) {
		/* a part indented as a whole: its fields start there */
		for (k = 0; k < base && k < len && (line[k] == ' ' ||
		    line[k] == '\t'); k++)
			;
		if (k == len)
			len = 0;
		else if (k == base) {
			line += k;
			len -= k;
		}
		if (len == 0 || (len > 0 && line[0] == '-' &&
		    len > 1 && line[1] == '-')) {
			/* blank line or a stray boundary: group ends */
			if (d.final != NULL || d.orig != NULL || d.status)
				rec_commit(c, &d);
			cont = NULL;
			continue;
		}
		if (isspace((unsigned char)line[0])) {
			if (cont != NULL && *cont != NULL &&
			    strlen(*cont) < DSN_MAX_LINE)
				*cont = fmt_append(c->a, *cont, line,
				    len < DSN_MAX_LINE ? len : DSN_MAX_LINE);
			continue;
		}
		if (len > DSN_MAX_LINE)
			len = DSN_MAX_LINE;
		f = field_of(line, len, &vpos);
		cont = NULL;
		if (f == DF_NONE || f == DF_OTHER)
			continue;
		if ((v = arena_strndup(c->a, line + vpos, len - vpos)) == NULL) {
			c->limit = 1;
			break;
		}
		if (f >= DF_FINAL && rec_full(&d, f))
			rec_commit(c, &d);
		slot = NULL;
		switch (f) {
		case DF_REPORTING_MTA:
			if (r->reporting_mta == NULL || !*r->reporting_mta)
				r->reporting_mta = after_type(c->a, v);
			break;
		case DF_ARRIVAL:
			if (r->arrival_date == NULL || !*r->arrival_date)
				r->arrival_date = fmt_oneline(c->a, v,
				    strlen(v));
			break;
		case DF_ENVID:
			r->orig.envelope_id = fmt_oneline(c->a, v, strlen(v));
			break;
		case DF_QUEUEID:
			r->orig.queue_id = fmt_oneline(c->a, v, strlen(v));
			break;
		case DF_PFSENDER:
		case DF_RECEIVED_FROM:
		case DF_NONE:
		case DF_OTHER:
			break;
		case DF_FINAL:
			slot = &d.final;
			break;
		case DF_ORIGINAL:
			slot = &d.orig;
			break;
		case DF_ACTUAL:
			slot = &d.actual;
			break;
		case DF_ACTION:
			slot = &d.action;
			break;
		case DF_STATUS:
			slot = &d.status;
			break;
		case DF_REMOTE_MTA:
			slot = &d.rmta;
			break;
		case DF_LAST_ATTEMPT:
			slot = &d.last;
			break;
		case DF_DIAG:
			d.diag = v;
			cont = &d.diag;
			d.any = 1;
			break;
		}
		if (slot != NULL) {
			*slot = v;
			d.any = 1;
			/*
			 * An address field continues on the next line only
			 * when its own line holds no address ("rfc822;"
			 * folded before the mailbox).
			 */
			if ((f == DF_FINAL || f == DF_ORIGINAL ||
			    f == DF_ACTUAL) && strchr(v, '@') == NULL)
				cont = (char **)slot;
		}
	}
	rec_commit(c, &d);
	return ((int)(r->nrcpt - before));
}

int
fmt_rfc3464_parse(struct fmt_ctx *c)
{
	size_t i;
	int n = 0;

	for (i = 0; i < c->ndsn; i++)
		if (c->dsns[i]->body != NULL)
			n += fmt_rfc3464_fields(c, c->dsns[i]->body,
			    c->dsns[i]->bodylen);
	return (n);
}

/* c->text without a leading "> " quote on each line (a forwarded report). */
static const char *
unquote(struct fmt_ctx *c, size_t *outlen)
{
	const char *p = c->text, *end = p + c->textlen, *line;
	char *d, *o;
	size_t len, nl = 0, quoted = 0;

	if ((d = arena_alloc(c->a, c->textlen + 1)) == NULL)
		return (NULL);
	o = d;
	while (nl++ < DSN_MAX_LINES && fmt_next_line(&p, end, &line, &len)) {
		if (len > 0 && line[0] == '>') {
			line++;
			len--;
			if (len > 0 && line[0] == ' ') {
				line++;
				len--;
			}
			quoted++;
		}
		memcpy(o, line, len);
		o += len;
		*o++ = '\n';
	}
	*o = '\0';
	*outlen = (size_t)(o - d);
	return (quoted > 0 ? d : NULL);
}

/* Does s[0..n) have a line that starts with lit (lower case), case ignored? */
static int
line_starts_with(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit), anchor = lit_anchor(lit, k), off, pos;

	for (off = 0; off < n && (pos = lit_pos_ci(s + off, n - off, lit, k,
	    anchor)) != LIT_NONE; off += pos + 1)
		if (off + pos == 0 || s[off + pos - 1] == '\n')
			return (1);
	return (0);
}

/* Does the text hold a Final-Recipient line and an Action or Status line? */
static int
has_fields(const char *t, size_t n)
{
	const char *p = t, *end = t + n, *line;
	size_t len, nl = 0;
	int fr = 0, as = 0;

	if (t == NULL || n == 0)
		return (0);
	/*
	 * Where the line limit cannot cut the text (fewer bytes than the
	 * limit of lines), a search for each name (memchr on a rare byte)
	 * instead of a look at every line.
	 */
	if (n < DSN_MAX_LINES)
		return (line_starts_with(t, n, "final-recipient:") &&
		    (line_starts_with(t, n, "action:") ||
		    line_starts_with(t, n, "status:")));
	while (nl++ < DSN_MAX_LINES && fmt_next_line(&p, end, &line, &len)) {
		if (len < 7)
			continue;
		if (len >= 16 && (line[0] == 'F' || line[0] == 'f') &&
		    strncasecmp(line, "Final-Recipient:", 16) == 0)
			fr = 1;
		else if ((line[0] == 'A' || line[0] == 'a') &&
		    strncasecmp(line, "Action:", 7) == 0)
			as = 1;
		else if ((line[0] == 'S' || line[0] == 's') &&
		    strncasecmp(line, "Status:", 7) == 0)
			as = 1;
		if (fr && as)
			return (1);
	}
	return (0);
}

int
fmt_rfc3464_text(struct fmt_ctx *c)
{
	const char *u;
	size_t ulen;

	if (has_fields(c->text, c->textlen))
		return (fmt_rfc3464_fields(c, c->text, c->textlen));
	if (c->text != NULL && strstr(c->text, "\n>") != NULL &&
	    (u = unquote(c, &ulen)) != NULL && has_fields(u, ulen))
		return (fmt_rfc3464_fields(c, u, ulen));
	return (0);
}

/*
 * Another report after the final boundary of the top-level multipart
 * (two bounces concatenated without a separator): its DSN fields, when
 * the epilogue has some.  Returns the recipients added.
 */
int
fmt_rfc3464_epilogue(struct fmt_ctx *c)
{
	const struct mime_part *root = c->root;
	const char *end, *p, *q;

	/* the text after the close delimiter, as the MIME walk found it */
	if (root == NULL || root->epilogue == NULL)
		return (0);
	p = root->epilogue;
	end = p + root->epiloguelen;
	/* only a real second report: a delivery-status part after it */
	if ((q = memmem(p, (size_t)(end - p), "message/delivery-status",
	    23)) == NULL)
		return (0);
	while (q > p && q[-1] != '\n')
		q--;
	if (!has_fields(q, (size_t)(end - q)))
		return (0);
	return (fmt_rfc3464_fields(c, q, (size_t)(end - q)));
}
