/*
 * fuzz_mime.c - libFuzzer target for the MIME walk (mime_parse)
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_mime [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	Parses each input as a raw message under the default limits and a
 *	small arena cap, then walks the tree and checks what mime.h
 *	promises: every part has a type and charset, every body is
 *	NUL-terminated at bodylen, the depth never passes the limit, the
 *	part count matches the tree, an epilogue follows its multipart's
 *	close delimiter and can be read to its end.  A broken promise aborts, which
 *	libFuzzer reports as a crash.  Built by fuzz/build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_mime: broken promise: %s\n", #c); abort(); } } while (0)

static size_t
walk(struct arena *a, const struct mime_part *p, int maxdepth)
{
	const struct mime_part *c;
	size_t n = 1, i;
	char *w;

	CHECK(p->type != NULL && p->charset != NULL);
	CHECK(p->body != NULL && p->body[p->bodylen] == '\0');
	CHECK(p->depth <= maxdepth + 1);
	for (i = 0; i < p->nhdrs; i++) {
		CHECK(p->hdrs[i].name != NULL && p->hdrs[i].value != NULL);
		CHECK(strchr(p->hdrs[i].value, '\n') == NULL);
		/* decode a few headers the way the parsers do */
		if (i < 8 && (w = mime_decode_words(a, p->hdrs[i].value)) != NULL)
			(void)strlen(w);
	}
	(void)mime_hdr_get(p, "Content-Type");
	if (p->epilogue != NULL) {
		/* right after "--boundary--", and readable to its end */
		size_t bl = p->boundary != NULL ? strlen(p->boundary) : 0;
		unsigned sum = 0;

		CHECK(bl > 0 && memcmp(p->epilogue - 2, "--", 2) == 0 &&
		    memcmp(p->epilogue - 2 - bl, p->boundary, bl) == 0 &&
		    memcmp(p->epilogue - 4 - bl, "--", 2) == 0);
		for (i = 0; i < p->epiloguelen; i++)
			sum += (unsigned char)p->epilogue[i];
		(void)sum;
	}
	for (c = p->child; c != NULL; c = c->next) {
		CHECK(c->parent == p);
		n += walk(a, c, maxdepth);
	}
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = { 32, 1000 };
	struct mime_msg m;
	struct arena *a;
	size_t n;

	if ((a = arena_new(16u * 1024 * 1024)) == NULL)
		return (0);
	if (mime_parse(a, (const char *)data, size, &lim, &m) == 0 &&
	    m.root != NULL) {
		n = walk(a, m.root, lim.max_depth);
		CHECK(n == m.nparts || (m.flags & MIME_LIMIT_PARTS) ||
		    arena_exhausted(a));
		CHECK(m.nparts <= lim.max_parts + 1);
		(void)mime_find(m.root, "message/delivery-status");
	}
	arena_free(a);
	return (0);
}
