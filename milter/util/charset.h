/*
 * charset.h - conversion of text in a named charset to UTF-8 (iconv)
 *
 * SYNOPSIS
 *	int	charset_conv(const char *name, const char *s, size_t n,
 *		    char **out, size_t *outlen, size_t *nbad);
 *	int	charset_conv_buf(const char *name, const char *s, size_t n,
 *		    struct buf *out, size_t *nbad);
 *	int	charset_utf8_like(const char *name);
 *	int	charset_aliases_sorted(void);
size_t	charset_jis_at(const char *, size_t, size_t);
int	charset_jp_guess(const char *, size_t, char **, size_t *);
int	charset_jis_mixed(const char *, size_t, char **, size_t *);
 *	size_t	charset_jis_at(const char *s, size_t i, size_t n);
 *	int	charset_jp_guess(const char *s, size_t n, char **conv,
 *		    size_t *convlen);
 *	int	charset_jis_mixed(const char *s, size_t n, char **conv,
 *		    size_t *convlen);
 *
 * DESCRIPTION
 *	charset_conv() converts the n bytes at s from the charset name
 *	(a MIME charset label, any case, common aliases understood) to
 *	UTF-8 with iconv.  Bytes that are invalid in that charset become
 *	U+FFFD; *nbad (when not NULL) counts them.  On success it returns 0 and *out is a malloc'd,
 *	NUL-terminated buffer of *outlen bytes that the caller frees.  It
 *	returns 1, touching nothing, when the label means UTF-8 or ASCII or
 *	is unknown to iconv: the caller then keeps the valid UTF-8 and
 *	replaces the rest.  It returns -1 when memory ran out.
 *
 *	charset_conv_buf() does the same but appends to out (buf.h), for
 *	callers that convert many small pieces; on -1, out keeps what was
 *	converted so far.
 *
 *	charset_utf8_like() is true for labels that mean UTF-8, ASCII or
 *	"no charset" (no conversion needed).
 *
 *	charset_aliases_sorted() is true when the table of labels is in the
 *	order its binary search needs (for the tests).
 *
 *	Japanese text: charset_jis_at() is where the next ISO-2022-JP
 *	shift sequence at or after i is (n when none); charset_jp_guess()
 *	reads 8-bit text under an ISO-2022-JP label as EUC-JP or Shift_JIS,
 *	whichever decodes with fewer errors; charset_jis_mixed() converts
 *	the ISO-2022-JP runs inside otherwise UTF-8 text one by one.  Both
 *	return as charset_conv().
 *
 *	iconv_open() is slow, so every thread keeps a small cache of open
 *	conversion descriptors (also remembering labels iconv does not
 *	know); it is released when the thread ends.
 */
#ifndef CHARSET_H
#define CHARSET_H

#include <stddef.h>

#include "buf.h"

int	charset_conv(const char *, const char *, size_t, char **, size_t *,
	    size_t *);
int	charset_conv_buf(const char *, const char *, size_t, struct buf *,
	    size_t *);
int	charset_utf8_like(const char *);
int	charset_aliases_sorted(void);
size_t	charset_jis_at(const char *, size_t, size_t);
int	charset_jp_guess(const char *, size_t, char **, size_t *);
int	charset_jis_mixed(const char *, size_t, char **, size_t *);

#endif
