/*
 * buf.h - growable byte buffer
 *
 * SYNOPSIS
 *	void	buf_init(struct buf *b);
 *	int	buf_add(struct buf *b, const void *p, size_t n);
 *	int	buf_adds(struct buf *b, const char *s);
 *	int	buf_addc(struct buf *b, int c);
 *	int	buf_printf(struct buf *b, const char *fmt, ...);
 *	int	buf_reserve(struct buf *b, size_t n);
 *	void	buf_reset(struct buf *b);
 *	void	buf_free(struct buf *b);
 *
 * DESCRIPTION
 *	b->p is always NUL-terminated (when non-NULL) and b->len excludes the
 *	NUL.  Functions return 0, or -1 when memory ran out (the buffer keeps
 *	what it had).  The caller owns b->p; buf_free() releases it.
 *	buf_reserve() makes room for n more bytes (and the NUL) without
 *	changing the content, so a writer may fill b->p + b->len directly
 *	and then advance b->len (keeping the NUL itself).
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT	{ NULL, 0, 0 }

void	buf_init(struct buf *);
int	buf_add(struct buf *, const void *, size_t);
int	buf_adds(struct buf *, const char *);
int	buf_addc(struct buf *, int);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_reserve(struct buf *, size_t);
void	buf_reset(struct buf *);
void	buf_free(struct buf *);

#endif
