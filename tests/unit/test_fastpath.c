/*
 * test_fastpath.c - the word-at-a-time and recycled-memory paths
 *
 *	The decoder's hot loops scan 8 or 16 bytes at a time (SSE2) and
 *	fall back to a byte loop for the rest; arenas reuse freed blocks.
 *	These tests put every kind of special byte at every offset around
 *	those widths and compare with a plain byte-by-byte model:
 *
 *	json_string()	 quote, backslash, controls, DEL, valid and invalid
 *			 UTF-8 at offsets 0..40 of strings of many lengths.
 *	mime_parse()	 text bodies with NUL, CR LF, lone CR, valid and
 *			 invalid UTF-8 at each offset (body = UTF-8 clean-up
 *			 with CRLF -> LF), and header values with CR, NUL and
 *			 folds at each offset (unfolded as documented).
 *	arena		 memory from arena_alloc() is zero even in a block a
 *			 previous arena filled with junk; alignment; the cap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "mime.h"
#include "utf8.h"

/* The JSON escaping of s, one byte at a time (the model). */
static void
json_model(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	buf_addc(b, '"');
	while (*p) {
		if (*p >= 0x80) {
			if ((k = utf8_seqlen(p)) == 0) {
				buf_add(b, "\xef\xbf\xbd", 3);
				p++;
			} else {
				buf_add(b, p, k);
				p += k;
			}
			continue;
		}
		if (*p == '"')
			buf_adds(b, "\\\"");
		else if (*p == '\\')
			buf_adds(b, "\\\\");
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else if (*p == '\r')
			buf_adds(b, "\\r");
		else if (*p == '\t')
			buf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_addc(b, *p);
		p++;
	}
	buf_addc(b, '"');
}

static const char *const specials[] = {
	"\"", "\\", "\n", "\r", "\t", "\x01", "\x1f", "\x7f", "\xff",
	"\xc3\xa9", "\xe3\x81\x82", "\xf0\x9f\x98\x80", "\xc3", "\xe3\x81",
	"\xed\xa0\x80", "\xc0\xaf",
};

static void
test_json_offsets(void **state)
{
	struct buf got = BUF_INIT, want = BUF_INIT;
	char s[128];
	size_t i, off, tail;

	(void)state;
	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		for (off = 0; off <= 40; off++)
			for (tail = 0; tail <= 20; tail += 7) {
				memset(s, 'a', off);
				strcpy(s + off, specials[i]);
				memset(s + strlen(s), 'b', tail);
				s[off + strlen(specials[i]) + tail] = '\0';
				buf_reset(&got);
				buf_reset(&want);
				assert_int_equal(json_string(&got, s), 0);
				json_model(&want, s);
				assert_int_equal(got.len, want.len);
				assert_memory_equal(got.p, want.p, got.len);
				assert_int_equal(got.p[got.len], '\0');
			}
	buf_free(&got);
	buf_free(&want);
}

/* The body the MIME walk must give for text t[0, n): the model. */
static size_t
body_model(const unsigned char *t, size_t n, char *out)
{
	size_t i, k, o = 0;

	for (i = 0; i < n; i += k) {
		k = 1;
		if (t[i] == '\0') {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else if (t[i] == '\r' && i + 1 < n && t[i + 1] == '\n') {
			continue;
		} else if (t[i] >= 0x80) {
			/* utf8_seqlen wants a NUL after the bytes: copy */
			unsigned char tmp[5] = { 0 };

			memcpy(tmp, t + i, n - i < 4 ? n - i : 4);
			if ((k = utf8_seqlen(tmp)) == 0) {
				k = 1;
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			} else {
				memcpy(out + o, t + i, k);
				o += k;
			}
		} else
			out[o++] = (char)t[i];
	}
	return (o);
}

static void
test_mime_body_offsets(void **state)
{
	static const char *const body_specials[] = {
		"\r\n", "\r", "\xc3\xa9", "\xff", "\xe3\x81", "x\r\ny",
	};
	const char *hdr = "Content-Type: text/plain; charset=utf-8\n\n";
	size_t hl = strlen(hdr), i, off, tail, n, bl, wl;
	char msg[256], want[512];
	struct mime_msg m;
	struct arena *a;

	(void)state;
	for (i = 0; i <= sizeof(body_specials) / sizeof(body_specials[0]);
	    i++)
		for (off = 0; off <= 40; off++)
			for (tail = 0; tail <= 20; tail += 5) {
				memcpy(msg, hdr, hl);
				memset(msg + hl, 'a', off);
				n = hl + off;
				if (i == 0)	/* a NUL byte */
					msg[n++] = '\0';
				else {
					bl = strlen(body_specials[i - 1]);
					memcpy(msg + n, body_specials[i - 1],
					    bl);
					n += bl;
				}
				memset(msg + n, 'b', tail);
				n += tail;
				msg[n] = '\0';
				a = arena_new(0);
				assert_int_equal(mime_parse(a, msg, n, NULL,
				    &m), 0);
				wl = body_model((const unsigned char *)msg + hl,
				    n - hl, want);
				assert_int_equal(m.root->bodylen, wl);
				assert_memory_equal(m.root->body, want, wl);
				assert_int_equal(m.root->body[wl], '\0');
				arena_free(a);
			}
}

static void
test_mime_header_offsets(void **state)
{
	static const struct {
		const char	*mid;	/* put into the value */
		const char	*want;	/* what it becomes */
	} tab[] = {
		{ "\r\n\tz", "\tz" },	/* a fold keeps its blank */
		{ "\n z", " z" },
		{ "\r", " " },		/* a lone CR is a space */
		{ "", "" },
	};
	char msg[256], want[128];
	const char *v;
	struct mime_msg m;
	struct arena *a;
	size_t i, off, n;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		for (off = 1; off <= 40; off++) {
			n = (size_t)snprintf(msg, sizeof(msg), "Subject: ");
			memset(msg + n, 'v', off);
			n += off;
			n += (size_t)snprintf(msg + n, sizeof(msg) - n,
			    "%sq\nX-Y: 1\n\nbody\n", tab[i].mid);
			memset(want, 'v', off);
			snprintf(want + off, sizeof(want) - off, "%sq",
			    tab[i].want);
			a = arena_new(0);
			assert_int_equal(mime_parse(a, msg, n, NULL, &m), 0);
			assert_non_null(v = mime_hdr_get(m.root, "subject"));
			assert_string_equal(v, want);
			assert_string_equal(mime_hdr_get(m.root, "x-y"), "1");
			arena_free(a);
		}
}

static void
test_arena_recycled_zero(void **state)
{
	struct arena *a;
	unsigned char *p;
	size_t i, j, k, sizes[] = { 1, 15, 16, 17, 1000, 20000, 40000 };

	(void)state;
	for (k = 0; k < 4; k++) {
		/* fill blocks with junk, free them to the cache ... */
		assert_non_null(a = arena_new(0));
		for (i = 0; i < 64; i++) {
			assert_non_null(p = arena_alloc_raw(a, 4096));
			memset(p, 0xa5, 4096);
		}
		arena_free(a);
		/* ... and the next arena's zeroed memory must be zero */
		assert_non_null(a = arena_new(0));
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			assert_non_null(p = arena_alloc(a, sizes[i]));
			assert_int_equal((uintptr_t)p % 16, 0);
			for (j = 0; j < sizes[i]; j++)
				assert_int_equal(p[j], 0);
		}
		arena_free(a);
	}
}

static void
test_arena_cap(void **state)
{
	struct arena *a;

	(void)state;
	/* a cap below one block: nothing fits, no crash */
	assert_non_null(a = arena_new(1000));
	assert_null(arena_alloc(a, 10));
	assert_true(arena_exhausted(a));
	arena_free(a);
	/* 256 KiB: the allocations stop at the cap, then stay stopped */
	assert_non_null(a = arena_new(256 * 1024));
	while (arena_alloc(a, 3000) != NULL)
		;
	assert_true(arena_exhausted(a));
	assert_true(arena_used(a) <= 256 * 1024);
	assert_null(arena_strdup(a, "x"));
	arena_free(a);
	assert_non_null(a = arena_new(0));
	assert_string_equal(arena_strdup(a, "fresh"), "fresh");
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_offsets),
		cmocka_unit_test(test_mime_body_offsets),
		cmocka_unit_test(test_mime_header_offsets),
		cmocka_unit_test(test_arena_recycled_zero),
		cmocka_unit_test(test_arena_cap),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
