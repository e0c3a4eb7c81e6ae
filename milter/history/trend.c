/*
 * trend.c - sliding-window bounce counters per domain and cause; see trend.h
 *
 * Each rule (rules/trends, read by trendrule.c and copied here at
 * trend_new()) names a cause and what is counted for it: distinct
 * addresses per recipient domain, or distinct recipient domains over
 * all.  A counter (struct tkey) keeps one entry per distinct item
 * seen within the window, with the time it was last seen; entries older
 * than the window fall out when the counter is next touched.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "rules.h"
#include "trend.h"

#define TREND_NAME_MAX	255

/* A rule of rules/trends, copied: the trend outlives the rules set. */
struct trule {
	char		*cause;
	enum trend_by	 by;
	int		 threshold;	/* 0: off */
	char		*hint;
};

struct tent {
	uint64_t	 h;		/* hash of the item */
	time_t		 t;		/* last seen */
	char		*name;		/* TREND_BY_DOMAIN only */
};

struct tkey {
	size_t		 rule;
	char		*name;		/* domain, or "*" */
	struct tent	*ent;
	size_t		 nent;
	size_t		 cap;
	time_t		 fired;		/* last time it fired; 0 never */
	int		 has_fired;
	time_t		 last;		/* last event */
};

struct trend {
	pthread_mutex_t	 mu;
	int		 window;
	struct trule	 rules[TREND_MAX_RULES];
	size_t		 nrules;
	struct tkey	*keys[TREND_MAX_KEYS];
	size_t		 nkeys;
	size_t		 nent;		/* entries in all counters */
	unsigned long	 dropped;
};

static uint64_t
hash_lower(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 1099511628211ULL;
	}
	return (h);
}

static int
clamp_threshold(int n)
{
	if (n <= 0)
		return (0);
	return (n > TREND_MAX_THRESHOLD ? TREND_MAX_THRESHOLD : n);
}

static void
rules_drop(struct trend *t)
{
	size_t i;

	for (i = 0; i < t->nrules; i++) {
		free(t->rules[i].cause);
		free(t->rules[i].hint);
	}
	t->nrules = 0;
}

static int
window_of(const struct config *c)
{
	struct config def;

	if (c == NULL) {
		config_defaults(&def);
		return (def.trends.window);
	}
	return (c->trends.window);
}

struct trend *
trend_new(const struct rules *rules, const struct config *c)
{
	const struct trend_rule *tr;
	struct trend *t;
	size_t i, n;

	if (window_of(c) <= 0)
		return (NULL);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return (NULL);
	}
	t->window = window_of(c);
	tr = trend_rules_get(rules, &n);
	for (i = 0; i < n && i < TREND_MAX_RULES; i++) {
		t->rules[i].by = tr[i].by;
		t->rules[i].threshold = clamp_threshold(
		    trend_rule_threshold(&tr[i], c));
		t->rules[i].cause = strdup(tr[i].cause);
		t->rules[i].hint = strdup(tr[i].hint);
		t->nrules++;
		if (t->rules[i].cause == NULL || t->rules[i].hint == NULL) {
			trend_free(t);
			return (NULL);
		}
	}
	return (t);
}

int
trend_differs(const struct trend *t, const struct rules *rules,
    const struct config *c)
{
	const struct trend_rule *tr;
	size_t i, n;

	if (t == NULL)
		return (0);
	tr = trend_rules_get(rules, &n);
	if (t->window != window_of(c) || t->nrules != n)
		return (1);
	for (i = 0; i < n; i++)
		if (t->rules[i].by != tr[i].by ||
		    t->rules[i].threshold !=
		    clamp_threshold(trend_rule_threshold(&tr[i], c)) ||
		    strcmp(t->rules[i].cause, tr[i].cause) != 0 ||
		    strcmp(t->rules[i].hint, tr[i].hint) != 0)
			return (1);
	return (0);
}

static void
key_free(struct trend *t, struct tkey *k)
{
	size_t i;

	t->nent -= k->nent;
	for (i = 0; i < k->nent; i++)
		free(k->ent[i].name);
	free(k->ent);
	free(k->name);
	free(k);
}

void
trend_free(struct trend *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nkeys; i++)
		key_free(t, t->keys[i]);
	rules_drop(t);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

unsigned long
trend_dropped(struct trend *t)
{
	unsigned long n;

	pthread_mutex_lock(&t->mu);
	n = t->dropped;
	pthread_mutex_unlock(&t->mu);
	return (n);
}

/* Drop the entries of k last seen before the window ending at now. */
static void
key_expire(struct trend *t, struct tkey *k, time_t now, int window)
{
	size_t i, j;

	for (i = j = 0; i < k->nent; i++) {
		if (k->ent[i].t > now - window) {
			k->ent[j++] = k->ent[i];
			continue;
		}
		free(k->ent[i].name);
	}
	t->nent -= k->nent - j;
	k->nent = j;
}

/* A counter is idle when nothing in it is inside the window and it
   cannot be holding back a repeat (it fired more than a window ago). */
static int
key_idle(const struct tkey *k, time_t now, int window)
{
	return (k->last <= now - window &&
	    (!k->has_fired || k->fired <= now - window));
}

static struct tkey *
key_get(struct trend *t, size_t rule, const char *fullname, time_t now)
{
	struct tkey *k;
	char name[TREND_NAME_MAX + 1];
	size_t i, j;

	snprintf(name, sizeof(name), "%s", fullname);	/* cut as stored */

	for (i = 0; i < t->nkeys; i++) {
		k = t->keys[i];
		if (k->rule == rule && strcasecmp(k->name, name) == 0)
			return (k);
	}
	if (t->nkeys == TREND_MAX_KEYS) {
		for (i = j = 0; i < t->nkeys; i++) {
			if (key_idle(t->keys[i], now, t->window))
				key_free(t, t->keys[i]);
			else
				t->keys[j++] = t->keys[i];
		}
		t->nkeys = j;
		if (t->nkeys == TREND_MAX_KEYS)
			return (NULL);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	if ((k->name = strdup(name)) == NULL) {
		free(k);
		return (NULL);
	}
	k->rule = rule;
	t->keys[t->nkeys++] = k;
	return (k);
}

/* Count item in k at time now; 0, or -1 when memory ran out. */
static int
key_add(struct trend *t, struct tkey *k, const char *item, int by_name,
    time_t now, size_t limit)
{
	uint64_t h = hash_lower(item);
	struct tent *e;
	size_t i, old;
	size_t cap;

	for (i = 0; i < k->nent; i++) {
		if (k->ent[i].h == h) {
			if (now > k->ent[i].t)
				k->ent[i].t = now;
			return (0);
		}
	}
	if (k->nent == limit) {
		/* full: the least recently seen entry makes room */
		for (old = 0, i = 1; i < k->nent; i++)
			if (k->ent[i].t < k->ent[old].t)
				old = i;
		free(k->ent[old].name);
		k->ent[old] = k->ent[--k->nent];
		t->nent--;
	}
	if (t->nent >= TREND_MAX_ENTRIES)
		return (-1);
	if (k->nent == k->cap) {
		cap = k->cap ? k->cap * 2 : 8;
		if (cap > limit)
			cap = limit;
		if ((e = realloc(k->ent, cap * sizeof(*e))) == NULL)
			return (-1);
		k->ent = e;
		k->cap = cap;
	}
	e = &k->ent[k->nent];
	e->h = h;
	e->t = now;
	e->name = NULL;
	if (by_name && (e->name = strndup(item, TREND_NAME_MAX)) == NULL)
		return (-1);
	k->nent++;
	t->nent++;
	return (0);
}

/* A log value: bare when made of safe characters, else quoted. */
static void
put_value(char *line, size_t len, size_t *off, const char *v)
{
	const unsigned char *p;
	int bare = *v != '\0';
	size_t o = *off;

#define PUTC(c) do { if (o + 1 < len) line[o++] = (char)(c); } while (0)
	for (p = (const unsigned char *)v; *p && bare; p++)
		if (!isalnum(*p) && strchr(".-_+@*,", *p) == NULL)
			bare = 0;
	if (!bare)
		PUTC('"');
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			PUTC(' ');
			continue;
		}
		if (!bare && (*p == '"' || *p == '\\'))
			PUTC('\\');
		PUTC(*p);
	}
	if (!bare)
		PUTC('"');
	line[o] = '\0';
	*off = o;
#undef PUTC
}

static void
put_raw(char *line, size_t len, size_t *off, const char *s)
{
	int n;

	if (*off >= len)
		return;
	n = snprintf(line + *off, len - *off, "%s", s);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

static void
format_line(char *line, size_t len, const struct trend *t,
    const struct tkey *k)
{
	char num[64];
	size_t off = 0, i;

	if (len == 0)
		return;
	line[0] = '\0';
	put_raw(line, len, &off, "trend domain=");
	put_value(line, len, &off, k->name);
	put_raw(line, len, &off, " cause=");
	put_value(line, len, &off, t->rules[k->rule].cause);
	snprintf(num, sizeof(num), " count=%zu window=%d hint=", k->nent,
	    t->window);
	put_raw(line, len, &off, num);
	put_value(line, len, &off, t->rules[k->rule].hint);
	if (t->rules[k->rule].by == TREND_BY_DOMAIN && k->nent > 0) {
		put_raw(line, len, &off, " domains=");
		for (i = 0; i < k->nent; i++) {
			if (i)
				put_raw(line, len, &off, ",");
			put_value(line, len, &off, k->ent[i].name);
		}
	}
}

int
trend_note(struct trend *t, const char *domain, const char *cause,
    const char *rcpt, time_t when, char *line, size_t len)
{
	const struct trule *tr;
	struct tkey *k;
	const char *item, *name;
	time_t now;
	size_t r;
	int fired = 0;

	if (len > 0)
		line[0] = '\0';
	if (t == NULL || domain == NULL || cause == NULL || *domain == '\0')
		return (0);
	pthread_mutex_lock(&t->mu);
	for (r = 0; r < t->nrules && !fired; r++) {
		tr = &t->rules[r];
		if (tr->threshold == 0 || strcmp(cause, tr->cause) != 0)
			continue;
		if (tr->by == TREND_BY_ADDRESS) {
			name = domain;
			item = rcpt;
		} else {
			name = "*";
			item = domain;
		}
		if (item == NULL || *item == '\0')
			continue;
		if ((k = key_get(t, r, name, when)) == NULL) {
			t->dropped++;
			continue;
		}
		now = when > k->last ? when : k->last;
		key_expire(t, k, now, t->window);
		if (when <= now - t->window)
			continue;		/* older than the window */
		if (key_add(t, k, item, tr->by == TREND_BY_DOMAIN, when,
		    (size_t)tr->threshold) == -1) {
			t->dropped++;
			continue;
		}
		if (when > k->last)
			k->last = when;
		if (k->nent >= (size_t)tr->threshold &&
		    (!k->has_fired || when >= k->fired + t->window)) {
			k->fired = when;
			k->has_fired = 1;
			format_line(line, len, t, k);
			fired = 1;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return (fired);
}
