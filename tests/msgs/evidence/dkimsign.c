/*
 * dkimsign.c - sign a message with libopendkim (test helper)
 *
 * Usage: dkimsign KEYFILE SELECTOR DOMAIN < message > signed
 *
 * Reads a message (LF or CRLF line ends) and writes it with a
 * DKIM-Signature (rsa-sha256, relaxed/relaxed, fixed time 1767225600 so
 * the output is reproducible) prepended, line ends as LF.  gen.sh uses it
 * to make the signed originals of the evidence test bounces; build it with
 *	cc -o dkimsign dkimsign.c $(pkg-config --cflags --libs opendkim)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <opendkim/dkim.h>

static char *
slurp(FILE *fp, size_t *n)
{
	char *b = NULL;
	size_t cap = 0, k;

	*n = 0;
	for (;;) {
		if (*n + 4096 > cap) {
			cap = cap * 2 + 8192;
			if ((b = realloc(b, cap)) == NULL)
				exit(1);
		}
		if ((k = fread(b + *n, 1, 4096, fp)) == 0)
			break;
		*n += k;
	}
	b[*n] = '\0';
	return (b);
}

int
main(int argc, char **argv)
{
	DKIM_LIB *lib;
	DKIM *dk;
	DKIM_STAT st;
	uint64_t fixed = 1767225600;
	char *key, *msg, *body, *h, hdr[8192];
	unsigned char sig[8192];
	size_t kn, mn, i, o, hs, bs;
	FILE *kf;

	if (argc != 4) {
		fprintf(stderr, "usage: dkimsign KEYFILE SELECTOR DOMAIN\n");
		return (2);
	}
	if ((kf = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return (1);
	}
	key = slurp(kf, &kn);
	fclose(kf);
	msg = slurp(stdin, &mn);
	/* to CRLF */
	if ((body = malloc(mn * 2 + 1)) == NULL)
		return (1);
	for (i = 0, o = 0; i < mn; i++) {
		if (msg[i] == '\r')
			continue;
		if (msg[i] == '\n')
			body[o++] = '\r';
		body[o++] = msg[i];
	}
	body[o] = '\0';
	lib = dkim_init(NULL, NULL);
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed,
	    sizeof(fixed));
	dk = dkim_sign(lib, (unsigned char *)"t", NULL,
	    (unsigned char *)key, (unsigned char *)argv[2],
	    (unsigned char *)argv[3], DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    DKIM_SIGN_RSASHA256, -1, &st);
	if (dk == NULL) {
		fprintf(stderr, "dkim_sign: %d\n", st);
		return (1);
	}
	/* headers: up to the empty line; continuation lines stay attached */
	for (hs = 0; hs < o; ) {
		size_t e = hs;

		if (body[hs] == '\r')
			break;
		for (;;) {
			char *nl = strstr(body + e, "\r\n");

			if (nl == NULL) {
				e = o;
				break;
			}
			e = (size_t)(nl - body) + 2;
			if (body[e] != ' ' && body[e] != '\t')
				break;
		}
		if (e - hs - 2 >= sizeof(hdr))
			return (1);
		memcpy(hdr, body + hs, e - hs - 2);
		hdr[e - hs - 2] = '\0';
		if (dkim_header(dk, (unsigned char *)hdr, e - hs - 2) !=
		    DKIM_STAT_OK)
			return (1);
		hs = e;
	}
	bs = hs + 2 <= o ? hs + 2 : o;
	if (dkim_eoh(dk) != DKIM_STAT_OK ||
	    dkim_body(dk, (unsigned char *)body + bs, o - bs) != DKIM_STAT_OK ||
	    dkim_eom(dk, NULL) != DKIM_STAT_OK ||
	    dkim_getsighdr(dk, sig, sizeof(sig), strlen("DKIM-Signature: "))
	    != DKIM_STAT_OK) {
		fprintf(stderr, "signing failed\n");
		return (1);
	}
	printf("DKIM-Signature: ");
	for (h = (char *)sig; *h; h++)
		if (*h != '\r')
			putchar(*h);
	putchar('\n');
	for (i = 0; i < o; i++)
		if (body[i] != '\r')
			putchar(body[i]);
	dkim_free(dk);
	dkim_close(lib);
	free(key);
	free(msg);
	free(body);
	return (0);
}
