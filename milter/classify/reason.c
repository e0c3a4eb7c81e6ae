/*
 * reason.c - the bounce reason (Sisimai's vocabulary) from status and text
 *
 * SYNOPSIS
 *	int	reason_rules_load(struct rules *r, char *err, size_t errlen);
 *	void	reason_rules_free(struct reason_rules *t);
 *	const char *reason_decide(const struct rules *rules,
 *		    const struct facts *f, struct rx_scratch *sc);
 *	int	reason_set_match(const struct rules *rules, const char *name,
 *		    const struct facts *f, struct rx_scratch *sc);
 *
 *	int	reason_scan_add(struct rules *rules, const struct rxlit *l);
 *	int	reason_scan_build(struct rules *rules, char *err,
 *		    size_t errlen);
 *	const unsigned char *reason_scan_seen(const struct rules *rules,
 *		    const struct facts *f, const struct rx_scratch *sc);
 *
 * DESCRIPTION
 *	rules/reasons.rules holds the wording that points at each reason,
 *	in sections.  "[NAME]" starts the phrase set of reason NAME; each
 *	line after it is one of
 *
 *		PHRASE		a case-insensitive substring
 *		~ REGEX		a PCRE2 pattern (rules/README: (?i) for
 *				case-insensitive)
 *		! PHRASE	a phrase that vetoes the whole set
 *		!~ REGEX	a pattern that vetoes the whole set
 *		= PHRASE	a phrase that starts with '~', '!' or '='
 *
 *	White space inside a line is kept as written; the text matched is
 *	the diagnostic with runs of white space folded to one space.  Every
 *	phrase of every set and table, and the literal each pattern cannot
 *	match without (litscan.h), go into one Aho-Corasick automaton: one
 *	pass over a recipient's diagnostic tells which phrases occur, and a
 *	pattern runs (PCRE2, JIT) only when its literal does.  Other
 *	modules put their literals in the same automaton with
 *	reason_scan_add() (cause.c: those of each block's wording), under a
 *	tag of their own, and read the pass's result with
 *	reason_scan_seen() (NULL when it has not run for this diagnostic).
 *	reason_scan_build() builds it once all are in: rules_load() calls
 *	it after cause_table_load().
 *
 *	"[rhost NAME]" starts the table of one remote host family, whose
 *	own wording decides before the generic sets (as Sisimai's Rhost
 *	modules do):
 *
 *		host REGEX		remote MTA or reporting MTA
 *		domain NAME...		recipient domains of the family
 *		REASON [@CODE] PATTERN	PATTERN as above (PHRASE or ~ REGEX);
 *					@CODE limits the row to a status:
 *					@5.7.1, or a detail range
 *					@5.7.606-649
 *
 *	Conditions may be repeated: @5 (status and reply of class 5), @!5
 *	(neither of class 5), @RCPT (the SMTP command), @550 (the reply
 *	code), @5.7.1 or @5.7.606-649 (the status), @- (no status stated).
 *
 *	"[lhost FAMILY]" has the same rows, without a host line, for the
 *	bounces of one format family (r->format), or of any with "*": the
 *	wording an MTA family writes about its own verdicts.
 *
 *	reason_decide() applies the order of checks Sisimai uses (the
 *	reason a family parser gave, delivered statuses, the remote host
 *	tables, then reason by reason as status and SMTP command allow,
 *	then the text alone, then the status class, reply code, action and
 *	command), so results compare with Sisimai's.  The order is data
 *	(rules/reason-order: [status], [text], [retry], [before-data]),
 *	the words are in reasons.rules; what each reason needs besides its
 *	words is here.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify_int.h"
#include "litscan.h"
#include "rulelist.h"
#include "vocab.h"

#define NAME_MAX_LEN	24
#define HOST_SCAN_MAX	256	/* host tables one scan serves */
#define SET_SLOTS	64	/* of the set index: more than the reasons */

/* One pattern line of a set: run only when its literal was seen. */
struct rrx {
	pcre2_code	*re;
	int		 tag;		/* scan tag of its literal, -1 none */
};

struct rset {
	char		 name[NAME_MAX_LEN];
	int		 yes_tag, no_tag;	/* scan tags of the phrases */
	int		 has_yes;	/* any line that is no veto */
	struct rrx	*yes, *no;	/* the ~ and !~ lines */
	size_t		 nyes, nno;
};

struct rrow {
	char		 reason[NAME_MAX_LEN];
	char		 status[16];	/* "" any; exact unless hi > 0 */
	int		 lo, hi;	/* detail range for @C.S.lo-hi */
	char		 cls;		/* @5: status and reply of class 5 */
	char		 notcls;	/* @!5: neither of class 5 */
	char		 cmd[12];	/* @RCPT: the SMTP command */
	char		 reply[4];	/* @550: the reply code */
	int		 nostatus;	/* @-: the bounce states no status */
	pcre2_code	*re;
	int		 tag;		/* scan tag: the phrase, or the
					   pattern's literal; -1 none */
	int		 phrase;	/* the row is a phrase: tag decides */
};

struct rhost {
	char		 name[NAME_MAX_LEN];
	int		 lhost;		/* [lhost FAMILY]: by bounce format */
	pcre2_code	*host;
	struct rxlit	 host_lits;	/* the host pattern's literals */
	char		*domains;	/* " a.com b.com " exact recipient domains */
	struct rrow	*rows;
	size_t		 nrows;
};

/* One recipient domain of an [rhost] table, for a binary search. */
struct rdom {
	const char	*name;
	size_t		 host;		/* index in hosts */
};

struct reason_rules {
	struct rset	*sets;
	size_t		 nsets;
	unsigned char	 set_slot[SET_SLOTS];	/* 1 + index in sets, 0 empty */
	signed char	 byid[R_NREASONS];	/* index in sets, -1 none */
	struct rhost	*hosts;
	size_t		 nhosts;
	struct rdom	*doms;		/* every domain line's names, sorted */
	size_t		 ndoms;		/* (by name, then host) */
	char		*dombuf;	/* the names */
	struct litscan	*scan;		/* every phrase and literal */
	unsigned	 ntags;
	int		 built;		/* reason_scan_build() done */
	/* rules/reason-order */
	struct rlist	*order;
	int		 order_status[R_NREASONS + 1];	/* R_NONE ends */
	int		 order_text[R_NREASONS + 1];
	unsigned char	 retry[R_NREASONS];
	const char *const *before_data;
	struct litscan	*hostscan;	/* literals of the host patterns,
					   tagged with the host's index */
};

/*
 * The tag of the literal every match of regex re must contain, added to
 * the scan; -1 when there is none to be sure of (the pattern then always
 * runs).  0 with *tag set, or -1 when memory ran out.
 */
static int
literal_tag(struct reason_rules *t, const char *re, int *tag)
{
	struct rxlit l;
	unsigned i;

	*tag = -1;
	if (rx_literals(re, strlen(re), RXL_UTF, &l) == 0)
		return (0);
	for (i = 0; i < l.n; i++)
		if (litscan_add(t->scan, l.s[i], l.len[i], t->ntags) == -1)
			return (-1);
	*tag = (int)t->ntags++;
	return (0);
}

static int
rrx_add(struct reason_rules *t, struct rrx **v, size_t *n, pcre2_code *c,
    const char *re)
{
	struct rrx *nv;

	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return (-1);
	*v = nv;
	nv[*n].re = c;
	if (literal_tag(t, re, &nv[*n].tag) == -1)
		return (-1);
	(*n)++;
	return (0);
}
/*
 * The slot of a set name's hash: of its first three bytes, enough to tell
 * most reasons apart (the rest collide in a probe or two) at a fraction
 * of the cost of hashing the whole name.
 */
static size_t
set_hash(const char *name)
{
	size_t h = (unsigned char)name[0];

	if (name[0] != '\0' && name[1] != '\0')
		h = h * 31 * 31 + (unsigned char)name[1] * 31 +
		    (unsigned char)name[2];
	return (h & (SET_SLOTS - 1));
}

/*
 * The set of a reason by name: the probes of reason_decide() ask for one
 * thousands of times a corpus, so by hash rather than by a walk with
 * strcmp() (sets are known reasons, fewer than SET_SLOTS).
 */
static struct rset *
set_find(const struct reason_rules *t, const char *name)
{
	struct rset *s;
	size_t h;

	for (h = set_hash(name); t->set_slot[h] != 0;
	    h = (h + 1) & (SET_SLOTS - 1)) {
		s = &t->sets[t->set_slot[h] - 1];
		if (s->name[0] == name[0] && strcmp(s->name, name) == 0)
			return (s);
	}
	return (NULL);
}

/* Enter the last set made into the index. */
static void
set_index(struct reason_rules *t)
{
	size_t h;

	for (h = set_hash(t->sets[t->nsets - 1].name); t->set_slot[h] != 0;
	    h = (h + 1) & (SET_SLOTS - 1))
		;
	t->set_slot[h] = (unsigned char)t->nsets;
}

/*
 * One line of a set: a phrase goes into the scan under the set's tag, a
 * pattern is compiled on its own (run when its literal was seen).
 */
static int
set_line(struct reason_rules *t, struct rset *s, struct rf *f,
    const char *line, char *err, size_t errlen)
{
	pcre2_code *c;
	const char *p = line;
	int veto = 0, regex = 0, rc;

	if (p[0] == '!' && p[1] == '~') {
		veto = regex = 1;
		p += 2;
	} else if (p[0] == '!') {
		veto = 1;
		p++;
	} else if (p[0] == '~') {
		regex = 1;
		p++;
	} else if (p[0] == '=')
		p++;
	if (p != line)
		while (*p == ' ' || *p == '\t')
			p++;
	if (*p == '\0')
		return (rf_error(f, err, errlen, "empty pattern"));
	if (!veto)
		s->has_yes = 1;
	if (!regex)
		rc = litscan_add(t->scan, p, strlen(p), (unsigned)(veto ?
		    s->no_tag : s->yes_tag));
	else {
		if ((c = rx_compile(p, strlen(p), f, err, errlen)) == NULL)
			return (-1);
		rc = veto ? rrx_add(t, &s->no, &s->nno, c, p) :
		    rrx_add(t, &s->yes, &s->nyes, c, p);
		if (rc == -1)
			pcre2_code_free(c);
	}
	return (rc == -1 ? rf_error(f, err, errlen, "out of memory") : 0);
}

static int
parse_status_cond(struct rrow *w, const char *s, size_t n)
{
	char buf[32], out[16], *dash;
	const char *end;
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return (-1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n == 1 && buf[0] == '-') {
		w->nostatus = 1;
		return (0);
	}
	if (n == 1 && (buf[0] == '4' || buf[0] == '5')) {
		w->cls = buf[0];
		return (0);
	}
	if (n == 2 && buf[0] == '!' && (buf[1] == '4' || buf[1] == '5')) {
		w->notcls = buf[1];
		return (0);
	}
	if (n == 3 && isdigit((unsigned char)buf[0]) &&
	    isdigit((unsigned char)buf[1]) && isdigit((unsigned char)buf[2])) {
		memcpy(w->reply, buf, 4);
		return (0);
	}
	if (isupper((unsigned char)buf[0])) {
		for (i = 0; i < n; i++)
			if (!isupper((unsigned char)buf[i]))
				return (-1);
		if (n >= sizeof(w->cmd))
			return (-1);
		memcpy(w->cmd, buf, n + 1);
		return (0);
	}
	if ((dash = strchr(buf, '-')) != NULL) {
		*dash = '\0';
		if (!status_parse(buf, out, &end) || *end != '\0')
			return (-1);
		w->lo = atoi(strrchr(out, '.') + 1);
		w->hi = atoi(dash + 1);
		if (w->hi < w->lo || w->hi > 999)
			return (-1);
		*strrchr(out, '.') = '\0';	/* "5.7" */
	} else if (!status_parse(buf, out, &end) || *end != '\0')
		return (-1);
	snprintf(w->status, sizeof(w->status), "%s", out);
	return (0);
}

static int
rhost_line(struct reason_rules *t, struct rhost *h, struct rf *f,
    char *line, char *err, size_t errlen)
{
	struct rrow *rows, *w;
	char *p, *word;
	size_t n;
	int regex = 0;

	if (strncmp(line, "domain", 6) == 0 && (line[6] == ' ' ||
	    line[6] == '\t') && !h->lhost) {
		size_t o = h->domains ? strlen(h->domains) : 0;
		char *d;

		for (p = line + 6; *p == ' ' || *p == '\t'; p++)
			;
		if ((d = realloc(h->domains, o + strlen(p) + 3)) == NULL)
			return (rf_error(f, err, errlen, "out of memory"));
		h->domains = d;
		snprintf(d + o, strlen(p) + 3, "%s%s ", o ? "" : " ", p);
		for (; *d != '\0'; d++)
			if (*d == '\t')
				*d = ' ';
			else
				*d = (char)tolower((unsigned char)*d);
		return (0);
	}
	if (strncmp(line, "host", 4) == 0 && (line[4] == ' ' ||
	    line[4] == '\t') && !h->lhost) {
		for (p = line + 4; *p == ' ' || *p == '\t'; p++)
			;
		if (h->host != NULL)
			return (rf_error(f, err, errlen, "second host line"));
		h->host = rx_compile(p, strlen(p), f, err, errlen);
		(void)rx_literals(p, strlen(p), RXL_UTF, &h->host_lits);
		return (h->host == NULL ? -1 : 0);
	}
	if ((rows = realloc(h->rows, (h->nrows + 1) * sizeof(*rows))) == NULL)
		return (rf_error(f, err, errlen, "out of memory"));
	h->rows = rows;
	w = &rows[h->nrows];
	memset(w, 0, sizeof(*w));
	word = line;
	n = strcspn(word, " \t");
	if (n == 0 || n >= sizeof(w->reason))
		return (rf_error(f, err, errlen, "expected REASON PATTERN"));
	memcpy(w->reason, word, n);
	if (!reason_known(w->reason))
		return (rf_error(f, err, errlen, "unknown reason \"%s\"",
		    w->reason));
	for (p = word + n; *p == ' ' || *p == '\t'; p++)
		;
	while (*p == '@') {
		n = strcspn(p + 1, " \t");
		if (parse_status_cond(w, p + 1, n) == -1)
			return (rf_error(f, err, errlen,
			    "bad condition \"%.*s\"", (int)n, p));
		for (p += 1 + n; *p == ' ' || *p == '\t'; p++)
			;
	}
	if (*p == '~') {
		regex = 1;
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
	} else if (*p == '=')
		p++;
	if (*p == '\0')
		return (rf_error(f, err, errlen, "empty pattern"));
	w->tag = -1;
	if (!regex) {
		/* a phrase: the scan alone decides */
		w->phrase = 1;
		if (litscan_add(t->scan, p, strlen(p), t->ntags) == -1)
			return (rf_error(f, err, errlen, "out of memory"));
		w->tag = (int)t->ntags++;
		h->nrows++;
		return (0);
	}
	if ((w->re = rx_compile(p, strlen(p), f, err, errlen)) == NULL)
		return (-1);
	h->nrows++;
	if (literal_tag(t, p, &w->tag) == -1)
		return (rf_error(f, err, errlen, "out of memory"));
	return (0);
}

static int
section(struct reason_rules *t, struct rf *f, char *line, struct rset **cs,
    struct rhost **ch, char *err, size_t errlen)
{
	char *end, *name;
	struct rset *sets;
	struct rhost *hosts;

	if ((end = strchr(line, ']')) == NULL || end[1] != '\0')
		return (rf_error(f, err, errlen, "bad section header"));
	*end = '\0';
	name = line + 1;
	*cs = NULL;
	*ch = NULL;
	if (strncmp(name, "rhost ", 6) == 0 || strncmp(name, "lhost ", 6) == 0) {
		int lh = name[0] == 'l';

		name += 6;
		if (*name == '\0' || strlen(name) >= NAME_MAX_LEN)
			return (rf_error(f, err, errlen, "bad rhost name"));
		hosts = realloc(t->hosts, (t->nhosts + 1) * sizeof(*hosts));
		if (hosts == NULL)
			return (rf_error(f, err, errlen, "out of memory"));
		t->hosts = hosts;
		*ch = &hosts[t->nhosts++];
		memset(*ch, 0, sizeof(**ch));
		(*ch)->lhost = lh;
		snprintf((*ch)->name, sizeof((*ch)->name), "%s", name);
		return (0);
	}
	if (!reason_known(name))
		return (rf_error(f, err, errlen, "unknown reason \"%s\"", name));
	if (set_find(t, name) != NULL)
		return (rf_error(f, err, errlen, "section [%s] seen before",
		    name));
	if (t->nsets + 1 >= SET_SLOTS)	/* cannot be: known reasons only */
		return (rf_error(f, err, errlen, "too many sections"));
	if ((sets = realloc(t->sets, (t->nsets + 1) * sizeof(*sets))) == NULL)
		return (rf_error(f, err, errlen, "out of memory"));
	t->sets = sets;
	*cs = &sets[t->nsets++];
	memset(*cs, 0, sizeof(**cs));
	snprintf((*cs)->name, sizeof((*cs)->name), "%s", name);
	set_index(t);
	t->byid[vocab_reason(name)] = (signed char)(t->nsets - 1);
	(*cs)->yes_tag = (int)t->ntags++;
	(*cs)->no_tag = (int)t->ntags++;
	return (0);
}

static int
rdom_cmp(const void *a, const void *b)
{
	const struct rdom *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return (c);
	return (x->host < y->host ? -1 : x->host > y->host);
}

/*
 * The recipient domains of every [rhost] table in one sorted array: one
 * binary search per recipient instead of a strstr() over each table's
 * list.  0, or -1 when memory ran out.
 */
static int
domain_index(struct reason_rules *t)
{
	size_t i, len = 0, n = 0;
	char *p, *tok, *save;

	for (i = 0; i < t->nhosts; i++)
		if (!t->hosts[i].lhost && t->hosts[i].domains != NULL)
			len += strlen(t->hosts[i].domains) + 1;
	if (len == 0)
		return (0);
	/* at most a name per two bytes ("a b c") */
	if ((t->dombuf = malloc(len)) == NULL ||
	    (t->doms = calloc(len / 2 + 1, sizeof(*t->doms))) == NULL)
		return (-1);
	for (p = t->dombuf, i = 0; i < t->nhosts; i++) {
		if (t->hosts[i].lhost || t->hosts[i].domains == NULL)
			continue;
		memcpy(p, t->hosts[i].domains, strlen(t->hosts[i].domains) + 1);
		for (tok = strtok_r(p, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			t->doms[n].name = tok;
			t->doms[n++].host = i;
		}
		p += strlen(t->hosts[i].domains) + 1;
	}
	t->ndoms = n;
	qsort(t->doms, n, sizeof(*t->doms), rdom_cmp);
	return (0);
}

/* One scan for the literals of every host pattern (tag: the host). */
static int
host_scan(struct reason_rules *t)
{
	size_t i;
	unsigned j;

	if (t->nhosts == 0 || t->nhosts > HOST_SCAN_MAX)
		return (0);
	if ((t->hostscan = litscan_new()) == NULL)
		return (-1);
	for (i = 0; i < t->nhosts; i++)
		for (j = 0; t->hosts[i].host != NULL &&
		    j < t->hosts[i].host_lits.n; j++)
			if (litscan_add(t->hostscan, t->hosts[i].host_lits.s[j],
			    t->hosts[i].host_lits.len[j], (unsigned)i) == -1)
				return (-1);
	/* the tags run to the last host with literals, at most nhosts */
	return (litscan_build(t->hostscan));
}

/* One [section] of rules/reason-order as reason numbers, R_NONE ended. */
static int
order_ids(struct reason_rules *t, const char *dir, const char *name,
    int *ids, char *err, size_t errlen)
{
	const char *const *v;
	size_t i, j, n;
	int id;

	if (rlist_need(t->order, name, err, errlen) == -1)
		return (-1);
	v = rlist_get(t->order, name, &n);
	for (i = 0; i < n; i++) {
		if ((id = vocab_reason(v[i])) == R_NONE) {
			snprintf(err, errlen, "%s/reason-order:0: [%s]: unknown "
			    "reason \"%s\"", dir, name, v[i]);
			return (-1);
		}
		for (j = 0; j < i; j++)
			if (ids[j] == id) {
				snprintf(err, errlen, "%s/reason-order:0: [%s]: "
				    "\"%s\" twice", dir, name, v[i]);
				return (-1);
			}
		ids[i] = id;
	}
	ids[n] = R_NONE;
	return (0);
}

/* rules/reason-order: the order of the checks, data. */
static int
order_load(struct reason_rules *t, const char *dir, char *err, size_t errlen)
{
	int retry[R_NREASONS + 1], i;

	if ((t->order = rlist_load(dir, "reason-order", err, errlen)) == NULL ||
	    order_ids(t, dir, "status", t->order_status, err, errlen) == -1 ||
	    order_ids(t, dir, "text", t->order_text, err, errlen) == -1 ||
	    order_ids(t, dir, "retry", retry, err, errlen) == -1 ||
	    rlist_need(t->order, "before-data", err, errlen) == -1)
		return (-1);
	for (i = 0; retry[i] != R_NONE; i++)
		t->retry[retry[i]] = 1;
	t->before_data = rlist_get(t->order, "before-data", NULL);
	return (0);
}

int
reason_rules_load(struct rules *r, char *err, size_t errlen)
{
	struct reason_rules *t;
	struct rset *cs = NULL;
	struct rhost *ch = NULL;
	struct rf f;
	char *line;
	size_t i;
	int rc = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s/reasons.rules:0: out of memory",
		    r->dir);
		return (-1);
	}
	r->reasons = t;
	memset(t->byid, -1, sizeof(t->byid));
	if ((t->scan = litscan_new()) == NULL) {
		snprintf(err, errlen, "%s/reasons.rules:0: out of memory",
		    r->dir);
		return (-1);
	}
	if (rf_open(&f, r->dir, "reasons.rules", err, errlen) == -1)
		return (-1);
	while (rc == 0 && (line = rf_next(&f)) != NULL) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '[')
			rc = section(t, &f, line, &cs, &ch, err, errlen);
		else if (cs != NULL)
			rc = set_line(t, cs, &f, line, err, errlen);
		else if (ch != NULL)
			rc = rhost_line(t, ch, &f, line, err, errlen);
		else
			rc = rf_error(&f, err, errlen,
			    "pattern outside a [section]");
	}
	if (rc == 0)
		rc = rf_end(&f, err, errlen);
	for (i = 0; rc == 0 && i < t->nhosts; i++)
		if (t->hosts[i].host == NULL && t->hosts[i].domains == NULL &&
		    !t->hosts[i].lhost)
			rc = rf_error(&f, err, errlen,
			    "[rhost %s] has no host line", t->hosts[i].name);
	if (rc == 0 && domain_index(t) == -1)
		rc = rf_error(&f, err, errlen, "out of memory");
	rf_close(&f);
	if (rc == 0)
		rc = order_load(t, r->dir, err, errlen);
	return (rc);
}

/*
 * Literals of another module (cause.c) into the scan, under a new tag,
 * so that the one pass over a diagnostic serves it too.  Before
 * reason_scan_build() only.  Returns the tag, or -1 (then the caller
 * looks for its literals itself).
 */
int
reason_scan_add(struct rules *rules, const struct rxlit *l)
{
	struct reason_rules *t = rules->reasons;
	unsigned i;

	if (t == NULL || t->built || l->n == 0)
		return (-1);
	for (i = 0; i < l->n; i++)
		if (litscan_add(t->scan, l->s[i], l->len[i], t->ntags) == -1)
			return (-1);
	return ((int)t->ntags++);
}

/*
 * Build the scans, once every module has added its literals: rules_load()
 * calls it after the cause table.  Without it no phrase is ever seen.
 */
int
reason_scan_build(struct rules *rules, char *err, size_t errlen)
{
	struct reason_rules *t = rules->reasons;

	if (t == NULL || t->built)
		return (0);
	if (litscan_build(t->scan) == -1 || host_scan(t) == -1) {
		snprintf(err, errlen, "%s/reasons.rules:0: out of memory",
		    rules->dir);
		return (-1);
	}
	t->built = 1;
	return (0);
}

void
reason_rules_free(struct reason_rules *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsets; i++) {
		for (j = 0; j < t->sets[i].nyes; j++)
			pcre2_code_free(t->sets[i].yes[j].re);
		for (j = 0; j < t->sets[i].nno; j++)
			pcre2_code_free(t->sets[i].no[j].re);
		free(t->sets[i].yes);
		free(t->sets[i].no);
	}
	for (i = 0; i < t->nhosts; i++) {
		pcre2_code_free(t->hosts[i].host);
		free(t->hosts[i].domains);
		for (j = 0; j < t->hosts[i].nrows; j++)
			pcre2_code_free(t->hosts[i].rows[j].re);
		free(t->hosts[i].rows);
	}
	free(t->sets);
	free(t->hosts);
	free(t->doms);
	free(t->dombuf);
	litscan_free(t->scan);
	litscan_free(t->hostscan);
	rlist_free(t->order);
	free(t);
}

/*
 * The scan of f's diagnostic: which phrases and literals occur in it,
 * done once per recipient (reason_decide() forgets the last one).
 */
static const unsigned char *
scan_hits(const struct reason_rules *t, const struct facts *f,
    struct rx_scratch *sc)
{
	unsigned char *h;

	if (!t->built)
		return (NULL);
	if (sc->hit_valid && sc->hit_for == f->diag &&
	    sc->hit_len == f->diaglen)
		return (sc->hit);
	if (sc->hitcap < t->ntags + 1) {
		if ((h = realloc(sc->hit, t->ntags + 1)) == NULL)
			return (NULL);
		sc->hit = h;
		sc->hitcap = t->ntags + 1;
	}
	memset(sc->hit, 0, t->ntags + 1);
	litscan_run(t->scan, f->diag, f->diaglen, sc->hit);
	sc->hit_for = f->diag;
	sc->hit_len = f->diaglen;
	sc->hit_valid = 1;
	return (sc->hit);
}

/*
 * The scan of f's diagnostic when reason_decide() has made it already (for
 * cause.c, whose literals it holds), else NULL: no second pass for them.
 */
const unsigned char *
reason_scan_seen(const struct rules *rules, const struct facts *f,
    const struct rx_scratch *sc)
{
	if (rules->reasons != NULL && rules->reasons->built &&
	    sc->hit_valid && sc->hit_for == f->diag &&
	    sc->hit_len == f->diaglen)
		return (sc->hit);
	return (NULL);
}

/* Does one of the patterns of v match (those whose literal occurs)? */
static int
rrx_any(const struct rrx *v, size_t n, const unsigned char *hit,
    const struct facts *f, struct rx_scratch *sc)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((v[i].tag < 0 || hit[v[i].tag]) &&
		    rx_match(v[i].re, f->diag, f->diaglen, sc))
			return (1);
	return (0);
}

/* Does row w's wording occur in the diagnostic? */
static int
rrow_text(const struct rrow *w, const unsigned char *hit,
    const struct facts *f, struct rx_scratch *sc)
{
	if (hit == NULL)
		return (w->re != NULL && rx_match(w->re, f->diag, f->diaglen,
		    sc));
	if (w->phrase)
		return (hit[w->tag]);
	return ((w->tag < 0 || hit[w->tag]) && rx_match(w->re, f->diag,
	    f->diaglen, sc));
}

/* Does set s of t point at its reason (its wording, and no veto)? */
static int
set_match(const struct reason_rules *t, const struct rset *s,
    const struct facts *f, struct rx_scratch *sc)
{
	const unsigned char *hv;
	size_t i;
	int hit;

	if (f->diaglen == 0 || !s->has_yes)
		return (0);
	/* The probes ask about the same sets again and again: remember. */
	if (sc->memo_for != f) {
		memset(sc->memo, -1, sizeof(sc->memo));
		sc->memo_for = f;
	}
	i = (size_t)(s - t->sets);
	if (i < sizeof(sc->memo) && sc->memo[i] != -1)
		return (sc->memo[i]);
	if ((hv = scan_hits(t, f, sc)) == NULL)
		return (0);	/* out of memory: as no match */
	hit = (hv[s->yes_tag] || rrx_any(s->yes, s->nyes, hv, f, sc)) &&
	    !(hv[s->no_tag] || rrx_any(s->no, s->nno, hv, f, sc));
	if (i < sizeof(sc->memo))
		sc->memo[i] = (signed char)hit;
	return (hit);
}

int
reason_set_match(const struct rules *rules, const char *name,
    const struct facts *f, struct rx_scratch *sc)
{
	const struct rset *s;

	if (rules == NULL || rules->reasons == NULL ||
	    (s = set_find(rules->reasons, name)) == NULL)
		return (0);
	return (set_match(rules->reasons, s, f, sc));
}

/* --- the order of checks ------------------------------------------------ */

static int
is(const char *a, const char *b)
{
	return (a != NULL && b != NULL && a[0] == b[0] && strcmp(a, b) == 0);
}

static int
in_list(const char *s, const char *const *v)
{
	for (; s != NULL && *v != NULL; v++)
		if (s[0] == (*v)[0] && strcmp(s, *v) == 0)
			return (1);
	return (0);
}

/*
 * A reason a status or a parser may give that the text should refine
 * ([retry] of rules/reason-order; no reason at all is one too).
 */
static int
is_retry(const struct reason_rules *t, const char *s)
{
	int id;

	if (s == NULL)
		return (0);
	if (*s == '\0')
		return (1);
	return ((id = vocab_reason(s)) != R_NONE && t->retry[id]);
}

static const char *
status_reason(const struct rules *rules, const char *status)
{
	const struct status_info *si;

	if (status == NULL || *status == '\0')
		return ("");
	si = status_lookup(rules, status);
	return (si != NULL && si->reason != NULL ? si->reason : "");
}

struct probe {
	const struct rules	*rules;
	const struct facts	*f;
	struct rx_scratch	*sc;
	const char		*sr;	/* reason the status points at */
	int			 srid;	/* its number, or R_NONE */
	int			 hintid; /* the number of f->hint, or R_NONE */
};

/* Does the wording point at reason id (its set in reasons.rules)? */
static int
inc(struct probe *p, int id)
{
	const struct reason_rules *t = p->rules->reasons;

	if (t == NULL || t->byid[id] < 0)
		return (0);
	return (set_match(t, &t->sets[t->byid[id]], p->f, p->sc));
}

static int
reply_in(const struct facts *f, int lo, int hi)
{
	int v;

	if (f->reply == NULL || strlen(f->reply) != 3)
		return (0);
	v = atoi(f->reply);
	return (v >= lo && v <= hi);
}

/*
 * Does the status-plus-text evidence point at reason id?  By number, not
 * name: the probes run some twenty times a recipient.
 */
static int
probe(struct probe *p, int id)
{
	static const int other[] = { R_NORELAYING, R_BLOCKED, R_MAILBOXFULL,
	    R_HASMOVED, R_REJECTED, R_NOTACCEPT, R_NONE };
	const struct facts *f = p->f;
	const char *sr = p->sr;
	const int *o;
	int srid = p->srid;

	if (p->hintid == id)
		return (1);
	switch (id) {
	case R_MESGTOOBIG:
		if (srid == id)
			return (1);
		if (srid == R_EXCEEDLIMIT || is(f->status, "5.2.3"))
			return (0);
		return (inc(p, id));
	case R_SUSPEND:
		return (is(f->reply, "525") || inc(p, id));
	case R_HASMOVED:
	case R_NOTCOMPLIANTRFC:
	case R_BADREPUTATION:
	case R_SPEEDING:
		return (inc(p, id));
	case R_NORELAYING:
		if (p->hintid == R_SECURITYERROR || p->hintid == R_SYSTEMERROR)
			return (0);
		if (is(f->command, "CONN") || is(f->command, "EHLO") ||
		    is(f->command, "HELO"))
			return (0);
		return (inc(p, id));
	case R_USERUNKNOWN:
		if (srid == id) {
			for (o = other; *o != R_NONE; o++)
				if (inc(p, *o))
					return (0);
			return (1);
		}
		return (is(f->command, "RCPT") && inc(p, id));
	case R_FILTERED:
		if (srid == id)
			return (inc(p, R_USERUNKNOWN) || inc(p, id));
		if (in_list(f->command, p->rules->reasons->before_data))
			return (0);
		return (inc(p, id) || inc(p, R_USERUNKNOWN));
	case R_CONTENTERROR:
		if (probe(p, R_SPAMDETECTED))
			return (0);
		return (srid == id || inc(p, id));
	case R_REJECTED:
		if (srid == id)
			return (1);
		if (is(f->command, "MAIL"))
			return (inc(p, id));
		if (is(f->command, "DATA") && srid != R_USERUNKNOWN)
			return (inc(p, id));
		if (*sr == '\0' || srid == R_ONHOLD || srid == R_UNDEFINED ||
		    srid == R_SECURITYERROR || srid == R_SYSTEMERROR)
			return (inc(p, id));
		return (0);
	case R_HOSTUNKNOWN:
		if (srid == id)
			return (!inc(p, R_NETWORKERROR));
		return (inc(p, id));
	case R_SPAMDETECTED:
		if (f->status == NULL || *f->status == '\0')
			return (0);
		if (srid == id)
			return (1);
		if (in_list(f->command, p->rules->reasons->before_data))
			return (0);
		return (inc(p, id));
	default:
		/* mailboxfull exceedlimit authfailure requireptr toomanyconn
		 * blocked */
		return (srid == id || inc(p, id));
	}
}

static int
explicit_reason(const char *s)
{
	return (s != NULL && *s != '\0' && !is(s, "undefined") &&
	    !is(s, "onhold"));
}

/* The text alone, then status class, reply code, action and command. */
static const char *
another(struct probe *p)
{
	const struct facts *f = p->f;
	const char *sr = p->sr;
	const int *o;

	if (explicit_reason(f->hint))
		return (f->hint);
	if (!is_retry(p->rules->reasons, sr) && !f->xunix)
		return (sr);
	for (o = p->rules->reasons->order_text; *o != R_NONE; o++)
		if (inc(p, *o))
			return (vocab_name(*o));
	if (*sr != '\0')
		return (sr);
	if (f->status != NULL && strlen(f->status) > 3) {
		if (strncmp(f->status + 1, ".6", 2) == 0)
			return ("contenterror");
		if (strncmp(f->status + 1, ".7", 2) == 0)
			return ("securityerror");
	}
	if (f->xunix)
		return ("mailererror");
	if (is(f->hint, "syntaxerror") || reply_in(f, 401, 407) ||
	    reply_in(f, 501, 507))
		return ("syntaxerror");
	if (is(f->action, "delayed") || is(f->action, "expired"))
		return ("expired");
	if (is(f->command, "EHLO") || is(f->command, "HELO") ||
	    is(f->command, "CONN"))
		return ("blocked");
	return ("");
}

static int
rrow_ok(const struct rrow *w, const struct facts *f)
{
	const char *status = f->status, *reply = f->reply;
	size_t n;

	if (w->cls && !(status != NULL && status[0] == w->cls &&
	    reply != NULL && reply[0] == w->cls))
		return (0);
	if (w->notcls && ((status != NULL && status[0] == w->notcls) ||
	    (reply != NULL && reply[0] == w->notcls)))
		return (0);
	if (w->cmd[0] && !is(f->command, w->cmd))
		return (0);
	if (w->nostatus && status != NULL && *status != '\0')
		return (0);
	if (w->reply[0] && !is(reply, w->reply))
		return (0);
	if (w->status[0] == '\0')
		return (1);
	if (status == NULL || *status == '\0')
		return (0);
	if (w->hi == 0)
		return (strcmp(w->status, status) == 0);
	n = strlen(w->status);
	if (strncmp(w->status, status, n) != 0 || status[n] != '.')
		return (0);
	n = (size_t)atoi(status + n + 1);
	return ((int)n >= w->lo && (int)n <= w->hi);
}

/*
 * Does the host pattern of h match name?  seen: which host patterns'
 * literals the name holds (NULL: look for them here).
 */
static int
host_is(const struct rhost *h, size_t i, const char *name, size_t n,
    const unsigned char *seen, struct rx_scratch *sc)
{
	if (n == 0 || h->host == NULL)
		return (0);
	if (seen != NULL ? h->host_lits.n > 0 && !seen[i] :
	    !rxlit_find(&h->host_lits, name, n))
		return (0);
	return (rx_match(h->host, name, n, sc));
}

/* Is domain one of the family's own recipient domains (exact)? */
static int
domain_is(const struct rhost *h, const char *domain)
{
	const char *p;
	size_t n = strlen(domain);

	if (h->domains == NULL || n == 0)
		return (0);
	for (p = h->domains; (p = strstr(p, domain)) != NULL; p++)
		if (p[-1] == ' ' && p[n] == ' ')
			return (1);
	return (0);
}

/*
 * The first [rhost] table that lists domain, or NULL.  A name with a
 * blank (hostile input) is looked for as domain_is() does, which could
 * find it across two names of a list.
 */
static const struct rhost *
domain_host(const struct reason_rules *t, const char *domain)
{
	size_t lo = 0, hi = t->ndoms, mid, i;

	if (*domain == '\0')
		return (NULL);
	if (strchr(domain, ' ') != NULL) {
		for (i = 0; i < t->nhosts; i++)
			if (!t->hosts[i].lhost && domain_is(&t->hosts[i],
			    domain))
				return (&t->hosts[i]);
		return (NULL);
	}
	/* the first entry not below domain: the lowest host of that name */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(t->doms[mid].name, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->ndoms && strcmp(t->doms[lo].name, domain) == 0)
		return (&t->hosts[t->doms[lo].host]);
	return (NULL);
}

/*
 * Does row w decide?  The cheap test first, inline in the loops over the
 * rows: most rows' wording is not in the text.
 */
static inline int
rrow_match(const struct rrow *w, const unsigned char *hit,
    const struct facts *f, struct rx_scratch *sc)
{
	if (hit != NULL && w->tag >= 0 && !hit[w->tag])
		return (0);
	return (rrow_ok(w, f) && rrow_text(w, hit, f, sc));
}

/*
 * The remote host's own tables, when the host is one we know: the
 * recipient domain, then the remote MTA, then the reporting MTA decide
 * which family (as Sisimai looks them up).  Then the tables of the bounce
 * format's family ([lhost FAMILY], and [lhost *] for any).
 */
static const char *
rhost_reason(const struct rules *rules, const struct facts *f,
    struct rx_scratch *sc)
{
	const struct reason_rules *t = rules->reasons;
	const struct rhost *h, *hit = NULL;
	const unsigned char *hv;
	const char *names[3];
	size_t i, j, k, lens[2];
	unsigned char seen[2][HOST_SCAN_MAX];

	if (t == NULL || f->diaglen == 0)
		return (NULL);
	hv = scan_hits(t, f, sc);
	names[0] = f->rhost;
	names[1] = f->lhost;
	lens[0] = names[0] != NULL ? strlen(names[0]) : 0;
	lens[1] = names[1] != NULL ? strlen(names[1]) : 0;
	hit = domain_host(t, f->rcpt_domain);
	for (k = 0; k < 2 && hit == NULL; k++) {
		if (lens[k] == 0)
			continue;	/* no host matches an empty name */
		if (t->hostscan != NULL) {
			memset(seen[k], 0, t->nhosts);
			litscan_run(t->hostscan, names[k], lens[k], seen[k]);
		}
		for (i = 0; i < t->nhosts && hit == NULL; i++) {
			h = &t->hosts[i];
			/* as host_is() would say, without the call */
			if (h->lhost || h->host == NULL ||
			    (t->hostscan != NULL && h->host_lits.n > 0 &&
			    !seen[k][i]))
				continue;
			if (host_is(h, i, names[k], lens[k],
			    t->hostscan != NULL ? seen[k] : NULL, sc))
				hit = h;
		}
	}
	for (j = 0; hit != NULL && j < hit->nrows; j++)
		if (rrow_match(&hit->rows[j], hv, f, sc))
			return (hit->rows[j].reason);
	for (i = 0; i < t->nhosts; i++) {
		h = &t->hosts[i];
		if (!h->lhost || !(strcmp(h->name, "*") == 0 ||
		    is(h->name, f->format)))
			continue;
		for (j = 0; j < h->nrows; j++)
			if (rrow_match(&h->rows[j], hv, f, sc))
				return (h->rows[j].reason);
	}
	return (NULL);
}

const char *
reason_decide(const struct rules *rules, const struct facts *f,
    struct rx_scratch *sc)
{
	struct probe p;
	const char *r;
	const int *o;

	sc->memo_for = NULL;	/* a new recipient: forget the last one */
	sc->hit_valid = 0;
	if (f->hint != NULL && *f->hint != '\0' &&
	    !is_retry(rules->reasons, f->hint))
		return (f->hint);
	if (f->status != NULL && f->status[0] == '2')
		return ("delivered");
	if ((r = rhost_reason(rules, f, sc)) != NULL)
		return (r);
	p.rules = rules;
	p.f = f;
	p.sc = sc;
	p.sr = status_reason(rules, f->status);
	p.srid = vocab_reason(p.sr);
	p.hintid = vocab_reason(f->hint);
	if (!f->xunix)
		for (o = rules->reasons->order_status; *o != R_NONE; o++)
			if (probe(&p, *o))
				return (vocab_name(*o));
	r = another(&p);
	if (*r != '\0' && !is(r, "undefined"))
		return (r);
	if (is(f->action, "delayed"))
		return ("expired");
	if (inc(&p, R_VACATION))
		return ("vacation");
	if (f->diaglen > 0)
		return ("onhold");
	return ("undefined");
}
