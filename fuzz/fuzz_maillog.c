/*
 * fuzz_maillog.c - libFuzzer target for the mail log and reply parser
 *	(maillog_parse, maillog_reply, maillog_scan_next)
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_maillog [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	The first byte picks the mode.  Even: the rest is a piece of mail
 *	log; every line goes through maillog_parse(), each recipient of a
 *	line it accepts through maillog_fill(), classify_report() with the
 *	repository's rules and json_report(), as bounce-decode --maillog
 *	does.  Checks beyond "no crash, no leak": every line maillog_parse()
 *	accepts is one maillog_scan_next() finds in the whole piece (the
 *	fast path never misses a result), maillog_count_nl() counts as a
 *	plain loop does, the record's strings are non-NULL and within the
 *	record, the report keeps report.h's promises, and the JSON has no
 *	raw control byte.  Odd: the rest is a pasted reply for
 *	maillog_reply(), then the same pipeline.  Seeds: fuzz/seeds/
 *	fuzz_maillog (log lines of the three MTAs, pasted replies).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "classify.h"
#include "common.h"
#include "json.h"
#include "maillog.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define T	"fuzz_maillog"

static struct rules *rules;
static struct maillog_rec *m;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	rules = fuzz_rules(T, *argv);
	if ((m = malloc(sizeof(*m))) == NULL)
		abort();
	maillog_init(m, (time_t)1796500000);
	return (0);
}

static void
check_rec(void)
{
	const char *s[] = { m->mta, m->time, m->host, m->queue_id,
	    m->orig_rcpt, m->relay, m->rhost, m->dsn, m->action, m->reply,
	    m->command };
	long long t;
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		FUZZ_CHECK(T, s[i] != NULL);
	FUZZ_CHECK(T, m->nrcpt >= 1 && m->nrcpt <= MAILLOG_RCPT_MAX);
	for (i = 0; i < m->nrcpt; i++)
		FUZZ_CHECK(T, m->rcpt[i] != NULL);
	FUZZ_CHECK(T, strcmp(m->action, "failed") == 0 ||
	    strcmp(m->action, "delayed") == 0);
	(void)maillog_epoch(m->time, &t);
}

static void
classify_rec(void)
{
	struct report *r;
	struct buf out = BUF_INIT;
	size_t i, k;

	check_rec();
	for (k = 0; k < m->nrcpt; k++) {
		if ((r = report_new(1024u * 1024)) == NULL)
			return;
		if (maillog_fill(m, k, r) == 0) {
			classify_report(rules, r);
			fuzz_check_report(T, r);
			FUZZ_CHECK(T, r->nrcpt == 1);
			buf_reset(&out);
			if (json_report(&out, r, "fuzz") == 0)
				for (i = 0; i < out.len; i++)
					FUZZ_CHECK(T,
					    (unsigned char)out.p[i] >= 0x20);
		}
		report_free(r);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end, *q, *eol, *ls, *nl, *le, **hits;
	struct maillog_scan sc;
	size_t n, i, nh = 0, h = 0;

	if (size < 1)
		return (0);
	p = (const char *)data + 1;
	end = p + size - 1;
	if (data[0] & 1) {
		if (maillog_reply(m, p, size - 1) == MAILLOG_OK)
			classify_rec();
		return (0);
	}
	for (n = 0, i = 0; i < size - 1; i++)
		n += p[i] == '\n';
	FUZZ_CHECK(T, maillog_count_nl(p, size - 1) == n);
	/* the lines the fast path finds, in order */
	if ((hits = malloc((n + 2) * sizeof(*hits))) == NULL)
		return (0);
	maillog_scan_init(&sc, p, end);
	for (q = p; q < end && (ls = maillog_scan_next(&sc, q, &eol)) !=
	    NULL; q = eol + 1) {
		FUZZ_CHECK(T, ls >= q && eol >= ls && eol <= end &&
		    (eol == end || *eol == '\n') && nh <= n);
		hits[nh++] = ls;
		if (eol >= end)
			break;
	}
	/* every line; each one maillog_parse() takes must be among them */
	for (q = p; q < end; q = le + 1) {
		nl = memchr(q, '\n', (size_t)(end - q));
		le = nl != NULL ? nl : end;
		while (h < nh && hits[h] < q)
			h++;
		if (maillog_parse(m, q, (size_t)(le - q)) == MAILLOG_OK) {
			FUZZ_CHECK(T, h < nh && hits[h] == q);
			classify_rec();
		}
	}
	free(hits);
	return (0);
}
