/*
 * classify.c - settle status, reply, reason, hard, cause, side and hint
 *
 * SYNOPSIS
 *	void	classify_report(const struct rules *rules, struct report *r);
 *	void	classify_rcpt(const struct rules *rules,
 *		    const struct report *r, struct rcpt *rc);
 *
 * DESCRIPTION
 *	For one recipient record (as the format parsers filled it):
 *
 *	1. status: as stated; else the first enhanced status code in the
 *	   diagnostic text (status_inferred set);
 *	2. reply: as stated; else the SMTP reply code that starts the
 *	   diagnostic text or follows "said:" (of the status's class);
 *	3. reason: reason_decide() (reason.c, Sisimai's order of checks
 *	   over rules/reasons.rules);
 *	4. status, still none: the one the reason clearly implies (user
 *	   unknown is X.1.1, ...: "implies" in rules/reason-vocabulary) in
 *	   the class of the reply code;
 *	5. cause and side: cause_decide() (cause.c, the catalog of
 *	   rules/causes.rules, with its evidence blocks); a catalogued
 *	   cause may set the reason (the catalog wins over Sisimai's
 *	   verdict); no cause: cause = reason, side and hint by reason;
 *	6. inner_cause for causes marked "inner" (an expired message): the
 *	   inner error classified as if it stood alone, which also gives
 *	   the side;
 *	7. while only delayed, side "unknown" becomes "transient" and the
 *	   hint says the message is still being retried; the evidence
 *	   module's sentence (rc->ev.note) and, when SPF/DKIM do not pass,
 *	   the evidence keys are added to the hint;
 *	8. hard: Sisimai's hard bounce, as rules/reason-vocabulary marks
 *	   the reason (userunknown, hostunknown, hasmoved, and notaccept of
 *	   class 5).
 *
 *	The diagnostic text is read by classify_diag.c (status, reply) and
 *	classify_cmd.c (the SMTP command).
 *
 *	Strings come from the rules (read-only) or from r->a.  Nothing here
 *	fails: on any trouble the fields keep their safe defaults.
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify_int.h"
#include "litscan.h"

#define DIAG_SCAN_MAX	8192	/* bytes of diagnostic text looked at */

static int
is(const char *a, const char *b)
{
	return (a != NULL && b != NULL && a[0] == b[0] && strcmp(a, b) == 0);
}

/*
 * Does the diagnostic say the sending MTA gave up after retries (Exim's
 * "retry timeout exceeded", OpenSMTPD's "Envelope expired")?  Then the
 * errors were temporary ones: class 4 when nothing states a class.
 */
static int
gave_up(const char *d)
{
	return (d != NULL && (strcasestr(d, "retry timeout exceeded") !=
	    NULL || strcasestr(d, "envelope expired") != NULL ||
	    strcasestr(d, "in the queue too long") != NULL));
}

static char
class_of(const struct rcpt *rc)
{
	if (rc->status[0] != '\0')
		return (rc->status[0]);
	if (rc->reply[0] == '4' || rc->reply[0] == '5')
		return (rc->reply[0]);
	if (is(rc->action, "delayed") || gave_up(rc->diag))
		return ('4');
	return ('5');
}

static char *
lower_dup(struct arena *a, const char *s)
{
	char *d, *p;

	if ((d = arena_strdup(a, s != NULL ? s : "")) == NULL)
		return (NULL);
	for (p = d; *p != '\0'; p++)
		*p = (char)a_lower((unsigned char)*p);
	return (d);
}

/* The host name alone: "mx.example.com (TCP|...)" -> "mx.example.com". */
static char *
host_token(struct arena *a, const char *s)
{
	char *d, *p;

	if (s == NULL)
		return (NULL);
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	/* only the token is copied (lower case keeps the delimiters) */
	n = strcspn(s, " \t[](),;");
	if ((d = arena_strndup(a, s, n)) == NULL)
		return (NULL);
	for (p = d; *p != '\0'; p++)
		*p = (char)a_lower((unsigned char)*p);
	if (n > 0 && d[n - 1] == '.')
		d[n - 1] = '\0';
	return (d);
}

static const char *
domain_part(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return (at != NULL ? at + 1 : "");
}

/* Fill {domain}, {domain-dashes}, {sender-domain-dashes}, {remote-mta}. */
static const char *
expand(struct arena *a, const char *hint, const struct report *r,
    const struct rcpt *rc)
{
	static const char *const keys[] = { "{domain}", "{domain-dashes}",
	    "{sender-domain-dashes}", "{remote-mta}", NULL };
	const char *vals[4], *p, *sd;
	char *out, *o, *dd, *sdd;
	size_t n, i, k;

	if (hint == NULL || strchr(hint, '{') == NULL)
		return (hint);
	vals[0] = domain_part(rc->addr);
	dd = lower_dup(a, vals[0]);
	sd = r != NULL ? domain_part(r->orig.from) : "";
	sdd = arena_strndup(a, sd, strcspn(sd, "> \t\""));
	if (dd == NULL || sdd == NULL)
		return (hint);
	for (o = dd; *o; o++)
		if (*o == '.')
			*o = '-';
	for (o = sdd; *o; o++)
		*o = *o == '.' ? '-' : (char)a_lower((unsigned char)*o);
	vals[1] = *dd ? dd : "<domain-with-dashes>";
	vals[2] = *sdd ? sdd : "<your-domain-with-dashes>";
	vals[3] = rc->remote_mta != NULL && *rc->remote_mta ?
	    rc->remote_mta : "the rejecting host";
	if (!*vals[0])
		vals[0] = "the recipient domain";
	n = strlen(hint) + 1;
	for (i = 0; i < 4; i++)
		n += strlen(vals[i]) * 4;
	if ((out = arena_alloc_raw(a, n)) == NULL)
		return (hint);
	for (p = hint, o = out; *p != '\0';) {
		if (*p != '{') {
			k = strcspn(p, "{");	/* up to the next brace */
			memcpy(o, p, k);
			o += k;
			p += k;
			continue;
		}
		for (k = 0; keys[k] != NULL; k++)
			if (strncmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (keys[k] != NULL && (size_t)(o - out) + strlen(vals[k]) <
		    n - strlen(p)) {
			o = stpcpy(o, vals[k]);
			p += strlen(keys[k]);
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return (out);
}

static const char *
join(struct arena *a, const char *x, const char *y)
{
	char *s;

	if (x == NULL || *x == '\0')
		return (y);
	s = arena_printf(a, "%s %s", x, y);
	return (s != NULL ? s : x);
}

static void
facts_fill(struct facts *f, const struct rules *rules,
    const struct report *r, struct rcpt *rc, const char *diag,
    size_t diaglen)
{
	struct arena *a = r != NULL ? r->a : NULL;

	memset(f, 0, sizeof(*f));
	f->status = rc->status;
	f->reply = rc->reply;
	f->diag = diag != NULL ? diag : "";
	f->diaglen = diag != NULL ? diaglen : 0;
	f->ksfold = lit_ksfold(f->diag, f->diaglen);
	f->command = rc->command != NULL ? rc->command : "";
	if (strcmp(f->command, "INIT") == 0)
		f->command = "CONN";
	if (*f->command == '\0' && (f->command = cmd_infer(rules, r, rc)) ==
	    NULL)
		f->command = "";
	if (rc->command == NULL || *rc->command == '\0')
		rc->command = f->command;
	f->action = rc->action != NULL ? rc->action : "";
	f->hint = rc->reason_hint;
	f->rhost = "";
	f->rcpt_domain = "";
	f->lhost = "";
	f->format = r != NULL && r->format != NULL ? r->format : "";
	if (a != NULL) {
		char *h = host_token(a, rc->remote_mta);
		char *d = lower_dup(a, domain_part(rc->addr));
		char *l = host_token(a, r->reporting_mta);

		f->rhost = h != NULL ? h : "";
		f->rcpt_domain = d != NULL ? d : "";
		f->lhost = l != NULL ? l : "";
	}
	f->xunix = (rc->diag != NULL && strncasecmp(rc->diag, "x-unix", 6) ==
	    0) || cmd_xunix(r, rc);
}

/*
 * The last error an expiry notice quotes: the text after its last "->"
 * (Exchange Online chains "5.4.300 Message expired -> 451 4.4.395 Target
 * host responded with error. -> 421 4.7.0 ...", the innermost reply
 * last) or "last error:".  NULL when it quotes none that way.
 */
static const char *
last_error(const char *diag, size_t n)
{
	static const char *const marks[] = { "-> ", "last error: ",
	    "last error was: ", NULL };
	const char *const *m;
	const char *p, *best = NULL;

	for (m = marks; *m != NULL; m++)
		for (p = diag; (p = diag_find_ci(p, n - (size_t)(p - diag), *m)) !=
		    NULL; p++)
			if (best == NULL || p + strlen(*m) > best)
				best = p + strlen(*m);
	return (best != NULL && *best != '\0' ? best : NULL);
}

/* Classify the inner error of an expired message; sets inner_cause. */
static void
inner(const struct rules *rules, const struct report *r, struct rcpt *rc,
    struct facts *outer, struct rx_scratch *sc)
{
	struct rcpt tmp;
	struct facts f;
	struct cause_input in;
	struct cause_result cr;
	const char *reason, *side, *ih, *s, *last;
	char st[16];
	int i;

	tmp = *rc;
	tmp.reason_hint = NULL;
	tmp.status[0] = '\0';
	f = *outer;
	/* The quoted last error alone, when the notice marks it. */
	if ((last = last_error(outer->diag, outer->diaglen)) != NULL) {
		f.diag = last;
		f.diaglen = outer->diaglen - (size_t)(last - outer->diag);
	}
	/* A status in that text other than the expiry's own. */
	for (i = 0; diag_status(f.diag, i, st); i++)
		if (strcmp(st, outer->status) != 0) {
			memcpy(tmp.status, st, sizeof(tmp.status));
			break;
		}
	tmp.action = "failed";
	f.status = tmp.status;
	f.hint = NULL;
	f.action = "failed";
	in.rules = rules;
	in.f = &f;
	in.r = r;
	in.rc = &tmp;
	in.nested = 1;
	reason = reason_decide(rules, &f, sc);
	in.reason = reason;
	cause_decide(rules, &in, sc, &cr);
	if (cr.cause != NULL) {
		rc->inner_cause = cr.cause;
		side = cr.side;
		ih = cr.hint;
	} else if (*reason != '\0' && !is(reason, "expired") &&
	    !is(reason, "onhold") && !is(reason, "undefined")) {
		rc->inner_cause = reason;
		side = cause_reason_side(rules, reason);
		ih = cause_reason_hint(rules, reason);
	} else
		return;
	/* Say what the last error was, and what to do about it. */
	if ((s = arena_printf(r->a, "Last error (%s): %s", rc->inner_cause,
	    ih != NULL ? ih : "see the diagnostic text.")) != NULL)
		rc->hint = join(r->a, rc->hint, s);
	if (side != NULL && !is(side, "unknown") && !is(side, "transient"))
		rc->side = side;
}

static void
classify_one(const struct rules *rules, const struct report *r,
    struct rcpt *rc, struct rx_scratch *sc)
{
	struct arena *a = r->a;
	struct facts f;
	struct cause_input in;
	struct cause_result cr;
	const char *reason, *d, *evs;
	const char *implied;
	char *diag, xst[16];
	size_t diaglen;

	rc->inner_cause = "";
	d = rc->diag != NULL ? rc->diag : "";
	diag = diag_fold(a, d, DIAG_SCAN_MAX, &diaglen);
	if (rc->status[0] == '\0' && diag != NULL &&
	    diag_status(diag, 0, rc->status))
		rc->status_inferred = 1;
	if (rc->reply[0] == '\0' && diag != NULL)
		(void)diag_reply(diag, rc->status, rc->reply);
	/* A reply that is no SMTP code, or of another class than the
	 * status, is some other number: drop it. */
	if (rc->reply[0] != '\0' && (!diag_reply_valid(rc->reply) ||
	    (rc->status[0] != '\0' && rc->status[0] != rc->reply[0])))
		rc->reply[0] = '\0';
	facts_fill(&f, rules, r, rc, diag, diaglen);

	if (is(r->kind, "arf") || is(rc->reason_hint, "feedback"))
		reason = "feedback";
	else if (is(r->kind, "autoreply") || is(rc->reason_hint, "vacation"))
		reason = "vacation";
	else
		reason = reason_decide(rules, &f, sc);
	/*
	 * No wording explains the error, but the sender says it gave up
	 * retrying (its queue lifetime or retry period ended).
	 */
	if ((is(reason, "onhold") || is(reason, "undefined")) &&
	    gave_up(rc->diag))
		reason = "expired";
	rc->reason = reason;

	if (rc->status[0] == '\0' && (implied = vocab_implied(rules->vocab,
	    reason)) != NULL && (rc->reply[0] != '\0' || f.diaglen > 0)) {
		snprintf(rc->status, sizeof(rc->status), "%c.%s",
		    class_of(rc), implied);
		rc->status_inferred = 1;
		f.status = rc->status;
	}

	in.rules = rules;
	in.f = &f;
	in.reason = reason;
	in.r = r;
	in.rc = rc;
	in.nested = 0;
	/*
	 * The sender stated that delivery time expired (X.4.7), and the
	 * status was refined from the last deferral's reply: the expiry
	 * decides the cause, the reply is the inner error.
	 */
	if (rc->expired && rc->status[0] != '\0' &&
	    strcmp(rc->status + 1, ".4.7") != 0) {
		snprintf(xst, sizeof(xst), "%c.4.7", rc->status[0]);
		f.status = xst;
	}
	/* A complaint, an auto-reply or a delivery is no failure: its words
	 * ("spf/dkim authentication-failure report") name no cause. */
	if (is(reason, "feedback") || is(reason, "vacation") ||
	    is(reason, "delivered"))
		memset(&cr, 0, sizeof(cr));
	else
		cause_decide(rules, &in, sc, &cr);
	if (cr.cause != NULL) {
		rc->cause = cr.cause;
		if (cr.reason != NULL)
			rc->reason = cr.reason;
		rc->side = cr.side;
		rc->hint = cr.hint;
		if (cause_wants_inner(rules, cr.cause))
			inner(rules, r, rc, &f, sc);
	} else {
		rc->cause = rc->reason;
		rc->side = cause_reason_side(rules, rc->reason);
		rc->hint = cause_reason_hint(rules, rc->reason);
	}
	if (rc->side == NULL)
		rc->side = "unknown";
	if (rc->hint == NULL)
		rc->hint = "";
	rc->hint = expand(a, rc->hint, r, rc);

	/* Evidence that the receiver could not verify us: say so. */
	if (cause_auth_failed(rc)) {
		evs = arena_printf(a, "Local evidence: spf=%s dkim=%s%s",
		    rc->ev.spf ? rc->ev.spf : "skipped",
		    rc->ev.dkim ? rc->ev.dkim : "skipped",
		    is(rc->cause, "sender-auth-failed") ? "." :
		    "; the receiver may also distrust unauthenticated mail.");
		if (evs != NULL)
			rc->hint = join(a, rc->hint, evs);
	}
	/* The evidence module's own finding for this recipient. */
	if (rc->ev.note != NULL && *rc->ev.note != '\0')
		rc->hint = join(a, rc->hint, rc->ev.note);
	if (is(rc->action, "delayed")) {
		if (is(rc->side, "unknown"))
			rc->side = "transient";
		rc->hint = join(a, rc->hint,
		    "The message is still queued and being retried.");
	}
	if (rc->diag != NULL && *rc->diag != '\0' &&
	    is(rc->cause, "unclassified-5.4.1"))
		rc->hint = join(a, rc->hint, arena_printf(a, "Text: %s",
		    diag != NULL ? diag : rc->diag));
	rc->hard = vocab_hard(rules->vocab, rc->reason, class_of(rc));
	if (is(rc->reason, "delivered") || is(rc->reason, "feedback") ||
	    is(rc->reason, "vacation"))
		rc->hard = 0;
}

void
classify_rcpt(const struct rules *rules, const struct report *r,
    struct rcpt *rc)
{
	struct rx_scratch sc;

	if (rules == NULL || r == NULL || rc == NULL)
		return;
	if (rx_scratch_init(&sc) == -1) {
		rc->reason = "undefined";
		rc->side = "unknown";
		return;
	}
	classify_one(rules, r, rc, &sc);
	rx_scratch_free(&sc);
}

void
classify_report(const struct rules *rules, struct report *r)
{
	struct rx_scratch sc;
	size_t i;

	if (rules == NULL || r == NULL)
		return;
	if (rx_scratch_init(&sc) == -1)
		return;
	for (i = 0; i < r->nrcpt && !report_expired(r); i++)
		classify_one(rules, r, &r->rcpt[i], &sc);
	rx_scratch_free(&sc);
}
