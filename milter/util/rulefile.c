/*
 * rulefile.c - the one line reader and regex dialect of the rule files
 *
 * SYNOPSIS
 *	int	rf_open(struct rf *f, const char *dir, const char *name,
 *		    char *err, size_t errlen);
 *	char	*rf_next(struct rf *f);
 *	int	rf_error(struct rf *f, char *err, size_t errlen,
 *		    const char *fmt, ...);
 *	int	rf_end(struct rf *f, char *err, size_t errlen);
 *	void	rf_close(struct rf *f);
 *	int	rf_list(const char *dir, const char *suffix, char **names,
 *		    size_t max, char *err, size_t errlen);
 *	void	rf_list_free(char **names, size_t n);
 *	pcre2_code *rx_compile_msg(const char *re, size_t len, char *err,
 *		    size_t errlen);
 *	pcre2_code *rx_compile(const char *re, size_t len, struct rf *f,
 *		    char *err, size_t errlen);
 *	int	rx_scratch_init(struct rx_scratch *sc);
 *	void	rx_scratch_free(struct rx_scratch *sc);
 *	pcre2_match_context *rx_limits(void);
 *	int	rx_match(const pcre2_code *re, const char *s, size_t len,
 *		    struct rx_scratch *sc);
 *
 * DESCRIPTION
 *	See rulefile.h.  The rule files are small, line-based text an
 *	administrator edits: a line whose first non-blank character is '#'
 *	is a comment, blank lines are ignored, every error names the file
 *	and line.  Patterns are PCRE2 in the dialect of rules/README,
 *	compiled once, JIT compiled where available, and matched by
 *	rx_match() under a match limit and a depth limit, so a bad pattern
 *	costs bounded time.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulefile.h"

/* Bounds for one match: generous for sane patterns, fatal to runaways. */
#define RX_MATCH_LIMIT	200000
#define RX_DEPTH_LIMIT	2000
#define RX_HEAP_LIMIT	1024	/* KiB */
#define RX_PARENS_LIMIT	64	/* nesting of ( ) in one pattern */

int
rf_open(struct rf *f, const char *dir, const char *name, char *err,
    size_t errlen)
{
	memset(f, 0, sizeof(*f));
	if ((size_t)snprintf(f->path, sizeof(f->path), "%s/%s", dir, name) >=
	    sizeof(f->path)) {
		snprintf(err, errlen, "%s/%s:0: path too long", dir, name);
		return (-1);
	}
	if ((f->fp = fopen(f->path, "r")) == NULL) {
		snprintf(err, errlen, "%s:0: %s", f->path, strerror(errno));
		return (-1);
	}
	return (0);
}

char *
rf_next(struct rf *f)
{
	char *p, *e;
	size_t n;

	while (!f->failed && fgets(f->buf, sizeof(f->buf), f->fp) != NULL) {
		f->line++;
		n = strlen(f->buf);
		if (n > 0 && f->buf[n - 1] != '\n' && !feof(f->fp)) {
			f->failed = 1;	/* longer than RF_MAXLINE */
			return (NULL);
		}
		for (e = f->buf + n; e > f->buf && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		for (p = f->buf; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		return (f->buf);
	}
	if (ferror(f->fp))
		f->failed = 2;
	return (NULL);
}

int
rf_error(struct rf *f, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", f->path, f->line, msg);
	return (-1);
}

int
rf_end(struct rf *f, char *err, size_t errlen)
{
	if (!f->failed)
		return (0);
	return (rf_error(f, err, errlen, f->failed == 1 ? "line too long" :
	    "read error"));
}

void
rf_close(struct rf *f)
{
	if (f->fp != NULL)
		fclose(f->fp);
	f->fp = NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
rf_list(const char *dir, const char *suffix, char **names, size_t max,
    char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	size_t nn = 0, len, sl = strlen(suffix);
	int e;

	if ((d = opendir(dir)) == NULL) {
		e = errno;
		snprintf(err, errlen, "%s:0: %s", dir, strerror(e));
		errno = e;
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= sl ||
		    strcmp(de->d_name + len - sl, suffix) != 0)
			continue;
		if (nn == max) {
			snprintf(err, errlen, "%s:0: more than %zu files", dir,
			    max);
			goto fail;
		}
		if ((names[nn] = strdup(de->d_name)) == NULL) {
			snprintf(err, errlen, "%s:0: out of memory", dir);
			goto fail;
		}
		nn++;
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), name_cmp);
	return ((int)nn);
fail:
	closedir(d);
	rf_list_free(names, nn);
	errno = 0;
	return (-1);
}

void
rf_list_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
}

/*
 * The limits every pattern of rules/ runs and compiles with, made once:
 * a match context (match, depth and heap limits) for every caller that
 * does not keep its own (the format parsers: fmt_rx.c), and a compile
 * context (nesting of parentheses, pattern length).  Read-only once made,
 * so threads share them.
 */
static pcre2_match_context *lim_mc;
static pcre2_compile_context *lim_cc;
static pthread_once_t lim_once = PTHREAD_ONCE_INIT;

static void
lim_init(void)
{
	if ((lim_mc = pcre2_match_context_create(NULL)) != NULL) {
		pcre2_set_match_limit(lim_mc, RX_MATCH_LIMIT);
		pcre2_set_depth_limit(lim_mc, RX_DEPTH_LIMIT);
		pcre2_set_heap_limit(lim_mc, RX_HEAP_LIMIT);
	}
	if ((lim_cc = pcre2_compile_context_create(NULL)) != NULL) {
		pcre2_set_parens_nest_limit(lim_cc, RX_PARENS_LIMIT);
		pcre2_set_max_pattern_length(lim_cc, RF_MAXLINE);
	}
}

pcre2_match_context *
rx_limits(void)
{
	(void)pthread_once(&lim_once, lim_init);
	return (lim_mc);
}

pcre2_code *
rx_compile_msg(const char *re, size_t len, char *err, size_t errlen)
{
	pcre2_code *c;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int ec;

	(void)pthread_once(&lim_once, lim_init);
	if (lim_mc == NULL || lim_cc == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	c = pcre2_compile((PCRE2_SPTR)re, len, RX_OPTIONS, &ec, &off, lim_cc);
	if (c == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "bad pattern at offset %zu: %s",
		    (size_t)off, (char *)msg);
		return (NULL);
	}
	return (c);
}

pcre2_code *
rx_compile(const char *re, size_t len, struct rf *f, char *err,
    size_t errlen)
{
	char msg[320];
	pcre2_code *c;

	if ((c = rx_compile_msg(re, len, msg, sizeof(msg))) == NULL)
		rf_error(f, err, errlen, "%s", msg);
	/* No JIT on this platform is fine: the interpreter obeys the limits. */
	else
		(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	return (c);
}

int
rx_scratch_init(struct rx_scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
	if ((sc->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (sc->mc = pcre2_match_context_create(NULL)) == NULL) {
		rx_scratch_free(sc);
		return (-1);
	}
	pcre2_set_match_limit(sc->mc, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(sc->mc, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(sc->mc, RX_HEAP_LIMIT);
	return (0);
}

void
rx_scratch_free(struct rx_scratch *sc)
{
	if (sc->md != NULL)
		pcre2_match_data_free(sc->md);
	if (sc->mc != NULL)
		pcre2_match_context_free(sc->mc);
	free(sc->hit);
	sc->md = NULL;
	sc->mc = NULL;
	sc->hit = NULL;
	sc->hitcap = 0;
	sc->hit_valid = 0;
}

int
rx_match(const pcre2_code *re, const char *s, size_t len,
    struct rx_scratch *sc)
{
	int rc;

	if (re == NULL || s == NULL)
		return (0);
	sc->nmatch++;
	/*
	 * The JIT entry skips pcre2_match()'s checks of the call (the same
	 * limits apply); a pattern the JIT did not compile is matched by
	 * the interpreter.
	 */
	rc = pcre2_jit_match(re, (PCRE2_SPTR)s, len, 0, 0, sc->md, sc->mc);
	if (rc == PCRE2_ERROR_JIT_BADOPTION)
		rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, sc->md, sc->mc);
	return (rc >= 0);
}
