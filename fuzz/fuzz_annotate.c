/*
 * fuzz_annotate.c - libFuzzer target for the header sanitizer and folder
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_annotate [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	Drives annotate.h the way bounce-milter does and checks the header
 *	injection promises of interfaces.md on everything it writes:
 *	header values are ASCII, with no CR, NUL or other control byte
 *	except the folding sequence "\n\t", and no line longer than 998
 *	octets; log lines end in '\n' and hold no other control byte.
 *	The first input byte picks the mode: even, the rest is split at
 *	NUL bytes into the fields of one hostile recipient (address,
 *	status, reply, reason, cause, side, hint, diagnostic, authserv-id,
 *	queue id, original message-id) put straight into a report; odd,
 *	the rest is a whole message decoded with the repository's rules
 *	(as fuzz_decode) and then annotated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "bounce.h"
#include "common.h"
#include "buf.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	FUZZ_CHECK("fuzz_annotate", c)
#define NFIELDS	11

static struct rules *rules;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	rules = fuzz_rules("fuzz_annotate", *argv);
	return (0);
}

static void
dump(const char *name, const char *v)
{
	const unsigned char *p;

	fprintf(stderr, "fuzz_annotate: %s: ", name);
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	fputc('\n', stderr);
}

/* A header value as smfi_addheader() gets it. */
static void
check_value(const char *name, const char *v)
{
	const unsigned char *p;
	size_t col = strlen(name) + 2;
	int ok = 1;

	for (p = (const unsigned char *)v; *p != '\0' && ok; p++) {
		if (*p == '\n') {
			ok = p[1] == '\t' || p[1] == ' ';
			p++;		/* the folding white space */
			col = 1;
			continue;
		}
		ok = *p >= 0x20 && *p < 0x7f && ++col <= 998;
	}
	if (!ok)
		dump(name, v);
	CHECK(ok);
}

static void
check_log(const struct buf *b)
{
	size_t i;

	CHECK(b->len == 0 || b->p[b->len - 1] == '\n');
	for (i = 0; i < b->len; i++)
		CHECK((unsigned char)b->p[i] >= 0x20 || b->p[i] == '\n');
}

static void
annotate_all(const struct report *r, const char *authserv, const char *qid,
    const struct annotate_orig *orig)
{
	struct annotate_opts o;
	struct annotate_hdrs h;
	struct buf b = BUF_INIT;
	char qb[64];
	size_t i;

	memset(&o, 0, sizeof(o));
	o.authserv_id = authserv;
	o.max_rcpt = 20;
	o.evidence = 1;
	o.orig = orig;
	memset(&h, 0, sizeof(h));
	if (annotate_headers(r, &o, &h) == 0)
		for (i = 0; i < h.n; i++) {
			CHECK(h.v[i].name != NULL && h.v[i].value != NULL);
			check_value(h.v[i].name, h.v[i].value);
		}
	annotate_hdrs_free(&h);
	if (annotate_log(&b, qid, r, &o) == 0)
		check_log(&b);
	buf_free(&b);
	(void)annotate_queueid(qid, qb, sizeof(qb));
}

static void
fields_mode(const char *p, size_t n)
{
	const char *f[NFIELDS];
	char *copy;
	struct report *r;
	struct rcpt *rc;
	struct annotate_orig orig;
	size_t i, k = 0;

	if ((copy = malloc(n + 1)) == NULL)
		return;
	memcpy(copy, p, n);
	copy[n] = '\0';
	for (i = 0; i < NFIELDS; i++)
		f[i] = "";
	f[k++] = copy;
	for (i = 0; i < n && k < NFIELDS; i++)
		if (copy[i] == '\0')
			f[k++] = copy + i + 1;
	if ((r = report_new(0)) == NULL || (rc = report_add_rcpt(r)) == NULL) {
		report_free(r);
		free(copy);
		return;
	}
	r->bounce = 1;
	r->kind = (n & 1) ? "dsn" : (n & 2) ? "arf" : "autoreply";
	rc->addr = rc->orig_addr = f[0];
	snprintf(rc->status, sizeof(rc->status), "%s", f[1]);
	snprintf(rc->reply, sizeof(rc->reply), "%s", f[2]);
	rc->reason = f[3];
	rc->cause = f[4];
	rc->side = f[5];
	rc->hint = f[6];
	rc->diag = f[7];
	rc->action = "failed";
	rc->remote_mta = rc->last_attempt = rc->command = "";
	rc->feedback_type = rc->inner_cause = f[8];
	rc->ev.spf = f[3];
	rc->ev.dkim = "none";
	rc->ev.mx = "eop";
	rc->ev.note = f[6];
	rc->hard = 1;
	orig.message_id = f[10];
	orig.sent = "2026-11-23T07:00:00Z";
	orig.from = f[0];
	orig.ttb = 60;
	annotate_all(r, f[8], f[9], (n & 4) ? &orig : NULL);
	report_free(r);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_opts o;
	struct report *r;

	if (size == 0)
		return (0);
	if ((data[0] & 1) == 0) {
		fields_mode((const char *)data + 1, size - 1);
		return (0);
	}
	memset(&o, 0, sizeof(o));
	if ((r = bounce_decode(rules, (const char *)data + 1, size - 1,
	    &o)) == NULL)
		return (0);
	annotate_all(r, "mx.example.org", "4XyZ1p2q3rz", NULL);
	report_free(r);
	return (0);
}
