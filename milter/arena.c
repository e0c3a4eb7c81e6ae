/*
 * arena.c - per-message memory arena with a hard size cap
 *
 *	Blocks are chained; a request larger than the block size gets a
 *	block of its own.  See arena.h for the interface.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define BLOCK_SIZE	(32u * 1024)
#define ALIGN		16u

struct block {
	struct block	*next;
	size_t		 size;		/* usable bytes in data[] */
	size_t		 used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct block	*head;
	size_t		 cap;
	size_t		 total;		/* bytes obtained from malloc */
	int		 exhausted;
};

struct arena *
arena_new(size_t cap)
{
	struct arena *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	a->cap = cap ? cap : ARENA_DEFAULT_CAP;
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
	if ((b = malloc(sizeof(*b) + size)) == NULL) {
		a->exhausted = 1;
		return (NULL);
	}
	b->size = size;
	b->used = 0;
	a->total += size;
	return (b);
}

void *
arena_alloc(struct arena *a, size_t n)
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
	if (b == NULL || b->size - b->used < n) {
		if ((b = block_new(a, n)) == NULL)
			return (NULL);
		if (n > BLOCK_SIZE / 2 && a->head != NULL) {
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
	memset(p, 0, n);
	return (p);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if ((p = arena_alloc(a, n + 1)) == NULL)
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
	if ((p = arena_alloc(a, (size_t)n + 1)) == NULL)
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
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
