/*
 * status.c - enhanced status codes: parsing and the rules/status.tsv table
 *
 * SYNOPSIS
 *	int	status_parse(const char *s, char out[16], const char **end);
 *	const struct status_info *status_lookup(const struct rules *rules,
 *		    const char *status);
 *	int	status_table_load(struct rules *r, char *err, size_t errlen);
 *	void	status_table_free(struct status_table *t);
 *
 * DESCRIPTION
 *	status_parse() reads one enhanced status code (RFC 3463) at s:
 *	class 2, 4 or 5, a dot, subject 0-999, a dot, detail 0-999, each
 *	without sign or blanks, and not glued to more digits, dots or
 *	letters on either side: "5.4.14" is 5.4.14 (never 5.4.1),
 *	"1.5.4.1", "5.4.1x", "5.4.1000" and "5.4.1.2" are nothing.  Leading
 *	zeros beyond three digits are refused; "#5.1.1", "(5.1.1)",
 *	"5.1.1:" are fine.  It looks only at s itself (the caller scans).
 *
 *	status.tsv holds one code a line, three TAB-separated columns:
 *	CODE, REASON (Sisimai's default reason for the code, or "-") and
 *	DESCRIPTION (the RFC 3463 / IANA title).  CODE is either a full
 *	code (5.7.25) or a class-free X.s.d row (X.7.25) that gives the
 *	description for 2, 4 and 5 alike; a full row overrides the X row
 *	for its own class (a reason for 4.4.1 only, say).  Lines starting
 *	with '#' are comments.  status_lookup() returns the entry for a
 *	code, or NULL when the table does not know it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "classify_int.h"

struct status_table {
	struct status_info	*v;
	size_t			 n, cap;
	char			**strs;	/* strings owned by the table */
	size_t			 nstrs, capstrs;
	const struct vocab	*vocab;	/* the rules' vocabulary */
};

/* Parse 1-3 digits at *pp; returns value or -1. */
static int
digits3(const char **pp)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (isdigit((unsigned char)*p)) {
		if (++n > 3)
			return (-1);
		v = v * 10 + (*p - '0');
		p++;
	}
	if (n == 0)
		return (-1);
	*pp = p;
	return (v);
}

static int
glued(int c)
{
	return (isalnum(c) || c == '.' || c == '_' || c == '-');
}

int
status_parse(const char *s, char out[16], const char **end)
{
	const char *p = s;
	int c, sub, det;

	if (s == NULL)
		return (0);
	c = (unsigned char)*p;
	if (c != '2' && c != '4' && c != '5')
		return (0);
	p++;
	if (*p++ != '.')
		return (0);
	if ((sub = digits3(&p)) < 0)
		return (0);
	if (*p++ != '.')
		return (0);
	if ((det = digits3(&p)) < 0)
		return (0);
	/* Not followed by more of a token: 5.4.1x, 5.4.1.2, 5.4.1000. */
	if (glued((unsigned char)*p) && !(*p == '.' &&
	    !isalnum((unsigned char)p[1])))
		return (0);
	{
		char tmp[48];

		snprintf(tmp, sizeof(tmp), "%c.%d.%d", c, sub, det);
		memcpy(out, tmp, strlen(tmp) + 1);	/* at most 9 bytes */
	}
	if (end != NULL)
		*end = p;
	return (1);
}

static int
table_grow(struct status_table *t)
{
	struct status_info *v;
	size_t cap;

	if (t->n < t->cap)
		return (0);
	cap = t->cap ? t->cap * 2 : 256;
	if ((v = realloc(t->v, cap * sizeof(*v))) == NULL)
		return (-1);
	t->v = v;
	t->cap = cap;
	return (0);
}

static const char *
table_str(struct status_table *t, const char *s)
{
	char **v, *d;
	size_t cap;

	if (t->nstrs == t->capstrs) {
		cap = t->capstrs ? t->capstrs * 2 : 256;
		if ((v = realloc(t->strs, cap * sizeof(*v))) == NULL)
			return (NULL);
		t->strs = v;
		t->capstrs = cap;
	}
	if ((d = strdup(s)) == NULL)
		return (NULL);
	t->strs[t->nstrs++] = d;
	return (d);
}

static struct status_info *
table_find(const struct status_table *t, const char *code)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].code, code) == 0)
			return (&t->v[i]);
	return (NULL);
}

/* Add or update code; reason NULL keeps what is there. */
static int
table_put(struct status_table *t, const char *code, const char *reason,
    const char *text, int override)
{
	struct status_info *e;

	if ((e = table_find(t, code)) == NULL) {
		if (table_grow(t) == -1)
			return (-1);
		e = &t->v[t->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->code, sizeof(e->code), "%s", code);
	} else if (!override)
		return (0);
	if (text != NULL && *text != '\0')
		e->text = text;
	if (reason != NULL)
		e->reason = reason;
	return (0);
}

static int
cmp_info(const void *a, const void *b)
{
	return (strcmp(((const struct status_info *)a)->code,
	    ((const struct status_info *)b)->code));
}

static int
parse_line(struct status_table *t, struct rf *f, char *line, char *err,
    size_t errlen)
{
	char *code, *reason, *text, *tab, full[16], cls[16];
	const char *r = NULL, *x = NULL, *e;
	int i, generic;
	static const char classes[] = "245";

	code = line;
	if ((tab = strchr(code, '\t')) == NULL)
		return (rf_error(f, err, errlen,
		    "expected CODE<TAB>REASON<TAB>DESCRIPTION"));
	*tab = '\0';
	reason = tab + 1;
	if ((tab = strchr(reason, '\t')) != NULL) {
		*tab = '\0';
		text = tab + 1;
	} else
		text = reason + strlen(reason);	/* no description */
	while (*text == '\t')
		text++;
	generic = (code[0] == 'X' || code[0] == 'x') && code[1] == '.';
	snprintf(cls, sizeof(cls), "5%s", generic ? code + 1 : "");
	if (!status_parse(generic ? cls : code, full, &e) || *e != '\0')
		return (rf_error(f, err, errlen, "bad status code \"%s\"",
		    code));
	if (strcmp(reason, "-") != 0) {
		if (!reason_known(t->vocab, reason))
			return (rf_error(f, err, errlen,
			    "unknown reason \"%s\"", reason));
		if (generic)
			return (rf_error(f, err, errlen,
			    "an X.s.d row cannot carry a reason"));
		if ((r = table_str(t, reason)) == NULL)
			return (rf_error(f, err, errlen, "out of memory"));
	}
	if (*text != '\0' && (x = table_str(t, text)) == NULL)
		return (rf_error(f, err, errlen, "out of memory"));
	if (!generic)
		return (table_put(t, full, r, x, 1) == -1 ?
		    rf_error(f, err, errlen, "out of memory") : 0);
	for (i = 0; classes[i] != '\0'; i++) {
		full[0] = classes[i];
		/* A class row read earlier keeps its own description. */
		if (table_put(t, full, NULL, x, 0) == -1)
			return (rf_error(f, err, errlen, "out of memory"));
	}
	return (0);
}

int
status_table_load(struct rules *r, char *err, size_t errlen)
{
	struct status_table *t;
	struct rf f;
	char *line;
	size_t i;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s/status.tsv:0: out of memory", r->dir);
		return (-1);
	}
	r->status = t;
	t->vocab = r->vocab;
	if (rf_open(&f, r->dir, "status.tsv", err, errlen) == -1)
		return (-1);
	while ((line = rf_next(&f)) != NULL)
		if (parse_line(t, &f, line, err, errlen) == -1) {
			rf_close(&f);
			return (-1);
		}
	if (rf_end(&f, err, errlen) == -1) {
		rf_close(&f);
		return (-1);
	}
	rf_close(&f);
	/* Entries with no description at all get the class's words. */
	for (i = 0; i < t->n; i++)
		if (t->v[i].text == NULL)
			t->v[i].text = "";
	if (t->n > 1)	/* t->v is NULL for a table without rows */
		qsort(t->v, t->n, sizeof(*t->v), cmp_info);
	return (0);
}

void
status_table_free(struct status_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nstrs; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->v);
	free(t);
}

const struct status_info *
status_lookup(const struct rules *rules, const char *status)
{
	struct status_info key;
	const struct status_table *t;
	size_t n;

	if (rules == NULL || (t = rules->status) == NULL || status == NULL ||
	    t->n == 0)
		return (NULL);
	/* What snprintf("%s") would make of it, without its cost. */
	n = strnlen(status, sizeof(key.code) - 1);
	memcpy(key.code, status, n);
	key.code[n] = '\0';
	return (bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_info));
}
