/*
 * classify_cmd.c - the SMTP command a bounce says was refused
 *
 * SYNOPSIS
 *	const char *cmd_infer(const struct rules *rules,
 *		    const struct report *r, const struct rcpt *rc);
 *	int	cmd_xunix(const struct report *r, const struct rcpt *rc);
 *
 * DESCRIPTION
 *	cmd_infer() gives the SMTP command a recipient's error came in
 *	reply to, when the format parser could not tell: from the
 *	diagnostic text, else from the bounce's human-readable notice,
 *	near the recipient's address when the notice names it, or when
 *	the notice is about one recipient only.  The phrases that name a
 *	command are rules/smtp-commands [notice] (smtpcmd.h); the result
 *	is one of its rows' commands, or NULL.
 *
 *	cmd_xunix() says whether the recipient's block of the
 *	delivery-status part reads "Diagnostic-Code: X-Unix; ...".
 *
 *	Past SCAN_MAX_RCPTS recipients a report's notice and
 *	delivery-status part are not searched per recipient, so the work
 *	per report stays linear.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "classify.h"
#include "classify_int.h"
#include "smtpcmd.h"

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
 * The command, when the parser could not tell: from the diagnostic, else
 * from the human-readable notice, near the recipient's address when the
 * notice names it, or when every mention in the notice agrees.
 */
const char *
cmd_infer(const struct rules *rules, const struct report *r,
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
	    (at = diag_find_ci(np->body, lim, rc->addr)) != NULL) {
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
int
cmd_xunix(const struct report *r, const struct rcpt *rc)
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
	    (at = diag_find_ci(p->body, n, rc->addr)) == NULL) {
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
