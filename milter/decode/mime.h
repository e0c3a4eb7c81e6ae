/*
 * mime.h - MIME walk of one raw message
 *
 * SYNOPSIS
 *	int	mime_parse(struct arena *a, const char *buf, size_t len,
 *		    const struct mime_limits *lim, struct mime_msg *m);
 *	const char *mime_hdr_get(const struct mime_part *p, const char *name);
 *	const char *mime_hdr_next(const struct mime_part *p, const char *name,
 *		    size_t *iter);
 *	char	*mime_decode_words(struct arena *a, const char *value);
 *	char	*mime_to_utf8(struct arena *a, const char *charset,
 *		    const char *s, size_t n, size_t *outlen);
 *	const struct mime_part *mime_find(const struct mime_part *root,
 *		    const char *type);
 *	int	mime_is_embedding(const char *type);
 *
 * DESCRIPTION
 *	mime_parse() splits buf (LF or CRLF line ends, NUL bytes allowed)
 *	into a tree of parts.  Everything it makes is allocated from the
 *	arena a; the tree may point into buf, so buf must outlive it.
 *
 *	Headers are unfolded (a line break followed by white space becomes
 *	that white space), kept in order, raw octets (no RFC 2047 decoding:
 *	mime_decode_words() does that on demand).  Header names keep their
 *	case; look-ups ignore it.
 *
 *	For every part: type is the lower-case "type/subtype" (text/plain
 *	when absent or malformed, message/rfc822 inside multipart/digest);
 *	charset is the lower-case charset parameter or "".  body/bodylen is
 *	the content with the transfer encoding (base64, quoted-printable)
 *	removed; for text/ and message/delivery-status, message/
 *	feedback-report and similar textual parts it is also converted to
 *	UTF-8 (invalid bytes replaced by U+FFFD) and CRLF becomes LF.  body
 *	is always NUL-terminated.
 *
 *	Multipart parts have their parts as children.  message/rfc822,
 *	message/global, message/partial-free embeddings and
 *	text/rfc822-headers have one child: the embedded message, parsed
 *	like a top-level one (headers_only set for text/rfc822-headers).
 *
 *	Limits (depth, part count) stop the walk where they are reached: the
 *	tree holds what was parsed and m->flags says which limit was hit.
 *	Broken input (missing boundaries, bad base64, unknown charsets) is
 *	never an error: the walk does its best and goes on.  mime_parse()
 *	returns 0, or -1 only when the arena is exhausted.
 *
 *	mime_is_embedding() is the one list of the types that embed a
 *	message: 1 for a whole message (message/rfc822, message/global,
 *	message/news), 2 for a header block (text/rfc822-headers,
 *	message/rfc822-headers, message/global-headers), else 0; the walk,
 *	the format parsers and the evidence all ask it.
 */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>

#include "arena.h"

struct mime_hdr {
	const char	*name;
	const char	*value;		/* unfolded, raw octets, no CR/LF */
};

struct mime_part {
	struct mime_hdr	*hdrs;
	size_t		 nhdrs;
	const char	*type;		/* "text/plain", lower-case */
	const char	*charset;	/* lower-case, or "" */
	const char	*boundary;	/* multipart only, else NULL */
	const char	*raw;		/* content as in the message */
	size_t		 rawlen;
	const char	*body;		/* decoded content, NUL-terminated */
	size_t		 bodylen;
	const char	*epilogue;	/* multipart: what follows its close
					   delimiter "--boundary--" (on that
					   line and after), or NULL when it
					   has none */
	size_t		 epiloguelen;
	int		 depth;		/* 0 for the top-level message */
	int		 headers_only;	/* text/rfc822-headers embedding */
	struct mime_part *parent;
	struct mime_part *child;	/* first child */
	struct mime_part *next;		/* next sibling */
	const unsigned char *hkey;	/* private to mime.c: one byte per
					   field (name length and first
					   letter) to skip most fields in a
					   look-up; NULL: not made */
};

#define MIME_LIMIT_DEPTH	0x01	/* deeper nesting was not walked */
#define MIME_LIMIT_PARTS	0x02	/* further parts were not walked */
#define MIME_NO_END		0x04	/* a multipart lacked its final boundary */

struct mime_limits {
	int		 max_depth;	/* default 32 */
	size_t		 max_parts;	/* default 1000 */
};

struct mime_msg {
	struct mime_part *root;
	size_t		 nparts;
	unsigned	 flags;		/* MIME_LIMIT_* */
};

int	 mime_parse(struct arena *, const char *, size_t,
	    const struct mime_limits *, struct mime_msg *);
const char *mime_hdr_get(const struct mime_part *, const char *);
const char *mime_hdr_next(const struct mime_part *, const char *, size_t *);
char	*mime_decode_words(struct arena *, const char *);
char	*mime_to_utf8(struct arena *, const char *, const char *, size_t,
	    size_t *);
const struct mime_part *mime_find(const struct mime_part *, const char *);
int	mime_is_embedding(const char *);

#endif
