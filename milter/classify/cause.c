/*
 * cause.c - the 5.4.1 cause catalog and the hints: which block a recipient meets
 *
 * SYNOPSIS
 *	void	cause_decide(const struct rules *rules,
 *		    const struct cause_input *in, struct rx_scratch *sc,
 *		    struct cause_result *out);
 *	const char *cause_reason_side(const struct rules *rules,
 *		    const char *reason);
 *	const char *cause_reason_hint(const struct rules *rules,
 *		    const char *reason);
 *	int	cause_wants_inner(const struct rules *rules, const char *id);
 *	int	cause_known(const struct rules *rules, const char *id);
 *	int	cause_auth_failed(const struct rcpt *rc);
 *
 * DESCRIPTION
 *	cause_decide() tries the blocks of rules/causes.rules (read by
 *	cause_load.c, which describes the file) for one recipient and
 *	fills out with the cause, side, reason and hint of the first that
 *	matches; cause_reason_side() and cause_reason_hint() give a
 *	reason block's; cause_wants_inner() says whether a cause reports
 *	the inner error; cause_known() whether id is a catalogued cause;
 *	cause_auth_failed() reads the SPF/DKIM evidence of a recipient.
 *
 *	A block's text and regex lines run as one pattern, and only when
 *	the diagnostic holds one of the literals every match of them needs
 *	(seen by reason.c's scan of it, or looked for here).
 *
 *	Blocks are tried in file order and the first match wins, so the
 *	order of the file is the precedence of the catalog; one cause may
 *	have several blocks (say, one per family of statuses).  Evidence
 *	blocks are tried after, and replace only what their replaces line
 *	names.  A "reason" block exists once per reason.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cause_int.h"

/* --- deciding ----------------------------------------------------------- */

static const struct cause *
find(const struct cause_table *t, const char *id, int is_reason)
{
	const struct cause *c;
	size_t i, h;

	if (t != NULL && t->indexed) {
		for (h = cause_id_hash(id, is_reason); t->slot[h] != 0;
		    h = (h + 1) & (CT_SLOTS - 1)) {
			c = &t->v[t->slot[h] - 1];
			if (c->is_reason == is_reason && c->id[0] == id[0] &&
			    strcmp(c->id, id) == 0)
				return (c);
		}
		return (NULL);
	}
	for (i = 0; t != NULL && i < t->n; i++)
		if (t->v[i].is_reason == is_reason &&
		    t->v[i].id[0] == id[0] && strcmp(t->v[i].id, id) == 0)
			return (&t->v[i]);
	return (NULL);
}

const char *
cause_reason_side(const struct rules *rules, const char *reason)
{
	const struct cause *c = find(rules->causes, reason, 1);

	return (c != NULL ? c->side : NULL);
}

const char *
cause_reason_hint(const struct rules *rules, const char *reason)
{
	const struct cause *c = find(rules->causes, reason, 1);

	return (c != NULL ? c->hint : NULL);
}

/* sv: st_value() of status. */
static int
status_ok(const struct cause *c, const char *status, long sv, int nested)
{
	int i;
	size_t n;

	/* no status: only "none", "any", and "inner" when nested */
	if (*status == '\0')
		return (c->st_empty || (nested && c->st_inner));
	/* "none" and "inner" want no status: only the mask can match. */
	if (sv >= 0 && !c->st_odd && !(c->csmask & cs_bit(sv / 1000)))
		return (0);
	for (i = 0; i < c->nst; i++) {
		const char *w = c->st[i];

		if (sv >= 0 && c->stv[i] >= 0) {
			if (c->stk[i] == ST_PREFIX ? sv / 1000 == c->stv[i] :
			    sv == c->stv[i])
				return (1);
			continue;
		}
		switch (c->stk[i]) {
		case ST_NONE:
			if (*status == '\0')
				return (1);
			break;
		case ST_INNER:
			if (nested && *status == '\0')
				return (1);
			break;
		case ST_ANY:
			return (1);
		case ST_PREFIX:
			n = c->stn[i];
			if (strncmp(w, status, n) == 0 &&
			    isdigit((unsigned char)status[n]))
				return (1);
			break;
		default:
			if (*w == *status && strcmp(w, status) == 0)
				return (1);
			break;
		}
	}
	return (0);
}

/* Do the block's text and regex lines match?  seen: as wording_ok(). */
static int
yes_match(const struct cause *c, const struct facts *f,
    const unsigned char *seen, struct rx_scratch *sc)
{
	if (c->yes == NULL)
		return (0);
	if (!c->yes_any && !f->ksfold && (seen != NULL && c->yes_tag >= 0 ?
	    !seen[c->yes_tag] : !rxlit_find(&c->yes_lits, f->diag,
	    f->diaglen)))
		return (0);	/* none of its literals: it cannot match */
	return (rx_match(c->yes, f->diag, f->diaglen, sc));
}

/* seen: reason_scan() of the diagnostic, or NULL. */
static int
wording_ok(const struct cause *c, const struct cause_input *in,
    const unsigned char *seen, struct rx_scratch *sc)
{
	const struct facts *f = in->f;

	if (c->host != NULL && !(f->rhost[0] != '\0' && rx_match(c->host,
	    f->rhost, strlen(f->rhost), sc)))
		return (0);
	if ((c->yes != NULL || c->words[0] != '\0') &&
	    !(c->words[0] != '\0' && reason_set_match(in->rules, c->words, f,
	    sc)) && !yes_match(c, f, seen, sc))
		return (0);
	if (c->no != NULL && rx_match(c->no, f->diag, f->diaglen, sc))
		return (0);
	return (1);
}

/* Is the computed reason one of the block's if-reason line, if any? */
static int
reason_ok(const struct cause *c, const char *reason)
{
	int i;

	if (c->nif == 0)
		return (1);
	for (i = 0; reason != NULL && i < c->nif; i++)
		if (c->if_reason[i][0] == reason[0] &&
		    strcmp(c->if_reason[i], reason) == 0)
			return (1);
	return (0);
}

static int
replaces(const struct cause *c, const char *id)
{
	int i;

	for (i = 0; i < c->nreplaces; i++)
		if (c->replaces[i][0] == id[0] &&
		    strcmp(c->replaces[i], id) == 0)
			return (1);
	return (0);
}

/* --- evidence ----------------------------------------------------------- */

static int
word_in(const char *w, const char *const *v)
{
	return (w != NULL && one_of(w, v));
}

/* SPF/DKIM evidence says the receiver could not verify us. */
int
cause_auth_failed(const struct rcpt *rc)
{
	static const char *const spf_bad[] = { "fail", "softfail", "permerror",
	    NULL };
	static const char *const spf_weak[] = { "none", "neutral", NULL };
	static const char *const dkim_bad[] = { "fail", "none", NULL };

	if (rc == NULL)
		return (0);
	if (word_in(rc->ev.spf, spf_bad))
		return (1);
	if (rc->ev.dkim != NULL && strcmp(rc->ev.dkim, "fail") == 0)
		return (1);
	return (word_in(rc->ev.spf, spf_weak) && word_in(rc->ev.dkim,
	    dkim_bad));
}

static void
fill(const struct cause *c, const struct cause_input *in,
    struct cause_result *out)
{
	int retried = in->rc != NULL && in->f->status[0] == '4' &&
	    in->f->action != NULL && (strcmp(in->f->action, "failed") == 0 ||
	    *in->f->action == '\0');

	out->cause = c->id;
	out->reason = c->reason[0] ? c->reason : NULL;
	if (retried && c->reason_retried[0])
		out->reason = c->reason_retried;
	out->side = c->side;
	if (c->side_delayed[0] && in->f->action != NULL &&
	    strcmp(in->f->action, "delayed") == 0)
		out->side = c->side_delayed;
	out->hint = c->hint;
}

/* --- providers ---------------------------------------------------------- */

static int
domain_listed(const char *list, const char *d)
{
	const char *p;
	size_t n = strlen(d);

	if (list == NULL || n == 0)
		return (0);
	for (p = list; (p = strstr(p, d)) != NULL; p++)
		if (p[-1] == ' ' && p[n] == ' ')
			return (1);
	return (0);
}

/*
 * The provider that spoke: by the remote MTA, the recipient domain (a
 * consumer domain's MX is its provider's), the wording, then the
 * reporting MTA (a provider's own bounce of someone else's refusal names
 * that one as the remote MTA).  NULL when none.
 */
static const struct cause *
provider_of(const struct cause_table *t, const struct facts *f,
    const unsigned char *seen, struct rx_scratch *sc)
{
	const struct cause *c;
	const char *h;
	size_t i;
	int pass;

	for (pass = 0; pass < 4; pass++)
		for (i = 0; i < t->n; i++) {
			c = &t->v[i];
			if (c->is_reason != BK_PROVIDER)
				continue;
			switch (pass) {
			case 0:
			case 3:
				h = pass == 0 ? f->rhost : f->lhost;
				if (c->host != NULL && *h != '\0' &&
				    rx_match(c->host, h, strlen(h), sc))
					return (c);
				break;
			case 2:
				if (yes_match(c, f, seen, sc))
					return (c);
				break;
			default:
				if (domain_listed(c->domains, f->rcpt_domain))
					return (c);
				break;
			}
		}
	return (NULL);
}

/*
 * The hint with its "{provider}" replaced by the hint of the provider
 * that spoke, or dropped (with the blank before it) when none is known.
 */
static const char *
provider_fill(const struct cause_table *t, const struct cause_input *in,
    const unsigned char *seen, struct rx_scratch *sc, const char *hint)
{
	static const char key[] = "{provider}";
	const struct cause *p;
	const char *at, *ph;
	size_t pre;
	char *o;

	if (hint == NULL || (at = strstr(hint, key)) == NULL || in->r == NULL)
		return (hint);
	p = provider_of(t, in->f, seen, sc);
	ph = p != NULL ? p->hint : "";
	pre = (size_t)(at - hint);
	if (*ph == '\0')
		while (pre > 0 && hint[pre - 1] == ' ')
			pre--;
	o = arena_printf(in->r->a, "%.*s%s%s", (int)pre, hint, ph,
	    at + sizeof(key) - 1);
	return (o != NULL ? o : hint);
}

void
cause_decide(const struct rules *rules, const struct cause_input *in,
    struct rx_scratch *sc, struct cause_result *out)
{
	const struct cause_table *t = rules->causes;
	const struct cause *c, *hit = NULL;
	const unsigned char *seen;
	char note[640], *h;
	size_t i;
	long sv;

	memset(out, 0, sizeof(*out));
	note[0] = '\0';
	if (t == NULL)
		return;
	sv = cause_st_value(in->f->status, 0);
	seen = reason_scan(rules, in->f, sc);
	for (i = 0; i < t->nword && hit == NULL; i++) {
		c = &t->v[i];
		if (c->is_reason || c->evidence[0] != '\0' ||
		    (in->nested && c->inner))
			continue;
		if (reason_ok(c, in->reason) &&
		    status_ok(c, in->f->status, sv, in->nested) &&
		    wording_ok(c, in, seen, sc))
			hit = c;
	}
	for (i = 0; hit != NULL && i < t->n; i++) {
		c = &t->v[i];
		if (c->evidence[0] == '\0' || !replaces(c, hit->id))
			continue;
		note[0] = '\0';
		if ((strcmp(c->evidence, "eop-outbound") == 0 &&
		    cause_eop_outbound(in, note, sizeof(note))) ||
		    (strcmp(c->evidence, "fope") == 0 &&
		    cause_fope_relay(in, note, sizeof(note))) ||
		    (strcmp(c->evidence, "auth-failed") == 0 &&
		    cause_auth_failed(in->rc))) {
			hit = c;
			break;
		}
	}
	if (hit == NULL)
		return;
	fill(hit, in, out);
	out->hint = provider_fill(t, in, seen, sc, out->hint);
	if (note[0] != '\0' && in->r != NULL && (h = arena_printf(in->r->a,
	    "%s %s", out->hint ? out->hint : "", note)) != NULL)
		out->hint = h;
}

int
cause_wants_inner(const struct rules *rules, const char *id)
{
	const struct cause *c = find(rules->causes, id, 0);

	return (c != NULL && c->inner);
}

/* Is id a cause of the catalog (a "cause ID" block)? */
int
cause_known(const struct rules *rules, const char *id)
{
	return (find(rules->causes, id, 0) != NULL);
}
