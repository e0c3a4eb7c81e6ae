/*
 * rulelist.h - the lists of words and phrases under rules/, as data
 *
 * SYNOPSIS
 *	struct rlist *rlist_load(const char *dir, const char *name,
 *		    char *err, size_t errlen);
 *	const char *const *rlist_get(const struct rlist *l,
 *		    const char *section, size_t *n);
 *	int	rlist_need(const struct rlist *l, const char *section,
 *		    char *err, size_t errlen);
 *	int	rlist_error(const struct rlist *l, const char *section,
 *		    size_t i, char *err, size_t errlen, const char *fmt,
 *		    ...);
 *	int	rlist_host_under(const char *host, size_t hostlen,
 *		    const char *const *v, size_t n);
 *	void	rlist_free(struct rlist *l);
 *
 * DESCRIPTION
 *	A list file (rules/NAME) is read with the one rules reader
 *	(rulefile.h): a line "[SECTION]" starts a section, every other line
 *	is one entry of it, leading and trailing blanks removed (blanks
 *	inside kept).  rlist_load() returns the file's sections, or NULL
 *	with "FILE:LINE: message" in err (no file, an entry before any
 *	section, a section seen twice, memory).
 *
 *	rlist_get() returns the entries of a section in file order (NULL
 *	terminated) and their number in *n (n may be NULL); an empty array
 *	when the section is not there.  rlist_need() is 0 when the section
 *	is there, else -1 with "FILE:0: no [SECTION]" in err.
 *	rlist_error() writes "FILE:LINE: message" about entry i of a
 *	section (the line it was read from; 0 when there is no such entry)
 *	into err and returns -1: for a caller that finds an entry wrong.
 *
 *	rlist_host_under() tells whether host[0..hostlen) lies under one
 *	of the n domains in v: a name of at least one more label, ending in
 *	"." and the domain, ASCII case ignored (the domain itself is not
 *	under it; a trailing dot is the caller's to remove).
 */
#ifndef RULELIST_H
#define RULELIST_H

#include <stddef.h>

struct rlist;

struct rlist *rlist_load(const char *, const char *, char *, size_t);
const char *const *rlist_get(const struct rlist *, const char *, size_t *);
int	 rlist_need(const struct rlist *, const char *, char *, size_t);
int	 rlist_error(const struct rlist *, const char *, size_t, char *,
	    size_t, const char *, ...)
	    __attribute__((format(printf, 6, 7)));
int	 rlist_host_under(const char *, size_t, const char *const *, size_t);
void	 rlist_free(struct rlist *);

#endif
