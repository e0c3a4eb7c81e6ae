/*
 * buf.h - growable byte buffer
 *
 * SYNOPSIS
 *	void	buf_init(struct buf *b);
 *	int	buf_add(struct buf *b, const void *p, size_t n);
 *	int	buf_adds(struct buf *b, const char *s);
 *	int	buf_addc(struct buf *b, int c);
 *	int	buf_printf(struct buf *b, const char *fmt, ...);
 *	void	buf_reset(struct buf *b);
 *	void	buf_free(struct buf *b);
 *
 * DESCRIPTION
 *	b->p is always NUL-terminated (when non-NULL) and b->len excludes the
 *	NUL.  Functions return 0, or -1 when memory ran out (the buffer keeps
 *	what it had).  The caller owns b->p; buf_free() releases it.
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
void	buf_reset(struct buf *);
void	buf_free(struct buf *);

#endif
