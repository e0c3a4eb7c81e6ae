/*
 * bounce.c - the classifier pipeline for one message; see bounce.h
 *
 *	raw message -> mime_parse() -> format_parse() -> o->evidence()
 *	-> classify_report().  This module owns only the glue: limits (the
 *	max_classify_ms deadline, see bounce.h), the summary of the returned
 *	original, and the promise that no string in the report is NULL.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "classify.h"
#include "format.h"

static const char *
nz(const char *s)
{
	return (s != NULL ? s : "");
}

/* Fill r->orig from the returned original's headers where the parser did not. */
static void
original_summary(struct report *r)
{
	const struct mime_part *p = r->original;
	static const struct { const char *name; size_t off; } map[] = {
		{ "Message-ID", offsetof(struct report, orig.message_id) },
		{ "From", offsetof(struct report, orig.from) },
		{ "To", offsetof(struct report, orig.to) },
		{ "Subject", offsetof(struct report, orig.subject) },
	};
	const char **slot, *v;
	char *d;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		slot = (const char **)(void *)((char *)r + map[i].off);
		if (*slot != NULL && **slot != '\0')
			continue;
		if ((v = mime_hdr_get(p, map[i].name)) == NULL)
			continue;
		d = mime_decode_words(r->a, v);
		*slot = d != NULL ? d : v;
	}
}

static void
fill_blanks(struct report *r)
{
	struct rcpt *rc;
	size_t i;

	r->kind = nz(r->kind);
	r->format = nz(r->format);
	r->reporting_mta = nz(r->reporting_mta);
	r->arrival_date = nz(r->arrival_date);
	r->orig.message_id = nz(r->orig.message_id);
	r->orig.from = nz(r->orig.from);
	r->orig.to = nz(r->orig.to);
	r->orig.subject = nz(r->orig.subject);
	r->orig.envelope_id = nz(r->orig.envelope_id);
	r->orig.queue_id = nz(r->orig.queue_id);
	r->error = nz(r->error);
	r->outbound_relay = nz(r->outbound_relay);
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		rc->addr = nz(rc->addr);
		rc->orig_addr = nz(rc->orig_addr);
		rc->action = nz(rc->action);
		rc->diag = nz(rc->diag);
		rc->remote_mta = nz(rc->remote_mta);
		rc->last_attempt = nz(rc->last_attempt);
		rc->command = nz(rc->command);
		rc->feedback_type = nz(rc->feedback_type);
		rc->reason = rc->reason ? rc->reason : "undefined";
		rc->cause = rc->cause ? rc->cause : rc->reason;
		rc->side = rc->side ? rc->side : "unknown";
		rc->hint = nz(rc->hint);
		rc->inner_cause = nz(rc->inner_cause);
		if (rc->ev.spf == NULL)
			rc->ev.spf = "skipped";
		if (rc->ev.dkim == NULL)
			rc->ev.dkim = "skipped";
		if (rc->ev.mx == NULL)
			rc->ev.mx = "skipped";
		rc->ev.note = nz(rc->ev.note);
	}
}

/* The stages before the classifier; 0 when the classifier may run. */
static int
decode_stages(const struct rules *rules, struct report *r,
    const struct bounce_opts *o)
{
	long long t;

	if (format_parse(rules, r) != 1)
		return (-1);
	original_summary(r);
	if (report_expired(r))
		return (-1);
	if (o != NULL && o->evidence != NULL) {
		t = report_now_ms();
		o->evidence(o->evidence_ctx, rules, r);
		/* DNS has its own budget, dns.timeout_ms */
		if (r->deadline != 0)
			r->deadline += report_now_ms() - t;
		if (report_expired(r))
			return (-1);
	}
	return (0);
}

struct report *
bounce_decode(const struct rules *rules, const char *msg, size_t len,
    const struct bounce_opts *o)
{
	struct mime_limits lim = { 32, 1000 };
	struct report *r;

	if ((r = report_new(o ? o->arena_cap : 0)) == NULL)
		return (NULL);
	if (o != NULL && o->max_ms > 0)
		r->deadline = report_now_ms() + o->max_ms;
	if (o != NULL && o->outbound_relay != NULL)
		r->outbound_relay = o->outbound_relay;
	if (o != NULL && o->limits.max_depth > 0)
		lim.max_depth = o->limits.max_depth;
	if (o != NULL && o->limits.max_parts > 0)
		lim.max_parts = o->limits.max_parts;

	if (mime_parse(r->a, msg, len, &lim, &r->mime) == -1) {
		r->error = "memory limit reached while reading the message";
		fill_blanks(r);
		return (r);
	}
	if (r->mime.flags & MIME_LIMIT_DEPTH)
		r->error = "MIME nesting limit reached; deeper parts not read";
	else if (r->mime.flags & MIME_LIMIT_PARTS)
		r->error = "MIME part limit reached; further parts not read";

	if (!report_expired(r) && decode_stages(rules, r, o) == 0)
		classify_report(rules, r);
	if (arena_exhausted(r->a) && (r->error == NULL || *r->error == '\0'))
		r->error = "memory limit reached; the report may be partial";
	fill_blanks(r);
	return (r);
}
