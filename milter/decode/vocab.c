/*
 * vocab.c - the reason vocabulary, read from rules/reason-vocabulary;
 * see vocab.h
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulelist.h"
#include "vocab.h"

#define VOCAB_FILE	"reason-vocabulary"
#define VOCAB_SLOTS	128	/* of the hash index: twice VOCAB_MAX */

/* The words of the R_* ids: the reasons the programs name. */
static const char *const named[R_NFIXED] = {
	"badreputation", "blocked", "contenterror", "delivered",
	"exceedlimit", "expired", "feedback", "filtered", "hasmoved",
	"hostunknown", "mailboxfull", "mailererror", "mesgtoobig",
	"networkerror", "norelaying", "notaccept", "notcompliantrfc",
	"onhold", "rejected", "securityerror", "spamdetected", "speeding",
	"suspend", "syntaxerror", "systemerror", "undefined", "userunknown",
	"vacation"
};

_Static_assert(R_NFIXED < VOCAB_MAX, "room for the named reasons");
_Static_assert(VOCAB_MAX < VOCAB_SLOTS && VOCAB_MAX < 255,
    "the index holds 1 + id in a byte");

enum { HARD_NO, HARD_ALWAYS, HARD_ON_5 };

struct vocab {
	int		 n;			/* ids 0 .. n - 1 */
	char		 name[VOCAB_MAX][VOCAB_NAME_MAX];	/* "" unused */
	unsigned char	 hard[VOCAB_MAX];	/* HARD_* */
	char		 implied[VOCAB_MAX][8];	/* "1.1", "" none */
	unsigned char	 slot[VOCAB_SLOTS];	/* 1 + id, 0 empty */
};

/* The slot of a word's hash (vocab_hash3(): the rest collide in a probe). */
static size_t
word_hash(const char *s)
{
	return (vocab_hash3(s) & (VOCAB_SLOTS - 1));
}

int
vocab_reason(const struct vocab *v, const char *s)
{
	size_t h;
	const char *w;

	if (v == NULL || s == NULL)
		return (R_NONE);
	for (h = word_hash(s); v->slot[h] != 0; h = (h + 1) &
	    (VOCAB_SLOTS - 1)) {
		w = v->name[v->slot[h] - 1];
		if (w[0] == s[0] && strcmp(w, s) == 0)
			return (v->slot[h] - 1);
	}
	return (R_NONE);
}

const char *
vocab_name(const struct vocab *v, int id)
{
	return (v != NULL && id >= 0 && id < v->n ? v->name[id] : NULL);
}

int
vocab_count(const struct vocab *v)
{
	return (v != NULL ? v->n : 0);
}

int
reason_known(const struct vocab *v, const char *s)
{
	return (vocab_reason(v, s) != R_NONE);
}

int
vocab_hard(const struct vocab *v, const char *s, char cls)
{
	int id = vocab_reason(v, s);

	if (id == R_NONE)
		return (0);
	return (v->hard[id] == HARD_ALWAYS ||
	    (v->hard[id] == HARD_ON_5 && cls == '5'));
}

const char *
vocab_implied(const struct vocab *v, const char *s)
{
	int id = vocab_reason(v, s);

	return (id != R_NONE && v->implied[id][0] != '\0' ? v->implied[id] :
	    NULL);
}

/* Is s "D.D": a status subject (0-7) and detail (0-999)? */
static int
subject_detail(const char *s)
{
	size_t n;

	if (s[0] < '0' || s[0] > '7' || s[1] != '.')
		return (0);
	n = strspn(s + 2, "0123456789");
	return (n >= 1 && n <= 3 && s[2 + n] == '\0');
}

/* A reason's name: lower-case letters, shorter than VOCAB_NAME_MAX. */
static int
good_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= VOCAB_NAME_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return (0);
	return (1);
}

/* Enter id into the hash index. */
static void
index_add(struct vocab *v, int id)
{
	size_t h;

	for (h = word_hash(v->name[id]); v->slot[h] != 0;
	    h = (h + 1) & (VOCAB_SLOTS - 1))
		;
	v->slot[h] = (unsigned char)(id + 1);
}

/*
 * Entry i of [reasons], "NAME [hard | hard-on-5] [implies D.D]": its id
 * (the R_* one for a reason the programs name, else the next free one),
 * name and properties.
 */
static int
entry(struct vocab *v, const struct rlist *l, size_t i, const char *e,
    char *err, size_t errlen)
{
	char buf[256], *w, *save, *word;
	size_t n = strcspn(e, " \t");
	int id, k;

	if (!good_name(e, n))
		return (rlist_error(l, "reasons", i, err, errlen, "\"%.*s\": "
		    "a reason is 1 to %d lower-case letters", (int)(n < 40 ?
		    n : 40), e, VOCAB_NAME_MAX - 1));
	memcpy(buf, e, n);
	buf[n] = '\0';
	if (vocab_reason(v, buf) != R_NONE)
		return (rlist_error(l, "reasons", i, err, errlen,
		    "\"%s\" twice", buf));
	for (id = R_NONE, k = 0; k < R_NFIXED; k++)
		if (strcmp(named[k], buf) == 0)
			id = k;
	if (id == R_NONE) {
		if (v->n >= VOCAB_MAX)
			return (rlist_error(l, "reasons", i, err, errlen,
			    "more than %d reasons", VOCAB_MAX));
		id = v->n++;
	}
	memcpy(v->name[id], buf, n + 1);
	index_add(v, id);
	if (strlen(e + n) >= sizeof(buf))
		return (rlist_error(l, "reasons", i, err, errlen,
		    "\"%s\": entry too long", v->name[id]));
	snprintf(buf, sizeof(buf), "%s", e + n);
	for (w = strtok_r(buf, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "hard") == 0 && v->hard[id] == HARD_NO)
			v->hard[id] = HARD_ALWAYS;
		else if (strcmp(w, "hard-on-5") == 0 && v->hard[id] == HARD_NO)
			v->hard[id] = HARD_ON_5;
		else if (strcmp(w, "implies") == 0 && v->implied[id][0] ==
		    '\0' && (word = strtok_r(NULL, " \t", &save)) != NULL &&
		    subject_detail(word))
			memcpy(v->implied[id], word, strlen(word) + 1);
		else
			return (rlist_error(l, "reasons", i, err, errlen,
			    "\"%s\": want NAME [hard | hard-on-5] "
			    "[implies D.D]", v->name[id]));
	}
	return (0);
}

struct vocab *
vocab_load(const char *dir, char *err, size_t errlen)
{
	struct vocab *v;
	struct rlist *l;
	const char *const *e;
	size_t i, n;
	int k;

	if ((l = rlist_load(dir, VOCAB_FILE, err, errlen)) == NULL)
		return (NULL);
	if (rlist_need(l, "reasons", err, errlen) == -1) {
		rlist_free(l);
		return (NULL);
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		rlist_free(l);
		snprintf(err, errlen, "%s/%s:0: out of memory", dir,
		    VOCAB_FILE);
		return (NULL);
	}
	v->n = R_NFIXED;
	e = rlist_get(l, "reasons", &n);
	for (i = 0; i < n; i++)
		if (entry(v, l, i, e[i], err, errlen) == -1)
			goto fail;
	for (k = 0; k < R_NFIXED; k++)
		if (v->name[k][0] == '\0') {
			snprintf(err, errlen, "%s/%s:0: [reasons]: no \"%s\" "
			    "(a reason the programs name)", dir, VOCAB_FILE,
			    named[k]);
			goto fail;
		}
	rlist_free(l);
	return (v);
fail:
	rlist_free(l);
	free(v);
	return (NULL);
}

void
vocab_free(struct vocab *v)
{
	free(v);
}
