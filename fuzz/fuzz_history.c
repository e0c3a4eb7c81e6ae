/*
 * fuzz_history.c - libFuzzer target for the history record encoders
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_history [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	The input is split at NUL bytes into the fields of a record: the
 *	original's Message-ID, sender, queue id, the send and bounce times
 *	(decimal), then the fields of an outgoing record (queue id,
 *	Message-ID, envelope id, sender, recipients separated by LF, spf,
 *	dkim).  It drives what turns a record into text other programs
 *	read: history_match_values() (the pieces annotate.c writes into
 *	X-Bounce-Original and the log; fuzz_annotate drives the encoding
 *	itself); and the encoder of the
 *	queue, history_put_outgoing(), into a store in $TMPDIR (opened once,
 *	a small queue) and hist_domains_add()/hist_domains_ours() on the
 *	sender.  Checks:
 *	  - match values: no control octet, ttb >= 0;
 *	  - the queue put returns 0 (no reason) or -1 (queue full; the
 *	    reason only once a log_every), never crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_history: broken promise: %s\n", #c); abort(); } } while (0)

#define NF	12

static char dbpath[4096];
static struct history *hist;
static struct hist_domains *doms;

static void
cleanup(void)
{
	char p[4200];

	history_close(hist);
	hist_domains_free(doms);
	if (dbpath[0] != '\0') {
		unlink(dbpath);
		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");
	struct history_opts o;
	char err[512];
	int fd;

	(void)argc;
	(void)argv;
	snprintf(dbpath, sizeof(dbpath), "%s/fuzz_history.XXXXXX",
	    t ? t : "/tmp");
	if ((fd = mkstemp(dbpath)) == -1) {
		perror("fuzz_history: mkstemp");
		exit(1);
	}
	close(fd);
	unlink(dbpath);		/* history_open() creates it */
	memset(&o, 0, sizeof(o));
	o.retention_days = 1;
	o.queue_max = 256;
	o.queue_bytes = 4u * 1024 * 1024;
	if ((hist = history_open(dbpath, &o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_history: %s\n", err);
		exit(1);
	}
	doms = hist_domains_new(0);
	atexit(cleanup);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *f[NF], buf[2048];
	struct hist_match m;
	struct hist_values v;
	struct hist_out ho;
	const char *rc[64];
	char *r, *save;
	size_t i, nr = 0;
	int k;
	time_t bounced;

	if ((copy = malloc(size + 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (i = 0, k = 0; k < NF; k++) {
		f[k] = i <= size ? copy + i : copy + size;
		if (i <= size)
			i += strlen(copy + i) + 1;
	}

	memset(&m, 0, sizeof(m));
	snprintf(m.message_id, sizeof(m.message_id), "%s", f[0]);
	snprintf(m.from, sizeof(m.from), "%s", f[1]);
	snprintf(m.queue_id, sizeof(m.queue_id), "%s", f[2]);
	m.sent = (time_t)strtoll(f[3], NULL, 10);
	bounced = (time_t)strtoll(f[4], NULL, 10);
	history_match_values(&m, bounced, &v);
	CHECK(v.ttb >= 0);
	for (i = 0; v.message_id[i]; i++)
		CHECK((unsigned char)v.message_id[i] >= 0x20 &&
		    v.message_id[i] != 0x7f);
	for (i = 0; v.from[i]; i++)
		CHECK((unsigned char)v.from[i] >= 0x20 && v.from[i] != 0x7f);

	/* the queue's record encoder and the sender domains */
	for (r = strtok_r(f[9], "\n", &save); r != NULL && nr < 64;
	    r = strtok_r(NULL, "\n", &save))
		rc[nr++] = r;
	memset(&ho, 0, sizeof(ho));
	ho.queue_id = f[5];
	ho.message_id = f[6];
	ho.envelope_id = f[7];
	ho.from = f[8];
	ho.rcpts = rc;
	ho.nrcpt = nr;
	ho.when = m.sent;
	ho.size = size;
	ho.spf = f[10];
	ho.dkim = f[11];
	/* -1 when the queue is full: the reason comes once a log_every */
	k = history_put_outgoing(hist, &ho, buf, sizeof(buf));
	CHECK(k == 0 || k == -1);
	CHECK(k == -1 || buf[0] == '\0');
	hist_domains_add(doms, f[8], m.sent);
	(void)hist_domains_ours(doms, f[1]);
	CHECK(hist_domains_count(doms) <= HIST_DOMAINS_MAX);
	free(copy);
	return (0);
}
