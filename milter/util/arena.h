/*
 * arena.h - per-message memory arena with a hard size cap
 *
 * SYNOPSIS
 *	struct arena *arena_new(size_t cap);
 *	void	*arena_alloc(struct arena *a, size_t n);
 *	void	*arena_alloc_raw(struct arena *a, size_t n);
 *	char	*arena_strndup(struct arena *a, const char *s, size_t n);
 *	char	*arena_strdup(struct arena *a, const char *s);
 *	char	*arena_printf(struct arena *a, const char *fmt, ...);
 *	int	 arena_exhausted(const struct arena *a);
 *	size_t	 arena_used(const struct arena *a);
 *	void	 arena_free(struct arena *a);
 *
 * DESCRIPTION
 *	Everything derived from one message (MIME tree, decoded bodies,
 *	recipient records, classification strings) lives in one arena and is
 *	released with one arena_free().  arena_alloc() memory is zeroed;
 *	arena_alloc_raw() memory is not (for buffers the caller fills at
 *	once).  cap bounds the total (the arena's own first block
 *	included); 0 means ARENA_DEFAULT_CAP.  Once an allocation would pass the
 *	cap, it and all later ones return NULL and arena_exhausted() is true:
 *	callers stop work and report a limit, they never crash.  Freed
 *	blocks are kept in a small bounded cache for the next message.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

#define ARENA_DEFAULT_CAP	(64u * 1024 * 1024)

struct arena;

struct arena *arena_new(size_t);
void	*arena_alloc(struct arena *, size_t);
void	*arena_alloc_raw(struct arena *, size_t);
char	*arena_strndup(struct arena *, const char *, size_t);
char	*arena_strdup(struct arena *, const char *);
char	*arena_printf(struct arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 arena_exhausted(const struct arena *);
size_t	 arena_used(const struct arena *);
void	 arena_free(struct arena *);

#endif
