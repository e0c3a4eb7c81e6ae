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

#endif
