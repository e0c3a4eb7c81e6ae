/*
 * reason_load.c - read rules/reasons.rules and rules/reason-order
 *
 * SYNOPSIS
 *	int	reason_rules_load(struct rules *r, char *err, size_t errlen);
 *	void	reason_rules_free(struct reason_rules *t);
 *
 *	int	reason_scan_add(struct rules *rules, const struct rxlit *l);
 *	int	reason_scan_build(struct rules *rules, char *err,
 *		    size_t errlen);
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
 *	tag of their own, and read the pass's result with reason_scan()
 *	(reason.c), which makes it when reason_decide() has not.
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
 *	rules/reason-order ([status], [text], [retry], [before-data]) is
 *	read here too, as reason numbers.  reason.c decides with what is
 *	read (reason_int.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "reason_int.h"

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
	if (!reason_known(t->vocab, w->reason))
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
	if (!reason_known(t->vocab, name))
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
	t->byid[vocab_reason(t->vocab, name)] = (signed char)(t->nsets - 1);
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
		if ((id = vocab_reason(t->vocab, v[i])) == R_NONE) {
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
	int retry[VOCAB_MAX + 1], i;

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
	t->vocab = r->vocab;
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
