/*
 * fuzz_format.c - libFuzzer target for each format parser on its own
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_format [libFuzzer options] [CORPUS...]
 *	FUZZ_FORMAT_LIST=1 build-fuzz/fuzz_format
 *
 * DESCRIPTION
 *	The first input byte picks a parser, the rest is its input.  With
 *	N the number of families the repository's rules/formats/ loads
 *	(in the table's order):
 *
 *	0 .. N-1	that family's text parser (its C hook's parse when
 *			it has one, else fmt_text_parse() driven by its
 *			directives), the rest as the plain-text body of a
 *			message with a bounce's From and Subject, then the
 *			family's fixup hook;
 *	N		fmt_rfc3464_parse() with the rest as the body of a
 *			message/delivery-status part, then the epilogue;
 *	N+1		fmt_rfc3464_text(): DSN fields written as text;
 *	N+2		fmt_arf_parse() with the rest as the body of a
 *			message/feedback-report part;
 *	N+3		the fallback (fmt_fallback.c): fmt_fallback_parse()
 *			with the rest as the plain-text body, and
 *			fmt_delay_notice(), fmt_challenge(),
 *			fmt_fallback_headers() on it.
 *
 *	Bytes above N+3 wrap around.  Detection is skipped on purpose: the
 *	family's parser sees text it would not have been chosen for.  Then
 *	fmt_rcpt_finish() on every recipient and the classifier on the
 *	report, as format_parse() and bounce_decode() do.
 *
 *	Checks beyond "no crash, no leak": recipients within
 *	REPORT_MAX_RCPT, each with an address; a status is "" or exactly
 *	three numbers ("5.1.1"); a reply code is "" or three digits.
 *
 *	FUZZ_FORMAT_LIST=1 prints "BYTE ID" for each slot and exits: fuzz/run
 *	uses it to prefix the corpus samples lhost-ID-NN.eml.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "classify.h"
#include "common.h"
#include "fmt.h"
#include "mime.h"
#include "report.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define T		"fuzz_format"
#define CHECK(c)	FUZZ_CHECK(T, c)

static const char head[] =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\n";

static struct rules *rules;
static size_t nfam;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	rules = fuzz_rules(T, *argv);
	nfam = rules->formats != NULL ? rules->formats->n : 0;
	if (getenv("FUZZ_FORMAT_LIST") != NULL) {
		for (i = 0; i < nfam; i++)
			printf("%zu %s\n", i, rules->formats->fam[i]->id);
		printf("%zu rfc3464-part\n%zu rfc3464-text\n%zu arf-part\n"
		    "%zu fallback\n", nfam, nfam + 1, nfam + 2, nfam + 3);
		exit(0);
	}
	return (0);
}

/* A part of TYPE holding s[0..n), outside any tree. */
static struct mime_part *
part(struct arena *a, const char *type, const char *s, size_t n)
{
	struct mime_part *p;

	if ((p = arena_alloc(a, sizeof(*p))) == NULL)
		return (NULL);
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->charset = "";
	p->raw = p->body = s;
	p->rawlen = p->bodylen = n;
	p->depth = 1;
	return (p);
}

/* "" or D.D{1,3}.D{1,3} */
static int
status_ok(const char *s)
{
	int dots = 0, digits = 0;

	if (*s == '\0')
		return (1);
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (digits == 0)
				return (0);
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)*s)) {
			if (++digits > 3)
				return (0);
		} else
			return (0);
	}
	return (dots == 2 && digits > 0);
}

static int
reply_ok(const char *s)
{
	return (*s == '\0' || (strlen(s) == 3 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])));
}

static void
check_parsed(const struct report *r)
{
	const struct rcpt *rc;
	size_t i;

	CHECK(r->nrcpt <= REPORT_MAX_RCPT);
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		CHECK(rc->addr != NULL);
		CHECK(memchr(rc->status, '\0', sizeof(rc->status)) != NULL);
		CHECK(memchr(rc->reply, '\0', sizeof(rc->reply)) != NULL);
		if (!status_ok(rc->status))
			fprintf(stderr, T ": status \"%s\"\n", rc->status);
		CHECK(status_ok(rc->status));
		if (!reply_ok(rc->reply))
			fprintf(stderr, T ": reply \"%s\"\n", rc->reply);
		CHECK(reply_ok(rc->reply));
	}
}

/* Run parser K on s[0..n) in report r; returns recipients added or -1. */
static int
run(struct report *r, size_t k, const char *s, size_t n)
{
	struct fmt_ctx c;
	const struct fmt_family *f = NULL;
	int got;

	memset(&c, 0, sizeof(c));
	c.rules = rules;
	c.r = r;
	c.a = r->a;
	c.root = r->mime.root;
	c.subject = "Undelivered Mail Returned to Sender";
	c.from = "Mail Delivery System <MAILER-DAEMON@mx.example.org>";
	c.subjectlen = strlen(c.subject);
	c.fromlen = strlen(c.from);
	c.text = c.root->body != NULL ? c.root->body : "";
	c.textlen = c.root->body != NULL ? c.root->bodylen : 0;
	if (k < nfam) {
		c.fam = f = rules->formats->fam[k];
		r->kind = f->kind;
		if (f->hook != NULL && f->hook->parse != NULL)
			got = f->hook->parse(&c);
		else
			got = fmt_text_parse(&c);
		if (got > 0 && f->hook != NULL && f->hook->fixup != NULL)
			f->hook->fixup(&c);
	} else if (k == nfam) {
		r->kind = "dsn";
		c.text = "";
		c.textlen = 0;
		if ((c.dsn = part(c.a, "message/delivery-status", s, n)) == NULL)
			return (-1);
		c.dsns[0] = c.dsn;
		c.ndsn = 1;
		if ((got = fmt_rfc3464_parse(&c)) > 0)
			got += fmt_rfc3464_epilogue(&c);
	} else if (k == nfam + 1) {
		r->kind = "dsn";
		got = fmt_rfc3464_text(&c);
	} else if (k == nfam + 2) {
		r->kind = "arf";
		if ((c.arf = part(c.a, "message/feedback-report", s, n)) == NULL)
			return (-1);
		got = fmt_arf_parse(&c);
	} else {
		(void)fmt_delay_notice(&c);
		(void)fmt_challenge(&c);
		(void)fmt_fallback_headers(&c);
		got = fmt_fallback_parse(&c);
	}
	if (got > 0) {
		size_t i;

		for (i = 0; i < r->nrcpt; i++)
			fmt_rcpt_finish(&c, &r->rcpt[i]);
		fmt_family_refine(&c);
		r->bounce = 1;
	}
	return (got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = { 32, 1000 };
	struct report *r;
	char *msg, *body;
	size_t k, n, hl = sizeof(head) - 1;

	if (size == 0 || nfam == 0)
		return (0);
	k = data[0] % (nfam + 4);
	n = size - 1;
	if ((r = report_new(32u * 1024 * 1024)) == NULL)
		return (0);
	/* the message outlives the tree: both in the arena */
	if ((msg = arena_alloc(r->a, hl + n + 1)) == NULL) {
		report_free(r);
		return (0);
	}
	memcpy(msg, head, hl);
	memcpy(msg + hl, data + 1, n);
	msg[hl + n] = '\0';
	body = msg + hl;
	if (mime_parse(r->a, msg, hl + n, &lim, &r->mime) == 0 &&
	    r->mime.root != NULL && run(r, k, body, n) > 0) {
		check_parsed(r);
		classify_report(rules, r);
		CHECK(r->nrcpt <= REPORT_MAX_RCPT);
	}
	report_free(r);
	return (0);
}
