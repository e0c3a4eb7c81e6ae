/*
 * fmt_util.c - helpers shared by the bounce-format parsers; see fmt.h
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
 *	int	fmt_strcasestr(const char *s, size_t n, const char *needle);
 *	char	*fmt_addr(struct arena *a, const char *s, size_t n);
 *	char	*fmt_oneline(struct arena *a, const char *s, size_t n);
 *	char	*fmt_append(struct arena *a, const char *prev, const char *s,
 *		    size_t n);
 *	const char *fmt_header(const struct mime_part *p, const char *name);
 *	char	*fmt_header_decoded(struct fmt_ctx *c, const struct mime_part *p,
 *		    const char *name);
 *	int	fmt_status_find(const char *s, char out[16]);
 *	int	fmt_reply_find(const char *s, int cls, char out[4]);
 *	const char *fmt_command_find(const struct rules *rules,
 *		    const char *s);
 *	int	fmt_status_better(const char *f, const char *d);
 *	struct rcpt *fmt_rcpt_add(struct fmt_ctx *c);
 *	void	fmt_rcpt_finish(struct fmt_ctx *c, struct rcpt *rc);
 *	void	fmt_thread_done(void);
 *
 * DESCRIPTION
 *	fmt_rx_compile()/fmt_rx_match(): PCRE2 patterns in the dialect of
 *	every rules file (rx_compile_msg(), rulefile.h) with the engine's
 *	named groups;
 *	on a line or a header, the literals a match must contain
 *	(rx_literals(), litscan.h) are looked for first, and most patterns
 *	end there without a PCRE2 call.
 *	fmt_next_line() (inline, fmt.h): bounded line iteration over a
 *	buffer.
 *	fmt_addr(): a bare address from "rfc822; <a@b>" and similar.
 *	fmt_oneline(): white space collapsed, trimmed, one line.
 *	fmt_status_find(), fmt_reply_find(), fmt_command_find(): codes in
 *	diagnostic text.  fmt_rcpt_finish(): fill a recipient's derived
 *	fields (status, reply, command, action) from its diagnostic; a
 *	diagnostic in which the MTA says it gave up ("retry timeout
 *	exceeded", "Envelope expired", "in the queue too long") marks the
 *	recipient expired and failed, also when reported as delayed.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt.h"
#include "litscan.h"
#include "rulefile.h"
#include "smtpcmd.h"

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

/* Does s[0..n) contain needle, ignoring ASCII case? */
int
fmt_strcasestr(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;
	int lo, up;
	char low[64];

	if (k == 0 || k > n)
		return (k == 0);
	if (k <= sizeof(low)) {
		/* memchr() on the needle's rarest byte (litscan.c) */
		for (i = 0; i < k; i++)
			low[i] = (char)tolower((unsigned char)needle[i]);
		return (lit_find_ci(s, n, low, k, lit_anchor(low, k)));
	}
	lo = tolower((unsigned char)needle[0]);
	up = toupper((unsigned char)needle[0]);
	for (i = 0; i + k <= n; i++) {
		int ch = (unsigned char)s[i];

		if (ch != lo && ch != up)
			continue;
		if (strncasecmp(s + i + 1, needle + 1, k - 1) == 0)
			return (1);
	}
	return (0);
}

/*
 * Bit c set: byte c may be part of an address: above ' ', not DEL, not
 * one of < > ( ) , ; " ' [ ]  (a table: fmt_addr() asks for every byte).
 */
static const unsigned char addr_ok[32] = {
	0x00, 0x00, 0x00, 0x00, 0x7a, 0xec, 0xff, 0xa7,
	0xff, 0xff, 0xff, 0xd7, 0xff, 0xff, 0xff, 0x7f,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

#define addr_char(c)	(addr_ok[(c) >> 3] & (1u << ((c) & 7)))

/*
 * A bare address from s[0..n): drops an "rfc822;" style type, angle
 * brackets, quotes around the whole, a display name, trailing dots and
 * colons.  Prefers the first "<...@...>" when there is one; else the
 * first token holding "@"; else the first token.
 */
char *
fmt_addr(struct arena *a, const char *s, size_t n)
{
	const char *p, *e, *lt, *gt, *semi, *at, *b;
	size_t i;

	if (s == NULL)
		return (NULL);
	e = s + n;
	/* "rfc822; x" - a type is a short token without @ before ';' */
	if ((semi = memchr(s, ';', n)) != NULL && semi - s < 16 &&
	    memchr(s, '@', (size_t)(semi - s)) == NULL)
		s = semi + 1;
	/* <...@...> */
	for (p = s; p < e && (lt = memchr(p, '<', (size_t)(e - p))) != NULL;
	    p = lt + 1) {
		gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt == NULL)
			break;
		if (memchr(lt, '@', (size_t)(gt - lt)) != NULL) {
			s = lt + 1;
			e = gt;
			goto trim;
		}
	}
	/* first token with '@' */
	for (p = s; p < e; ) {
		while (p < e && !addr_char((unsigned char)*p))
			p++;
		b = p;
		while (p < e && addr_char((unsigned char)*p))
			p++;
		if (p > b && (at = memchr(b, '@', (size_t)(p - b))) != NULL) {
			s = b;
			e = p;
			goto trim;
		}
	}
	/* first token */
	for (p = s; p < e && !addr_char((unsigned char)*p); p++)
		;
	for (b = p; p < e && addr_char((unsigned char)*p); p++)
		;
	s = b;
	e = p;
trim:
	while (s < e && (isspace((unsigned char)*s) || *s == '<' ||
	    *s == '"' || *s == '\''))
		s++;
	while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '>' ||
	    e[-1] == '.' || e[-1] == ':' || e[-1] == ',' || e[-1] == '"' ||
	    e[-1] == '\'' || e[-1] == ';'))
		e--;
	for (i = 0; s + i < e; i++)
		if ((unsigned char)s[i] < ' ')
			return (arena_strndup(a, s, i));
	return (arena_strndup(a, s, (size_t)(e - s)));
}

/*
 * Write s[0..n) into d with control characters and blanks collapsed to
 * one space between words, none at either end, up to a NUL; after text
 * already in d when more is set (then a space goes before the first
 * word).  d has room for n + 2 bytes.
 */
#ifdef __SSE2__
/*
 * For collapse(): copy to o the longest prefix of s[0..n) that it leaves
 * as it is (no control character, NUL or DEL, no space before white
 * space), 16 bytes a step, and return its length.  A step reads s[k..k+16]
 * and writes o[k..k+16) whole: collapse() never writes more than one byte
 * past the input it consumed, so that stays inside its room.
 */
static size_t
clean_run(char *o, const char *s, size_t n)
{
	const __m128i sp = _mm_set1_epi8(' '), ctl = _mm_set1_epi8(' ' - 1);
	const __m128i del = _mm_set1_epi8(127);
	__m128i x, y, wsy, bad;
	size_t k;
	int m;

	for (k = 0; k + 17 <= n; k += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
		y = _mm_loadu_si128((const __m128i *)(const void *)(s + k + 1));
		/* white space: <= ' ' (unsigned min), or DEL */
		wsy = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(y, sp), y),
		    _mm_cmpeq_epi8(y, del));
		bad = _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x),
		    _mm_cmpeq_epi8(x, del)),
		    _mm_and_si128(_mm_cmpeq_epi8(x, sp), wsy));
		_mm_storeu_si128((__m128i *)(void *)(o + k), x);
		if ((m = _mm_movemask_epi8(bad)) != 0)
			return (k + (size_t)__builtin_ctz((unsigned)m));
	}
	return (k);
}
#else
static size_t
clean_run(char *o, const char *s, size_t n)
{
	(void)o;
	(void)s;
	(void)n;
	return (0);
}
#endif

static void
collapse(char *d, const char *s, size_t n, int more)
{
	char *o = d;
	size_t i, k;
	int sp = more;

	for (i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			break;
		if (c <= ' ' || c == 127) {
			sp = 1;
			i++;
			continue;
		}
		if (sp && (o > d || more))
			*o++ = ' ';
		sp = 0;
		k = clean_run(o, s + i, n - i);
		o += k;
		i += k;
		/* the rest of the word at once */
		while (i < n && (unsigned char)s[i] > ' ' &&
		    (unsigned char)s[i] != 127)
			*o++ = s[i++];
	}
	*o = '\0';
}

/* Is s[0..n) as fmt_oneline() would leave it? */
static int
is_oneline(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return (1);
	if ((unsigned char)s[0] <= ' ' || (unsigned char)s[n - 1] <= ' ')
		return (0);
	i = 0;
#ifdef __SSE2__
	{
		const __m128i lo = _mm_set1_epi8(' '), del = _mm_set1_epi8(127);

		/* 16 bytes a step; s[i + 16] is at most s[n], the NUL */
		for (; i + 16 <= n; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
			    (s + i));
			__m128i y = _mm_loadu_si128((const __m128i *)(const void *)
			    (s + i + 1));
			__m128i bad = _mm_or_si128(_mm_or_si128(
			    /* x < ' ': max(x, ' ') differs from x */
			    _mm_andnot_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, lo),
			    x), _mm_set1_epi8(-1)), _mm_cmpeq_epi8(x, del)),
			    _mm_and_si128(_mm_cmpeq_epi8(x, lo),
			    _mm_cmpeq_epi8(y, lo)));

			if (_mm_movemask_epi8(bad) != 0)
				return (0);
		}
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c == 127 || (c == ' ' && s[i + 1] == ' '))
			return (0);
	}
	return (1);
}

/* s[0..n) with all white space runs as one space, trimmed. */
char *
fmt_oneline(struct arena *a, const char *s, size_t n)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = arena_alloc(a, n + 1)) == NULL)
		return (NULL);
	collapse(d, s, n, 0);
	return (d);
}

/* prev + " " + s[0..n), collapsed; prev may be NULL or "". */
char *
fmt_append(struct arena *a, const char *prev, const char *s, size_t n)
{
	char *t, *d;
	size_t pl;

	if (prev == NULL || *prev == '\0')
		return (fmt_oneline(a, s, n));
	pl = strlen(prev);
	if (is_oneline(prev, pl)) {
		/* prev is as fmt_oneline() leaves it: only s to collapse */
		if ((t = arena_alloc(a, pl + n + 2)) == NULL)
			return ((char *)prev);
		memcpy(t, prev, pl);
		d = t + pl;
		collapse(d, s, n, 1);
		return (t);
	}
	if ((t = arena_alloc(a, pl + n + 2)) == NULL)
		return ((char *)prev);
	memcpy(t, prev, pl);
	t[pl] = ' ';
	memcpy(t + pl + 1, s, n);
	if ((d = fmt_oneline(a, t, pl + n + 1)) == NULL)
		return ((char *)prev);
	return (d);
}

/*
 * An enhanced status code at s[i]: class 2/4/5, subject 0-7 (one digit),
 * detail 1-3 digits; not preceded by a digit, '.', 'v' or 'V'; not
 * followed by a digit or ".digit" (an IPv4 address or a version).
 * Returns its length or 0.
 */
static size_t
status_at(const char *base, size_t i)
{
	const char *s = base + i;
	size_t k;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return (0);
	if (i > 0) {
		unsigned char pc = (unsigned char)s[-1];

		if (isdigit(pc) || pc == '.' || pc == 'v' || pc == 'V')
			return (0);
	}
	if (s[1] != '.' || s[2] < '0' || s[2] > '7' || s[3] != '.')
		return (0);
	for (k = 4; k < 7 && isdigit((unsigned char)s[k]); k++)
		;
	if (k == 4 || isalnum((unsigned char)s[k]) || s[k] == '_')
		return (0);
	if (s[k] == '.' && isdigit((unsigned char)s[k + 1]))
		return (0);
	return (k);
}

/*
 * The enhanced status in text s (NUL-terminated): the first one that is
 * neither x.0.0 nor 4.4.7, else the first of those.  Returns 1 and sets
 * out, or 0.
 */
#ifdef __SSE2__
/*
 * Bit j set where s[j] is 2, 4 or 5 and s[j + 1] a '.', for j < 16 (reads
 * s[0..16]).
 */
static int
status_starts(const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(s + 1));
	__m128i cls = _mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('2')),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('4'))),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('5')));

	return (_mm_movemask_epi8(_mm_and_si128(cls,
	    _mm_cmpeq_epi8(y, _mm_set1_epi8('.')))));
}

/* Bit j set where s[j] is a digit, for j < 16. */
static int
digits16(const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);

	/* x - '0' <= 9, unsigned: min(x - '0', 9) == x - '0' */
	x = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	return (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x,
	    _mm_set1_epi8(9)), x)));
}
#endif

int
fmt_status_find(const char *s, char out[16])
{
	char alt[16] = "";
	size_t i, k, n;

	/* all of out defined: callers copy the 16 bytes into the report */
	memset(out, 0, 16);
	if (s == NULL)
		return (0);
	n = strnlen(s, 65536);
	for (i = 0; i < n; i++) {
#ifdef __SSE2__
		/* a code starts "2." "4." or "5.": skip 16 bytes without one */
		if (i + 16 <= n) {
			int m = status_starts(s + i);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz((unsigned)m);
		}
#endif
		if ((k = status_at(s, i)) == 0)
			continue;
		if ((k == 5 && s[i + 2] == '0' && s[i + 4] == '0') ||
		    (k == 5 && strncmp(s + i, "4.4.7", 5) == 0)) {
			if (alt[0] == '\0') {
				memcpy(alt, s + i, k);
				alt[k] = '\0';
			}
			i += k - 1;
			continue;
		}
		memcpy(out, s + i, k);
		out[k] = '\0';
		return (1);
	}
	if (alt[0] != '\0') {
		memcpy(out, alt, sizeof(alt));
		return (1);
	}
	return (0);
}

/*
 * Does a status found in the diagnostic (d) say more than the one the
 * report states (f)?  Yes when f is empty, or when both have the same
 * class and f is a generic x.0.0 / x.y.0 code that d refines.
 */
int
fmt_status_better(const char *f, const char *d)
{
	if (d == NULL || *d == '\0')
		return (0);
	if (f == NULL || *f == '\0')
		return (1);
	if (strcmp(f, d) == 0)
		return (0);
	/* a specific code in the text says more than the stated one */
	if (strcmp(d + 1, ".0.0") == 0 || strcmp(d, "4.4.7") == 0)
		return (f[0] == d[0] && strcmp(f + 1, ".0.0") == 0);
	return (1);
}

/*
 * An SMTP reply code in s: a known code (RFC 5321 and friends) standing
 * alone (no digit, '.' or '/' beside it).  The codes are tried in a fixed
 * order (class 5, then 4, then 2; only class cls when it is 2, 4 or 5;
 * not class 2 when cls is negative),
 * as Sisimai does, and the first one present wins.
 */
int
fmt_reply_find(const char *s, int cls, char out[4])
{
	static const short codes[] = {
		550, 552, 553, 551, 521, 525, 523, 524, 530,
		533, 534, 535, 538, 555, 556, 554, 500, 501,
		502, 503, 504,
		421, 450, 451, 452, 422, 430, 432, 453, 454,
		455, 458, 459,
		211, 214, 220, 221, 235, 250, 251, 252, 253,
	};
	unsigned char seen[1000 / 8 + 1];
	size_t i, n;
	int v, any = 0;

	out[0] = '\0';
	if (s == NULL)
		return (0);
	n = strlen(s);
	if (n > 65536)
		n = 65536;
	/* "x-unix;" (lower case), looked for by its 'x' first */
	if (lit_find_ci(s, n, "x-unix;", 7, 0))
		return (0);
	/* One pass: every three digits standing alone ... */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i + 3 <= n; i++) {
		unsigned d0, d1, d2;
		unsigned char b, a;

#ifdef __SSE2__
		/* to the next digit, 16 bytes a step */
		if (i + 16 <= n) {
			int m = digits16(s + i);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz((unsigned)m);
			if (i + 3 > n)
				break;
		}
#endif
		d0 = (unsigned char)s[i] - '0';
		if (d0 > 9)
			continue;
		d1 = (unsigned char)s[i + 1] - '0';
		d2 = (unsigned char)s[i + 2] - '0';
		if (d1 > 9 || d2 > 9)
			continue;
		b = i > 0 ? (unsigned char)s[i - 1] : ' ';
		a = (unsigned char)s[i + 3];
		if ((b >= '.' && b <= '9') || (a >= '.' && a <= '9'))
			continue;
		v = (int)(d0 * 100 + d1 * 10 + d2);
		seen[v >> 3] |= (unsigned char)(1u << (v & 7));
		any = 1;
	}
	/* ... then the first of the table's codes among them */
	for (i = 0; any && i < sizeof(codes) / sizeof(codes[0]); i++) {
		v = codes[i];
		if (cls > 0 && v / 100 != cls)
			continue;
		if (cls < 0 && v / 100 == 2)
			continue;
		if (seen[v >> 3] & (1u << (v & 7))) {
			out[0] = (char)('0' + v / 100);
			out[1] = (char)('0' + v / 10 % 10);
			out[2] = (char)('0' + v % 10);
			out[3] = '\0';
			return (1);
		}
	}
	return (0);
}

#ifdef __SSE2__
#define LEAD_ANCHORS	4	/* anchors compared unrolled (a[0..3]) */

/*
 * Bit j set where s[j], case folded, is one of the n anchors in a: up to
 * LEAD_ANCHORS in one unrolled pass (unused ones are 0, which x | 0x20
 * never is).
 */
static int
lead_anchors16(const char *s, const __m128i *a, size_t n)
{
	__m128i x = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)
	    s), _mm_set1_epi8(0x20)), m = _mm_setzero_si128();
	size_t k;

	if (n <= LEAD_ANCHORS) {
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, a[0]),
		    _mm_cmpeq_epi8(x, a[1])), _mm_or_si128(_mm_cmpeq_epi8(x,
		    a[2]), _mm_cmpeq_epi8(x, a[3])));
	} else {
		for (k = 0; k < n; k++)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(x, a[k]));
	}
	return (_mm_movemask_epi8(m));
}
#endif

/*
 * The SMTP command a diagnostic names as the failed step, or NULL: the
 * first row of rules/smtp-commands [diagnostic] (smtpcmd.h) found in
 * the first 1023 bytes, case ignored.  Every row is a lead-in and a
 * rest.  One pass looks for the lead-ins' anchor letters (16 bytes a
 * step), compares the lead-in around each and the rests after it,
 * instead of a search of the text per row.
 */
const char *
fmt_command_find(const struct rules *rules, const char *s)
{
	const struct sc_section *sec;
	const struct sc_lead *ld;
	size_t n, i, at;
	unsigned lm;
	int best, j, l;
#ifdef __SSE2__
	__m128i anc[SC_MAXLEAD > LEAD_ANCHORS ? SC_MAXLEAD : LEAD_ANCHORS];
	size_t k;
#endif

	if (s == NULL || rules == NULL || rules->smtpcmd == NULL)
		return (NULL);
	sec = &rules->smtpcmd->s[SC_DIAGNOSTIC];
	best = (int)sec->nrow;
#ifdef __SSE2__
	for (k = 0; k < sec->nlead; k++)
		anc[k] = _mm_set1_epi8((char)sec->lead[k].anchor_c);
	for (; k < LEAD_ANCHORS; k++)
		anc[k] = _mm_setzero_si128();
#endif
	n = strnlen(s, 1023);
	for (i = 0; i < n; i++) {
#ifdef __SSE2__
		if (i + 16 <= n) {
			int m = lead_anchors16(s + i, anc, sec->nlead);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz((unsigned)m);
		}
#endif
		for (lm = sec->by_anchor[(unsigned char)s[i] | 0x20]; lm != 0;
		    lm &= lm - 1) {
			l = __builtin_ctz(lm);
			ld = &sec->lead[l];
			if (i < ld->anchor)
				continue;
			at = i - ld->anchor;
			if (at + ld->len > n ||
			    ((unsigned char)s[at] | 0x20) != ld->text[0] ||
			    strncasecmp(s + at, ld->text, ld->len) != 0)
				continue;
			at += ld->len;
			for (j = ld->row0; j >= 0 && j < best;
			    j = sec->row[j].next)
				if (sec->row[j].len <= n - at &&
				    strncasecmp(s + at, sec->row[j].rest,
				    sec->row[j].len) == 0) {
					best = j;
					break;
				}
		}
	}
	return (best < (int)sec->nrow ? sec->row[best].cmd : NULL);
}

struct rcpt *
fmt_rcpt_add(struct fmt_ctx *c)
{
	struct rcpt *rc;

	if ((rc = report_add_rcpt(c->r)) == NULL)
		c->limit = 1;
	return (rc);
}

/*
 * Does the diagnostic say the sending MTA gave up on the recipient (its
 * queue lifetime or retry period over)?  Only the MTAs' own fixed words:
 * a delay warning never says them.
 */
static int
gave_up(const char *d)
{
	size_t n;

	if (d == NULL || *d == '\0')
		return (0);
	n = strnlen(d, 4096);
	/* each anchored on its rarest byte, x or q (fmt_strcasestr() would
	   find it again on every call: every recipient asks) */
	return (lit_find_ci(d, n, "envelope expired", 16, 10) ||
	    lit_find_ci(d, n, "retry timeout exceeded", 22, 15) ||
	    lit_find_ci(d, n, "in the queue too long", 21, 7));
}

/*
 * Derived fields of one recipient: status from the diagnostic when the
 * report gave none or a generic one, reply code, command, action.
 */
void
fmt_rcpt_finish(struct fmt_ctx *c, struct rcpt *rc)
{
	char st[16], rp[4];
	const char *cmd;

	if (rc->diag != NULL && *rc->diag != '\0') {
		if (fmt_status_find(rc->diag, st) &&
		    fmt_status_better(rc->status, st))
			memcpy(rc->status, st, sizeof(rc->status));
		if (rc->reply[0] == '\0' &&
		    fmt_reply_find(rc->diag, rc->status[0] ?
		    rc->status[0] - '0' : (rc->action != NULL &&
		    strcmp(rc->action, "delivered") == 0) ? 2 : -1, rp))
			memcpy(rc->reply, rp, sizeof(rc->reply));
		if ((rc->command == NULL || *rc->command == '\0') &&
		    (cmd = fmt_command_find(c->rules, rc->diag)) != NULL)
			rc->command = cmd;
	}
	/*
	 * An MTA that says it gave up has failed the recipient, whatever
	 * its Action field says: OpenSMTPD 6 reports an expired envelope as
	 * "Action: delayed" (Status 4.4.7, "Envelope expired").
	 */
	if (gave_up(rc->diag)) {
		rc->expired = 1;
		/*
		 * Reported as delayed with a 4.x.x status (OpenSMTPD), it
		 * failed for good: "delivery time expired", permanent.
		 */
		if (rc->action != NULL && strcmp(rc->action, "delayed") == 0) {
			rc->action = "failed";
			if (rc->status[0] == '4')
				rc->status[0] = '5';
		}
	}
	if ((rc->action == NULL || *rc->action == '\0') &&
	    c->r->kind != NULL && strcmp(c->r->kind, "dsn") == 0) {
		if (rc->status[0] == '4' && !rc->expired)
			rc->action = "delayed";
		else if (rc->status[0] == '2')
			rc->action = "delivered";
		else
			rc->action = "failed";
	}
}

const char *
fmt_header(const struct mime_part *p, const char *name)
{
	return (p != NULL ? mime_hdr_get(p, name) : NULL);
}

char *
fmt_header_decoded(struct fmt_ctx *c, const struct mime_part *p,
    const char *name)
{
	const char *v;
	char *d;

	if ((v = fmt_header(p, name)) == NULL)
		return (NULL);
	d = mime_decode_words(c->a, v);
	return (d != NULL ? d : (char *)v);
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
