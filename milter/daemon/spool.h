/*
 * spool.h - collect one message's octets: memory first, a file past that
 *
 * SYNOPSIS
 *	void	spool_init(struct spool *s, size_t memmax, size_t cap,
 *		    const char *dir);
 *	int	spool_add(struct spool *s, const void *p, size_t n);
 *	const char *spool_view(struct spool *s, size_t *len);
 *	void	spool_unview(struct spool *s);
 *	void	spool_free(struct spool *s);
 *
 * DESCRIPTION
 *	A message is collected in memory up to memmax octets.  Past that,
 *	what was collected and everything after it goes to an anonymous
 *	file in dir (O_TMPFILE, or mkstemp() and unlink(): the file has no
 *	name once created, so nothing is left behind if the process dies),
 *	so many large messages in flight cost disk pages, not memory.  At
 *	most cap octets are kept; past that s->cut is set and further
 *	octets are only counted in s->seen.
 *
 *	spool_add() returns 0, or -1 when the spill file could not be made
 *	or written (s->err says why, and the spool goes on in memory, up to
 *	cap, so the message is still classified).
 *
 *	spool_view() gives what was kept as one contiguous read-only span
 *	(the memory itself, or the file mapped) and its length; NULL with
 *	*len = 0 when nothing was kept or mapping failed (s->err).  The span
 *	is not NUL-terminated.  It stays valid until spool_unview() or
 *	spool_free().
 *
 *	Memory a spool holds: at most memmax (plus the buffer's growth
 *	slack) in the collecting phase; a view of a spilled spool is file
 *	pages, released by spool_unview().
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

#include "buf.h"

struct spool {
	struct buf	 mem;		/* in-memory part (until spilled) */
	int		 fd;		/* spill file, or -1 */
	size_t		 len;		/* octets kept (memory or file) */
	size_t		 seen;		/* octets offered, kept or not */
	size_t		 memmax;
	size_t		 cap;
	int		 cut;		/* cap reached */
	int		 spill_failed;	/* stay in memory */
	void		*map;
	size_t		 maplen;
	const char	*dir;
	char		 err[160];
};

void	spool_init(struct spool *, size_t, size_t, const char *);
int	spool_add(struct spool *, const void *, size_t);
const char *spool_view(struct spool *, size_t *);
void	spool_unview(struct spool *);
void	spool_free(struct spool *);

#endif
