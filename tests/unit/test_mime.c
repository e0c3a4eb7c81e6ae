/*
 * test_mime.c - unit tests of the MIME walk (mime.h)
 *
 *	Table-driven: header unfolding, Content-Type parameters, tree shapes
 *	(nested multiparts, missing boundaries, embeddings), transfer
 *	decodings, RFC 2047 words, charsets (and charset_conv() against a
 *	plain iconv() reference on random text), limits, hostile input,
 *	arena block reuse, and a walk over the shared corpus
 *	($SHARED/corpus, skipped when absent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>
#include <iconv.h>

#include "arena.h"
#include "buf.h"
#include "charset.h"
#include "mime.h"
#include "testutil.h"

static const struct mime_limits deflim = { 32, 1000 };

/* Parse a NUL-terminated message with the default limits. */
static struct mime_msg
parse(struct arena *a, const char *msg)
{
	struct mime_msg m;

	assert_int_equal(mime_parse(a, msg, strlen(msg), &deflim, &m), 0);
	assert_non_null(m.root);
	return (m);
}

/* "type(child,child)" for a subtree. */
static void
tree_str(const struct mime_part *p, char *out, size_t sz)
{
	const struct mime_part *c;

	strncat(out, p->type, sz - strlen(out) - 1);
	if (p->child == NULL)
		return;
	strncat(out, "(", sz - strlen(out) - 1);
	for (c = p->child; c != NULL; c = c->next) {
		tree_str(c, out, sz);
		if (c->next != NULL)
			strncat(out, ",", sz - strlen(out) - 1);
	}
	strncat(out, ")", sz - strlen(out) - 1);
}

/* The n-th leaf (0-based, document order). */
static const struct mime_part *
leaf(const struct mime_part *p, int *n)
{
	const struct mime_part *c, *r;

	if (p->child == NULL)
		return ((*n)-- == 0 ? p : NULL);
	for (c = p->child; c != NULL; c = c->next)
		if ((r = leaf(c, n)) != NULL)
			return (r);
	return (NULL);
}

/*
 * Header unfolding.
 */
static const struct {
	const char	*msg;
	const char	*name;
	const char	*value;		/* NULL: absent */
} hdr_cases[] = {
	{ "Subject: hello\n\nbody", "subject", "hello" },
	{ "Subject: a\r\n b\r\n\tc\r\n\r\nbody", "Subject", "a b\tc" },
	{ "Subject:   spaced   \n\n", "Subject", "spaced" },
	{ "Subject:\n folded only\n\n", "Subject", "folded only" },
	{ "X-A: 1\nX-B: 2\n\n", "x-b", "2" },
	{ "Subject : obsolete space\n\n", "Subject", "obsolete space" },
	{ "From nobody Mon Jan 1 00:00:00 2024\nSubject: mbox\n\n",
	    "Subject", "mbox" },
	{ "Subject: no separator\nX-Last: yes", "X-Last", "yes" },
	{ "Subject: a\nthis is body text\nX-Not: header\n", "X-Not", NULL },
	{ "just a body line\nSubject: no\n", "Subject", NULL },
	{ "Subject: x\n \n\n", "Subject", "x" },
	{ "Empty:\n\n", "Empty", "" },
	{ "\r\n\nSubject: after blank lines\n\nbody", "Subject",
	    "after blank lines" },
	/* folds that lost their indentation, the block ended by a blank */
	{ "X-Info:\nQUJD+/=\nX-Next: 1\n\nbody\n", "X-Info", "QUJD+/=" },
	{ "DKIM-Signature: v=1;\ns=sel;\nb=xyz\nReceived: from a\n"
	  "(10.0.0.1) by b\n\nbody\n", "Received", "from a (10.0.0.1) by b" },
	{ "DKIM-Signature: v=1;\ns=sel;\nb=xyz\nReceived: from a\n\n",
	  "DKIM-Signature", "v=1; s=sel; b=xyz" },
	/* ... but not when no blank line ends the block */
	{ "Subject: a\nplain text\nX-Not: header\nmore\n", "X-Not", NULL },
};

static void
test_unfold(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m = parse(a, hdr_cases[i].msg);
		const char *v = mime_hdr_get(m.root, hdr_cases[i].name);

		if (hdr_cases[i].value == NULL ? v != NULL : v == NULL ||
		    strcmp(v, hdr_cases[i].value) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i,
			    v ? v : "(null)", hdr_cases[i].value ?
			    hdr_cases[i].value : "(null)");
		arena_free(a);
	}
}

static void
test_hdr_next(void **state)
{
	struct arena *a = arena_new(0);
	struct mime_msg m;
	size_t it = 0;
	const char *v;
	int n = 0;

	(void)state;
	m = parse(a, "Received: one\nX: y\nreceived: two\n  more\n"
	    "RECEIVED: three\n\nbody\n");
	while ((v = mime_hdr_next(m.root, "Received", &it)) != NULL) {
		static const char *const want[] = { "one", "two  more", "three" };
		assert_true(n < 3);
		assert_string_equal(v, want[n]);
		n++;
	}
	assert_int_equal(n, 3);
	assert_string_equal(m.root->hdrs[0].name, "Received");
	assert_string_equal(m.root->body, "body\n");
	/* names with the same length and first letter (one key), names
	 * that differ in case or only in length; '@' and '`' share a key */
	m = parse(a, "X-Ab: 1\nx-aB: 2\nX-Ac: 3\nX-A: 4\nX-Abc: 5\n"
	    "@b: 6\n\n");
	it = 0;
	assert_string_equal(mime_hdr_next(m.root, "x-ab", &it), "1");
	assert_string_equal(mime_hdr_next(m.root, "x-ab", &it), "2");
	assert_null(mime_hdr_next(m.root, "x-ab", &it));
	assert_null(mime_hdr_next(m.root, "x-ab", &it));
	assert_string_equal(mime_hdr_get(m.root, "X-AC"), "3");
	assert_string_equal(mime_hdr_get(m.root, "x-a"), "4");
	assert_string_equal(mime_hdr_get(m.root, "X-ABC"), "5");
	assert_null(mime_hdr_get(m.root, "X-Ad"));
	assert_null(mime_hdr_get(m.root, "Y-Ab"));
	assert_null(mime_hdr_get(m.root, ""));
	assert_string_equal(mime_hdr_get(m.root, "@B"), "6");
	assert_null(mime_hdr_get(m.root, "`b"));
	arena_free(a);
}

/*
 * Content-Type and its parameters.
 */
static const struct {
	const char	*ct;
	const char	*type;
	const char	*charset;
	const char	*boundary;	/* NULL: none expected */
} ct_cases[] = {
	{ "text/plain", "text/plain", "", NULL },
	{ "TEXT/HTML; CHARSET=ISO-8859-1", "text/html", "iso-8859-1", NULL },
	{ "text/plain; charset=\"UTF-8\"", "text/plain", "utf-8", NULL },
	{ "text/plain;charset=us-ascii;format=flowed", "text/plain",
	    "us-ascii", NULL },
	{ "text/plain; format=flowed; charset = \"x\\\"y\"", "text/plain",
	    "x\"y", NULL },
	{ "multipart/mixed; boundary=\"a b;c\"", "multipart/mixed", "",
	    "a b;c" },
	{ "multipart/mixed; boundary=simple", "multipart/mixed", "", "simple" },
	{ "multipart/mixed;\n\tboundary=\"folded\"", "multipart/mixed", "",
	    "folded" },
	{ "multipart/mixed; boundary*0=\"ab\"; boundary*1=\"cd\"",
	    "multipart/mixed", "", "abcd" },
	{ "multipart/mixed; boundary*1=\"cd\"; boundary*0=\"ab\"",
	    "multipart/mixed", "", "abcd" },
	{ "text/plain; charset*=utf-8''%55TF-8", "text/plain", "utf-8", NULL },
	{ "text/plain; name=\"a;b\"; charset=koi8-r", "text/plain", "koi8-r",
	    NULL },
	{ "garbage", "text/plain", "", NULL },
	{ "/plain", "text/plain", "", NULL },
	{ "text/", "text/plain", "", NULL },
	{ "", "text/plain", "", NULL },
	{ "message / rfc822", "message/rfc822", "", NULL },
};

static void
test_content_type(void **state)
{
	char msg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ct_cases) / sizeof(ct_cases[0]); i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m;

		snprintf(msg, sizeof(msg), "Content-Type: %s\n\n", ct_cases[i].ct);
		m = parse(a, msg);
		assert_string_equal(m.root->type, ct_cases[i].type);
		assert_string_equal(m.root->charset, ct_cases[i].charset);
		if (ct_cases[i].boundary == NULL)
			assert_null(m.root->boundary);
		else {
			assert_non_null(m.root->boundary);
			assert_string_equal(m.root->boundary,
			    ct_cases[i].boundary);
		}
		arena_free(a);
	}
}

/*
 * Tree shapes.
 */
static const struct {
	const char	*msg;
	const char	*tree;
	unsigned	 flags;
} tree_cases[] = {
	{ "Subject: plain\n\nhello\n", "text/plain", 0 },
	{ "Content-Type: multipart/mixed; boundary=b\n\n"
	  "preamble\n--b\nContent-Type: text/plain\n\none\n"
	  "--b\nContent-Type: text/html\n\n<p>two</p>\n--b--\nepilogue\n",
	  "multipart/mixed(text/plain,text/html)", 0 },
	/* nested, CRLF, trailing white space after the boundary */
	{ "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
	  "--outer  \r\nContent-Type: multipart/alternative; boundary=inner\r\n"
	  "\r\n--inner\r\n\r\na\r\n--inner\r\nContent-Type: text/html\r\n\r\n"
	  "b\r\n--inner--\r\n--outer\t\r\nContent-Type: message/rfc822\r\n"
	  "\r\nSubject: inner\r\n\r\nc\r\n--outer--\r\n",
	  "multipart/mixed(multipart/alternative(text/plain,text/html),"
	  "message/rfc822(text/plain))", 0 },
	/* missing final boundary */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n",
	  "multipart/mixed(text/plain,text/plain)", MIME_NO_END },
	/* boundary never appears: the body as one text part */
	{ "Content-Type: multipart/report; boundary=zz\n\nStatus: 5.1.1\n",
	  "multipart/report(text/plain)", MIME_NO_END },
	/* no boundary parameter at all */
	{ "Content-Type: multipart/mixed\n\nsome text\n",
	  "multipart/mixed(text/plain)", MIME_NO_END },
	/* a longer line that starts with the boundary is not one */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n--b--\n",
	  "multipart/mixed(text/plain)", 0 },
	/*
	 * the delimiter search (a skip table per body): a boundary made of
	 * one repeated byte, one that is a prefix of the inner one, a
	 * boundary inside a line (not a delimiter), "--b" as the body's
	 * very first and last bytes
	 */
	{ "Content-Type: multipart/mixed; boundary=\"aaaa\"\n\n"
	  "--aaaa\n\nx --aaaa y\naaaaa--aaaaa\n--aaaa\n\ntwo\n--aaaa--",
	  "multipart/mixed(text/plain,text/plain)", 0 },
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: multipart/alternative; boundary=b2\n\n"
	  "--b2\n\none\n--b2\n\ntwo\n--b2--\n--b\n\nthree\n--b--\n",
	  "multipart/mixed(multipart/alternative(text/plain,text/plain),"
	  "text/plain)", 0 },
	{ "Content-Type: multipart/mixed; boundary=\"=_x.y\"\n\n"
	  "--=_x.y\nContent-Transfer-Encoding: base64\n\n"
	  "PV94LnktLT1feC55PV94Lnk=\n--=_x.y--\n",
	  "multipart/mixed(text/plain)", 0 },
	/* digest: parts default to message/rfc822 */
	{ "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: x\n\n"
	  "y\n--d--\n", "multipart/digest(message/rfc822(text/plain))", 0 },
	/* message/rfc822 whose content is base64 */
	{ "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  "U3ViamVjdDogaGkKQ29udGVudC1UeXBlOiB0ZXh0L2h0bWwKCmJvZHkK\n",
	  "message/rfc822(text/html)", 0 },
	{ "Content-Type: text/rfc822-headers\n\nFrom: a@b\nSubject: s\n",
	  "text/rfc822-headers(text/plain)", 0 },
	{ "Content-Type: message/global\n\nSubject: g\n\nbody\n",
	  "message/global(text/plain)", 0 },
	/* embedded message with leading blank lines */
	{ "Content-Type: message/rfc822\n\n\n\nSubject: late\n\nx\n",
	  "message/rfc822(text/plain)", 0 },
	/* only headers, no body */
	{ "Content-Type: multipart/mixed; boundary=q\n",
	  "multipart/mixed(text/plain)", MIME_NO_END },
	/* empty input */
	{ "", "text/plain", 0 },
	/* a delimiter indented by a space */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n --b\n"
	  "Content-Type: text/html\n\ntwo\n--b--\n",
	  "multipart/mixed(text/plain,text/html)", 0 },
	/* a report whose boundary is gone: cut at its field block */
	{ "Content-Type: multipart/report; report-type=delivery-status;\n"
	  " boundary=gone\n\nSorry.\n\nReporting-MTA: dns; mx\n\n"
	  "Final-Recipient: rfc822; a@b\nAction: failed\nStatus: 5.1.1\n\n"
	  "Received: from x\nSubject: orig\n\nhello\n",
	  "multipart/report(text/plain,message/delivery-status,"
	  "message/rfc822(text/plain))", MIME_NO_END },
	{ "Content-Type: multipart/report; report-type=feedback-report;\n"
	  " boundary=gone\n\nFeedback-Type: abuse\nUser-Agent: x\n\n"
	  "just text\n",
	  "multipart/report(message/feedback-report,text/plain)", MIME_NO_END },
	/* a message pasted into a multipart without part headers */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nsorry\n--b\n"
	  "Received: from x\nFrom: a@b\nSubject: s\n\nbody\n--b--\n",
	  "multipart/mixed(text/plain,message/rfc822(text/plain))", 0 },
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Return-Path: <a@b>\nTo: c@d\nContent-Type: text/html\n\nx\n--b--\n",
	  "multipart/mixed(message/rfc822(text/html))", 0 },
	/* part headers first: an ordinary part */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: text/html\nFrom: a@b\nTo: c@d\n\nx\n--b--\n",
	  "multipart/mixed(text/html)", 0 },
	/* close delimiter right after the headers: an empty multipart */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b--\n",
	  "multipart/mixed", 0 },
};

static void
test_tree(void **state)
{
	char got[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tree_cases) / sizeof(tree_cases[0]); i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m = parse(a, tree_cases[i].msg);

		got[0] = '\0';
		tree_str(m.root, got, sizeof(got));
		if (strcmp(got, tree_cases[i].tree) != 0)
			fail_msg("case %zu: got %s want %s", i, got,
			    tree_cases[i].tree);
		assert_int_equal(m.flags, tree_cases[i].flags);
		arena_free(a);
	}
}

/*
 * A multipart's epilogue: what follows its close delimiter (the walk's
 * own, a delimiter line, not the first "--b--" anywhere), or none.
 */
static const struct {
	const char	*msg;
	const char	*epilogue;	/* NULL: none */
} epilogue_cases[] = {
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n"
	  "--b--\nafter\n", "\nafter\n" },
	/* indented, with white space after it */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n"
	  " --b--  \nmore", "  \nmore" },
	/* "--b--" inside a line comes first: not the delimiter */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nsee --b-- here\n"
	  "--b--\nrest", "\nrest" },
	/* the close delimiter is the body's last bytes */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b--",
	  "" },
	/* no close delimiter, no boundary, not a multipart */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n", NULL },
	{ "Content-Type: multipart/mixed\n\none\n--b--\nx\n", NULL },
	{ "Subject: plain\n\n--b--\nx\n", NULL },
};

static void
test_epilogue(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(epilogue_cases) / sizeof(epilogue_cases[0]);
	    i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m = parse(a, epilogue_cases[i].msg);
		const char *want = epilogue_cases[i].epilogue;

		if (want == NULL) {
			if (m.root->epilogue != NULL)
				fail_msg("case %zu: an epilogue", i);
		} else if (m.root->epilogue == NULL ||
		    m.root->epiloguelen != strlen(want) ||
		    memcmp(m.root->epilogue, want, strlen(want)) != 0)
			fail_msg("case %zu: epilogue %.*s want %s", i,
			    m.root->epilogue != NULL ?
			    (int)m.root->epiloguelen : 4,
			    m.root->epilogue != NULL ? m.root->epilogue :
			    "none", want);
		arena_free(a);
	}
}

/*
 * Leaf bodies: transfer decodings, line ends, charsets.
 */
static const struct {
	const char	*msg;
	int		 leaf;		/* index in document order */
	const char	*body;
	size_t		 len;		/* 0: strlen(body) */
} body_cases[] = {
	{ "Subject: x\r\n\r\nline1\r\nline2\r\n", 0, "line1\nline2\n", 0 },
	{ "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n", 0,
	    "hello world", 0 },
	/* missing padding, junk and line breaks inside */
	{ "Content-Transfer-Encoding: BASE64\n\naGVs\nbG8g!!d29y*bGQ\n", 0,
	    "hello world", 0 },
	/* two padded chunks in a row */
	{ "Content-Transfer-Encoding: base64\n\nYQ==Yg==\n", 0, "ab", 0 },
	/* base64 with CRLF inside a text part: CRLF -> LF */
	{ "Content-Transfer-Encoding: base64\n\nYQ0KYg0K\n", 0, "a\nb\n", 0 },
	{ "Content-Transfer-Encoding: quoted-printable\n\n"
	  "caf=C3=A9 soft=\nbreak =3D x\n", 0, "caf\xc3\xa9 softbreak = x\n", 0 },
	/* broken escapes are kept; soft break with trailing blanks */
	{ "Content-Transfer-Encoding: quoted-printable\n\n"
	  "a=ZZb=4 c= \t\nd=\r\ne=", 0, "a=ZZb=4 cde", 0 },
	/* lower-case hex is tolerated */
	{ "Content-Transfer-Encoding: quoted-printable\n\n=c3=a9", 0,
	    "\xc3\xa9", 0 },
	/* non-textual parts are decoded but not converted */
	{ "Content-Type: application/octet-stream\n"
	  "Content-Transfer-Encoding: base64\n\nAP8NCg==\n", 0,
	    "\x00\xff\r\n", 4 },
	/* NUL and invalid bytes in text become U+FFFD */
	{ "Subject: n\n\na\xff" "b", 0, "a\xef\xbf\xbd" "b", 0 },
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: text/plain; charset=iso-8859-1\n"
	  "Content-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe\n"
	  "--b\nContent-Type: message/delivery-status\n\n"
	  "Action: failed\r\nStatus: 5.1.1\r\n--b--\n", 1,
	    "Action: failed\nStatus: 5.1.1", 0 },
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: text/plain; charset=iso-8859-1\n"
	  "Content-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe\n--b--\n", 0,
	    "Gr\xc3\xbc\xc3\x9f" "e", 0 },
	/* non-MIME Japanese text: ISO-2022-JP escapes, no charset */
	{ "Subject: jis\n\n\x1b\x24\x42\x46\x7c\x4b\x5c\x38\x6c\x1b\x28\x42\n",
	    0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n", 0 },
	/* UTF-8 text quoting ISO-2022-JP runs: each run converted alone */
	{ "Subject: mixed\n\ncaf\xc3\xa9 \x1b\x24\x42\x46\x7c\x1b\x28\x42 ok\n"
	  "\x1b\x24\x42\x4b\x5c\nnext\n", 0,
	    "caf\xc3\xa9 \xe6\x97\xa5 ok\n\xe6\x9c\xac\nnext\n", 0 },
	{ "Content-Type: text/plain; charset=x-what\n\n"
	  "\x1b\x24\x42\x46\x7c\x1b\x28\x42", 0, "\xe6\x97\xa5", 0 },
	/* labelled ISO-2022-JP, sent as Shift_JIS */
	{ "Content-Type: text/plain; charset=ISO-2022-JP\n\n"
	  "\x93\xfa\x96\x7b\x8c\xea", 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 0 },
	/* labelled ISO-2022-JP, sent as EUC-JP */
	{ "Content-Type: text/plain; charset=iso-2022-jp\n\n"
	  "\xc6\xfc\xcb\xdc\xb8\xec", 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 0 },
	/* labelled ISO-2022-JP, sent as UTF-8 */
	{ "Content-Type: text/plain; charset=iso-2022-jp\n\n"
	  "\xe6\x97\xa5", 0, "\xe6\x97\xa5", 0 },
	/* a body with NUL bytes in a non-text part keeps its length */
	{ "Content-Type: image/png\n\nab\0cd", 0, "ab\0cd", 5 },
};

static void
test_bodies(void **state)
{
	size_t i, len, msglen;

	(void)state;
	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m;
		const struct mime_part *p;
		int n = body_cases[i].leaf;

		msglen = strlen(body_cases[i].msg);
		if (i == sizeof(body_cases) / sizeof(body_cases[0]) - 1)
			msglen += 3;	/* the NUL case: "cd" after the NUL */
		assert_int_equal(mime_parse(a, body_cases[i].msg, msglen,
		    &deflim, &m), 0);
		p = leaf(m.root, &n);
		if (p == NULL)
			fail_msg("case %zu: no leaf %d", i, body_cases[i].leaf);
		len = body_cases[i].len ? body_cases[i].len :
		    strlen(body_cases[i].body);
		if (p->bodylen != len || memcmp(p->body, body_cases[i].body,
		    len) != 0)
			fail_msg("case %zu: got [%s] (%zu) want [%s]", i,
			    p->body, p->bodylen, body_cases[i].body);
		assert_int_equal(p->body[p->bodylen], '\0');
		arena_free(a);
	}
}

/*
 * RFC 2047 encoded words.
 */
static const struct {
	const char	*in;
	const char	*out;
} word_cases[] = {
	{ "plain text", "plain text" },
	{ "=?utf-8?B?44GT44KT44Gr44Gh44Gv?=", "\xe3\x81\x93\xe3\x82\x93"
	    "\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf" },
	{ "=?ISO-8859-1?Q?Gr=FC=DFe_aus?= Bonn", "Gr\xc3\xbc\xc3\x9f" "e aus Bonn" },
	{ "=?iso-2022-jp?B?GyRCRnxLXDhsJUYlOSVIGyhC?=",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xb9"
	    "\xe3\x83\x88" },
	/* adjacent words: the white space between them goes */
	{ "=?us-ascii?Q?a?= =?us-ascii?Q?b?=\r\n\t=?us-ascii?Q?c?=", "abc" },
	/* a UTF-8 character split over two words */
	{ "=?utf-8?B?44E=?= =?utf-8?B?kw==?=", "\xe3\x81\x93" },
	/* mixed charsets, text around */
	{ "Re: =?utf-8?q?caf=C3=A9?= and =?koi8-r?B?8NLJ18XU?= end",
	    "Re: caf\xc3\xa9 and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
	    "\xd1\x82 end" },
	/* malformed words stay as they are */
	{ "=?utf-8?X?abc?=", "=?utf-8?X?abc?=" },
	{ "=?utf-8?Q?no end", "=?utf-8?Q?no end" },
	{ "=??Q?x?=", "=??Q?x?=" },
	{ "=?utf-8?Q?sp ace?=", "=?utf-8?Q?sp ace?=" },
	/* language suffix (RFC 2231) */
	{ "=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore" },
	/* unknown charset: valid UTF-8 kept, the rest replaced */
	{ "=?x-nonsense?Q?ok=E2=82=AC=FF?=", "ok\xe2\x82\xac\xef\xbf\xbd" },
	/* encoded CR LF does not survive */
	{ "=?utf-8?Q?a=0D=0Ab?=", "a  b" },
	/* raw 8-bit text outside words made valid */
	{ "caf\xe9 =?utf-8?Q?x?=", "caf\xef\xbf\xbd x" },
	{ "", "" },
};

static void
test_words(void **state)
{
	struct arena *a = arena_new(0);
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
		s = mime_decode_words(a, word_cases[i].in);
		assert_non_null(s);
		if (strcmp(s, word_cases[i].out) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, s,
			    word_cases[i].out);
	}
	arena_free(a);
}

/*
 * Charsets through mime_to_utf8() and through text parts.
 */
static const struct {
	const char	*charset;
	const char	*in;
	const char	*out;
} cs_cases[] = {
	{ "ISO-2022-JP", "\x1b\x24\x42\x46\x7c\x4b\x5c\x38\x6c\x1b\x28\x42",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	/* Windows/phone extensions: NEC circled digit, half-width kana */
	{ "iso-2022-jp", "\x1b\x24\x42\x2d\x21\x1b\x28\x42 \x1b\x28\x49\x31\x1b\x28\x42",
	    "\xe2\x91\xa0 \xef\xbd\xb1" },
	{ "ISO-2022-JP", "a\x0e\x31\x0f" "b\x1b\x24\x42\x30\x21\nc",
	    "a\xef\xbd\xb1" "b\xe4\xba\x9c\nc" },
	/* JIS X 0212 goes the library's way */
	{ "iso-2022-jp", "\x1b\x24\x28\x44\x30\x21\x1b\x28\x42",
	    "\xe4\xb8\x82" },
	{ "shift_jis", "\x93\xfa\x96\x7b\x8c\xea",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "x-sjis", "\x93\xfa\x96\x7b\x8c\xea",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "Shift-JIS", "\x87\x40", "\xe2\x91\xa0" },	/* CP932 circled 1 */
	{ "euc-jp", "\xc6\xfc\xcb\xdc\xb8\xec",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	{ "iso-8859-1", "Gr\xfc\xdf" "e", "Gr\xc3\xbc\xc3\x9f" "e" },
	{ "iso-8859-15", "\xa4", "\xe2\x82\xac" },
	{ "windows-1252", "\x80\x93q\x94", "\xe2\x82\xac\xe2\x80\x9cq"
	    "\xe2\x80\x9d" },
	{ "windows-1251", "\xcf\xf0\xe8", "\xd0\x9f\xd1\x80\xd0\xb8" },
	{ "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "\xd0\x9f\xd1\x80\xd0\xb8"
	    "\xd0\xb2\xd0\xb5\xd1\x82" },
	{ "gb2312", "\xd6\xd0\xce\xc4\xb2\xe2\xca\xd4", "\xe4\xb8\xad\xe6\x96"
	    "\x87\xe6\xb5\x8b\xe8\xaf\x95" },
	{ "big5", "\xa4\xa4\xa4\xe5\xb4\xfa\xb8\xd5", "\xe4\xb8\xad\xe6\x96"
	    "\x87\xe6\xb8\xac\xe8\xa9\xa6" },
	{ "ks_c_5601-1987", "\xc7\xd1\xb1\xb9\xbe\xee", "\xed\x95\x9c\xea\xb5"
	    "\xad\xec\x96\xb4" },
	{ "unicode-1-1-utf-7", "a+ZeVnLIqe-", "a\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e" },
	{ "utf-8", "ok\xc3\xa9\xc3", "ok\xc3\xa9\xef\xbf\xbd" },
	{ "us-ascii", "plain", "plain" },
	{ "x-unknown-thing", "a\xe2\x82\xac\x80z", "a\xe2\x82\xac\xef\xbf\xbdz" },
	{ "bad/name//TRANSLIT", "a\xffz", "a\xef\xbf\xbdz" },
	/* invalid bytes inside a real charset */
	{ "shift_jis", "a\xff" "b", "a\xef\xbf\xbd" "b" },
	{ "euc-jp", "\xc6", "\xef\xbf\xbd" },
};

static void
test_charsets(void **state)
{
	char msg[512];
	size_t i, n;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cs_cases) / sizeof(cs_cases[0]); i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m;

		s = mime_to_utf8(a, cs_cases[i].charset, cs_cases[i].in,
		    strlen(cs_cases[i].in), &n);
		assert_non_null(s);
		if (strcmp(s, cs_cases[i].out) != 0 || n != strlen(s))
			fail_msg("case %zu (%s): got [%s] want [%s]", i,
			    cs_cases[i].charset, s, cs_cases[i].out);
		/* the same through a text part */
		snprintf(msg, sizeof(msg),
		    "Content-Type: text/plain; charset=\"%s\"\n\n%s",
		    cs_cases[i].charset, cs_cases[i].in);
		m = parse(a, msg);
		if (strcmp(m.root->body, cs_cases[i].out) != 0)
			fail_msg("part case %zu (%s): got [%s] want [%s]", i,
			    cs_cases[i].charset, m.root->body, cs_cases[i].out);
		arena_free(a);
	}
}

/*
 * Embedded header blocks and look-ups.
 */
/* Text clean-up: CR LF to LF, NUL and invalid bytes to U+FFFD. */
static const struct {
	const char	*in;
	size_t		 inlen;
	const char	*out;
} clean_cases[] = {
	{ "a\r\nb", 4, "a\nb" },
	{ "a\rb\r", 4, "a\rb\r" },
	{ "\r\n\r\n", 4, "\n\n" },
	{ "x\0y\r\n", 5, "x\xef\xbf\xbdy\n" },
	{ "\xff\r\n\xc3\xa9\r\r\n", 8, "\xef\xbf\xbd\n\xc3\xa9\r\n" },
	{ "0123456789012345678901234567890123456789\xe2\x82", 42,
	    "0123456789012345678901234567890123456789\xef\xbf\xbd"
	    "\xef\xbf\xbd" },
	{ "\xe2\x82\xac\xd0\x9f\r\n\xf0\x9f\x98\x80", 11,
	    "\xe2\x82\xac\xd0\x9f\n\xf0\x9f\x98\x80" },
	{ "\r", 1, "\r" },
	{ "\0\r\n\0", 4, "\xef\xbf\xbd\n\xef\xbf\xbd" },
	{ "0123456789abcdef\r\n0123456789abcdef\r\n\x80", 37,
	    "0123456789abcdef\n0123456789abcdef\n\xef\xbf\xbd" },
};

static void
test_clean(void **state)
{
	static const char head[] =
	    "Content-Type: text/plain; charset=utf-8\n\n";
	char msg[256];
	struct arena *a;
	struct mime_msg m;
	size_t i, hl = sizeof(head) - 1;

	(void)state;
	for (i = 0; i < sizeof(clean_cases) / sizeof(clean_cases[0]); i++) {
		a = arena_new(0);
		memcpy(msg, head, hl);
		memcpy(msg + hl, clean_cases[i].in, clean_cases[i].inlen);
		assert_int_equal(mime_parse(a, msg, hl + clean_cases[i].inlen,
		    &deflim, &m), 0);
		if (m.root->bodylen != strlen(clean_cases[i].out) ||
		    strcmp(m.root->body, clean_cases[i].out) != 0)
			fail_msg("case %zu: got [%s]", i, m.root->body);
		arena_free(a);
	}
}

/*
 * charset_conv() copies long ASCII runs and converts only the pieces
 * around 8-bit bytes: it must give what one iconv() over all the text
 * gives (invalid or cut sequences: U+FFFD, one byte skipped).
 */
static char *
ref_conv(const char *iname, const char *s, size_t n, size_t *outlen)
{
	iconv_t cd = iconv_open("UTF-8", iname);
	size_t cap = n * 4 + 64, ileft = n, oleft = cap, r;
	char *out = malloc(cap + 1), *ip = (char *)(uintptr_t)s, *op = out;

	assert_true(cd != (iconv_t)-1);
	assert_non_null(out);
	while (ileft > 0) {
		if ((r = iconv(cd, &ip, &ileft, &op, &oleft)) != (size_t)-1)
			break;
		assert_true(errno == EILSEQ || errno == EINVAL);
		assert_true(oleft >= 3);
		memcpy(op, "\xef\xbf\xbd", 3);
		op += 3;
		oleft -= 3;
		ip++;
		ileft--;
	}
	iconv(cd, NULL, NULL, &op, &oleft);
	iconv_close(cd);
	*outlen = (size_t)(op - out);
	return (out);
}

static void
test_charset_runs(void **state)
{
	static const struct { const char *label, *iname; } cs[] = {
		{ "shift_jis", "CP932" }, { "gb2312", "GB18030" },
		{ "big5", "BIG5-HKSCS" }, { "euc-kr", "CP949" },
		{ "euc-jp", "EUC-JP-MS" }, { "iso-8859-1", "WINDOWS-1252" },
		{ "windows-1258", "WINDOWS-1258" }, { "koi8-r", "KOI8-R" },
		{ "iso-2022-jp-2", "ISO-2022-JP-2" },
	};
	static const char pieces[][6] = {
		"\x81", "\x30", "\x83\x41", "\x81\x30\x81\x30", "\xa4\xa4",
		"\xc7\xd1", "\xec", "\xd2", "\xff", "\x80", "a", "0", "\x1b$B",
		"\x1b(B",
	};
	unsigned long seed = 12345;
	char in[400], *got, *want;
	size_t c, t, n, k, gl, wl;
	int r;

	(void)state;
	for (c = 0; c < sizeof(cs) / sizeof(cs[0]); c++) {
		for (t = 0; t < 300; t++) {
			/* 8-bit pieces between ASCII runs of 0 to 39 bytes */
			for (n = 0; n < sizeof(in) - 50; ) {
				seed = seed * 1103515245 + 12345;
				for (k = (seed >> 16) % 40; k > 0; k--, n++)
					in[n] = (char)('a' + (n + t) % 26);
				seed = seed * 1103515245 + 12345;
				k = (seed >> 16) % (sizeof(pieces) /
				    sizeof(pieces[0]));
				memcpy(in + n, pieces[k], strlen(pieces[k]));
				n += strlen(pieces[k]);
				seed = seed * 1103515245 + 12345;
				if ((seed >> 16) % 8 == 0)
					break;
			}
			r = charset_conv(cs[c].label, in, n, &got, &gl, NULL);
			assert_int_not_equal(r, -1);
			want = ref_conv(cs[c].iname, in, n, &wl);
			if (r == 1) {
				/* the text needs no conversion */
				assert_int_equal(wl, n);
				assert_memory_equal(want, in, n);
			} else {
				if (gl != wl || memcmp(got, want, gl) != 0)
					fail_msg("%s, text %zu differs",
					    cs[c].label, t);
				free(got);
			}
			free(want);
		}
	}
}

static void
test_rfc822_headers(void **state)
{
	struct arena *a = arena_new(0);
	struct mime_msg m;
	const struct mime_part *p;

	(void)state;
	m = parse(a, "Content-Type: multipart/report; report-type=delivery-"
	    "status; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\n\n"
	    "hi\n--XX\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b\n"
	    "Action: failed\n--XX\nContent-Type: text/rfc822-headers\n\n"
	    "Message-ID: <id@x>\nSubject: =?utf-8?Q?h=C3=A9?=\n\n--XX--\n");
	p = mime_find(m.root, "text/rfc822-headers");
	assert_non_null(p);
	assert_non_null(p->child);
	assert_true(p->child->headers_only);
	assert_int_equal(p->child->depth, 2);
	assert_ptr_equal(p->child->parent, p);
	assert_string_equal(mime_hdr_get(p->child, "message-id"), "<id@x>");
	assert_string_equal(mime_decode_words(a,
	    mime_hdr_get(p->child, "Subject")), "h\xc3\xa9");
	p = mime_find(m.root, "message/delivery-status");
	assert_non_null(p);
	assert_non_null(strstr(p->body, "Action: failed"));
	assert_ptr_equal(mime_find(m.root, "multipart/*"), m.root);
	assert_string_equal(mime_find(m.root, "text/*")->type, "text/plain");
	assert_null(mime_find(m.root, "image/png"));
	/* the search stays inside the subtree it is given */
	assert_null(mime_find(m.root->child, "message/delivery-status"));
	arena_free(a);
}

/*
 * Limits and hostile input.
 */
static char *
nested(int depth, size_t *len)
{
	size_t cap = (size_t)depth * 80 + 64, o = 0;
	char *s = malloc(cap);
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++)
		o += (size_t)snprintf(s + o, cap - o, "Content-Type: multipart/"
		    "mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	o += (size_t)snprintf(s + o, cap - o, "\ndeep\n");
	*len = o;
	return (s);
}

static void
test_limit_depth(void **state)
{
	struct arena *a = arena_new(0);
	struct mime_limits big = { 100000, 100000 };
	struct mime_msg m;
	const struct mime_part *p;
	size_t len;
	char *s = nested(1000, &len);
	int d;

	(void)state;
	assert_int_equal(mime_parse(a, s, len, &deflim, &m), 0);
	assert_true(m.flags & MIME_LIMIT_DEPTH);
	for (d = 0, p = m.root; p->child != NULL; p = p->child)
		d++;
	assert_true(d <= deflim.max_depth);
	arena_free(a);
	/* a silly limit is still a bounded recursion */
	a = arena_new(0);
	assert_int_equal(mime_parse(a, s, len, &big, &m), 0);
	assert_true(m.flags & MIME_LIMIT_DEPTH);
	arena_free(a);
	free(s);
}

static void
test_limit_parts(void **state)
{
	struct arena *a = arena_new(0);
	struct mime_msg m;
	size_t cap = 5000 * 16 + 128, o = 0;
	char *s = malloc(cap);
	int i;

	(void)state;
	assert_non_null(s);
	o += (size_t)snprintf(s, cap, "Content-Type: multipart/mixed; "
	    "boundary=p\n\n");
	for (i = 0; i < 5000; i++)
		o += (size_t)snprintf(s + o, cap - o, "--p\n\npart\n");
	o += (size_t)snprintf(s + o, cap - o, "--p--\n");
	assert_int_equal(mime_parse(a, s, o, &deflim, &m), 0);
	assert_true(m.flags & MIME_LIMIT_PARTS);
	assert_true(m.nparts <= deflim.max_parts);
	assert_int_equal(m.nparts, deflim.max_parts);
	arena_free(a);
	free(s);
}

static void
test_hostile(void **state)
{
#define J(s)	{ s, sizeof(s) - 1 }
	static const struct {
		const char	*s;
		size_t		 len;
	} junk[] = {
		J("\0\0\0\0"),
		J("Subject: \0nul in header\n\nbody\0with nul"),
		J("\n\n\n"),
		J("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n"),
		J("Content-Type: multipart/mixed; boundary=b\n\n--b"),
		J("Content-Type: multipart/mixed; boundary=b\n\n--b\n"),
		J("Content-Type: message/rfc822\n\n"),
		J("Content-Type: message/rfc822"),
		J("Content-Transfer-Encoding: base64\n\n===="),
		J("Content-Transfer-Encoding: quoted-printable\n\n="),
		J("Content-Type: text/plain; charset*0*=utf-8''a; charset*99=x\n\n"),
		J("Content-Type: text/plain; charset=\"unterminated\n\n"),
		J("Content-Type: text/plain; ;;; =; x=\n\n"),
		J("Subject: =?=?=?=?=?=?=?=?\n\n"),
		J("\xff\xfe\xfd binary \x01\x02\x03"),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m;
		const struct mime_part *p;

		assert_int_equal(mime_parse(a, junk[i].s, junk[i].len, &deflim,
		    &m), 0);
		for (p = m.root; p != NULL; p = p->child) {
			assert_non_null(p->body);
			assert_int_equal(p->body[p->bodylen], '\0');
			assert_non_null(p->type);
			assert_non_null(p->charset);
		}
		if (mime_hdr_get(m.root, "Subject") != NULL)
			assert_non_null(mime_decode_words(a,
			    mime_hdr_get(m.root, "Subject")));
		arena_free(a);
	}
}

/* A 50 MB single line and a 50 MB header: linear, no crash. */
static void
test_long_line(void **state)
{
	size_t n = 50u * 1024 * 1024, i;
	char *s = malloc(n);
	struct arena *a;
	struct mime_msg m;
	clock_t t0 = clock();
	int r;

	(void)state;
	assert_non_null(s);
	memset(s, 'x', n);
	a = arena_new(0);
	r = mime_parse(a, s, n, &deflim, &m);
	assert_int_equal(r, 0);
	assert_int_equal(m.root->bodylen, n);
	arena_free(a);
	/* one header line folded 100000 times, then a long body */
	memcpy(s, "Subject: ", 9);
	for (i = 100; i < 100 + 100000 * 4; i += 4)
		memcpy(s + i, "\n  x", 4);
	memcpy(s + 100 + 100000 * 4, "\n\n", 2);
	a = arena_new(0);
	assert_int_equal(mime_parse(a, s, n, &deflim, &m), 0);
	assert_int_equal(m.root->nhdrs, 1);
	assert_null(strchr(mime_hdr_get(m.root, "subject"), '\n'));
	arena_free(a);
	/* a tiny arena: -1, never a crash */
	a = arena_new(64 * 1024);
	assert_int_equal(mime_parse(a, s, n, &deflim, &m), -1);
	arena_free(a);
	free(s);
	/* generous bound: even under sanitizers this is far below 30 s */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 30.0);
}

/* Nested embeddings share their bytes: 100 levels of 4 MB in 16 MB. */
static void
test_nested_memory(void **state)
{
	static const char hdr[] = "Content-Type: message/rfc822\n\n";
	size_t body = 4u * 1024 * 1024, n = 100 * (sizeof(hdr) - 1) + body, o;
	char *s = malloc(n);
	struct arena *a = arena_new(16u * 1024 * 1024);
	struct mime_msg m;
	const struct mime_part *p;
	int i;

	(void)state;
	assert_non_null(s);
	for (o = 0, i = 0; i < 100; i++, o += sizeof(hdr) - 1)
		memcpy(s + o, hdr, sizeof(hdr) - 1);
	memset(s + o, 'y', body);
	assert_int_equal(mime_parse(a, s, n, &deflim, &m), 0);
	assert_true(m.flags & MIME_LIMIT_DEPTH);
	for (p = m.root; p->child != NULL; p = p->child)
		assert_int_equal(p->body[p->bodylen], '\0');
	arena_free(a);
	free(s);
}

/*
 * Threads: each keeps its own iconv cache; results must not mix.
 */
static const char thread_msg[] =
    "Content-Type: multipart/mixed; boundary=t\n\n"
    "--t\nContent-Type: text/plain; charset=shift_jis\n\n\x93\xfa\n"
    "--t\nContent-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\n"
    "--t\nContent-Type: text/plain; charset=iso-2022-jp\n\n"
    "\x1b\x24\x42\x4b\x5c\x1b\x28\x42\n"
    "--t\nContent-Type: text/plain; charset=big5\n\n\xa4\xa4\n--t--\n";
static const char *const thread_want[] = {
	"\xe6\x97\xa5", "\xd0\x9f\xd1\x80", "\xe6\x9c\xac", "\xe4\xb8\xad",
};

static void *
thread_run(void *arg)
{
	int i, k, n, *bad = arg;

	for (i = 0; i < 300; i++) {
		struct arena *a = arena_new(0);
		struct mime_msg m;
		const struct mime_part *p;

		if (mime_parse(a, thread_msg, sizeof(thread_msg) - 1, &deflim,
		    &m) != 0)
			(*bad)++;
		for (k = 0; k < 4; k++) {
			n = k;
			p = leaf(m.root, &n);
			if (p == NULL || strcmp(p->body, thread_want[k]) != 0)
				(*bad)++;
		}
		arena_free(a);
	}
	return (NULL);
}

static void
test_threads(void **state)
{
	pthread_t t[4];
	int bad[4] = { 0, 0, 0, 0 }, i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_run,
		    &bad[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(bad[i], 0);
	}
}

/*
 * The shared corpus: every file parses; every multipart/report yields a
 * message/delivery-status part whose body says "Status:" or "Action:"
 * where the raw file does.
 */
static int
ci_contains(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w), i;

	for (i = 0; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0)
			return (1);
	return (0);
}

static void
test_corpus(void **state)
{
	static const char *const sub[] = { "bsd", "not" };
	const char *shared = getenv("SHARED");
	char dir[1024], path[2048];
	struct dirent *de;
	size_t i, len, nfiles = 0, nreport = 0;
	clock_t t0, spent = 0;
	DIR *d;
	int r;

	(void)state;
	if (shared == NULL)
		skip();
	for (i = 0; i < 2; i++) {
		snprintf(dir, sizeof(dir), "%s/corpus/%s", shared, sub[i]);
		if ((d = opendir(dir)) == NULL) {
			if (i == 0)
				skip();
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			struct arena *a;
			struct mime_msg m;
			const struct mime_part *p;
			char *b;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if ((b = tu_slurp(path, &len)) == NULL)
				continue;
			a = arena_new(0);
			t0 = clock();
			r = mime_parse(a, b, len, &deflim, &m);
			spent += clock() - t0;
			if (r != 0)
				fail_msg("%s: mime_parse failed", path);
			nfiles++;
			if (strcmp(m.root->type, "multipart/report") == 0 &&
			    (ci_contains(b, len, "\nStatus:") ||
			    ci_contains(b, len, "\nAction:"))) {
				nreport++;
				p = mime_find(m.root, "message/delivery-status");
				if (p == NULL)
					fail_msg("%s: no delivery-status", path);
				if (!ci_contains(p->body, p->bodylen, "Status:") &&
				    !ci_contains(p->body, p->bodylen, "Action:"))
					fail_msg("%s: delivery-status without "
					    "fields", path);
			}
			arena_free(a);
			free(b);
		}
		closedir(d);
	}
	if (nfiles == 0)
		skip();
	print_message("corpus: %zu files, %zu delivery reports, parsed in "
	    "%.1f ms of CPU\n", nfiles, nreport,
	    (double)spent * 1000.0 / CLOCKS_PER_SEC);
}

/* The charset labels are searched by halves: the table must be sorted. */
static void
test_aliases_sorted(void **state)
{
	(void)state;
	assert_true(charset_aliases_sorted());
}

/* One list of embedding types for the walk, the formats and the evidence
   (there were three, and two of them did not know message/news). */
static void
test_embedding_types(void **state)
{
	(void)state;
	assert_int_equal(mime_is_embedding("message/rfc822"), 1);
	assert_int_equal(mime_is_embedding("message/global"), 1);
	assert_int_equal(mime_is_embedding("message/news"), 1);
	assert_int_equal(mime_is_embedding("text/rfc822-headers"), 2);
	assert_int_equal(mime_is_embedding("message/rfc822-headers"), 2);
	assert_int_equal(mime_is_embedding("message/global-headers"), 2);
	assert_int_equal(mime_is_embedding("message/delivery-status"), 0);
	assert_int_equal(mime_is_embedding("text/plain"), 0);
	assert_int_equal(mime_is_embedding("message/partial"), 0);
	assert_int_equal(mime_is_embedding(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unfold),
		cmocka_unit_test(test_hdr_next),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_epilogue),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_charset_runs),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_rfc822_headers),
		cmocka_unit_test(test_limit_depth),
		cmocka_unit_test(test_limit_parts),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nested_memory),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_aliases_sorted),
		cmocka_unit_test(test_embedding_types),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
