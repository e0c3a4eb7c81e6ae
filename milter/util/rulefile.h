/*
 * rulefile.h - the one line reader and regex dialect of the rule files
 *
 * SYNOPSIS
 *	int	rf_open(struct rf *f, const char *dir, const char *name,
 *		    char *err, size_t errlen);
 *	char	*rf_next(struct rf *f);
 *	int	rf_error(struct rf *f, char *err, size_t errlen,
 *		    const char *fmt, ...);
 *	int	rf_end(struct rf *f, char *err, size_t errlen);
 *	void	rf_close(struct rf *f);
 *	int	rf_list(const char *dir, const char *suffix, char **names,
 *		    size_t max, char *err, size_t errlen);
 *	void	rf_list_free(char **names, size_t n);
 *
 *	pcre2_code *rx_compile_msg(const char *re, size_t len, char *err,
 *		    size_t errlen);
 *	pcre2_code *rx_compile(const char *re, size_t len, struct rf *f,
 *		    char *err, size_t errlen);
 *	int	rx_scratch_init(struct rx_scratch *sc);
 *	void	rx_scratch_free(struct rx_scratch *sc);
 *	pcre2_match_context *rx_limits(void);
 *	int	rx_match(const pcre2_code *re, const char *s, size_t len,
 *		    struct rx_scratch *sc);
 *
 * DESCRIPTION
 *	Every file under rules/ (status.tsv, *.rules, formats/ *.fmt, the
 *	data lists) is read line by line with rf_*(): rf_next() returns the
 *	next line that is neither empty nor a comment (first non-blank
 *	character '#'), with the line end and trailing blanks removed and
 *	its leading blanks kept (indentation means something in
 *	causes.rules), or NULL at the end.  A read error or a line longer
 *	than RF_MAXLINE is kept in f->failed; rf_end() turns it into the
 *	error "FILE:LINE: line too long" / "read error" (-1), else returns 0.
 *	rf_error() writes "FILE:LINE: message" and returns -1.
 *
 *	rf_list() lists the files of the directory dir whose names end in
 *	suffix (".fmt", ".rules"; not the suffix alone, no name starting
 *	with '.'), at most max of them: their names (malloc'd) into
 *	names[], sorted by strcmp(), and returns how many.  On error it
 *	writes "DIR:0: message" (the directory cannot be opened, more than
 *	max files, out of memory), leaves nothing allocated and returns
 *	-1; errno is then opendir()'s (ENOENT: no such directory), or 0.
 *	rf_list_free() frees the n names of a list.
 *
 *	Every pattern of every rules file is compiled by rx_compile_msg()
 *	(error "bad pattern at offset N: ...") or rx_compile() (the same as
 *	an rf_error() at the current line), in the one dialect of
 *	rules/README: PCRE2, UTF-8 (invalid UTF-8 in the subject
 *	tolerated), multiline (^ and $ at every line), case-sensitive
 *	unless the pattern says (?i).  rx_compile() JIT-compiles the
 *	pattern where the platform has it; rx_compile_msg() leaves that to
 *	the caller (the format parsers JIT-compile a pattern when it first
 *	runs: fmt_util.c).  RX_OPTIONS are those compile options.
 *
 *	rx_match() runs a pattern with the match, depth and heap limits of
 *	the scratch's match context (rx_scratch_init()), so no pattern can
 *	backtrack without bound; a match that hits a limit counts as no
 *	match.  rx_limits() is a match context with the same limits, shared
 *	and read-only, for callers that run patterns of rules/ without a
 *	scratch (the format parsers); NULL only when out of memory.  The
 *	compile applies limits too: parentheses nested 64 deep at most, a
 *	pattern no longer than a rules line; a pattern setting its own
 *	limits ((*LIMIT_MATCH=N) and the like) can only lower them.
 */
#ifndef RULEFILE_H
#define RULEFILE_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdio.h>

#define RF_MAXLINE	4096
#define RX_OPTIONS	(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE)

struct rf {
	FILE		*fp;
	char		 path[1024];
	int		 line;
	int		 failed;
	char		 buf[RF_MAXLINE + 2];
};

int	 rf_open(struct rf *, const char *, const char *, char *, size_t);
char	*rf_next(struct rf *);
int	 rf_error(struct rf *, char *, size_t, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	 rf_end(struct rf *, char *, size_t);
void	 rf_close(struct rf *);
int	 rf_list(const char *, const char *, char **, size_t, char *,
	    size_t);
void	 rf_list_free(char **, size_t);

/* Per-call scratch: match data (and the limits) for rx_match(). */
struct rx_scratch {
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	unsigned long		 nmatch;	/* patterns run (for measuring) */
	const void		*memo_for;	/* facts the memo belongs to */
	signed char		 memo[64];	/* per reason set: -1 unknown */
	unsigned char		*hit;		/* reason.c: phrases seen in */
	size_t			 hitcap;	/* the diagnostic hit_for */
	const char		*hit_for;
	size_t			 hit_len;
	int			 hit_valid;
};

pcre2_code *rx_compile_msg(const char *, size_t, char *, size_t);
pcre2_code *rx_compile(const char *, size_t, struct rf *, char *, size_t);
int	 rx_scratch_init(struct rx_scratch *);
void	 rx_scratch_free(struct rx_scratch *);
pcre2_match_context *rx_limits(void);
int	 rx_match(const pcre2_code *, const char *, size_t,
	    struct rx_scratch *);

#endif
