/*
 * cause_load.c - rules/causes.rules read into a cause table (cause_int.h)
 *
 * SYNOPSIS
 *	int	cause_table_load(struct rules *r, char *err, size_t errlen);
 *	void	cause_table_free(struct cause_table *t);
 *	long	cause_st_value(const char *s, int prefix);
 *	size_t	cause_id_hash(const char *id, int is_reason);
 *
 * DESCRIPTION
 *	causes.rules is a list of blocks.  A block starts with a line
 *	"cause ID" (a catalogued cause) or "reason NAME" (side and hint of
 *	a reason with no finer cause); the indented lines after it are
 *	"KEY VALUE":
 *
 *	meaning TEXT	what the cause is (documentation only: mk/causes-man
 *			makes bounce-milter-causes(7) from it)
 *	status CODE...	statuses the cause applies to: exact codes
 *			(5.4.1 never matches 5.4.14), "C.S.*" for any
 *			detail, "none" for a bounce that states no
 *			status, "inner" for no status while an expired
 *			message's inner error is classified, "any" for
 *			every status and none
 *	text PHRASE	case-insensitive wording; any text or regex line
 *	regex RE	matching is enough (none at all: status decides);
 *			RE in the dialect of rules/README (rulefile.h)
 *	unless PHRASE	wording that rules the cause out (also
 *	unless-regex RE)
 *	words R		the wording of reasons.rules' set R (its phrases,
 *			patterns and vetoes) matches too, as a text line
 *	host RE		the remote MTA must match
 *	if-reason R...	the block applies only where the reason computed
 *			for the recipient is one of these
 *	reason R	reason to report (else the computed one stays)
 *	reason-retried R  reason when the sender gave up after retries
 *			(Action: failed with a 4.x.x status)
 *	side S		sender recipient address transient none unknown
 *	side-delayed S	side while the message is only delayed
 *	evidence NAME	reached from local evidence instead of wording:
 *			"eop-outbound" (the relay was ours, through
 *			Exchange Online: the configured outbound_relay
 *			(r->outbound_relay) is an EOP host and an
 *			Exchange Online host refused, not the recipient's
 *			own tenant (the hint then names the relay); or
 *			the refusing EOP host is named
 *			after the sender's domain, or one EOP host refuses
 *			recipients of unrelated domains in this bounce, or
 *			the returned original was already received by an
 *			EOP host, or the recipient's MX (ev.mx) is not
 *			EOP), "fope" (our relay is a retired FOPE host of
 *			rules/exchange-online: the remote MTA, a host
 *			the diagnostic names, or outbound_relay, unless
 *			it is the recipient domain's own old FOPE MX) or
 *			"auth-failed" (ev.spf/ev.dkim of the
 *			returned original do not pass; "skipped" never
 *			counts)
 *			(the Exchange Online heuristics are in
 *			cause_eop.c)
 *	replaces ID...	the causes an evidence block replaces
 *	inner yes	report the inner error (message-expired)
 *	hint TEXT	remediation; several lines are joined.  {domain},
 *			{domain-dashes}, {sender-domain-dashes} and
 *			{remote-mta} are filled in from the bounce.
 *
 *	A "provider" block names a large mailbox provider for the hints:
 *	"host RE" (the remote MTA, or the reporting MTA), "text"/"regex"
 *	(the diagnostic), "domain NAME..." (recipient domains) and "hint"
 *	(its own pages).  A cause hint's {provider} is replaced by the hint
 *	of the provider that spoke: the first block whose host matches the
 *	remote MTA, else whose domain is the recipient's, else whose
 *	wording the diagnostic holds, else whose host matches the reporting
 *	MTA; nothing when none does.
 *
 *	cause_table_load() reads DIR/causes.rules into r->causes (errors
 *	"FILE:LINE: message"), compiles each block's text and regex lines
 *	into one pattern, gives the literals every match needs to the
 *	scan reason.c makes of a diagnostic, and indexes the blocks by id;
 *	cause_table_free() frees it.  cause.c decides with the table.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause_int.h"

static const char *const sides[] = {
	"sender", "recipient", "address", "transient", "none", "unknown", NULL
};


static int
append(char **src, size_t *len, const char *re, int literal)
{
	char *p;
	size_t n = strlen(re), need = *len + 2 * n + 8;
	const char *s;

	if ((p = realloc(*src, need)) == NULL)
		return (-1);
	*src = p;
	p += *len;
	if (*len)
		*p++ = '|';
	/* a phrase is case-insensitive: (?i:...) */
	*p++ = '(';
	*p++ = '?';
	*p++ = literal ? 'i' : ':';
	if (literal)
		*p++ = ':';
	for (s = re; *s != '\0'; s++) {
		if (literal && !isalnum((unsigned char)*s) && *s != ' ' &&
		    (unsigned char)*s < 0x80)
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = ')';
	*p = '\0';
	*len = (size_t)(p - *src);
	return (0);
}

static int
set_word(char *dst, size_t n, const char *v, struct rf *f, char *err,
    size_t errlen, const char *what)
{
	if (strlen(v) >= n || strchr(v, ' ') != NULL)
		return (rf_error(f, err, errlen, "bad %s \"%s\"", what, v));
	snprintf(dst, n, "%s", v);
	return (0);
}


/*
 * The blank-separated words of v into the rows of base (width bytes each,
 * at most max, *n of them used so far); each a known reason when vocab is
 * set.  what names a word in the error message.
 */
static int
set_words(char *base, size_t width, int max, int *n, char *v,
    const struct vocab *vocab, struct rf *f, char *err, size_t errlen,
    const char *what)
{
	char *w, *save;

	for (w = strtok_r(v, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (vocab != NULL && !reason_known(vocab, w))
			return (rf_error(f, err, errlen,
			    "unknown reason \"%s\"", w));
		if (*n == max)
			return (rf_error(f, err, errlen, "too many %ss",
			    what));
		if (set_word(base + (size_t)(*n)++ * width, width, w, f, err,
		    errlen, what) == -1)
			return (-1);
	}
	return (0);
}


/* 1-3 digits at *pp without a leading zero (but "0"); value or -1. */
static long
st_number(const char **pp)
{
	const char *p = *pp;
	long v = 0;
	int i;

	for (i = 0; i < 3 && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (p[i] - '0');
	if (i == 0 || (i > 1 && p[0] == '0'))
		return (-1);
	*pp = p + i;
	return (v);
}

/*
 * A status "C.S.D" as the number C * 1000000 + S * 1000 + D, or a prefix
 * "C.S." as C * 1000 + S (prefix set), so that status_ok() compares
 * numbers, not strings, for every status word of every block.  -1 for
 * what is not in the one form status_parse() writes (no leading zeros),
 * where equal numbers would not mean equal strings: those compare as
 * strings.
 */
long
cause_st_value(const char *s, int prefix)
{
	long c, sub, det;

	if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return (-1);
	c = s[0] - '0';
	s += 2;
	if ((sub = st_number(&s)) < 0 || *s++ != '.')
		return (-1);
	if (prefix)
		return (*s == '\0' ? c * 1000 + sub : -1);
	if ((det = st_number(&s)) < 0 || *s != '\0')
		return (-1);
	return (c * 1000000 + sub * 1000 + det);
}


static void
status_add(struct cause *c, const char *w, int n, int kind)
{
	long v = -1;

	snprintf(c->st[c->nst], 16, "%.*s", n, w);
	c->stk[c->nst] = (unsigned char)kind;
	c->stn[c->nst] = (unsigned char)strlen(c->st[c->nst]);
	if (kind == ST_EXACT || kind == ST_PREFIX) {
		v = cause_st_value(c->st[c->nst], kind == ST_PREFIX);
		if (v < 0)
			c->st_odd = 1;
		else
			c->csmask |= cs_bit(kind == ST_PREFIX ? v : v / 1000);
	}
	if (kind == ST_NONE || kind == ST_ANY)
		c->st_empty = 1;
	else if (kind == ST_INNER)
		c->st_inner = 1;
	c->stv[c->nst] = v;
	c->nst++;
}

/*
 * Literals one of which every match of a yes line holds (litscan.h), so
 * that cause_decide() runs the block's pattern only when one occurs: the
 * phrase itself (a prefix of it when long) for a text line, what
 * rx_literals() finds for a regex.  A line with none, or too many in all,
 * and the pattern always runs.  The literals keep k and s (RXL_FOLDSAFE):
 * for a diagnostic with the Kelvin sign or the long s, which caseless
 * matching takes for them, facts.ksfold is set and they are not used.
 */
static void
yes_literals(struct cause *c, const char *v, int literal)
{
	struct rxlit l, *y = &c->yes_lits;
	size_t i, n;

	if (c->yes_any)
		return;
	if (literal) {
		n = strlen(v);
		if (n >= RXLIT_LEN)
			n = RXLIT_LEN - 1;
		for (i = 0; i < n; i++)
			l.s[0][i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ?
			    v[i] - 'A' + 'a' : v[i]);
		l.s[0][n] = '\0';
		l.len[0] = n;
		l.anchor[0] = lit_anchor(l.s[0], n);
		l.n = n > 0 ? 1 : 0;
	} else if (rx_literals(v, strlen(v), RXL_UTF | RXL_FOLDSAFE, &l) == 0)
		l.n = 0;
	if (l.n == 0 || y->n + l.n > RXLIT_MAX) {
		c->yes_any = 1;
		y->n = 0;
		return;
	}
	for (i = 0; i < l.n; i++) {
		memcpy(y->s[y->n], l.s[i], sizeof(y->s[0]));
		y->len[y->n] = l.len[i];
		y->anchor[y->n] = l.anchor[i];
		y->n++;
	}
}

static int
status_word(struct cause *c, const char *w, struct rf *f, char *err,
    size_t errlen)
{
	char buf[16], out[16];
	const char *end;
	size_t n = strlen(w);

	if (c->nst == MAXST)
		return (rf_error(f, err, errlen, "too many statuses"));
	if (strcmp(w, "none") == 0 || strcmp(w, "inner") == 0) {
		status_add(c, w, (int)n, *w == 'n' ? ST_NONE : ST_INNER);
		return (0);
	}
	if (strcmp(w, "any") == 0) {
		status_add(c, w, (int)n, ST_ANY);
		c->csmask = ~(uint64_t)0;
		return (0);
	}
	if (n > 2 && n < sizeof(buf) && strcmp(w + n - 2, ".*") == 0) {
		snprintf(buf, sizeof(buf), "%.*s.0", (int)(n - 2), w);
		if (!status_parse(buf, out, &end) || *end != '\0')
			return (rf_error(f, err, errlen, "bad status \"%s\"",
			    w));
		/* "C.S.": then a digit */
		status_add(c, w, (int)(n - 1), ST_PREFIX);
		return (0);
	}
	if (!status_parse(w, out, &end) || *end != '\0')
		return (rf_error(f, err, errlen, "bad status \"%s\"", w));
	status_add(c, out, (int)sizeof(out), ST_EXACT);
	return (0);
}

static int
key_line(const struct vocab *vocab, struct cause *c, struct rf *f, char *line,
    char *err, size_t errlen)
{
	char *k = line, *v, *w, *save;
	pcre2_code *t;
	size_t n;
	int rc = 0;

	v = k + strcspn(k, " \t");
	if (*v != '\0')
		*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return (rf_error(f, err, errlen, "%s: value missing", k));
	if (strcmp(k, "status") == 0) {
		for (w = strtok_r(v, " \t", &save); w != NULL && rc == 0;
		    w = strtok_r(NULL, " \t", &save))
			rc = status_word(c, w, f, err, errlen);
		return (rc);
	}
	if (strcmp(k, "text") == 0 || strcmp(k, "unless") == 0 ||
	    strcmp(k, "regex") == 0 || strcmp(k, "unless-regex") == 0) {
		int lit = strstr(k, "regex") == NULL;
		int veto = strncmp(k, "unless", 6) == 0;

		if (!lit) {
			if ((t = rx_compile(v, strlen(v), f, err,
			    errlen)) == NULL)
				return (-1);
			pcre2_code_free(t);
		}
		if (!veto)
			yes_literals(c, v, lit);
		rc = veto ? append(&c->no_src, &c->no_len, v, lit) :
		    append(&c->yes_src, &c->yes_len, v, lit);
		return (rc == -1 ? rf_error(f, err, errlen, "out of memory") :
		    0);
	}
	if (strcmp(k, "host") == 0) {
		if (c->host != NULL)
			return (rf_error(f, err, errlen, "second host line"));
		c->host = rx_compile(v, strlen(v), f, err, errlen);
		return (c->host == NULL ? -1 : 0);
	}
	if (strcmp(k, "reason") == 0 || strcmp(k, "reason-retried") == 0) {
		if (!reason_known(vocab, v))
			return (rf_error(f, err, errlen,
			    "unknown reason \"%s\"", v));
		return (set_word(k[6] ? c->reason_retried : c->reason,
		    sizeof(c->reason), v, f, err, errlen, "reason"));
	}
	if (strcmp(k, "if-reason") == 0)
		return (set_words(c->if_reason[0], sizeof(c->if_reason[0]),
		    MAXIF, &c->nif, v, vocab, f, err, errlen, "reason"));
	if (strcmp(k, "words") == 0) {
		if (!reason_known(vocab, v))
			return (rf_error(f, err, errlen,
			    "unknown reason \"%s\"", v));
		return (set_word(c->words, sizeof(c->words), v, f, err,
		    errlen, "words"));
	}
	if (strcmp(k, "side") == 0 || strcmp(k, "side-delayed") == 0) {
		if (!one_of(v, sides))
			return (rf_error(f, err, errlen, "unknown side \"%s\"",
			    v));
		return (set_word(k[4] ? c->side_delayed : c->side,
		    sizeof(c->side), v, f, err, errlen, "side"));
	}
	if (strcmp(k, "evidence") == 0) {
		if (strcmp(v, "eop-outbound") != 0 &&
		    strcmp(v, "auth-failed") != 0 && strcmp(v, "fope") != 0)
			return (rf_error(f, err, errlen,
			    "unknown evidence \"%s\"", v));
		return (set_word(c->evidence, sizeof(c->evidence), v, f, err,
		    errlen, "evidence"));
	}
	if (strcmp(k, "replaces") == 0)
		return (set_words(c->replaces[0], sizeof(c->replaces[0]),
		    (int)(sizeof(c->replaces) / sizeof(c->replaces[0])),
		    &c->nreplaces, v, NULL, f, err, errlen, "cause id"));
	if (strcmp(k, "domain") == 0) {
		n = c->domains ? strlen(c->domains) : 1;
		if ((w = realloc(c->domains, n + strlen(v) + 2)) == NULL)
			return (rf_error(f, err, errlen, "out of memory"));
		if (c->domains == NULL)
			w[0] = ' ';
		c->domains = w;
		snprintf(w + n, strlen(v) + 2, "%s ", v);
		for (; w[n] != '\0'; n++)
			w[n] = w[n] == '\t' ? ' ' : (char)tolower(
			    (unsigned char)w[n]);
		return (0);
	}
	if (strcmp(k, "inner") == 0) {
		c->inner = strcmp(v, "yes") == 0;
		return (0);
	}
	/* documentation only: for bounce-milter-causes(7) */
	if (strcmp(k, "meaning") == 0)
		return (0);
	if (strcmp(k, "hint") == 0) {
		n = c->hint ? strlen(c->hint) : 0;
		if ((w = realloc(c->hint, n + strlen(v) + 2)) == NULL)
			return (rf_error(f, err, errlen, "out of memory"));
		c->hint = w;
		snprintf(w + n, strlen(v) + 2, "%s%s", n ? " " : "", v);
		return (0);
	}
	return (rf_error(f, err, errlen, "unknown key \"%s\"", k));
}

static int
valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) >= 48)
		return (0);
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && *s != '.')
			return (0);
	return (1);
}

static int
block_start(struct cause_table *t, struct rf *f, char *line, char *err,
    size_t errlen)
{
	struct cause *v, *c;
	char *id;
	size_t i;
	int isr = strncmp(line, "reason", 6) == 0 && isspace((unsigned char)line[6]);
	int isp = strncmp(line, "provider", 8) == 0 &&
	    isspace((unsigned char)line[8]);

	if (!isr && !isp && !(strncmp(line, "cause", 5) == 0 &&
	    isspace((unsigned char)line[5])))
		return (rf_error(f, err, errlen,
		    "expected \"cause ID\", \"reason NAME\" or "
		    "\"provider ID\""));
	for (id = line + (isr ? 6 : isp ? 8 : 5); isspace((unsigned char)*id);
	    id++)
		;
	if (!valid_id(id))
		return (rf_error(f, err, errlen, "bad id \"%s\"", id));
	if (isr && !reason_known(t->vocab, id))
		return (rf_error(f, err, errlen, "unknown reason \"%s\"", id));
	for (i = 0; i < t->n; i++)
		if ((isr || isp) && t->v[i].is_reason ==
		    (isr ? BK_REASON : BK_PROVIDER) && strcmp(t->v[i].id,
		    id) == 0)
			return (rf_error(f, err, errlen, "\"%s\" seen before",
			    id));
	if ((v = realloc(t->v, (t->n + 1) * sizeof(*v))) == NULL)
		return (rf_error(f, err, errlen, "out of memory"));
	t->v = v;
	c = &v[t->n++];
	memset(c, 0, sizeof(*c));
	c->is_reason = isr ? BK_REASON : isp ? BK_PROVIDER : BK_CAUSE;
	snprintf(c->id, sizeof(c->id), "%s", id);
	return (0);
}

static int
block_finish(struct cause *c, struct rf *f, char *err, size_t errlen)
{
	if (c->yes_src != NULL && (c->yes = rx_compile(c->yes_src,
	    c->yes_len, f, err, errlen)) == NULL)
		return (-1);
	if (c->no_src != NULL && (c->no = rx_compile(c->no_src, c->no_len,
	    f, err, errlen)) == NULL)
		return (-1);
	free(c->yes_src);
	free(c->no_src);
	c->yes_src = c->no_src = NULL;
	if (c->is_reason == BK_PROVIDER) {
		if (c->hint == NULL || (c->host == NULL && c->yes == NULL &&
		    c->domains == NULL) || c->nst > 0 || c->side[0] != '\0' ||
		    c->reason[0] != '\0' || c->evidence[0] != '\0')
			return (rf_error(f, err, errlen, "provider \"%s\" "
			    "wants host, text or domain lines and a hint, and "
			    "nothing else", c->id));
		return (0);
	}
	if (c->domains != NULL)
		return (rf_error(f, err, errlen, "\"%s\": domain lines are "
		    "for provider blocks", c->id));
	if (c->side[0] == '\0')
		return (rf_error(f, err, errlen, "\"%s\" has no side", c->id));
	if (!c->is_reason && c->nst == 0 && c->evidence[0] == '\0')
		return (rf_error(f, err, errlen, "cause \"%s\" has no status",
		    c->id));
	return (0);
}

/* The slot of id's hash (FNV-1a), the kind of block mixed in. */
size_t
cause_id_hash(const char *id, int is_reason)
{
	uint32_t h = 2166136261u ^ (uint32_t)is_reason;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return (h & (CT_SLOTS - 1));
}

/*
 * The index find() looks ids up in: one probe instead of a walk over
 * every block per recipient.  Past half full (a file of hundreds of
 * blocks) there is none and find() walks.
 */
static void
index_build(struct cause_table *t)
{
	size_t i, h;
	const struct cause *o;

	memset(t->slot, 0, sizeof(t->slot));
	t->indexed = 0;
	if (t->n > CT_SLOTS / 2)
		return;
	for (i = 0; i < t->n; i++) {
		for (h = cause_id_hash(t->v[i].id, t->v[i].is_reason); t->slot[h] != 0;
		    h = (h + 1) & (CT_SLOTS - 1)) {
			o = &t->v[t->slot[h] - 1];
			if (o->is_reason == t->v[i].is_reason &&
			    strcmp(o->id, t->v[i].id) == 0)
				break;	/* the first block of an id wins */
		}
		if (t->slot[h] == 0)
			t->slot[h] = (unsigned short)(i + 1);
	}
	t->indexed = 1;
}

int
cause_table_load(struct rules *r, char *err, size_t errlen)
{
	struct cause_table *t;
	struct rf f;
	char *line;
	size_t i;
	int rc = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s/causes.rules:0: out of memory",
		    r->dir);
		return (-1);
	}
	r->causes = t;
	t->vocab = r->vocab;
	if (rf_open(&f, r->dir, "causes.rules", err, errlen) == -1)
		return (-1);
	while (rc == 0 && (line = rf_next(&f)) != NULL) {
		if (!isspace((unsigned char)line[0])) {
			if (t->n > 0)
				rc = block_finish(&t->v[t->n - 1], &f, err,
				    errlen);
			if (rc == 0)
				rc = block_start(t, &f, line, err, errlen);
			continue;
		}
		while (isspace((unsigned char)*line))
			line++;
		if (t->n == 0)
			rc = rf_error(&f, err, errlen, "key outside a block");
		else
			rc = key_line(t->vocab, &t->v[t->n - 1], &f, line,
			    err, errlen);
	}
	if (rc == 0)
		rc = rf_end(&f, err, errlen);
	if (rc == 0 && t->n > 0)
		rc = block_finish(&t->v[t->n - 1], &f, err, errlen);
	if (rc == 0)
		index_build(t);
	/* cause_decide() need not walk the reason blocks after the last */
	for (i = 0; rc == 0 && i < t->n; i++)
		if (!t->v[i].is_reason && t->v[i].evidence[0] == '\0')
			t->nword = i + 1;
	/* The literals go into the scan reason.c makes of the diagnostic. */
	for (i = 0; rc == 0 && i < t->n; i++)
		t->v[i].yes_tag = t->v[i].yes != NULL && !t->v[i].yes_any ?
		    reason_scan_add(r, &t->v[i].yes_lits) : -1;
	rf_close(&f);
	return (rc);
}

void
cause_table_free(struct cause_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].yes_src);
		free(t->v[i].no_src);
		pcre2_code_free(t->v[i].yes);
		pcre2_code_free(t->v[i].no);
		pcre2_code_free(t->v[i].host);
		free(t->v[i].hint);
		free(t->v[i].domains);
	}
	free(t->v);
	free(t);
}
