/*
 * fmt_amazonses.c - Amazon SES notifications (JSON), the amazonses hook
 *
 * SYNOPSIS
 *	int	fmt_amazonses_detect(struct fmt_ctx *c);
 *	int	fmt_amazonses_parse(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	Amazon SES reports bounces, complaints and deliveries to an SNS
 *	topic; subscribed by e-mail they arrive as a JSON document, either
 *	the SES notification itself or an SNS envelope whose "Message" is
 *	the notification as a string.  Long lines are folded: a line that
 *	ends with "!" continues on the next, whose first character (a space)
 *	is not part of the text.
 *
 *	fmt_amazonses_detect() is true when the bounce carries an
 *	X-Amz-Sns-Message-Id header and its text starts with "{".
 *	fmt_amazonses_parse() adds one recipient per bouncedRecipients[]
 *	(action, status, diagnosticCode), complainedRecipients[] (kind arf,
 *	reason feedback) or delivery.recipients[] (action delivered, the
 *	smtpResponse as diagnostic).  When the text is not such JSON it runs
 *	the family's text rules instead.
 */
#include <ctype.h>
#include <string.h>

#include "fmt.h"
#include "fmt_json.h"

#define SES_MAX_JSON	(1024 * 1024)

int	fmt_amazonses_detect(struct fmt_ctx *);
int	fmt_amazonses_parse(struct fmt_ctx *);

int
fmt_amazonses_detect(struct fmt_ctx *c)
{
	const char *t = c->text;

	if (mime_hdr_get(c->root, "X-Amz-Sns-Message-Id") == NULL)
		return (0);
	while (t != NULL && isspace((unsigned char)*t))
		t++;
	return (t != NULL && *t == '{');
}

/* The JSON text of the body: folded lines joined, up to a "--" line. */
static char *
unfold(struct fmt_ctx *c, size_t *outlen)
{
	const char *p = c->text, *end = p + c->textlen, *line;
	char *d;
	size_t len, o = 0, nl = 0;
	int folded = 0;

	if ((d = arena_alloc(c->a, c->textlen + 1)) == NULL)
		return (NULL);
	while (nl++ < 100000 && fmt_next_line(&p, end, &line, &len)) {
		if (len == 2 && line[0] == '-' && line[1] == '-')
			break;
		if (folded && len > 0) {
			line++;
			len--;
		}
		folded = 0;
		if (len > 0 && line[len - 1] == '!') {
			len--;
			folded = 1;
		}
		if (o + len > SES_MAX_JSON)
			break;
		memcpy(d + o, line, len);
		o += len;
	}
	d[o] = '\0';
	*outlen = o;
	return (d);
}

static const char *
str_of(const struct fjson *j, const char *key)
{
	const struct fjson *v = fjson_get(j, key);

	return (v != NULL && v->type == FJ_STRING ? v->str : NULL);
}

static const char *
reason_of(const struct fjson *bounce)
{
	const char *type = str_of(bounce, "bounceType");
	const char *sub = str_of(bounce, "bounceSubType");

	if (type == NULL || sub == NULL || strcmp(type, "Transient") != 0)
		return (NULL);
	if (strcmp(sub, "MailboxFull") == 0)
		return ("mailboxfull");
	if (strcmp(sub, "MessageTooLarge") == 0)
		return ("mesgtoobig");
	return (NULL);
}

static int
parse_payload(struct fmt_ctx *c, const struct fjson *p)
{
	const struct fjson *o, *list, *e;
	const char *type, *v, *mta;
	struct rcpt *rc;
	char st[16];
	int n = 0, k = 0;

	if ((type = str_of(p, "notificationType")) == NULL)
		return (0);
	if (strcmp(type, "Bounce") == 0 || strcmp(type, "Complaint") == 0) {
		int bounce = type[0] == 'B';

		if ((o = fjson_get(p, bounce ? "bounce" : "complaint")) == NULL)
			return (0);
		list = fjson_get(o, bounce ? "bouncedRecipients" :
		    "complainedRecipients");
		mta = str_of(o, "reportingMTA");
		if (mta != NULL && strncasecmp(mta, "dsn;", 4) == 0)
			mta += 4;
		while (mta != NULL && *mta == ' ')
			mta++;
		if (mta != NULL)
			c->r->reporting_mta = mta;
		for (e = list != NULL ? list->child : NULL; e != NULL &&
		    k < REPORT_MAX_RCPT; e = e->next, k++) {
			if ((v = str_of(e, "emailAddress")) == NULL ||
			    strchr(v, '@') == NULL)
				continue;
			if ((rc = fmt_rcpt_add(c)) == NULL)
				break;
			n++;
			rc->addr = fmt_addr(c->a, v, strlen(v));
			if (!bounce) {
				rc->action = "";
				rc->reason_hint = "feedback";
				v = str_of(o, "complaintFeedbackType");
				rc->feedback_type = v != NULL ? v : "";
				continue;
			}
			if ((v = str_of(e, "action")) != NULL)
				rc->action = v;
			if ((v = str_of(e, "status")) != NULL &&
			    fmt_status_find(v, st))
				memcpy(rc->status, st, sizeof(st));
			if ((v = str_of(e, "diagnosticCode")) != NULL) {
				const char *semi = strchr(v, ';');

				if (semi != NULL && semi - v < 16)
					v = semi + 1;
				rc->diag = fmt_oneline(c->a, v, strlen(v));
			}
			rc->reason_hint = reason_of(o);
		}
		if (n > 0 && !bounce) {
			c->r->kind = "arf";
			return (-n);
		}
		return (n);
	}
	if (strcmp(type, "Delivery") == 0) {
		if ((o = fjson_get(p, "delivery")) == NULL)
			return (0);
		list = fjson_get(o, "recipients");
		if ((mta = str_of(o, "reportingMTA")) != NULL)
			c->r->reporting_mta = mta;
		for (e = list != NULL ? list->child : NULL; e != NULL &&
		    k < REPORT_MAX_RCPT; e = e->next, k++) {
			if (e->type != FJ_STRING || strchr(e->str, '@') == NULL)
				continue;
			if ((rc = fmt_rcpt_add(c)) == NULL)
				break;
			n++;
			rc->addr = fmt_addr(c->a, e->str, strlen(e->str));
			rc->action = "delivered";
			rc->reason_hint = "delivered";
			if ((v = str_of(o, "smtpResponse")) != NULL)
				rc->diag = fmt_oneline(c->a, v, strlen(v));
		}
		return (n);
	}
	return (0);
}

int
fmt_amazonses_parse(struct fmt_ctx *c)
{
	const struct fjson *j, *msg, *inner;
	const char *s;
	size_t len;
	int n;

	if ((s = unfold(c, &len)) == NULL)
		return (fmt_text_parse(c));
	if ((j = fjson_parse(c->a, s, len)) == NULL)
		return (fmt_text_parse(c));
	msg = fjson_get(j, "Message");
	if (msg != NULL && msg->type == FJ_STRING &&
	    (inner = fjson_parse(c->a, msg->str, strlen(msg->str))) != NULL)
		j = inner;
	if ((n = parse_payload(c, j)) < 0)
		return (-n);	/* complaints: kind already set to arf */
	if (n == 0)
		return (fmt_text_parse(c));
	return (n);
}
