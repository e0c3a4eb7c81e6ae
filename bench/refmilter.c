/*
 * refmilter.c - minimal reference milter for the Postfix throughput bench
 *
 * SYNOPSIS
 *	refmilter -p SOCKET
 *
 * DESCRIPTION
 *	The smallest filter that does the same kind of work as bounce-milter:
 *	it keeps the envelope sender, buffers the whole body in memory, and
 *	at end of message adds one header (X-Ref-Milter) to bounces (null
 *	envelope sender).  No parsing, no early accept, no negotiated-away
 *	steps: a plain libmilter filter as anyone would first write it.
 *	bench/run measures Postfix through it and through bounce-milter in
 *	the same run, so the ratio says what bounce-milter's own work costs.
 *	Stops on SIGTERM (libmilter).  Not installed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

struct ref {
	int	 bounce;
	char	*body;
	size_t	 len, cap;
};

static struct ref *
ref_get(SMFICTX *ctx)
{
	struct ref *r = smfi_getpriv(ctx);

	if (r == NULL && (r = calloc(1, sizeof(*r))) != NULL)
		smfi_setpriv(ctx, r);
	return (r);
}

static void
ref_reset(struct ref *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static sfsistat
ref_envfrom(SMFICTX *ctx, char **argv)
{
	struct ref *r = ref_get(ctx);

	if (r == NULL)
		return (SMFIS_ACCEPT);
	ref_reset(r);
	r->bounce = argv[0] != NULL && strcmp(argv[0], "<>") == 0;
	return (SMFIS_CONTINUE);
}

static sfsistat
ref_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct ref *r = ref_get(ctx);
	char *nb;
	size_t cap;

	if (r == NULL)
		return (SMFIS_ACCEPT);
	if (r->len + n > r->cap) {
		cap = r->cap ? r->cap : 65536;
		while (cap < r->len + n)
			cap *= 2;
		if ((nb = realloc(r->body, cap)) == NULL)
			return (SMFIS_ACCEPT);
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	return (SMFIS_CONTINUE);
}

static sfsistat
ref_eom(SMFICTX *ctx)
{
	struct ref *r = ref_get(ctx);
	char v[64];

	if (r != NULL && r->bounce) {
		snprintf(v, sizeof(v), "bounce; body=%zu", r->len);
		smfi_addheader(ctx, "X-Ref-Milter", v);
	}
	ref_reset(r);
	return (SMFIS_CONTINUE);
}

static sfsistat
ref_abort(SMFICTX *ctx)
{
	ref_reset(smfi_getpriv(ctx));
	return (SMFIS_CONTINUE);
}

static sfsistat
ref_close(SMFICTX *ctx)
{
	struct ref *r = smfi_getpriv(ctx);

	ref_reset(r);
	free(r);
	smfi_setpriv(ctx, NULL);
	return (SMFIS_CONTINUE);
}

int
main(int argc, char *argv[])
{
	struct smfiDesc d;
	const char *sock = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch == 'p')
			sock = optarg;
		else
			break;
	}
	if (sock == NULL) {
		fprintf(stderr, "usage: refmilter -p SOCKET\n");
		return (2);
	}
	memset(&d, 0, sizeof(d));
	d.xxfi_name = "refmilter";
	d.xxfi_version = SMFI_VERSION;
	d.xxfi_flags = SMFIF_ADDHDRS;
	d.xxfi_envfrom = ref_envfrom;
	d.xxfi_body = ref_body;
	d.xxfi_eom = ref_eom;
	d.xxfi_abort = ref_abort;
	d.xxfi_close = ref_close;
	if (smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_register(d) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "refmilter: cannot open %s\n", sock);
		return (1);
	}
	return (smfi_main() == MI_SUCCESS ? 0 : 1);
}
