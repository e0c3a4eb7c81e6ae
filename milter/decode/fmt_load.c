/*
 * fmt_load.c - the bounce-format engine: the rules/formats/ loader
 *
 * SYNOPSIS
 *	int	format_table_load(struct rules *rules, char *err, size_t errlen);
 *	void	format_table_free(struct format_table *t);
 *	const struct fmt_family *fmt_family_find(const struct rules *rules,
 *		    const char *id);
 *	int	fmt_hname_find(const struct format_table *t, const char *s,
 *		    size_t n);
 *
 * DESCRIPTION
 *	format_table_load() reads every rules/formats/ *.fmt file (the
 *	language is described in fmt.h), compiles its patterns once and
 *	keeps the families sorted by their order; then rules/lang/
 *	(fmt_lang_load(), for the fallback).  Errors are reported
 *	"FILE:LINE: message".  It also numbers the header names the
 *	families test (a hash table of them, and the literals of the
 *	Subject and From patterns in one scanner each), so format_parse()
 *	(format.c) indexes a bounce's headers once.
 *
 *	format_table_free() frees a table (NULL is fine), fmt_family_find()
 *	gives the family of an id (or NULL), fmt_hname_find() the number
 *	of the header name s[0..n), case-insensitive, among the names the
 *	families test, or -1.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vocab.h"
#include "fmt.h"
#include "litscan.h"
#include "rulefile.h"

#define FMT_MAX_FILES	512

static int
rxv_add(struct fmt_rxv *l, const char *arg, const char *pat, char *err,
    size_t errlen)
{
	struct fmt_rx **v, *rx;
	char **a, *d = NULL;

	if ((rx = fmt_rx_compile(pat, err, errlen)) == NULL)
		return (-1);
	if (arg != NULL && (d = strdup(arg)) == NULL) {
		fmt_rx_free(rx);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v != NULL)
		l->v = v;
	a = realloc(l->arg, (l->n + 1) * sizeof(*a));
	if (a != NULL)
		l->arg = a;
	if (v == NULL || a == NULL) {
		fmt_rx_free(rx);
		free(d);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	l->v[l->n] = rx;
	l->arg[l->n] = d;
	l->n++;
	return (0);
}

static void
family_free(struct fmt_family *f)
{
	if (f == NULL)
		return;
	fmt_rxv_free(&f->header);
	fmt_rxv_free(&f->body);
	fmt_rxv_free(&f->veto_header);
	fmt_rxv_free(&f->veto_body);
	fmt_rxv_free(&f->begin);
	fmt_rxv_free(&f->end);
	fmt_rxv_free(&f->original);
	fmt_rxv_free(&f->rcpt);
	fmt_rxv_free(&f->diag);
	fmt_rxv_free(&f->shared);
	fmt_rxv_free(&f->skip);
	fmt_rxv_free(&f->rhost);
	fmt_rxv_free(&f->command);
	fmt_rxv_free(&f->reply);
	fmt_rxv_free(&f->status);
	fmt_rxv_free(&f->hint);
	fmt_rxv_free(&f->delayed);
	fmt_rxv_free(&f->pre);
	fmt_rxv_free(&f->transcript);
	free(f->rcpt_header);
	free(f->rcpt_original);
	free(f->id);
	free(f->file);
	free(f);
}

void
format_table_free(struct format_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		family_free(t->fam[i]);
	for (i = 0; i < t->nhname; i++)
		free(t->hname[i]);
	free(t->hname);
	free(t->hnamelen);
	free(t->hchain);
	litscan_free(t->scan[0]);
	litscan_free(t->scan[1]);
	fmt_lang_free(t->lang);
	free(t->fam);
	free(t);
}

static int
valid_id(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '-' && *s != '_')
			return (0);
	return (1);
}

/* Split "WORD REST": returns REST (may be ""), WORD NUL-terminated. */
static char *
split_word(char *s)
{
	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return (s);
	*s++ = '\0';
	while (isspace((unsigned char)*s))
		s++;
	return (s);
}

static const struct fmt_hook *
hook_find(const char *name)
{
	size_t i;

	for (i = 0; fmt_hooks[i].name != NULL; i++)
		if (strcmp(fmt_hooks[i].name, name) == 0)
			return (&fmt_hooks[i]);
	return (NULL);
}

/* One directive; returns 0 or -1 with err (without FILE:LINE). */
static int
directive(const struct vocab *vocab, struct fmt_family *f, char *kw,
    char *arg, char *err, size_t errlen)
{
	static const struct {
		const char *kw;
		size_t off;
		int named;	/* takes NAME/REASON before the pattern */
	} lists[] = {
		{ "header", offsetof(struct fmt_family, header), 1 },
		{ "veto-header", offsetof(struct fmt_family, veto_header), 1 },
		{ "hint", offsetof(struct fmt_family, hint), 1 },
		{ "body", offsetof(struct fmt_family, body), 0 },
		{ "veto-body", offsetof(struct fmt_family, veto_body), 0 },
		{ "begin", offsetof(struct fmt_family, begin), 0 },
		{ "end", offsetof(struct fmt_family, end), 0 },
		{ "original", offsetof(struct fmt_family, original), 0 },
		{ "rcpt", offsetof(struct fmt_family, rcpt), 0 },
		{ "diag", offsetof(struct fmt_family, diag), 0 },
		{ "shared", offsetof(struct fmt_family, shared), 0 },
		{ "skip", offsetof(struct fmt_family, skip), 0 },
		{ "rhost", offsetof(struct fmt_family, rhost), 0 },
		{ "command", offsetof(struct fmt_family, command), 0 },
		{ "reply", offsetof(struct fmt_family, reply), 0 },
		{ "status", offsetof(struct fmt_family, status), 0 },
		{ "delayed", offsetof(struct fmt_family, delayed), 0 },
		{ "pre", offsetof(struct fmt_family, pre), 0 },
		{ "transcript", offsetof(struct fmt_family, transcript), 0 },
	};
	struct fmt_rxv *l;
	char *pat, *end;
	long v;
	size_t i;

	if (*arg == '\0') {
		snprintf(err, errlen, "%.40s: missing argument", kw);
		return (-1);
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(kw, lists[i].kw) != 0)
			continue;
		l = (struct fmt_rxv *)(void *)((char *)f + lists[i].off);
		if (!lists[i].named)
			return (rxv_add(l, NULL, arg, err, errlen));
		pat = split_word(arg);
		if (*pat == '\0') {
			snprintf(err, errlen, "%.40s: missing pattern", kw);
			return (-1);
		}
		if (strcmp(kw, "hint") == 0 && !reason_known(vocab, arg)) {
			snprintf(err, errlen, "hint: unknown reason \"%.40s\"",
			    arg);
			return (-1);
		}
		return (rxv_add(l, arg, pat, err, errlen));
	}
	if (strcmp(kw, "kind") == 0) {
		if (strcmp(arg, "dsn") == 0)
			f->kind = "dsn";
		else if (strcmp(arg, "arf") == 0)
			f->kind = "arf";
		else if (strcmp(arg, "autoreply") == 0)
			f->kind = "autoreply";
		else {
			snprintf(err, errlen, "kind: dsn, arf or autoreply");
			return (-1);
		}
		return (0);
	}
	if (strcmp(kw, "order") == 0 || strcmp(kw, "need") == 0) {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0 || v > 1000) {
			snprintf(err, errlen, "%.40s: a number 0-1000", kw);
			return (-1);
		}
		if (kw[0] == 'o')
			f->order = (int)v;
		else
			f->need = (int)v;
		return (0);
	}
	if (strcmp(kw, "cont") == 0) {
		if (strcmp(arg, "para") == 0)
			f->cont = FC_PARA;
		else if (strcmp(arg, "none") == 0)
			f->cont = FC_NONE;
		else if (strcmp(arg, "indent") == 0)
			f->cont = FC_INDENT;
		else if (strcmp(arg, "all") == 0)
			f->cont = FC_ALL;
		else {
			snprintf(err, errlen, "cont: none, indent, para, all");
			return (-1);
		}
		return (0);
	}
	if (strcmp(kw, "scope") == 0) {
		if (strcmp(arg, "any") == 0)
			f->scope = FS_ANY;
		else if (strcmp(arg, "text") == 0)
			f->scope = FS_TEXT;
		else if (strcmp(arg, "dsn") == 0)
			f->scope = FS_DSN;
		else {
			snprintf(err, errlen, "scope: any, text or dsn");
			return (-1);
		}
		return (0);
	}
	if (strcmp(kw, "hook") == 0) {
		if ((f->hook = hook_find(arg)) == NULL) {
			snprintf(err, errlen, "hook: no C hook \"%.40s\"", arg);
			return (-1);
		}
		return (0);
	}
	if (strcmp(kw, "action") == 0) {
		static const char *const acts[] = { "failed", "delayed",
		    "delivered", "relayed", "expanded", NULL };
		for (i = 0; acts[i] != NULL; i++)
			if (strcmp(acts[i], arg) == 0) {
				f->action = acts[i];
				return (0);
			}
		snprintf(err, errlen, "action: unknown action \"%.40s\"", arg);
		return (-1);
	}
	if (strcmp(kw, "rcpt-header") == 0 || strcmp(kw, "rcpt-original") == 0) {
		char **slot = kw[5] == 'h' ? &f->rcpt_header : &f->rcpt_original;

		free(*slot);
		if ((*slot = strdup(arg)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		return (0);
	}
	snprintf(err, errlen, "unknown directive \"%.40s\"", kw);
	return (-1);
}

static struct fmt_family *
family_load(const struct vocab *vocab, const char *dir, const char *base,
    char *err, size_t errlen)
{
	struct fmt_family *f;
	struct rf rf;
	char msg[256], *s, *arg;

	if (rf_open(&rf, dir, base, err, errlen) == -1)
		return (NULL);
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->file = strdup(base)) == NULL) {
		free(f);
		rf_error(&rf, err, errlen, "out of memory");
		rf_close(&rf);
		return (NULL);
	}
	f->kind = "dsn";
	f->order = 50;
	f->need = 1;
	f->cont = FC_PARA;
	while ((s = rf_next(&rf)) != NULL) {
		while (isspace((unsigned char)*s))
			s++;
		arg = split_word(s);
		if (f->id == NULL) {
			if (strcmp(s, "family") != 0 || !valid_id(arg)) {
				rf_error(&rf, err, errlen, "the first "
				    "directive must be \"family ID\" "
				    "(lower-case id)");
				goto fail;
			}
			if ((f->id = strdup(arg)) == NULL) {
				rf_error(&rf, err, errlen, "out of memory");
				goto fail;
			}
			continue;
		}
		if (directive(vocab, f, s, arg, msg, sizeof(msg)) == -1) {
			rf_error(&rf, err, errlen, "%s", msg);
			goto fail;
		}
	}
	if (rf_end(&rf, err, errlen) == -1)
		goto fail;
	if (f->id == NULL) {
		rf_error(&rf, err, errlen, "no \"family\" directive");
		goto fail;
	}
	if (f->header.n + f->body.n == 0 &&
	    (f->hook == NULL || f->hook->detect == NULL)) {
		rf_error(&rf, err, errlen, "no detection (header, body or "
		    "a hook with detect)");
		goto fail;
	}
	rf_close(&rf);
	return (f);
fail:
	rf_close(&rf);
	family_free(f);
	return (NULL);
}

static int
family_cmp(const void *a, const void *b)
{
	const struct fmt_family *x = *(const struct fmt_family *const *)a;
	const struct fmt_family *y = *(const struct fmt_family *const *)b;

	if (x->order != y->order)
		return (x->order < y->order ? -1 : 1);
	return (strcmp(x->id, y->id));
}

/* The bucket of a header name s[0..n), n > 0, in t->hbucket. */
static unsigned
hname_hash(const char *s, size_t n)
{
	unsigned a = (unsigned char)s[0] | 0x20, z = (unsigned char)s[n - 1] |
	    0x20;

	return ((a * 31 + z * 7 + (unsigned)n) % FMT_HBUCKETS);
}

/* Hash the names of t->hname (all known): -1 when memory ran out. */
static int
hname_hash_build(struct format_table *t)
{
	size_t i;
	unsigned h;

	for (h = 0; h < FMT_HBUCKETS; h++)
		t->hbucket[h] = -1;
	if (t->nhname == 0)
		return (0);
	if ((t->hchain = calloc(t->nhname, sizeof(*t->hchain))) == NULL)
		return (-1);
	for (i = t->nhname; i-- > 0; ) {
		h = hname_hash(t->hname[i], t->hnamelen[i]);
		t->hchain[i] = t->hbucket[h];
		t->hbucket[h] = (int)i;
	}
	return (0);
}

/* The index of header name s[0..n) in t->hname, or -1. */
int
fmt_hname_find(const struct format_table *t, const char *s, size_t n)
{
	int j;

	if (n == 0 || t->hchain == NULL)
		return (-1);
	for (j = t->hbucket[hname_hash(s, n)]; j >= 0; j = t->hchain[j])
		if (t->hnamelen[j] == n && strncasecmp(t->hname[j], s, n) == 0)
			return (j);
	return (-1);
}

/* The index of header name s in t->hname, added when new; -1 no memory. */
static int
hname_id(struct format_table *t, const char *s)
{
	char **v;
	size_t *l, i, n = strlen(s);

	for (i = 0; i < t->nhname; i++)
		if (t->hnamelen[i] == n && strcasecmp(t->hname[i], s) == 0)
			return ((int)i);
	if ((v = realloc(t->hname, (t->nhname + 1) * sizeof(*v))) == NULL)
		return (-1);
	t->hname = v;
	if ((l = realloc(t->hnamelen, (t->nhname + 1) * sizeof(*l))) == NULL)
		return (-1);
	t->hnamelen = l;
	if ((v[t->nhname] = strdup(s)) == NULL)
		return (-1);
	l[t->nhname] = n;
	return ((int)t->nhname++);
}

/* Number the header names of a header list (Subject, From: their own). */
static int
header_ids(struct format_table *t, struct fmt_rxv *l)
{
	size_t i;
	int id;

	if (l->n == 0)
		return (0);
	if ((l->hid = calloc(l->n, sizeof(*l->hid))) == NULL ||
	    (l->ltag = calloc(l->n, sizeof(*l->ltag))) == NULL)
		return (-1);
	for (i = 0; i < l->n; i++) {
		l->ltag[i] = -1;
		if (strcasecmp(l->arg[i], "Subject") == 0)
			id = FMT_HID_SUBJECT;
		else if (strcasecmp(l->arg[i], "From") == 0)
			id = FMT_HID_FROM;
		else if ((id = hname_id(t, l->arg[i])) == -1)
			return (-1);
		l->hid[i] = id;
		if (id == FMT_HID_SUBJECT || id == FMT_HID_FROM) {
			const struct rxlit *lits = fmt_rx_lits(l->v[i]);
			int k = id == FMT_HID_SUBJECT ? 0 : 1;
			unsigned j;

			if (lits->n == 0)
				continue;
			if (t->scan[k] == NULL &&
			    (t->scan[k] = litscan_new()) == NULL)
				return (-1);
			for (j = 0; j < lits->n; j++)
				if (litscan_add(t->scan[k], lits->s[j],
				    lits->len[j], t->ntag[k]) == -1)
					return (-1);
			l->ltag[i] = (int)t->ntag[k]++;
		}
	}
	return (0);
}

int
format_table_load(struct rules *rules, char *err, size_t errlen)
{
	struct format_table *t;
	struct fmt_family **v;
	char dir[4096], path[4400], *names[FMT_MAX_FILES];
	size_t nn = 0, i, j;
	int n;

	snprintf(dir, sizeof(dir), "%s/formats", rules->dir);
	if ((n = rf_list(dir, ".fmt", names, FMT_MAX_FILES, err, errlen)) == -1)
		return (-1);
	nn = (size_t)n;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->fam = calloc(nn ? nn : 1, sizeof(*t->fam))) == NULL) {
		free(t);
		snprintf(err, errlen, "%s:0: out of memory", dir);
		goto fail;
	}
	for (i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((t->fam[t->n] = family_load(rules->vocab, dir, names[i],
		    err, errlen)) == NULL) {
			format_table_free(t);
			goto fail;
		}
		for (j = 0; j < t->n; j++)
			if (strcmp(t->fam[j]->id, t->fam[t->n]->id) == 0) {
				snprintf(err, errlen, "%s:1: family \"%s\" "
				    "already defined in %s", path,
				    t->fam[t->n]->id, t->fam[j]->file);
				t->n++;
				format_table_free(t);
				goto fail;
			}
		t->n++;
	}
	v = t->fam;
	qsort(v, t->n, sizeof(*v), family_cmp);
	for (i = 0; i < t->n; i++)
		if (header_ids(t, &t->fam[i]->header) == -1 ||
		    header_ids(t, &t->fam[i]->veto_header) == -1) {
			snprintf(err, errlen, "%s:0: out of memory", dir);
			format_table_free(t);
			goto fail;
		}
	if (hname_hash_build(t) == -1) {
		snprintf(err, errlen, "%s:0: out of memory", dir);
		format_table_free(t);
		goto fail;
	}
	for (i = 0; i < 2; i++)
		if (t->scan[i] != NULL && litscan_build(t->scan[i]) == -1) {
			snprintf(err, errlen, "%s:0: out of memory", dir);
			format_table_free(t);
			goto fail;
		}
	if (fmt_lang_load(t, rules->vocab, rules->dir, err, errlen) == -1) {
		format_table_free(t);
		goto fail;
	}
	rf_list_free(names, nn);
	rules->formats = t;
	return (0);
fail:
	rf_list_free(names, nn);
	return (-1);
}

const struct fmt_family *
fmt_family_find(const struct rules *rules, const char *id)
{
	size_t i;

	if (rules == NULL || rules->formats == NULL)
		return (NULL);
	for (i = 0; i < rules->formats->n; i++)
		if (strcmp(rules->formats->fam[i]->id, id) == 0)
			return (rules->formats->fam[i]);
	return (NULL);
}

