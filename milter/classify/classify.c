/*
 * classify.c - settle status, reply, reason, hard, cause, side and hint
 *
 * SYNOPSIS
 *	void	classify_report(const struct rules *rules, struct report *r);
 *	void	classify_rcpt(const struct rules *rules,
 *		    const struct report *r, struct rcpt *rc);
 *
 * DESCRIPTION
 *	For one recipient record (as the format parsers filled it):
 *
 *	1. status: as stated; else the first enhanced status code in the
 *	   diagnostic text (status_inferred set);
 *	2. reply: as stated; else the SMTP reply code that starts the
 *	   diagnostic text or follows "said:" (of the status's class);
 *	3. reason: reason_decide() (reason.c, Sisimai's order of checks
 *	   over rules/reasons.rules);
 *	4. status, still none: the one the reason clearly implies (user
 *	   unknown is X.1.1, ...) in the class of the reply code;
 *	5. cause and side: cause_decide() (cause.c, the catalog of
 *	   rules/causes.rules, with its evidence blocks); a catalogued
 *	   cause may set the reason (the catalog wins over Sisimai's
 *	   verdict); no cause: cause = reason, side and hint by reason;
 *	6. inner_cause for causes marked "inner" (an expired message): the
 *	   inner error classified as if it stood alone, which also gives
 *	   the side;
 *	7. while only delayed, side "unknown" becomes "transient" and the
 *	   hint says the message is still being retried; the evidence
 *	   module's sentence (rc->ev.note) and, when SPF/DKIM do not pass,
 *	   the evidence keys are added to the hint;
 *	8. hard: Sisimai's hard bounce (userunknown, hostunknown, hasmoved,
 *	   and notaccept of class 5).
 *
 *	Strings come from the rules (read-only) or from r->a.  Nothing here
 *	fails: on any trouble the fields keep their safe defaults.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "classify.h"
#include "classify_int.h"
#include "litscan.h"
#include "smtpcmd.h"

#define DIAG_SCAN_MAX	8192	/* bytes of diagnostic text looked at */

/*
 * ASCII classes, as <ctype.h> gives them in the "C" locale (the programs
 * never call setlocale()), without a call and a table look-up per byte:
 * the folding and scanning loops below run over every diagnostic byte.
 */
static inline int
a_space(int c)
{
	return (c == ' ' || (c >= '\t' && c <= '\r'));
}

static inline int
a_digit(int c)
{
	return (c >= '0' && c <= '9');
}

static inline int
a_alpha(int c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline int
a_lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/*
 * A multi-line SMTP reply folded into one line reads "550-5.2.1 The user
 * ... at a rate that 550-5.2.1 prevents ... 550 5.2.1 additional ...":
 * drop the repeated "550-" and "5.2.1" of the continuation lines, keep the
 * first as "550 5.2.1", and drop the "550 5.2.1" of the last line too
 * (the first "550 " after the last continuation, within a line's reach),
 * so that a phrase broken over lines reads whole again.
 * Works in place; returns the new length.
 */
#define REPLY_LINE_MAX	600	/* how far the last line's code may be */

static size_t
unfold_replies(char *d)
{
	char *r, *w, *p, *q, st[16], code[4] = "";
	const char *end;
	size_t n, last = 0;

	/*
	 * Only a word that reads "DDD-" can be such a reply code: look at
	 * the dashes, and move what lies between only once one is dropped.
	 */
	for (r = w = q = d; (q = strchr(q, '-')) != NULL; q++) {
		p = q - 3;
		if (q - d < 3 || p < r || !(p == d || p[-1] == ' ') ||
		    !(p[0] == '4' || p[0] == '5' || p[0] == '2') ||
		    !a_digit((unsigned char)p[1]) ||
		    !a_digit((unsigned char)p[2]))
			continue;
		n = (size_t)(p - r);
		if (w != r)
			memmove(w, r, n);
		w += n;
		r = p;
		memcpy(code, p, 3);
		code[3] = '\0';
		if (r == d) {
			w += 3;
			*w++ = ' ';
			r += 4;
		} else {
			r += 4;
			if (status_parse(r, st, &end) && *end == ' ')
				r = (char *)end + 1;
		}
		last = (size_t)(w - d);
		q = r - 1;
	}
	n = strlen(r);
	if (w != r)
		memmove(w, r, n);
	w += n;
	*w = '\0';
	if (last == 0)
		return ((size_t)(w - d));
	/* The last line: " DDD " (and its status) after the last dash. */
	for (p = d + last - 1; *p != '\0' &&
	    (size_t)(p - d) < last + REPLY_LINE_MAX; p++) {
		if (p[0] != ' ' || p[1] != code[0] || p[2] != code[1] ||
		    p[3] != code[2] || p[4] != ' ')
			continue;
		q = p + 5;
		if (status_parse(q, st, &end) && (*end == ' ' || *end == '\0'))
			q = (char *)(*end == ' ' ? end + 1 : end);
		n = strlen(q);
		memmove(p + 1, q, n + 1);
		w = p + 1 + n;
		if (w > d && w[-1] == ' ')
			*--w = '\0';
		break;
	}
	return ((size_t)(w - d));
}

/* Copy s folding white space runs to one space; at most max bytes. */
static char *
fold(struct arena *a, const char *s, size_t max, size_t *outlen)
{
	char *d, *o;
	size_t n = strlen(s);
	int sp = 1;
#ifdef __SSE2__
	const __m128i blank = _mm_set1_epi8(' ');
	__m128i x;
	unsigned m, k;
#endif

	if (n > max)
		n = max;
	if ((d = arena_alloc(a, n + 1)) == NULL) {
		*outlen = 0;
		return (NULL);
	}
	for (o = d; n > 0 && *s != '\0';) {
#ifdef __SSE2__
		/* The bytes before the first blank (or NUL, or other byte
		 * up to ' ') of the next 16 go as they are, at once. */
		if (n >= 16) {
			x = _mm_loadu_si128((const __m128i *)(const void *)s);
			m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_min_epu8(x, blank), x));
			k = m == 0 ? 16 : (unsigned)__builtin_ctz(m);
			if (k > 0) {
				_mm_storeu_si128((__m128i *)(void *)o, x);
				o += k;
				s += k;
				n -= k;
				sp = 0;
				continue;
			}
		}
#endif
		if (a_space((unsigned char)*s)) {
			if (!sp)
				*o++ = ' ';
			sp = 1;
		} else {
			*o++ = *s;
			sp = 0;
		}
		s++;
		n--;
	}
	if (o > d && o[-1] == ' ')
		o--;
	*o = '\0';
	*outlen = unfold_replies(d);
	return (d);
}

static int
token_char(int c)
{
	return (a_alpha(c) || a_digit(c) || c == '.' || c == '_' || c == '-');
}

/* The n-th (0-based) enhanced status code standing alone in s. */
static int
find_status(const char *s, int nth, char out[16])
{
	const char *p, *end;

	/* strpbrk(): the candidates without a test per byte here */
	for (p = s; (p = strpbrk(p, "245")) != NULL; p++) {
		/* "550-5.7.1" is a status after a continuation mark. */
		if (p > s && token_char((unsigned char)p[-1]) &&
		    !(p[-1] == '-' && p - s >= 4 &&
		    a_digit((unsigned char)p[-2])))
			continue;
		if (status_parse(p, out, &end)) {
			if (nth-- == 0)
				return (1);
			p = end - 1;
		}
	}
	return (0);
}

static const char *find_ci(const char *, size_t, const char *);

/* A reply code: three digits standing alone, not part of a status. */
static int
reply_at(const char *p, const char *s, char out[4])
{
	if (!(p[0] == '4' || p[0] == '5' || p[0] == '2') ||
	    !a_digit((unsigned char)p[1]) || !a_digit((unsigned char)p[2]))
		return (0);
	if (p > s && token_char((unsigned char)p[-1]))
		return (0);
	if (p[3] != '\0' && p[3] != ' ' && p[3] != '-' && p[3] != ',' &&
	    p[3] != ')' && p[3] != ':')
		return (0);
	if (p[1] > '5')
		return (0);
	memcpy(out, p, 3);
	out[3] = '\0';
	return (1);
}

static int
find_reply(const char *s, const char *status, char out[4])
{
	const char *p;
	static const char *const lead[] = { "said: ", "said:", "<<< ",
	    "reply: ", "error: ", NULL };
	const char *const *l;
	size_t n;

	if (s == NULL || *s == '\0')
		return (0);
	/* At the start of the text, or right after "... said:". */
	for (p = s; *p == ' ' || *p == '(' || *p == '[' || *p == '#'; p++)
		;
	if (reply_at(p, s, out) && (*status == '\0' || *status == out[0]))
		return (1);
	n = strlen(s);
	for (l = lead; *l != NULL; l++)
		for (p = s; (p = find_ci(p, n - (size_t)(p - s), *l)) != NULL;
		    p++) {
			const char *q = p + strlen(*l);

			while (*q == ' ')
				q++;
			if (reply_at(q, s, out) && (*status == '\0' ||
			    *status == out[0]))
				return (1);
		}
	/* Else the reply that comes right before the status code. */
	if (*status != '\0')
		for (p = s; (p = strstr(p, status)) != NULL; p++)
			if (p - s >= 4 && p[-1] == ' ' &&
			    reply_at(p - 4, s, out) && out[0] == *status)
				return (1);
	return (0);
}

/*
 * Is this a reply code SMTP defines (RFC 5321, 3463's companions, 4954,
 * 7504)?  Bounces quote other numbers ("522", "542") that are not.
 */
static int
reply_valid(const char *r)
{
	if (!a_digit((unsigned char)r[0]) || !a_digit((unsigned char)r[1]) ||
	    !a_digit((unsigned char)r[2]) || r[3] != '\0')
		return (0);
	switch ((r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0')) {
	case 211: case 214: case 220: case 221: case 250: case 251: case 252:
	case 354: case 541:
	case 421: case 450: case 451: case 452: case 453: case 454: case 455:
	case 458: case 459: case 500: case 501: case 502: case 503: case 504:
	case 521: case 523: case 524: case 525: case 530: case 534: case 535:
	case 538: case 550: case 551: case 552: case 553: case 554: case 555:
	case 556: case 557:
		return (1);
	default:
		return (0);
	}
}

/* Status a reason clearly implies, for a bounce that states none. */
static const char *
implied_detail(const char *reason)
{
	static const struct { const char *reason, *sd; } map[] = {
		{ "userunknown", "1.1" }, { "hostunknown", "1.2" },
		{ "hasmoved", "1.6" }, { "mailboxfull", "2.2" },
		{ "exceedlimit", "2.3" }, { "systemfull", "3.1" },
		{ "mesgtoobig", "3.4" }, { "norelaying", "7.1" },
		{ "requireptr", "7.25" },
		{ NULL, NULL }
	};
	size_t i;

	for (i = 0; map[i].reason != NULL; i++)
		if (strcmp(map[i].reason, reason) == 0)
			return (map[i].sd);
	return (NULL);
}

static int
is(const char *a, const char *b)
{
	return (a != NULL && b != NULL && a[0] == b[0] && strcmp(a, b) == 0);
}

/*
 * Does the diagnostic say the sending MTA gave up after retries (Exim's
 * "retry timeout exceeded", OpenSMTPD's "Envelope expired")?  Then the
 * errors were temporary ones: class 4 when nothing states a class.
 */
static int
gave_up(const char *d)
{
	return (d != NULL && (strcasestr(d, "retry timeout exceeded") !=
	    NULL || strcasestr(d, "envelope expired") != NULL ||
	    strcasestr(d, "in the queue too long") != NULL));
}

static char
class_of(const struct rcpt *rc)
{
	if (rc->status[0] != '\0')
		return (rc->status[0]);
	if (rc->reply[0] == '4' || rc->reply[0] == '5')
		return (rc->reply[0]);
	if (is(rc->action, "delayed") || gave_up(rc->diag))
		return ('4');
	return ('5');
}

static int
hard_bounce(const char *reason, char cls)
{
	if (is(reason, "userunknown") || is(reason, "hostunknown") ||
	    is(reason, "hasmoved"))
		return (1);
	return (is(reason, "notaccept") && cls == '5');
}

static char *
lower_dup(struct arena *a, const char *s)
{
	char *d, *p;

	if ((d = arena_strdup(a, s != NULL ? s : "")) == NULL)
		return (NULL);
	for (p = d; *p != '\0'; p++)
		*p = (char)a_lower((unsigned char)*p);
	return (d);
}

/* The host name alone: "mx.example.com (TCP|...)" -> "mx.example.com". */
static char *
host_token(struct arena *a, const char *s)
{
	char *d, *p;

	if (s == NULL)
		return (NULL);
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	/* only the token is copied (lower case keeps the delimiters) */
	n = strcspn(s, " \t[](),;");
	if ((d = arena_strndup(a, s, n)) == NULL)
		return (NULL);
	for (p = d; *p != '\0'; p++)
		*p = (char)a_lower((unsigned char)*p);
	if (n > 0 && d[n - 1] == '.')
		d[n - 1] = '\0';
	return (d);
}

static const char *
domain_part(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return (at != NULL ? at + 1 : "");
}

/* Fill {domain}, {domain-dashes}, {sender-domain-dashes}, {remote-mta}. */
static const char *
expand(struct arena *a, const char *hint, const struct report *r,
    const struct rcpt *rc)
{
	static const char *const keys[] = { "{domain}", "{domain-dashes}",
	    "{sender-domain-dashes}", "{remote-mta}", NULL };
	const char *vals[4], *p, *sd;
	char *out, *o, *dd, *sdd;
	size_t n, i, k;

	if (hint == NULL || strchr(hint, '{') == NULL)
		return (hint);
	vals[0] = domain_part(rc->addr);
	dd = lower_dup(a, vals[0]);
	sd = r != NULL ? domain_part(r->orig.from) : "";
	sdd = arena_strndup(a, sd, strcspn(sd, "> \t\""));
	if (dd == NULL || sdd == NULL)
		return (hint);
	for (o = dd; *o; o++)
		if (*o == '.')
			*o = '-';
	for (o = sdd; *o; o++)
		*o = *o == '.' ? '-' : (char)a_lower((unsigned char)*o);
	vals[1] = *dd ? dd : "<domain-with-dashes>";
	vals[2] = *sdd ? sdd : "<your-domain-with-dashes>";
	vals[3] = rc->remote_mta != NULL && *rc->remote_mta ?
	    rc->remote_mta : "the rejecting host";
	if (!*vals[0])
		vals[0] = "the recipient domain";
	n = strlen(hint) + 1;
	for (i = 0; i < 4; i++)
		n += strlen(vals[i]) * 4;
	if ((out = arena_alloc_raw(a, n)) == NULL)
		return (hint);
	for (p = hint, o = out; *p != '\0';) {
		if (*p != '{') {
			k = strcspn(p, "{");	/* up to the next brace */
			memcpy(o, p, k);
			o += k;
			p += k;
			continue;
		}
		for (k = 0; keys[k] != NULL; k++)
			if (strncmp(p, keys[k], strlen(keys[k])) == 0)
				break;
		if (keys[k] != NULL && (size_t)(o - out) + strlen(vals[k]) <
		    n - strlen(p)) {
			o = stpcpy(o, vals[k]);
			p += strlen(keys[k]);
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return (out);
}

static const char *
join(struct arena *a, const char *x, const char *y)
{
	char *s;

	if (x == NULL || *x == '\0')
		return (y);
	s = arena_printf(a, "%s %s", x, y);
	return (s != NULL ? s : x);
}

/*
 * Does s[i..n) read phrase ph (lower case, single spaces), ignoring case,
 * with a run of white space for each space?  What lower_fold() and then
 * strncmp() would say, without the copy.  Returns the index after the
 * match, or 0.
 */
static size_t
fold_at(const char *s, size_t n, size_t i, const char *ph)
{
	for (; *ph != '\0'; ph++) {
		if (i >= n)
			return (0);
		if (*ph == ' ') {
			if (!a_space((unsigned char)s[i]))
				return (0);
			while (i < n && a_space((unsigned char)s[i]))
				i++;
			continue;
		}
		if (a_lower((unsigned char)s[i]) != *ph)
			return (0);
		i++;
	}
	return (i);
}

/*
 * Does phrase ph occur in the first n bytes of s, as fold_at() reads?
 * Candidates come from memchr() on a byte without case before the first
 * space of ph, when there is one.
 */
static int
fold_find(const char *s, size_t n, const char *ph)
{
	const char *p, *end;
	size_t a, i;

	n = strnlen(s, n);
	for (a = 0; ph[a] != '\0' && ph[a] != ' ' &&
	    a_alpha((unsigned char)ph[a]); a++)
		;
	if (ph[a] != '\0' && ph[a] != ' ') {
		for (p = s + a, end = s + n; p < end && (p = memchr(p, ph[a],
		    (size_t)(end - p))) != NULL; p++)
			if (fold_at(s, n, (size_t)(p - s) - a, ph) != 0)
				return (1);
		return (0);
	}
	for (i = 0; i < n; i++)
		if (fold_at(s, n, i, ph) != 0)
			return (1);
	return (0);
}

#ifdef __SSE2__
/*
 * Of the 16 positions at p, those where a phrase of cmd_in() may start (a
 * bit each): the first two bytes of a lead-in of rules/smtp-commands
 * [notice] and Sendmail's "wh", OR 0x20 (c->p0[k], c->p1[k]: a superset,
 * cmd_in() checks each).  Pairs, not two sets of bytes: "he", "an" and
 * the like would start too many false candidates.  Up to CMD_PAIRS (5)
 * pairs in one unrolled pass (unused ones are 0, which x | 0x20 never
 * is).
 * Reads p[0..17).
 */
#define CMD_PAIRS	5

struct cmd_vec {
	__m128i		 p0[SC_MAXLEAD + 1], p1[SC_MAXLEAD + 1];
	size_t		 n;
};

static unsigned
cmd_candidates(const struct cmd_vec *c, const char *p)
{
	const __m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)
	    (p + 1));
	const __m128i lc = _mm_set1_epi8(0x20);
	__m128i l0 = _mm_or_si128(x0, lc), l1 = _mm_or_si128(x1, lc);
	__m128i m = _mm_setzero_si128();
	size_t k;

#define PAIR(k) _mm_and_si128(_mm_cmpeq_epi8(l0, c->p0[k]), \
	    _mm_cmpeq_epi8(l1, c->p1[k]))
	if (c->n <= CMD_PAIRS) {
		m = _mm_or_si128(_mm_or_si128(PAIR(0), PAIR(1)),
		    _mm_or_si128(_mm_or_si128(PAIR(2), PAIR(3)), PAIR(4)));
	} else {
		for (k = 0; k < c->n; k++)
			m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(l0,
			    c->p0[k]), _mm_cmpeq_epi8(l1, c->p1[k])));
	}
#undef PAIR
	return ((unsigned)_mm_movemask_epi8(m));
}
#endif

/* Can byte c be the third of a lead-in (smtpcmd.h: third)? */
static inline int
third_is(unsigned char third, char c)
{
	if (third == ' ')
		return (a_space((unsigned char)c));
	return (third == '\0' || third == ((unsigned char)c | 0x20));
}

/*
 * The SMTP command the first n bytes of s name ("in reply to RCPT TO
 * command", ">>> DATA", "after MAIL FROM"), the earliest mention first;
 * or NULL.  The phrases are rules/smtp-commands [notice] (smtpcmd.h): a
 * lead-in, then the first of its rows that follows.  Case and runs of
 * white space do not matter; the text ends at n or at a NUL.
 */
static const char *
cmd_in(const struct rules *rules, const char *s, size_t n)
{
	const struct sc_section *sec;
	size_t i, j;
	unsigned char c0;
	unsigned lm;
	int talk = 0, g, r;
#ifdef __SSE2__
	struct cmd_vec cv;
	size_t k;
#endif

	if (s == NULL || rules == NULL || rules->smtpcmd == NULL)
		return (NULL);
	sec = &rules->smtpcmd->s[SC_NOTICE];
#ifdef __SSE2__
	for (k = 0; k < sec->nlead; k++) {
		cv.p0[k] = _mm_set1_epi8((char)sec->lead[k].pair[0]);
		cv.p1[k] = _mm_set1_epi8((char)sec->lead[k].pair[1]);
	}
	cv.p0[k] = _mm_set1_epi8('w');
	cv.p1[k] = _mm_set1_epi8('h');
	cv.n = ++k;
	for (; k < CMD_PAIRS; k++)
		cv.p0[k] = cv.p1[k] = _mm_setzero_si128();
#endif
	n = strnlen(s, n);
	/* Scan once: the first position where a phrase starts wins. */
	for (i = 0; i + 1 < n; i++) {
#ifdef __SSE2__
		if (i + 17 <= n) {	/* 16 positions at a time */
			unsigned m = cmd_candidates(&cv, s + i);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz(m);
		}
#endif
		c0 = (unsigned char)s[i] | 0x20;
		lm = sec->by_pair0[c0];
		if (lm == 0 && c0 != 'w')
			continue;
		if (i + 2 >= n)
			break;
		if (c0 == 'w' && ((unsigned char)s[i + 1] | 0x20) == 'h') {
			/* Sendmail: "... while talking to host.: <<< 554 ..."
			 * with no command sent: the greeting itself was
			 * refused.  Only the first "while talking to" counts. */
			if (!talk &&
			    (j = fold_at(s, n, i, "while talking to ")) != 0) {
				talk = 1;
				while (j < n && !a_space((unsigned char)s[j]))
					j++;
				if (fold_at(s, n, j, " <<<") != 0)
					return ("CONN");
			}
		}
		for (; lm != 0; lm &= lm - 1) {
			g = __builtin_ctz(lm);
			if (sec->lead[g].pair[1] !=
			    ((unsigned char)s[i + 1] | 0x20) ||
			    !third_is(sec->lead[g].third, s[i + 2]) ||
			    (j = fold_at(s, n, i, sec->lead[g].text)) == 0)
				continue;
			for (r = sec->lead[g].row0; r >= 0;
			    r = sec->row[r].next)
				if (sec->row[r].len == 0 ||
				    fold_at(s, n, j, sec->row[r].rest) != 0)
					return (sec->row[r].cmd);
		}
	}
	return (NULL);
}

static int
inside(const struct mime_part *p, const struct mime_part *anc)
{
	for (; p != NULL; p = p->parent)
		if (p == anc)
			return (1);
	return (0);
}

/* First text part of the bounce itself (not of the returned original). */
static const struct mime_part *
notice_part(const struct report *r, const struct mime_part *p, int depth)
{
	const struct mime_part *c, *hit;

	if (p == NULL || depth > 8 || (r->original != NULL &&
	    inside(p, r->original)))
		return (NULL);
	if (p->child == NULL && strncmp(p->type, "text/", 5) == 0 &&
	    p->body != NULL && p->bodylen > 0)
		return (p);
	if (strncmp(p->type, "message/", 8) == 0 && p->depth > 0)
		return (NULL);	/* an embedded message is not the notice */
	for (c = p->child; c != NULL; c = c->next)
		if ((hit = notice_part(r, c, depth + 1)) != NULL)
			return (hit);
	return (NULL);
}

/*
 * Per-recipient searches of the notice and the delivery-status part only
 * refine the SMTP command; past this many recipients they are skipped, so
 * the work per report stays linear (a 10,000-recipient report).
 */
#define SCAN_MAX_RCPTS	256

/*
 * Case-insensitive search for needle in the first n bytes of h: the
 * first match.  Candidates come from memchr() on a byte of needle that
 * has no case (the '@' of an address), when there is one.
 */
static const char *
find_ci(const char *h, size_t n, const char *needle)
{
	const char *p, *end;
	size_t i, m = strlen(needle), a;
	int c0;

	if (m == 0 || m > n)
		return (NULL);
	for (a = 0; a < m && a_alpha((unsigned char)needle[a]); a++)
		;
	if (a < m) {
		end = h + (n - m) + a + 1;
		for (p = h + a; p < end && (p = memchr(p, needle[a],
		    (size_t)(end - p))) != NULL; p++)
			if (strncasecmp(p - a, needle, m) == 0)
				return (p - a);
		return (NULL);
	}
	c0 = a_lower((unsigned char)needle[0]);
	for (i = 0; i + m <= n; i++)
		if (a_lower((unsigned char)h[i]) == c0 &&
		    strncasecmp(h + i, needle, m) == 0)
			return (h + i);
	return (NULL);
}

/*
 * The command, when the parser could not tell: from the diagnostic, else
 * from the human-readable notice, near the recipient's address when the
 * notice names it, or when every mention in the notice agrees.
 */
static const char *
infer_command(const struct rules *rules, const struct report *r,
    const struct rcpt *rc)
{
	const struct mime_part *np;
	const char *c, *at, *first;
	size_t n, lim, back;

	if (rc->diag != NULL && (c = cmd_in(rules, rc->diag, 8192)) != NULL)
		return (c);
	if ((np = notice_part(r, r->mime.root, 0)) == NULL)
		return (NULL);
	lim = np->bodylen < 65536 ? np->bodylen : 65536;
	if (r->nrcpt > SCAN_MAX_RCPTS)
		return (NULL);
	if (rc->addr != NULL && *rc->addr != '\0' &&
	    (at = find_ci(np->body, lim, rc->addr)) != NULL) {
		/* From the start of the address's line (">>> RCPT To:<a>"). */
		for (back = 0; at > np->body && at[-1] != '\n' && back < 512;
		    back++)
			at--;
		n = lim - (size_t)(at - np->body);
		return (cmd_in(rules, at, n < 2048 ? n : 2048));
	}
	/* Without the address, only an unambiguous notice counts. */
	if (r->nrcpt > 1)
		return (NULL);
	first = cmd_in(rules, np->body, lim);
	return (first);
}

/* The delivery-status part of the bounce, or NULL. */
static const struct mime_part *
dsn_part(const struct report *r, const struct mime_part *p, int depth)
{
	const struct mime_part *c, *hit;

	if (p == NULL || depth > 8 || (r->original != NULL &&
	    inside(p, r->original)))
		return (NULL);
	if (strcmp(p->type, "message/delivery-status") == 0 ||
	    strcmp(p->type, "message/global-delivery-status") == 0)
		return (p);
	for (c = p->child; c != NULL; c = c->next)
		if ((hit = dsn_part(r, c, depth + 1)) != NULL)
			return (hit);
	return (NULL);
}

/* Does the recipient's DSN block say "Diagnostic-Code: X-Unix; ..."? */
static int
xunix_diag(const struct report *r, const struct rcpt *rc)
{
	const struct mime_part *p;
	const char *at, *end;
	size_t n;

	if (r == NULL || (p = dsn_part(r, r->mime.root, 0)) == NULL ||
	    p->body == NULL)
		return (0);
	if (r->nrcpt > SCAN_MAX_RCPTS)
		return (0);
	at = p->body;
	n = p->bodylen < 65536 ? p->bodylen : 65536;
	if (rc->addr != NULL && *rc->addr != '\0' &&
	    (at = find_ci(p->body, n, rc->addr)) == NULL) {
		if (r->nrcpt > 1)
			return (0);
		at = p->body;
	}
	if ((size_t)(at - p->body) >= n)
		return (0);
	n -= (size_t)(at - p->body);
	if ((end = strstr(at, "\n\n")) != NULL && (size_t)(end - at) < n)
		n = (size_t)(end - at);
	return (fold_find(at, n, "diagnostic-code: x-unix"));
}

static void
facts_fill(struct facts *f, const struct rules *rules,
    const struct report *r, struct rcpt *rc, const char *diag,
    size_t diaglen)
{
	struct arena *a = r != NULL ? r->a : NULL;

	memset(f, 0, sizeof(*f));
	f->status = rc->status;
	f->reply = rc->reply;
	f->diag = diag != NULL ? diag : "";
	f->diaglen = diag != NULL ? diaglen : 0;
	f->ksfold = lit_ksfold(f->diag, f->diaglen);
	f->command = rc->command != NULL ? rc->command : "";
	if (strcmp(f->command, "INIT") == 0)
		f->command = "CONN";
	if (*f->command == '\0' && (f->command = infer_command(rules, r, rc)) ==
	    NULL)
		f->command = "";
	if (rc->command == NULL || *rc->command == '\0')
		rc->command = f->command;
	f->action = rc->action != NULL ? rc->action : "";
	f->hint = rc->reason_hint;
	f->rhost = "";
	f->rcpt_domain = "";
	f->lhost = "";
	f->format = r != NULL && r->format != NULL ? r->format : "";
	if (a != NULL) {
		char *h = host_token(a, rc->remote_mta);
		char *d = lower_dup(a, domain_part(rc->addr));
		char *l = host_token(a, r->reporting_mta);

		f->rhost = h != NULL ? h : "";
		f->rcpt_domain = d != NULL ? d : "";
		f->lhost = l != NULL ? l : "";
	}
	f->xunix = (rc->diag != NULL && strncasecmp(rc->diag, "x-unix", 6) ==
	    0) || xunix_diag(r, rc);
}

/*
 * The last error an expiry notice quotes: the text after its last "->"
 * (Exchange Online chains "5.4.300 Message expired -> 451 4.4.395 Target
 * host responded with error. -> 421 4.7.0 ...", the innermost reply
 * last) or "last error:".  NULL when it quotes none that way.
 */
static const char *
last_error(const char *diag, size_t n)
{
	static const char *const marks[] = { "-> ", "last error: ",
	    "last error was: ", NULL };
	const char *const *m;
	const char *p, *best = NULL;

	for (m = marks; *m != NULL; m++)
		for (p = diag; (p = find_ci(p, n - (size_t)(p - diag), *m)) !=
		    NULL; p++)
			if (best == NULL || p + strlen(*m) > best)
				best = p + strlen(*m);
	return (best != NULL && *best != '\0' ? best : NULL);
}

/* Classify the inner error of an expired message; sets inner_cause. */
static void
inner(const struct rules *rules, const struct report *r, struct rcpt *rc,
    struct facts *outer, struct rx_scratch *sc)
{
	struct rcpt tmp;
	struct facts f;
	struct cause_input in;
	struct cause_result cr;
	const char *reason, *side, *ih, *s, *last;
	char st[16];
	int i;

	tmp = *rc;
	tmp.reason_hint = NULL;
	tmp.status[0] = '\0';
	f = *outer;
	/* The quoted last error alone, when the notice marks it. */
	if ((last = last_error(outer->diag, outer->diaglen)) != NULL) {
		f.diag = last;
		f.diaglen = outer->diaglen - (size_t)(last - outer->diag);
	}
	/* A status in that text other than the expiry's own. */
	for (i = 0; find_status(f.diag, i, st); i++)
		if (strcmp(st, outer->status) != 0) {
			memcpy(tmp.status, st, sizeof(tmp.status));
			break;
		}
	tmp.action = "failed";
	f.status = tmp.status;
	f.hint = NULL;
	f.action = "failed";
	in.rules = rules;
	in.f = &f;
	in.r = r;
	in.rc = &tmp;
	in.nested = 1;
	reason = reason_decide(rules, &f, sc);
	in.reason = reason;
	cause_decide(rules, &in, sc, &cr);
	if (cr.cause != NULL) {
		rc->inner_cause = cr.cause;
		side = cr.side;
		ih = cr.hint;
	} else if (*reason != '\0' && !is(reason, "expired") &&
	    !is(reason, "onhold") && !is(reason, "undefined")) {
		rc->inner_cause = reason;
		side = cause_reason_side(rules, reason);
		ih = cause_reason_hint(rules, reason);
	} else
		return;
	/* Say what the last error was, and what to do about it. */
	if ((s = arena_printf(r->a, "Last error (%s): %s", rc->inner_cause,
	    ih != NULL ? ih : "see the diagnostic text.")) != NULL)
		rc->hint = join(r->a, rc->hint, s);
	if (side != NULL && !is(side, "unknown") && !is(side, "transient"))
		rc->side = side;
}

static void
classify_one(const struct rules *rules, const struct report *r,
    struct rcpt *rc, struct rx_scratch *sc)
{
	struct arena *a = r->a;
	struct facts f;
	struct cause_input in;
	struct cause_result cr;
	const char *reason, *d, *evs;
	const char *implied;
	char *diag, xst[16];
	size_t diaglen;

	rc->inner_cause = "";
	d = rc->diag != NULL ? rc->diag : "";
	diag = fold(a, d, DIAG_SCAN_MAX, &diaglen);
	if (rc->status[0] == '\0' && diag != NULL &&
	    find_status(diag, 0, rc->status))
		rc->status_inferred = 1;
	if (rc->reply[0] == '\0' && diag != NULL)
		(void)find_reply(diag, rc->status, rc->reply);
	/* A reply that is no SMTP code, or of another class than the
	 * status, is some other number: drop it. */
	if (rc->reply[0] != '\0' && (!reply_valid(rc->reply) ||
	    (rc->status[0] != '\0' && rc->status[0] != rc->reply[0])))
		rc->reply[0] = '\0';
	facts_fill(&f, rules, r, rc, diag, diaglen);

	if (is(r->kind, "arf") || is(rc->reason_hint, "feedback"))
		reason = "feedback";
	else if (is(r->kind, "autoreply") || is(rc->reason_hint, "vacation"))
		reason = "vacation";
	else
		reason = reason_decide(rules, &f, sc);
	/*
	 * No wording explains the error, but the sender says it gave up
	 * retrying (its queue lifetime or retry period ended).
	 */
	if ((is(reason, "onhold") || is(reason, "undefined")) &&
	    gave_up(rc->diag))
		reason = "expired";
	rc->reason = reason;

	if (rc->status[0] == '\0' && (implied = implied_detail(reason)) !=
	    NULL && (rc->reply[0] != '\0' || f.diaglen > 0)) {
		snprintf(rc->status, sizeof(rc->status), "%c.%s",
		    class_of(rc), implied);
		rc->status_inferred = 1;
		f.status = rc->status;
	}

	in.rules = rules;
	in.f = &f;
	in.reason = reason;
	in.r = r;
	in.rc = rc;
	in.nested = 0;
	/*
	 * The sender stated that delivery time expired (X.4.7), and the
	 * status was refined from the last deferral's reply: the expiry
	 * decides the cause, the reply is the inner error.
	 */
	if (rc->expired && rc->status[0] != '\0' &&
	    strcmp(rc->status + 1, ".4.7") != 0) {
		snprintf(xst, sizeof(xst), "%c.4.7", rc->status[0]);
		f.status = xst;
	}
	/* A complaint, an auto-reply or a delivery is no failure: its words
	 * ("spf/dkim authentication-failure report") name no cause. */
	if (is(reason, "feedback") || is(reason, "vacation") ||
	    is(reason, "delivered"))
		memset(&cr, 0, sizeof(cr));
	else
		cause_decide(rules, &in, sc, &cr);
	if (cr.cause != NULL) {
		rc->cause = cr.cause;
		if (cr.reason != NULL)
			rc->reason = cr.reason;
		rc->side = cr.side;
		rc->hint = cr.hint;
		if (cause_wants_inner(rules, cr.cause))
			inner(rules, r, rc, &f, sc);
	} else {
		rc->cause = rc->reason;
		rc->side = cause_reason_side(rules, rc->reason);
		rc->hint = cause_reason_hint(rules, rc->reason);
	}
	if (rc->side == NULL)
		rc->side = "unknown";
	if (rc->hint == NULL)
		rc->hint = "";
	rc->hint = expand(a, rc->hint, r, rc);

	/* Evidence that the receiver could not verify us: say so. */
	if (cause_auth_failed(rc)) {
		evs = arena_printf(a, "Local evidence: spf=%s dkim=%s%s",
		    rc->ev.spf ? rc->ev.spf : "skipped",
		    rc->ev.dkim ? rc->ev.dkim : "skipped",
		    is(rc->cause, "sender-auth-failed") ? "." :
		    "; the receiver may also distrust unauthenticated mail.");
		if (evs != NULL)
			rc->hint = join(a, rc->hint, evs);
	}
	/* The evidence module's own finding for this recipient. */
	if (rc->ev.note != NULL && *rc->ev.note != '\0')
		rc->hint = join(a, rc->hint, rc->ev.note);
	if (is(rc->action, "delayed")) {
		if (is(rc->side, "unknown"))
			rc->side = "transient";
		rc->hint = join(a, rc->hint,
		    "The message is still queued and being retried.");
	}
	if (rc->diag != NULL && *rc->diag != '\0' &&
	    is(rc->cause, "unclassified-5.4.1"))
		rc->hint = join(a, rc->hint, arena_printf(a, "Text: %s",
		    diag != NULL ? diag : rc->diag));
	rc->hard = hard_bounce(rc->reason, class_of(rc));
	if (is(rc->reason, "delivered") || is(rc->reason, "feedback") ||
	    is(rc->reason, "vacation"))
		rc->hard = 0;
}

void
classify_rcpt(const struct rules *rules, const struct report *r,
    struct rcpt *rc)
{
	struct rx_scratch sc;

	if (rules == NULL || r == NULL || rc == NULL)
		return;
	if (rx_scratch_init(&sc) == -1) {
		rc->reason = "undefined";
		rc->side = "unknown";
		return;
	}
	classify_one(rules, r, rc, &sc);
	rx_scratch_free(&sc);
}

void
classify_report(const struct rules *rules, struct report *r)
{
	struct rx_scratch sc;
	size_t i;

	if (rules == NULL || r == NULL)
		return;
	if (rx_scratch_init(&sc) == -1)
		return;
	for (i = 0; i < r->nrcpt && !report_expired(r); i++)
		classify_one(rules, r, &r->rcpt[i], &sc);
	rx_scratch_free(&sc);
}
