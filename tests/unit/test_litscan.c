/*
 * test_litscan.c - the literal scanner and the required literals of patterns
 *
 *	litscan_run() must report every tag whose phrase occurs, ASCII case
 *	ignored, and no other: checked against a plain search on a table of
 *	texts and on random ones.  rx_literals() must only ever return
 *	literals a match cannot do without: the table pins what it finds for
 *	typical rule patterns, and for every pattern of the table and of
 *	rules/ (reasons, causes, formats, lang) a random test checks that
 *	whenever PCRE2 matches a text, one of the literals occurs in it, and
 *	a non-ASCII byte when rx_literals() says every match needs one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "litscan.h"
#include "testrules.h"

/* ---- litscan ---------------------------------------------------------- */

static const char *const phrases[] = {
	"user unknown", "unknown", "mailbox full", "box", "550 5.1.1",
	"no such user", "such", "a", "quota", "over quota", "\xc3\xa9t\xc3\xa9",
	NULL
};

static const char *const texts[] = {
	"", "x", "550 5.1.1 <a@b>: User Unknown", "MAILBOX FULL",
	"the user's mailbox is over quota", "no such user here",
	"Suchlike", "l'\xc3\xa9t\xc3\xa9 dernier", "bbbbbbbbbbbbbbbbb",
	"unknow", "over quot", NULL
};

/* The plain answer: does p occur in s, ASCII case ignored? */
static int
naive(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p), i, j;

	for (i = 0; i + k <= n; i++) {
		for (j = 0; j < k; j++) {
			int a = (unsigned char)s[i + j], b = (unsigned char)p[j];

			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (b >= 'A' && b <= 'Z')
				b += 32;
			if (a != b)
				break;
		}
		if (j == k)
			return (1);
	}
	return (0);
}

static struct litscan *
build(void)
{
	struct litscan *ls;
	size_t i;

	assert_non_null(ls = litscan_new());
	for (i = 0; phrases[i] != NULL; i++)
		assert_int_equal(litscan_add(ls, phrases[i], strlen(phrases[i]),
		    (unsigned)i), 0);
	assert_int_equal(litscan_build(ls), 0);
	assert_int_equal(litscan_ntags(ls), i);
	return (ls);
}

static void
check_text(const struct litscan *ls, const char *s, size_t n)
{
	unsigned char hit[32];
	size_t i;

	memset(hit, 0, sizeof(hit));
	litscan_run(ls, s, n, hit);
	for (i = 0; phrases[i] != NULL; i++) {
		if (hit[i] != naive(s, n, phrases[i]))
			fail_msg("\"%.*s\": phrase \"%s\" %d, want %d", (int)n,
			    s, phrases[i], hit[i], naive(s, n, phrases[i]));
		assert_int_equal(lit_find_ci(s, n, phrases[i],
		    strlen(phrases[i]), lit_anchor(phrases[i],
		    strlen(phrases[i]))), naive(s, n, phrases[i]));
	}
}

static void
t_scan_table(void **state)
{
	struct litscan *ls = build();
	size_t i;

	(void)state;
	for (i = 0; texts[i] != NULL; i++)
		check_text(ls, texts[i], strlen(texts[i]));
	litscan_free(ls);
}

static void
t_scan_random(void **state)
{
	static const char alpha[] = "abnoqrsuUNOKWX 5.1";
	struct litscan *ls = build();
	char s[64];
	size_t i, n, k;

	(void)state;
	srandom(7);
	for (i = 0; i < 20000; i++) {
		n = (size_t)random() % sizeof(s);
		for (k = 0; k < n; k++)
			s[k] = alpha[random() % (sizeof(alpha) - 1)];
		if (i % 3 == 0 && n > 14) {	/* plant a phrase */
			const char *p = phrases[random() % 10];

			memcpy(s + random() % (n - strlen(p) + 1), p,
			    strlen(p));
		}
		check_text(ls, s, n);
	}
	litscan_free(ls);
}

/*
 * An automaton too big for a whole move table (litscan.c: LS_DFA_MAX):
 * rows for the shallow nodes only, the links from the deeper ones.  Many
 * phrases over a wide alphabet, random texts with some of them planted.
 */
#define BIG_N	3000

static void
t_scan_big(void **state)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789 .-";
	static char big[BIG_N][20];
	static unsigned char hit[BIG_N];
	struct litscan *ls;
	char s[400];
	size_t i, j, n, k, len;

	(void)state;
	srandom(17);
	assert_non_null(ls = litscan_new());
	for (i = 0; i < BIG_N; i++) {
		len = 4 + (size_t)random() % 12;
		for (k = 0; k < len; k++)
			big[i][k] = alpha[random() % 12];  /* shared prefixes */
		big[i][len] = '\0';
		/* the tail from the whole alphabet: a wide, deep trie */
		for (k = len / 2; k < len; k++)
			big[i][k] = alpha[random() % (sizeof(alpha) - 1)];
		assert_int_equal(litscan_add(ls, big[i], len, (unsigned)i), 0);
	}
	assert_int_equal(litscan_build(ls), 0);
	for (j = 0; j < 300; j++) {
		n = (size_t)random() % sizeof(s);
		for (k = 0; k < n; k++)
			s[k] = alpha[random() % (j % 2 ? 12 : sizeof(alpha) - 1)];
		for (k = 0; k < 3 && n > 20; k++) {	/* plant some */
			const char *p = big[random() % BIG_N];

			memcpy(s + random() % (n - strlen(p) + 1), p,
			    strlen(p));
		}
		memset(hit, 0, sizeof(hit));
		litscan_run(ls, s, n, hit);
		for (i = 0; i < BIG_N; i++)
			if (hit[i] != naive(s, n, big[i]))
				fail_msg("\"%.*s\": phrase \"%s\" %d, want %d",
				    (int)n, s, big[i], hit[i],
				    naive(s, n, big[i]));
	}
	litscan_free(ls);
}

/* ---- rx_literals ------------------------------------------------------ */

static const struct {
	const char	*re;
	int		 flags;
	const char	*want;	/* the literals joined by '|', "" for none */
} lits[] = {
	{ "user unknown", 0, "user unknown" },
	{ "mailbox .*full", 0, "mailbox " },
	{ "over .*quota", 0, "over " },
	{ "quota .*exceeded", 0, "exceeded" },
	{ "rcpt \\(.*t exist", 0, "t exist" },
	{ "user \\(.*\\) unknown", 0, ") unknown" },
	{ "unknown e.*mail address", 0, "mail address" },
	{ "dns domain \\S+ does not exist", 0, " does not exist" },
	{ "colou?r", 0, "colo" },
	{ "ab+c", 0, "ab" },
	{ "x{2,3}yz", 0, "yz" },
	{ "a{x", 0, "x" },		/* { that is no quantifier */
	{ "(?:a|b)cde", 0, "cde" },
	{ "^(?<addr>[^@]+@example\\.com)$", 0, "@example.com" },
	{ "x(abcd)?ef", 0, "ef" },		/* an optional group */
	{ "x(abcd)*ef", 0, "ef" },
	{ "x(abcd){0,2}ef", 0, "ef" },
	{ "x(?:ab(cdefg))+h", 0, "cdefg" },
	{ "(?=abcd)x", 0, "x" },		/* lookaround: opaque */
	{ "(?<!abcd)xy", 0, "xy" },
	{ "(?P<n>abcd)x", 0, "abcd" },
	{ "[abc]defg", 0, "defg" },
	{ "[]x]yz", 0, "yz" },
	{ "foo|barbaz", 0, "foo|barbaz" },
	{ "foo|.*", 0, "" },		/* a branch without one */
	{ "foo|", 0, "" },
	{ "(?x) a b c", 0, "" },	/* extended mode */
	{ "abc(?x:d e)", 0, "" },
	{ "\\d+ days", 0, " days" },
	{ "\\x41bc", 0, "" },		/* an escape with arguments */
	{ "\\Qa.b\\E", 0, "" },
	{ "a\\.b\\-c", 0, "a.b-c" },
	{ "^abcdefghijklmnopqrstuvwxyz 0123456789ABCDEFGHIJ$", 0,
	    "abcdefghijklmnopqrstuvwxyz 01234" },	/* the first 32 bytes */
	{ "^Returned mail:$", 0, "returned mail:" },
	{ "(?i)Mailer-Daemon@", RXL_UTF, "mailer-daemon@" },
	{ "(?i)Mask Desk", RXL_UTF, " de" },	/* no k, s: Kelvin, long s */
	{ "Mask Desk", RXL_UTF, "mask desk" },
	{ "Mailer-Daemon@", RXL_UTF, "mailer-daemon@" },
	{ "caf\xc3\xa9 au lait", RXL_UTF, " au lait" },
	{ "caf\xc3\xa9 au lait", 0, "caf\xc3\xa9 au lait" },
	{ "Delivery Status", RXL_UTF | RXL_CASELESS, "delivery " },
	{ "(?i)Mask Desk", RXL_UTF | RXL_FOLDSAFE, "mask desk" },
	{ "Delivery Status", RXL_UTF | RXL_CASELESS | RXL_FOLDSAFE,
	    "delivery status" },
	/*
	 * A branch whose literal is short (below 4) takes instead the
	 * alternatives of the group, matched once, whose shortest one is
	 * longest, when that is longer.
	 */
	{ "(spf|dkim) (or|and) x", 0, "spf|dkim" },
	{ "(does not|don.t) (meet|follow) (guidelines|requirements)", 0,
	    "guidelines|requirements" },
	{ "(ab|cd) (efgh|ijkl)?", 0, "ab|cd" },	/* an optional group */
	{ "(ab|cd) (efgh|ijkl)*", 0, "ab|cd" },
	{ "(ab|cd) (efgh|ijkl){0,1}", 0, "ab|cd" },
	{ "(?:a|bcdef) x", 0, " x" },	/* one alternative as short */
	{ "(ab|) x", 0, " x" },		/* an empty alternative */
	{ "(ab|c.*) x", 0, " x" },
	{ "(abc|cde.*) x", 0, "abc|cde" },
	{ "(?=spfx|dkimx) y", 0, " y" },	/* lookaround: opaque */
	{ "((abcd|efgh)|ijkl) x", 0, " x" },	/* a nested alternation */
	{ "(abcd|efgh)+ x", 0, "abcd|efgh" },
	{ "(?i)(user|mailbox) (unknown|unavailable)", RXL_UTF,
	    "nown|unavailable" },
	{ "xyz|(aaaa|bbbb) c|longer one", 0, "xyz|aaaa|bbbb|longer one" },
	{ "", 0, "" },
	{ "(", 0, "" },
	{ "abc)", 0, "" },
	{ "[abc", 0, "" },
	{ "abc\\", 0, "" },
};

static void
t_literals_table(void **state)
{
	struct rxlit l;
	char got[1024];
	size_t i, o;
	unsigned k;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		(void)rx_literals(lits[i].re, strlen(lits[i].re),
		    lits[i].flags, &l);
		for (o = 0, k = 0; k < l.n; k++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%.*s",
			    k ? "|" : "", (int)l.len[k], l.s[k]);
		got[o] = '\0';
		if (strcmp(got, lits[i].want) != 0) {
			print_error("/%s/: \"%s\", want \"%s\"\n",
			    lits[i].re, got, lits[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/*
 * For pattern re: random texts built from the pattern's own characters
 * (so that it matches now and then); whenever PCRE2 matches, one of the
 * literals must occur.
 */
static int
check_pattern(const char *re, int flags, unsigned rounds)
{
	pcre2_code *c;
	pcre2_match_data *md;
	struct rxlit l;
	char s[160];
	size_t n, k, rl = strlen(re), off;
	int ec, matched = 0;
	PCRE2_SIZE eo;
	unsigned r;

	c = pcre2_compile((PCRE2_SPTR)re, rl, (flags & RXL_UTF ? PCRE2_UTF |
	    PCRE2_MATCH_INVALID_UTF : 0) | (flags & RXL_CASELESS ?
	    PCRE2_CASELESS : 0), &ec, &eo, NULL);
	if (c == NULL)
		return (0);
	md = pcre2_match_data_create(1, NULL);
	(void)rx_literals(re, rl, flags, &l);
	for (r = 0; r < rounds && (l.n > 0 || l.high) && rl > 0; r++) {
		n = (size_t)random() % sizeof(s);
		for (k = 0; k < n; k++)
			s[k] = re[random() % rl];
		/* now and then a piece of the pattern itself, or a literal */
		if (n > 40 && r % 2 == 0) {
			off = (size_t)random() % (n - 40);
			k = rl < 40 ? rl : 40;
			memcpy(s + off, re, k);
		}
		if (pcre2_match(c, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0) {
			matched++;
			if (!rxlit_find(&l, s, n) && !((flags & RXL_FOLDSAFE) &&
			    lit_ksfold(s, n)))
				fail_msg("/%s/ matches \"%.*s\" without its "
				    "literal \"%.*s\"", re, (int)n, s,
				    (int)l.len[0], l.s[0]);
			if (l.high && !rxlit_high(s, n))
				fail_msg("/%s/ matches \"%.*s\", ASCII only",
				    re, (int)n, s);
		}
	}
	pcre2_match_data_free(md);
	pcre2_code_free(c);
	return (matched);
}

static void
t_literals_sound(void **state)
{
	size_t i;

	(void)state;
	srandom(11);
	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
		(void)check_pattern(lits[i].re, lits[i].flags, 3000);
}

/* Caseless UTF matching folds k and s with non-ASCII letters. */
static void
t_literals_fold(void **state)
{
	static const char *const subj[] = { "DESK", "de\xc5\xbfk",
	    "des\xe2\x84\xaa", NULL };
	pcre2_code *c;
	pcre2_match_data *md;
	struct rxlit l;
	const char *re = "(?i)desk";
	int ec;
	PCRE2_SIZE eo;
	size_t i;

	(void)state;
	assert_non_null(c = pcre2_compile((PCRE2_SPTR)re, strlen(re),
	    PCRE2_UTF, &ec, &eo, NULL));
	assert_non_null(md = pcre2_match_data_create(1, NULL));
	assert_int_equal(rx_literals(re, strlen(re), RXL_UTF, &l), 1);
	for (i = 0; subj[i] != NULL; i++) {
		assert_true(pcre2_match(c, (PCRE2_SPTR)subj[i],
		    strlen(subj[i]), 0, 0, md, NULL) >= 0);
		assert_true(rxlit_find(&l, subj[i], strlen(subj[i])));
	}
	/* RXL_FOLDSAFE keeps k and s; lit_ksfold() tells the texts for
	 * which the caller must then skip the literals */
	assert_int_equal(rx_literals(re, strlen(re), RXL_UTF | RXL_FOLDSAFE,
	    &l), 1);
	assert_int_equal(l.len[0], 4);
	assert_memory_equal(l.s[0], "desk", 4);
	assert_true(rxlit_find(&l, subj[0], strlen(subj[0])));
	assert_false(lit_ksfold(subj[0], strlen(subj[0])));
	for (i = 1; subj[i] != NULL; i++) {
		assert_false(rxlit_find(&l, subj[i], strlen(subj[i])));
		assert_true(lit_ksfold(subj[i], strlen(subj[i])));
	}
	assert_false(lit_ksfold("\xc5", 1));		/* cut short */
	assert_false(lit_ksfold("\xe2\x84", 2));
	assert_false(lit_ksfold("\xc5\xbe\xe2\x84\xab", 5));	/* neighbours */
	pcre2_match_data_free(md);
	pcre2_code_free(c);
}

/*
 * out->high: every match holds a non-ASCII byte (a pattern of Cyrillic
 * or CJK words cannot match ASCII text), never for a character that is
 * optional, in a class, or one that caseless matching folds with ASCII.
 */
static void
t_literals_high(void **state)
{
	static const struct { const char *re; int high; } t[] = {
		{ "(?i)\xd0\xb7\xd0\xb0\xd0\xb4\xd0\xb5\xd1\x80", 1 },
		{ "(?:\xe9\x85\x8d\xe4\xbf\xa1|\xe9\x80\x81)x", 1 },
		{ "(?:\xe9\x85\x8d\xe4\xbf\xa1|send)x", 0 },
		{ "(?:\xe9\x85\x8d)?x", 0 },
		{ "caf\xc3\xa9?", 0 },
		{ "caf\xc3\xa9+", 1 },
		{ "caf\xc3\xa9{0,1}", 0 },
		{ "a|\xc3\xa9", 0 },
		{ "\xc3\xa9|\xc3\xbc", 1 },
		{ "[\xc3\xa9]", 0 },
		{ "(?i)de\xc5\xbfk", 0 },		/* the long s */
		{ "(?i)\xe2\x84\xaa" "elvin", 0 },	/* the Kelvin sign */
		{ "(?i)\xc4\xb0stanbul", 0 },		/* the dotted I */
		{ "(?=\xc3\xa9)\\w", 0 },		/* a lookahead */
		{ "\\Q\xc3\xa9\\E", 0 },
		{ "(?x)\xc3\xa9", 0 },
	};
	struct rxlit l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		(void)rx_literals(t[i].re, strlen(t[i].re), RXL_UTF, &l);
		if (l.high != t[i].high)
			fail_msg("/%s/: high %d, want %d", t[i].re, l.high,
			    t[i].high);
		(void)check_pattern(t[i].re, RXL_UTF, 500);
	}
	assert_false(rxlit_high("", 0));
	assert_false(rxlit_high("plain ASCII text, 7 bits", 24));
	assert_true(rxlit_high("plain ASCII text\xc3\xa9", 18));
	assert_true(rxlit_high("\x80", 1));
}

/* Every pattern line of the shipped rules, as the loaders compile them. */
static void
t_literals_rules(void **state)
{
	static const char *const files[] = { "reasons.rules",
	    "causes.rules", NULL };
	const char *dir = tu_rules_dir();
	char path[1024], line[4096], *p, *e;
	FILE *fp;
	size_t i, npat = 0;

	(void)state;
	srandom(13);
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((fp = fopen(path, "r")) == NULL)
			skip();
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			/* causes.rules: a regex line, as cause.c reads it */
			if (strncmp(line, "\tregex\t", 7) == 0) {
				for (p = line + 7; *p == '\t'; p++)
					;
				(void)check_pattern(p, RXL_UTF | RXL_FOLDSAFE,
				    200);
				npat++;
				continue;
			}
			if ((p = strchr(line, '~')) == NULL)
				continue;
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
			(void)check_pattern(p, RXL_CASELESS, 200);
			npat++;
		}
		fclose(fp);
	}
	/* rules/lang: DIRECTIVE [ARG] PATTERN, the pattern the last field */
	{
		FILE *ls;
		char cmd[1200], name[1024];

		snprintf(cmd, sizeof(cmd), "ls %s/lang/*.rules", dir);
		if ((ls = popen(cmd, "r")) != NULL) {
			while (fgets(name, sizeof(name), ls) != NULL) {
				name[strcspn(name, "\n")] = '\0';
				if ((fp = fopen(name, "r")) == NULL)
					continue;
				while (fgets(line, sizeof(line), fp) != NULL) {
					line[strcspn(line, "\n")] = '\0';
					if (line[0] == '#' || line[0] == '\0' ||
					    (p = strrchr(line, '\t')) == NULL)
						continue;
					(void)check_pattern(p + 1, RXL_UTF, 200);
					npat++;
				}
				fclose(fp);
			}
			pclose(ls);
		}
	}
	snprintf(path, sizeof(path), "%s/formats", dir);
	for (i = 0; i < 1; i++) {
		FILE *ls;
		char cmd[1200], name[1024];

		snprintf(cmd, sizeof(cmd), "ls %s/*.fmt", path);
		if ((ls = popen(cmd, "r")) == NULL)
			break;
		while (fgets(name, sizeof(name), ls) != NULL) {
			name[strcspn(name, "\n")] = '\0';
			if ((fp = fopen(name, "r")) == NULL)
				continue;
			while (fgets(line, sizeof(line), fp) != NULL) {
				line[strcspn(line, "\n")] = '\0';
				if (line[0] == '#' || line[0] == '\0')
					continue;
				/* KEYWORD [NAME] REGEX: try both splits */
				p = line + strcspn(line, " \t");
				p += strspn(p, " \t");
				(void)check_pattern(p, RXL_UTF, 100);
				e = p + strcspn(p, " \t");
				e += strspn(e, " \t");
				if (*e != '\0')
					(void)check_pattern(e, RXL_UTF, 100);
				npat++;
			}
			fclose(fp);
		}
		pclose(ls);
	}
	assert_true(npat > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_scan_table),
		cmocka_unit_test(t_scan_random),
		cmocka_unit_test(t_scan_big),
		cmocka_unit_test(t_literals_table),
		cmocka_unit_test(t_literals_sound),
		cmocka_unit_test(t_literals_fold),
		cmocka_unit_test(t_literals_high),
		cmocka_unit_test(t_literals_rules),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
