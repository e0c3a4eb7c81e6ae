/*
 * rulelist.c - the lists of words and phrases under rules/, as data
 *
 * SYNOPSIS
 *	struct rlist *rlist_load(const char *dir, const char *name,
 *		    char *err, size_t errlen);
 *	const char *const *rlist_get(const struct rlist *l,
 *		    const char *section, size_t *n);
 *	int	rlist_need(const struct rlist *l, const char *section,
 *		    char *err, size_t errlen);
 *	int	rlist_error(const struct rlist *l, const char *section,
 *		    size_t i, char *err, size_t errlen, const char *fmt,
 *		    ...);
 *	int	rlist_host_under(const char *host, size_t hostlen,
 *		    const char *const *v, size_t n);
 *	void	rlist_free(struct rlist *l);
 *
 * DESCRIPTION
 *	See rulelist.h.  Sections are few (a handful a file), so they are
 *	kept in an array and found by name with a linear search at load;
 *	a caller keeps the entries it needs (rlist_get()) instead of
 *	looking them up per message.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rulefile.h"
#include "rulelist.h"

#define RLIST_MAXSECT	64

struct rsect {
	char		*name;
	char		**v;
	int		*line;		/* the line of each entry */
	size_t		 n;
};

struct rlist {
	char		 path[1024];
	struct rsect	 s[RLIST_MAXSECT];
	size_t		 ns;
};

static const char *const empty[] = { NULL };

static struct rsect *
find(const struct rlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->ns; i++)
		if (strcmp(l->s[i].name, name) == 0)
			return ((struct rsect *)&l->s[i]);
	return (NULL);
}

static int
add(struct rsect *s, const char *e, int line)
{
	char **v;
	int *ln;

	if ((v = realloc(s->v, (s->n + 2) * sizeof(*v))) == NULL)
		return (-1);
	s->v = v;
	if ((ln = realloc(s->line, (s->n + 1) * sizeof(*ln))) == NULL)
		return (-1);
	s->line = ln;
	if ((v[s->n] = strdup(e)) == NULL)
		return (-1);
	ln[s->n] = line;
	v[++s->n] = NULL;
	return (0);
}

struct rlist *
rlist_load(const char *dir, const char *name, char *err, size_t errlen)
{
	struct rlist *l;
	struct rsect *cur = NULL;
	struct rf f;
	char *line, *end;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "%s/%s:0: out of memory", dir, name);
		return (NULL);
	}
	if (rf_open(&f, dir, name, err, errlen) == -1) {
		free(l);
		return (NULL);
	}
	snprintf(l->path, sizeof(l->path), "%s", f.path);
	while ((line = rf_next(&f)) != NULL) {
		while (isspace((unsigned char)*line))
			line++;
		if (*line != '[') {
			if (cur == NULL) {
				rf_error(&f, err, errlen, "entry before the "
				    "first [section]");
				goto fail;
			}
			if (add(cur, line, f.line) == -1) {
				rf_error(&f, err, errlen, "out of memory");
				goto fail;
			}
			continue;
		}
		if ((end = strchr(line, ']')) == NULL || end[1] != '\0' ||
		    end == line + 1) {
			rf_error(&f, err, errlen, "bad section header");
			goto fail;
		}
		*end = '\0';
		if (find(l, line + 1) != NULL) {
			rf_error(&f, err, errlen, "[%s] seen before", line + 1);
			goto fail;
		}
		if (l->ns == RLIST_MAXSECT) {
			rf_error(&f, err, errlen, "too many sections");
			goto fail;
		}
		cur = &l->s[l->ns];
		if ((cur->name = strdup(line + 1)) == NULL ||
		    add(cur, "", f.line) == -1) {
			rf_error(&f, err, errlen, "out of memory");
			goto fail;
		}
		/* the "" placeholder only made v non-NULL */
		free(cur->v[0]);
		cur->v[0] = NULL;
		cur->n = 0;
		l->ns++;
	}
	if (rf_end(&f, err, errlen) == -1)
		goto fail;
	rf_close(&f);
	return (l);
fail:
	if (cur != NULL && cur == &l->s[l->ns])
		l->ns++;	/* free the half-made section too */
	rf_close(&f);
	rlist_free(l);
	return (NULL);
}

const char *const *
rlist_get(const struct rlist *l, const char *section, size_t *n)
{
	const struct rsect *s = l != NULL ? find(l, section) : NULL;

	if (n != NULL)
		*n = s != NULL ? s->n : 0;
	return (s != NULL ? (const char *const *)s->v : empty);
}

int
rlist_need(const struct rlist *l, const char *section, char *err,
    size_t errlen)
{
	if (find(l, section) != NULL)
		return (0);
	snprintf(err, errlen, "%s:0: no [%s]", l->path, section);
	return (-1);
}

int
rlist_error(const struct rlist *l, const char *section, size_t i, char *err,
    size_t errlen, const char *fmt, ...)
{
	const struct rsect *s = find(l, section);
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s:%d: ", l->path,
	    s != NULL && i < s->n ? s->line[i] : 0);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

int
rlist_host_under(const char *host, size_t n, const char *const *v, size_t nv)
{
	size_t i, k;

	if (host == NULL)
		return (0);
	for (i = 0; i < nv; i++) {
		k = strlen(v[i]);
		if (n >= k + 2 && host[n - k - 1] == '.' &&
		    strncasecmp(host + n - k, v[i], k) == 0)
			return (1);
	}
	return (0);
}

void
rlist_free(struct rlist *l)
{
	size_t i, j;

	if (l == NULL)
		return;
	for (i = 0; i < l->ns; i++) {
		for (j = 0; j < l->s[i].n; j++)
			free(l->s[i].v[j]);
		free(l->s[i].v);
		free(l->s[i].line);
		free(l->s[i].name);
	}
	free(l);
}
