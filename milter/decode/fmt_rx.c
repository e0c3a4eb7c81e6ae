/*
 * fmt_rx.c - the format engine's patterns and pattern lists; see fmt.h
 *
 * SYNOPSIS
 *	struct fmt_rx *fmt_rx_compile(const char *pat, char *err,
 *		    size_t errlen);
 *	const struct rxlit *fmt_rx_lits(const struct fmt_rx *rx);
 *	void	fmt_rx_free(struct fmt_rx *rx);
 *	int	fmt_rx_match(const struct fmt_rx *rx, const char *s, size_t n,
 *		    struct fmt_match *m);
 *	int	fmt_rx_match_raw(const struct fmt_rx *rx, const char *s,
 *		    size_t n, struct fmt_match *m);
 *	int	fmt_rxv_any(const struct fmt_rxv *l, const char *s, size_t n,
 *		    struct fmt_match *m, size_t *which);
 *	void	fmt_rxv_free(struct fmt_rxv *l);
 *	void	fmt_thread_done(void);
 *
 * DESCRIPTION
 *	fmt_rx_compile()/fmt_rx_match(): PCRE2 patterns in the dialect of
 *	every rules file (rx_compile_msg(), rulefile.h) with the engine's
 *	named groups;
 *	on a line or a header, the literals a match must contain
 *	(rx_literals(), litscan.h) are looked for first, and most patterns
 *	end there without a PCRE2 call.  fmt_rx_lits() gives those
 *	literals; fmt_rx_match_raw() matches without looking for them (the
 *	caller knows one is there).  A line pattern is not run where no
 *	line can start a match (its first bytes and minimum length, asked
 *	of PCRE2 at compile time).  A pattern is JIT-compiled when it first
 *	runs; each thread keeps its own match data, which fmt_thread_done()
 *	frees (for leak checkers at a program's end).
 *
 *	fmt_rxv_any() is 1 when a pattern of the list l matches s[0..n)
 *	(the first one fills m, its index goes to *which; either may be
 *	NULL); fmt_rxv_free() frees the list's patterns, arguments and
 *	arrays, not l itself.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "litscan.h"
#include "rulefile.h"

struct fmt_rx {
	pcre2_code	*re;
	int		 grp[FG_NGROUPS];	/* group number, 0 when absent */
	struct rxlit	 lits;		/* every match contains one */
	size_t		 minlen;	/* no match in a shorter subject */
	int		 atline;	/* every match starts a line */
	int		 empty;		/* when atline: "" matches */
	/*
	 * JIT-compiled when the pattern first runs (rx_jit()), not at
	 * load: a process that decodes one message runs few of the
	 * patterns, and their JIT compiles were most of the load's time.
	 * 0 not yet, 1 JIT code, -1 none (the interpreter).
	 */
	_Atomic int	 jit;
	unsigned char	 first[256 / 8];	/* when atline: bytes that
					   may start a match */
};

static const char *const group_names[FG_NGROUPS] = {
	"addr", "diag", "status", "reply", "rhost", "cmd"
};

#define FMT_OVEC	64	/* capture pairs a pattern may use */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static int md_ok;

static void
md_free(void *p)
{
	pcre2_match_data_free(p);
}

static void
md_init(void)
{
	md_ok = pthread_key_create(&md_key, md_free) == 0;
}

/*
 * This thread's match data (the key frees it when the thread ends), and
 * a thread-local copy of the pointer: pthread_once() and
 * pthread_getspecific() on every match cost more than the test.
 */
static _Thread_local pcre2_match_data *md_this;

/* This thread's match data, made once and freed when the thread ends. */
static pcre2_match_data *
md_get(void)
{
	pcre2_match_data *md;

	if (md_this != NULL)
		return (md_this);
	(void)pthread_once(&md_once, md_init);
	if (!md_ok)
		return (NULL);
	if ((md = pthread_getspecific(md_key)) != NULL)
		return (md);
	if ((md = pcre2_match_data_create(FMT_OVEC, NULL)) == NULL)
		return (NULL);
	if (pthread_setspecific(md_key, md) != 0) {
		pcre2_match_data_free(md);
		return (NULL);
	}
	md_this = md;
	return (md);
}

/* For a program's end (leak checkers): this thread's match data. */
void
fmt_thread_done(void)
{
	pcre2_match_data *md;

	if (md_ok && (md = pthread_getspecific(md_key)) != NULL) {
		pcre2_match_data_free(md);
		(void)pthread_setspecific(md_key, NULL);
	}
	md_this = NULL;
}

/*
 * What the compiled pattern says about where its matches start, for
 * rx_may().  Most line patterns begin with ^ (multi-line mode): PCRE2
 * then reports that every match starts the subject or follows a LF,
 * and the first byte there decides much.  Which bytes may start a match
 * is asked of PCRE2 itself: a one-byte subject, matched at its start
 * with hard partial matching, fails only when no match can begin with
 * that byte.  Bytes past ASCII (UTF-8 sequences, caseless folds such as
 * the Kelvin sign) are all allowed.  A lookbehind could look past the
 * line's start, a newline convention other than LF would add line
 * starts: then nothing is assumed.
 */
static void
rx_starts(struct fmt_rx *rx)
{
	pcre2_match_data *md;
	uint32_t ml = 0, fct = 0, lb = 1, nl = 0;
	unsigned char b;
	int rc, c;

	if (pcre2_pattern_info(rx->re, PCRE2_INFO_MINLENGTH, &ml) == 0)
		rx->minlen = ml;
	/*
	 * The 128 matches cost time at load: only for the patterns that
	 * have no literals (litscan.h) to rule out lines by.
	 */
	if (rx->lits.n > 0)
		return;
	if (pcre2_pattern_info(rx->re, PCRE2_INFO_FIRSTCODETYPE, &fct) != 0 ||
	    pcre2_pattern_info(rx->re, PCRE2_INFO_MAXLOOKBEHIND, &lb) != 0 ||
	    pcre2_pattern_info(rx->re, PCRE2_INFO_NEWLINE, &nl) != 0 ||
	    fct != 2 || lb != 0 || nl != PCRE2_NEWLINE_LF)
		return;
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return;
	memset(rx->first, 0xff, sizeof(rx->first));
	for (c = 0; c < 128; c++) {
		b = (unsigned char)c;
		rc = pcre2_match(rx->re, &b, 1, 0, PCRE2_ANCHORED |
		    PCRE2_PARTIAL_HARD | PCRE2_NO_JIT, md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			rx->first[c >> 3] &= (unsigned char)~(1u << (c & 7));
	}
	rc = pcre2_match(rx->re, (PCRE2_SPTR)"", 0, 0, PCRE2_ANCHORED |
	    PCRE2_NO_JIT, md, NULL);
	rx->empty = rc != PCRE2_ERROR_NOMATCH;
	pcre2_match_data_free(md);
	rx->atline = 1;
}

/*
 * Can rx match s[0..n)?  No when s is shorter than any match, or when
 * every match starts a line and no line of s starts with a byte that
 * may begin one: a test that costs far less than a pcre2_match() call
 * on the many lines a line pattern does not fit.
 */
static int
rx_may(const struct fmt_rx *rx, const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	unsigned char b;

	if (n < rx->minlen)
		return (0);
	if (!rx->atline)
		return (1);
	if (n == 0)
		return (rx->empty);
	for (;;) {
		b = (unsigned char)*p;
		if (rx->first[b >> 3] & (1u << (b & 7)))
			return (1);
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return (0);
		if (++p == end)		/* after a final LF */
			return (rx->empty);
	}
}

struct fmt_rx *
fmt_rx_compile(const char *pat, char *err, size_t errlen)
{
	struct fmt_rx *rx;
	int i, n;

	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	/* the one dialect of every rules file (rulefile.h) */
	if ((rx->re = rx_compile_msg(pat, strlen(pat), err, errlen)) == NULL) {
		free(rx);
		return (NULL);
	}
	(void)rx_literals(pat, strlen(pat), RXL_UTF, &rx->lits);
	rx_starts(rx);
	for (i = 0; i < FG_NGROUPS; i++) {
		n = pcre2_substring_number_from_name(rx->re,
		    (PCRE2_SPTR)group_names[i]);
		rx->grp[i] = n > 0 ? n : 0;
	}
	return (rx);
}

/* The literals one of which every match contains (see litscan.h). */
const struct rxlit *
fmt_rx_lits(const struct fmt_rx *rx)
{
	return (&rx->lits);
}

void
fmt_rx_free(struct fmt_rx *rx)
{
	if (rx == NULL)
		return;
	pcre2_code_free(rx->re);
	free(rx);
}

/*
 * Match s[0..n) against rx.  Returns 1 on a match (m filled when not
 * NULL), 0 otherwise.  Bounded by PCRE2's default match limits.
 */
int
fmt_rx_match(const struct fmt_rx *rx, const char *s, size_t n,
    struct fmt_match *m)
{
	if (rx == NULL || s == NULL)
		return (0);
	/*
	 * The subject is searched for one of the pattern's literals first:
	 * most patterns do not match most texts, and the search (memchr on
	 * the literal's rarest byte) costs less than a match call, also on
	 * a whole body.
	 */
	if (rx->lits.n > 0 && !rxlit_find(&rx->lits, s, n))
		return (0);
	/* a pattern of non-ASCII words (Cyrillic, CJK) on ASCII text */
	if (rx->lits.high && !rxlit_high(s, n))
		return (0);
	return (fmt_rx_match_raw(rx, s, n, m));
}

/*
 * Is rx JIT-compiled?  The first call JIT-compiles it, under a lock: no
 * thread reads the pattern's code before that is done (each one that
 * finds jit 0 waits here), so a pattern is matched by the JIT code from
 * its first match on, as when it was JIT-compiled at load.
 */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

static int
rx_jit(const struct fmt_rx *crx)
{
	struct fmt_rx *rx = (struct fmt_rx *)(uintptr_t)crx;
	size_t jitsize = 0;
	int st;

	if ((st = atomic_load_explicit(&rx->jit, memory_order_acquire)) != 0)
		return (st > 0);
	(void)pthread_mutex_lock(&jit_lock);
	if ((st = atomic_load_explicit(&rx->jit, memory_order_relaxed)) ==
	    0) {
		/* no JIT on this platform is fine: the interpreter obeys
		   the limits */
		(void)pcre2_jit_compile(rx->re, PCRE2_JIT_COMPLETE);
		st = pcre2_pattern_info(rx->re, PCRE2_INFO_JITSIZE,
		    &jitsize) == 0 && jitsize > 0 ? 1 : -1;
		atomic_store_explicit(&rx->jit, st, memory_order_release);
	}
	(void)pthread_mutex_unlock(&jit_lock);
	return (st > 0);
}

/*
 * fmt_rx_match() without the literal prefilter: for a caller that knows
 * already that s holds one of the pattern's literals (fmt_rx_lits()).
 */
int
fmt_rx_match_raw(const struct fmt_rx *rx, const char *s, size_t n,
    struct fmt_match *m)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int rc, i, g;

	if (rx == NULL || s == NULL || !rx_may(rx, s, n))
		return (0);
	if ((md = md_get()) == NULL)
		return (0);
	/* the JIT entry itself skips pcre2_match()'s checks of the call;
	   both run with the limits of every rules pattern (rx_limits()) */
	if (rx_jit(rx))
		rc = pcre2_jit_match(rx->re, (PCRE2_SPTR)s, n, 0, 0, md,
		    rx_limits());
	else
		rc = pcre2_match(rx->re, (PCRE2_SPTR)s, n, 0, 0, md,
		    rx_limits());
	if (rc < 0)
		return (0);
	if (rc == 0)		/* ovector too small: groups past it unset */
		rc = FMT_OVEC;
	if (m != NULL) {
		ov = pcre2_get_ovector_pointer(md);
		memset(m, 0, sizeof(*m));
		m->start = ov[0];
		m->end = ov[1];
		for (i = 0; i < FG_NGROUPS; i++) {
			g = rx->grp[i];
			if (g == 0 || g >= rc || ov[2 * g] == PCRE2_UNSET)
				continue;
			m->s[i] = s + ov[2 * g];
			m->n[i] = ov[2 * g + 1] - ov[2 * g];
		}
	}
	return (1);
}

/* First pattern of l matching s[0..n); its index in *which. */
int
fmt_rxv_any(const struct fmt_rxv *l, const char *s, size_t n,
    struct fmt_match *m, size_t *which)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (fmt_rx_match(l->v[i], s, n, m)) {
			if (which != NULL)
				*which = i;
			return (1);
		}
	return (0);
}

/* The patterns of l, their arguments and lists; l itself is not freed. */
void
fmt_rxv_free(struct fmt_rxv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		fmt_rx_free(l->v[i]);
		free(l->arg[i]);
	}
	free(l->v);
	free(l->arg);
	free(l->hid);
	free(l->ltag);
}
