/*
 * arena.c - per-message memory arena with a hard size cap
 *
 *	Blocks are chained; a request larger than half the block size gets
 *	a block of its own.  The arena's own record lives at the start of
 *	its first block, so a message costs no malloc() of its own once
 *	blocks are recycled: arena_free() hands standard-size blocks to a
 *	small process-wide cache (at most ARENA_CACHE_BLOCKS, under a
 *	mutex, so milter threads share it) that the next arena_new() and
 *	block allocations take from before calling malloc(); big blocks
 *	(up to ARENA_BIG_MAX) have a cache of their own, ARENA_CACHE_BIG
 *	deep, reused for requests of half their size or more.  Recycled
 *	memory is not zero; arena_alloc() zeroes what it hands out,
 *	arena_alloc_raw() does not.  See arena.h for the interface.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define BLOCK_SIZE		(32u * 1024)
#define ALIGN			16u
#define ARENA_CACHE_BLOCKS	16	/* standard blocks kept for reuse */
#define ARENA_CACHE_BIG		4	/* and big ones (one-off requests) */
#define ARENA_BIG_MAX		(256u * 1024)	/* the largest one kept */

struct block {
	struct block	*next;
	size_t		 size;		/* usable bytes in data[] */
	size_t		 used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct block	*head;
	size_t		 cap;
	size_t		 total;		/* bytes of all blocks */
	int		 exhausted;
};

#define ARENA_HDR	((sizeof(struct arena) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static pthread_mutex_t	 cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block	*cache;		/* free standard-size blocks */
static size_t		 ncache;
static struct block	*bigs[ARENA_CACHE_BIG];	/* free big blocks, or NULL */
static size_t		 bignext;	/* the slot a full cache gives up */

/* A standard block from the cache or malloc(), or NULL. */
static struct block *
block_std(void)
{
	struct block *b;

	pthread_mutex_lock(&cache_lock);
	if ((b = cache) != NULL) {
		cache = b->next;
		ncache--;
	}
	pthread_mutex_unlock(&cache_lock);
	/*
	 * Zeroed once when first made (the cache then recycles it): PCRE2's
	 * JIT scans ahead in aligned 16-byte loads past a subject's end, and
	 * bytes never written there would be uninitialised reads to
	 * valgrind.  calloc() of fresh pages costs nothing extra.
	 */
	if (b == NULL && (b = calloc(1, sizeof(*b) + BLOCK_SIZE)) == NULL)
		return (NULL);
	b->size = BLOCK_SIZE;
	b->used = 0;
	b->next = NULL;
	return (b);
}

/*
 * A cached big block of at least size bytes (and at most twice that,
 * so the memory held stays near what the cap counts), or NULL.  Like
 * standard blocks, big ones are zeroed only when first made: a message
 * with a large decoded part would otherwise pay a memset() each time.
 */
static struct block *
block_big(size_t size)
{
	struct block *b = NULL;
	size_t i, best = ARENA_CACHE_BIG;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < ARENA_CACHE_BIG; i++)
		if (bigs[i] != NULL && bigs[i]->size >= size &&
		    bigs[i]->size / 2 <= size && (best == ARENA_CACHE_BIG ||
		    bigs[i]->size < bigs[best]->size))
			best = i;
	if (best < ARENA_CACHE_BIG) {
		b = bigs[best];
		bigs[best] = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	if (b != NULL)
		b->used = 0;
	return (b);
}

/*
 * Give a block back: standard ones to the cache while it has room, big
 * ones up to ARENA_BIG_MAX to an empty slot, else in place of the one
 * cached longest ago (so the cache follows the sizes messages need).
 */
static void
block_release(struct block *b)
{
	struct block *old;
	size_t i;

	if (b->size == BLOCK_SIZE) {
		pthread_mutex_lock(&cache_lock);
		if (ncache < ARENA_CACHE_BLOCKS) {
			b->next = cache;
			cache = b;
			ncache++;
			b = NULL;
		}
		pthread_mutex_unlock(&cache_lock);
	} else if (b->size <= ARENA_BIG_MAX) {
		pthread_mutex_lock(&cache_lock);
		for (i = 0; i < ARENA_CACHE_BIG && bigs[i] != NULL; i++)
			;
		if (i == ARENA_CACHE_BIG) {
			i = bignext;
			bignext = (bignext + 1) % ARENA_CACHE_BIG;
		}
		old = bigs[i];
		bigs[i] = b;
		b = old;
		pthread_mutex_unlock(&cache_lock);
	}
	free(b);
}

struct arena *
arena_new(size_t cap)
{
	struct arena *a;
	struct block *b;

	if ((b = block_std()) == NULL)
		return (NULL);
	a = (struct arena *)(void *)b->data;
	memset(a, 0, sizeof(*a));
	b->used = ARENA_HDR;
	a->head = b;
	a->cap = cap ? cap : ARENA_DEFAULT_CAP;
	a->total = b->size;
	if (a->total > a->cap)
		a->exhausted = 1;	/* a cap below one block: nothing fits */
	return (a);
}

static struct block *
block_new(struct arena *a, size_t need)
{
	struct block *b;
	size_t size = need > BLOCK_SIZE ? need : BLOCK_SIZE;

	if (size > SIZE_MAX - sizeof(*b) || a->total + size > a->cap) {
		a->exhausted = 1;
		return (NULL);
	}
	/* the cap counts size even when a cached block is a little larger */
	if (size == BLOCK_SIZE)
		b = block_std();
	else if ((b = block_big(size)) != NULL)
		;
	else if ((b = calloc(1, sizeof(*b) + size)) != NULL) {
		b->size = size;
		b->used = 0;
	}
	if (b == NULL) {
		a->exhausted = 1;
		return (NULL);
	}
	a->total += size;
	return (b);
}

/* arena_alloc_raw() when n does not fit the head block as it is. */
static __attribute__((noinline)) void *
alloc_slow(struct arena *a, size_t n)
{
	struct block *b;
	void *p;

	if (a == NULL || a->exhausted)
		return (NULL);
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN) {
		a->exhausted = 1;
		return (NULL);
	}
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	b = a->head;
	if (b->size - b->used < n) {
		if ((b = block_new(a, n)) == NULL)
			return (NULL);
		if (n > BLOCK_SIZE / 2) {
			/* big one-off: keep the current block for small ones */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = b->data + b->used;
	b->used += n;
	return (p);
}

/*
 * The common case, without a call (nor the register saves the slow
 * path needs): 1 to BLOCK_SIZE bytes that fit the head block.  Inlined
 * in the allocating functions below.
 */
static inline void *
alloc_fast(struct arena *a, size_t n)
{
	struct block *b;
	size_t r;
	void *p;

	if (a != NULL && !a->exhausted && n - 1 < BLOCK_SIZE) {
		r = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
		b = a->head;
		if (b->size - b->used >= r) {
			p = b->data + b->used;
			b->used += r;
			return (p);
		}
	}
	return (alloc_slow(a, n));
}

void *
arena_alloc_raw(struct arena *a, size_t n)
{
	return (alloc_fast(a, n));
}

void *
arena_alloc(struct arena *a, size_t n)
{
	void *p;

	if ((p = alloc_fast(a, n)) != NULL)
		memset(p, 0, n ? n : 1);
	return (p);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = alloc_fast(a, n + 1)) == NULL)
		return (NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return (arena_strndup(a, s, strlen(s)));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[256], *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return (NULL);
	if ((size_t)n < sizeof(small))
		return (arena_strndup(a, small, (size_t)n));
	if ((p = arena_alloc_raw(a, (size_t)n + 1)) == NULL)
		return (NULL);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return (p);
}

int
arena_exhausted(const struct arena *a)
{
	return (a == NULL || a->exhausted);
}

size_t
arena_used(const struct arena *a)
{
	return (a ? a->total : 0);
}

void
arena_free(struct arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	/* a lives in one of the blocks: read it before any is released */
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		block_release(b);
	}
}
