/*
 * spool.c - collect one message's octets: memory first, a file past that
 *
 *	See spool.h.  The milter holds every bounce candidate until end of
 *	message; with hundreds of connections each sending a large bounce
 *	that would be hundreds of MiB of heap.  Past memmax the octets go
 *	to an unnamed file instead, and the parser reads the file through
 *	a private read-only mapping at end of message.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

void
spool_init(struct spool *s, size_t memmax, size_t cap, const char *dir)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->mem);
	s->fd = -1;
	s->memmax = memmax;
	s->cap = cap;
	s->dir = dir != NULL && *dir != '\0' ? dir : "/tmp";
}

/* An unnamed file in s->dir, or -1. */
static int
spool_tmpfile(struct spool *s)
{
	char path[4096];
	int fd;

#ifdef O_TMPFILE
	if ((fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return (fd);
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/bounce-milter.XXXXXX",
	    s->dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return (-1);
	(void)unlink(path);
	return (fd);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/* Move the memory part to a file; -1 (and s->spill_failed) on failure. */
static int
spool_spill(struct spool *s)
{
	int fd;

	if ((fd = spool_tmpfile(s)) == -1) {
		snprintf(s->err, sizeof(s->err), "cannot create a spool file "
		    "in %s: %s", s->dir, strerror(errno));
		s->spill_failed = 1;
		return (-1);
	}
	if (write_all(fd, s->mem.p, s->mem.len) == -1) {
		snprintf(s->err, sizeof(s->err), "cannot write a spool file "
		    "in %s: %s", s->dir, strerror(errno));
		(void)close(fd);
		s->spill_failed = 1;
		return (-1);
	}
	s->fd = fd;
	buf_free(&s->mem);
	return (0);
}

/*
 * A write to the spill file failed: bring what it holds back to memory.
 * Only its first s->len octets: a write that stopped short (a full
 * directory) left part of the failed chunk after them, which the caller
 * keeps from its own copy.
 */
static int
spool_unspill(struct spool *s)
{
	off_t off = 0;
	ssize_t r;
	size_t want;
	char chunk[65536];

	s->spill_failed = 1;
	while (s->fd != -1 && (size_t)off < s->len) {
		want = s->len - (size_t)off;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		if ((r = pread(s->fd, chunk, want, off)) <= 0)
			break;
		if (buf_add(&s->mem, chunk, (size_t)r) == -1)
			break;
		off += r;
	}
	(void)close(s->fd);
	s->fd = -1;
	s->len = s->mem.len;
	return (-1);
}

int
spool_add(struct spool *s, const void *p, size_t n)
{
	int rc = 0;

	s->seen += n;
	if (s->cut)
		return (0);
	if (n > s->cap - s->len) {
		n = s->cap - s->len;
		s->cut = 1;
	}
	if (n == 0)
		return (0);
	if (s->fd == -1 && !s->spill_failed && s->len + n > s->memmax)
		rc = spool_spill(s);
	if (s->fd != -1) {
		if (write_all(s->fd, p, n) == 0) {
			s->len += n;
			return (0);
		}
		snprintf(s->err, sizeof(s->err), "cannot write a spool file "
		    "in %s: %s", s->dir, strerror(errno));
		rc = spool_unspill(s);
	}
	if (buf_add(&s->mem, p, n) == -1) {
		snprintf(s->err, sizeof(s->err), "out of memory after %zu "
		    "octets", s->len);
		s->cut = 1;
		return (-1);
	}
	s->len += n;
	return (rc);
}

const char *
spool_view(struct spool *s, size_t *len)
{
	void *p;

	*len = 0;
	if (s->fd == -1) {
		*len = s->mem.len;
		return (s->mem.len > 0 ? s->mem.p : NULL);
	}
	if (s->map != NULL) {
		*len = s->maplen;
		return (s->map);
	}
	if (s->len == 0)
		return (NULL);
	p = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, s->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(s->err, sizeof(s->err), "cannot map the spool file: "
		    "%s", strerror(errno));
		return (NULL);
	}
	s->map = p;
	s->maplen = s->len;
	*len = s->len;
	return (p);
}

void
spool_unview(struct spool *s)
{
	if (s->map != NULL)
		(void)munmap(s->map, s->maplen);
	s->map = NULL;
	s->maplen = 0;
}

void
spool_free(struct spool *s)
{
	spool_unview(s);
	if (s->fd != -1)
		(void)close(s->fd);
	s->fd = -1;
	buf_free(&s->mem);
	s->len = 0;
}
