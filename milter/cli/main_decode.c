/*
 * main_decode.c - bounce-decode: the classifier, offline, on files
 *
 * SYNOPSIS
 *	bounce-decode [--json] [--rules DIR] [--no-dns] [-c CONF] [-v] PATH...
 *	bounce-decode --history DB|URL --report [--since 24h]
 *	    [--json | --prometheus | --html FILE] [-c CONF]
 *	bounce-decode [--json] --line 'TEXT'...
 *	bounce-decode [--json] --maillog [--follow] FILE|-
 *	bounce-decode --maillog FILE --report [--since AGE] [--json]
 *
 * DESCRIPTION
 *	Decodes each message named by PATH (a file, a directory of files in
 *	name order, a maildir's cur/ and new/, an mbox, or - for standard
 *	input) with the same rules and pipeline as bounce-milter, and prints
 *	one line per recipient, or with --json one object per message
 *	(bounce-decode(1)).  The evidence (SPF, DKIM, MX) runs only for the
 *	bounces of our own mail: the sender domain in our_domains, else in
 *	the history (--history DB or history.path) as a sender of outgoing
 *	mail; -v says on standard error why a bounce got none.
 *	Exit 0 all inputs read, 1 some input could not be
 *	read or a limit stopped its parse, 2 usage, 78 configuration/rules.
 *
 *	The regular files of a directory are read 32 at a time, each
 *	opened, read and closed by io_uring in one system call for them all
 *	(liburing; the files are then decoded in order), where the build
 *	has liburing and the kernel offers it; else, or with
 *	BOUNCE_DECODE_NO_URING set, one at a time.
 *
 *	With --report it prints instead the bounces of the history database
 *	(--history DB or a postgresql:// URL, else the configuration's
 *	history.url or history.path) received in the last --since (default
 *	24h), by recipient domain and cause (history_report(), history.h),
 *	or in the Prometheus text format (--prometheus), or writes one HTML
 *	page with charts to FILE (--html; written beside it, then renamed;
 *	its trend lines replay the rows through the rules directory's
 *	trends, so --html reads the rules); exit 1 when the database cannot
 *	be read, 78 when the rules cannot.
 *
 *	--line and --maillog (maillog_cli.h) classify one pasted SMTP reply
 *	a TEXT, or the failed and deferred delivery attempts of a Postfix,
 *	Sendmail or Exim log, with the same rules.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "config.h"
#include "evidence.h"
#include "history.h"
#include "json.h"
#include "maillog_cli.h"
#include "rules.h"

#ifdef HAVE_LIBURING
#include <liburing.h>
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
/* the kernel writes the buffers behind valgrind's back */
#define RING_DEFINED(p, n)	VALGRIND_MAKE_MEM_DEFINED((p), (n))
#endif
#endif
#ifndef RING_DEFINED
#define RING_DEFINED(p, n)	((void)0)
#endif
#define RING_FILES	32		/* files read a batch */
#define RING_BUF	(64u * 1024)	/* bytes read of each at once */

/* A batch of files read by io_uring: open, read, close, one call. */
struct ring {
	struct io_uring	 ring;
	char		*buf;		/* RING_FILES x (RING_BUF + 1) */
	int		 res[RING_FILES][2];	/* open, read results */
};
#endif

#define EX_USAGE_	2
#define EX_CONFIG_	78
#define DECODE_MAX_INPUT	(64u * 1024 * 1024)	/* bytes read of one input */
#define DECODE_OUT_CHUNK	(64u * 1024)	/* stdout written in chunks */
#define DECODE_IN_FIRST		(128u * 1024)	/* first input buffer */
#define DECODE_FDS		64	/* files read before they are closed */
#define DECODE_IN_KEEP		(8u * 1024 * 1024) /* larger: freed after use */

struct decode_ctx {
	const struct rules	*rules;
	struct bounce_opts	 opts;
	int			 json;
	int			 status;	/* exit status so far */
	int			 tty;		/* stdout a terminal: no delay */
	struct buf		 out;		/* output not yet written */
	struct buf		 in;		/* the input, reused */
	int			 fds[DECODE_FDS];	/* read, not closed yet */
	int			 nfds;
	struct evidence_ctx	*ev;		/* or NULL */
	int			 verbose;	/* -v: debug lines on stderr */
	const char		*file;		/* being decoded */
#ifdef HAVE_LIBURING
	struct ring		*ring;		/* or NULL */
	int			 ring_tried;
#endif
};

static int help_asked;		/* --help: usage on stdout, exit 0 */

static void
usage(void)
{
	FILE *f = help_asked ? stdout : stderr;

	fprintf(f, "usage: bounce-decode [--json] [--rules DIR] "
	    "[--no-dns] [-c CONF] [-v] PATH...\n"
	    "       bounce-decode --history DB|URL --report [--since 24h] "
	    "[--json|--prometheus|--html FILE] [-c CONF]\n"
	    "       bounce-decode [--json] --line 'TEXT'...\n"
	    "       bounce-decode [--json] --maillog [--follow] FILE|-\n"
	    "       bounce-decode --maillog FILE --report [--since AGE] "
	    "[--json]\n"
	    "See bounce-decode(1); every cause, side and hint: "
	    "bounce-milter-causes(7).\n");
	exit(help_asked ? 0 : EX_USAGE_);
}

/* The evidence stage; with -v, why a bounce got none, on stderr. */
static void
ev_stage(void *arg, const struct rules *rules, struct report *r)
{
	struct decode_ctx *d = arg;
	char why[600];

	evidence_check(d->ev, rules, r, why, sizeof(why));
	if (d->verbose && *why != '\0')
		fprintf(stderr, "bounce-decode: %s: %s\n", d->file, why);
}

/* Write the output gathered so far (at once with force or on a tty). */
static void
emit(struct decode_ctx *d, int force)
{
	if (d->out.len == 0 || (!force && !d->tty &&
	    d->out.len < DECODE_OUT_CHUNK))
		return;
	fwrite(d->out.p, 1, d->out.len, stdout);
	buf_reset(&d->out);
}

static const char *
dash(const char *s)
{
	return (s == NULL || *s == '\0' ? "-" : s);
}

static void
print_text(struct decode_ctx *d, const struct report *r, const char *file)
{
	const struct rcpt *rc;
	size_t i;

	if (!r->bounce) {
		buf_printf(&d->out, "%s: not a bounce%s%s\n", file,
		    *r->error ? ": " : "", r->error);
		return;
	}
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		buf_printf(&d->out, "%s: %s %s %s %s %s %s - %s\n", file,
		    dash(rc->addr), dash(rc->status), dash(rc->reply),
		    dash(rc->reason), dash(rc->cause), dash(rc->side),
		    dash(rc->hint));
	}
	if (r->nrcpt == 0)
		buf_printf(&d->out, "%s: %s report with no recipients\n",
		    file, dash(r->kind));
}

/* Report a file that could not be read at all. */
static void
fail_input(struct decode_ctx *d, const char *file, const char *why)
{
	struct report *r;

	fprintf(stderr, "bounce-decode: %s: %s\n", file, why);
	d->status = 1;
	if (!d->json)
		return;
	if ((r = report_new(0)) == NULL)
		return;
	r->error = why;
	r->kind = r->format = "";
	json_report(&d->out, r, file);
	buf_addc(&d->out, '\n');
	emit(d, 0);
	report_free(r);
}

static void
decode_one(struct decode_ctx *d, const char *msg, size_t len,
    const char *file, const char *cut)
{
	struct report *r;

	d->file = file;
	if ((r = bounce_decode(d->rules, msg, len, &d->opts)) == NULL) {
		fail_input(d, file, "out of memory");
		return;
	}
	if (cut != NULL && *r->error == '\0')
		r->error = cut;
	if (*r->error) {
		fprintf(stderr, "bounce-decode: %s: %s\n", file, r->error);
		d->status = 1;
	}
	if (d->json) {
		json_report(&d->out, r, file);
		buf_addc(&d->out, '\n');
	} else
		print_text(d, r, file);
	emit(d, 0);
	report_free(r);
}

/* Where the mbox message that starts at p ends: at the next "From " line. */
static const char *
mbox_next(const char *p, const char *end)
{
	const char *q, *nl;

	/* skip the "From " separator line itself */
	q = memchr(p, '\n', (size_t)(end - p));
	for (q = q ? q + 1 : end; q < end; q = nl + 1) {
		if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			return (end);
		if ((size_t)(end - nl) > 5 && memcmp(nl + 1, "From ", 5) == 0)
			return (nl + 1);
	}
	return (end);
}

/*
 * An mbox: messages start at lines "From ".  Each message is named
 * FILE#N; a file that holds a single message (a message saved with its
 * envelope line) keeps its own name.
 */
static void
decode_mbox(struct decode_ctx *d, const char *p, size_t len,
    const char *file, const char *cut)
{
	const char *end = p + len, *start, *q, *body;
	char name[4096];
	size_t n = 0;
	int single = -1;	/* one message only: known at the first end */

	for (start = p; start < end; start = q) {
		q = mbox_next(start, end);
		if (single == -1)
			single = q == end;
		body = memchr(start, '\n', (size_t)(q - start));
		body = body ? body + 1 : q;
		if (single)
			snprintf(name, sizeof(name), "%s", file);
		else
			snprintf(name, sizeof(name), "%s#%zu", file, ++n);
		decode_one(d, body, (size_t)(q - body), name,
		    q == end ? cut : NULL);
	}
}

/*
 * Read fd into d->in (reused from input to input), at most
 * DECODE_MAX_INPUT bytes (*cut set when there was more).  For a regular
 * file a short read is its end, which saves the read that returns 0.
 */
static int
read_fd(struct decode_ctx *d, int fd, int regular, int *cut)
{
	struct buf *b = &d->in;
	size_t want;
	ssize_t n;

	*cut = 0;
	if (b->cap > DECODE_IN_KEEP)
		buf_free(b);
	buf_reset(b);
	if (buf_reserve(b, DECODE_IN_FIRST) == -1)
		return (-1);
	for (;;) {
		if (b->cap - b->len - 1 < DECODE_IN_FIRST / 2 &&
		    buf_reserve(b, b->cap) == -1) {
			errno = ENOMEM;
			return (-1);
		}
		want = b->cap - b->len - 1;
		if (want > DECODE_MAX_INPUT + 1 - b->len)
			want = DECODE_MAX_INPUT + 1 - b->len;
		n = read(fd, b->p + b->len, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		b->len += (size_t)n;
		if (b->len > DECODE_MAX_INPUT) {
			b->len = DECODE_MAX_INPUT;
			*cut = 1;
			break;
		}
		if (n == 0 || (regular && (size_t)n < want))
			break;
	}
	b->p[b->len] = '\0';
	return (0);
}

static void
decode_fd(struct decode_ctx *d, int fd, int regular, const char *file)
{
	int cut;
	const char *cutmsg = "input larger than 64 MiB; only the start was read";

	if (read_fd(d, fd, regular, &cut) == -1) {
		fail_input(d, file, strerror(errno));
		return;
	}
	if (d->in.len > 5 && memcmp(d->in.p, "From ", 5) == 0)
		decode_mbox(d, d->in.p, d->in.len, file, cut ? cutmsg : NULL);
	else
		decode_one(d, d->in.p, d->in.len, file, cut ? cutmsg : NULL);
}

#ifdef HAVE_LIBURING
/* A whole input read already (the ring's), as decode_fd() does. */
static void
decode_mem(struct decode_ctx *d, const char *p, size_t len, const char *file)
{
	if (len > 5 && memcmp(p, "From ", 5) == 0)
		decode_mbox(d, p, len, file, NULL);
	else
		decode_one(d, p, len, file, NULL);
}
#endif

/*
 * Close the files read so far.  Files opened one after another get the
 * lowest free descriptors, so they are mostly runs of consecutive
 * numbers, each closed with one close_range() instead of a close() a
 * file: over a directory of small files, entering the kernel is a good
 * part of the time.  A descriptor opened elsewhere meanwhile (a charset
 * module, a resolver socket) only splits a run, as the fds are kept in
 * the order they were opened and a run is what follows on one by one.
 */
static void
fds_flush(struct decode_ctx *d)
{
	int i, j;

	for (i = 0; i < d->nfds; i = j) {
		for (j = i + 1; j < d->nfds && d->fds[j] == d->fds[j - 1] + 1;
		    j++)
			;
		if (j - i == 1 || close_range((unsigned)d->fds[i],
		    (unsigned)d->fds[j - 1], 0) == -1)
			for (; i < j; i++)
				close(d->fds[i]);
	}
	d->nfds = 0;
}

static void
fds_defer(struct decode_ctx *d, int fd)
{
	d->fds[d->nfds++] = fd;
	if (d->nfds == DECODE_FDS)
		fds_flush(d);
}

/* A regular file (as the directory said) named name in directory dfd. */
static void
decode_file_at(struct decode_ctx *d, int dfd, const char *name,
    const char *path)
{
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		fail_input(d, path, strerror(errno));
		return;
	}
	decode_fd(d, fd, 1, path);
	fds_defer(d, fd);
}

static void decode_path(struct decode_ctx *, const char *);

struct dent {
	char		*name;
	unsigned char	 type;		/* d_type */
};

#ifdef HAVE_LIBURING
/*
 * The ring, made on first use; NULL when the kernel (or a sandbox) does
 * not offer io_uring with direct descriptors: the files are then read
 * one system call at a time.  Under valgrind it works; the buffers the
 * kernel fills are marked defined (RING_DEFINED).
 */
static struct ring *
ring_get(struct decode_ctx *d)
{
	struct ring *r;

	if (d->ring_tried)
		return (d->ring);
	d->ring_tried = 1;
	if (getenv("BOUNCE_DECODE_NO_URING") != NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	if ((r->buf = malloc((size_t)RING_FILES * (RING_BUF + 1))) == NULL ||
	    io_uring_queue_init(RING_FILES * 4, &r->ring, 0) < 0) {
		free(r->buf);
		free(r);
		return (NULL);
	}
	if (io_uring_register_files_sparse(&r->ring, RING_FILES) < 0) {
		io_uring_queue_exit(&r->ring);
		free(r->buf);
		free(r);
		return (NULL);
	}
	return (d->ring = r);
}

static void
ring_free(struct decode_ctx *d)
{
	if (d->ring == NULL)
		return;
	io_uring_queue_exit(&d->ring->ring);
	free(d->ring->buf);
	free(d->ring);
	d->ring = NULL;
}

/*
 * Regular files e[0..n) of directory dfd (n <= RING_FILES), read in one
 * io_uring_enter(): for each, an open into direct descriptor slot k, a
 * read of up to RING_BUF bytes through it and a close, linked.  Over a
 * directory of small files three system calls a file cost about as much
 * as decoding.  Then decoded in order; a file the read filled may be
 * longer and is read again the ordinary way.  -1: the ring failed (the
 * caller reads them the ordinary way).
 */
static int
ring_batch(struct decode_ctx *d, struct ring *r, int dfd,
    const struct dent *e, size_t n, char *path, size_t dl)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	size_t k, nl;
	unsigned i, got;
	char *b;

	for (k = 0; k < n; k++) {
		b = r->buf + k * (RING_BUF + 1);
		if ((sqe = io_uring_get_sqe(&r->ring)) == NULL)
			return (-1);
		io_uring_prep_openat_direct(sqe, dfd, e[k].name, O_RDONLY, 0,
		    (unsigned)k);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, k * 3);
		if ((sqe = io_uring_get_sqe(&r->ring)) == NULL)
			return (-1);
		io_uring_prep_read(sqe, (int)k, b, RING_BUF, 0);
		sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
		io_uring_sqe_set_data64(sqe, k * 3 + 1);
		if ((sqe = io_uring_get_sqe(&r->ring)) == NULL)
			return (-1);
		io_uring_prep_close_direct(sqe, (unsigned)k);
		io_uring_sqe_set_data64(sqe, k * 3 + 2);
		r->res[k][0] = r->res[k][1] = -ECANCELED;
	}
	if (io_uring_submit_and_wait(&r->ring, (unsigned)(n * 3)) < 0)
		return (-1);
	for (got = 0; got < n * 3; got++) {
		if (io_uring_wait_cqe(&r->ring, &cqe) < 0)
			return (-1);
		i = (unsigned)io_uring_cqe_get_data64(cqe);
		if (i % 3 != 2)
			r->res[i / 3][i % 3] = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
	}
	for (k = 0; k < n; k++) {
		nl = strlen(e[k].name);
		memcpy(path + dl + 1, e[k].name, nl + 1);
		b = r->buf + k * (RING_BUF + 1);
		if (r->res[k][0] < 0)
			fail_input(d, path, strerror(-r->res[k][0]));
		else if (r->res[k][1] < 0)
			fail_input(d, path, strerror(-r->res[k][1]));
		else if ((size_t)r->res[k][1] == RING_BUF)
			decode_file_at(d, dfd, e[k].name, path);	/* more */
		else {
			RING_DEFINED(b, (size_t)r->res[k][1]);
			b[r->res[k][1]] = '\0';
			decode_mem(d, b, (size_t)r->res[k][1], path);
		}
	}
	return (0);
}
#endif

static int
dentcmp(const void *a, const void *b)
{
	return (strcmp(((const struct dent *)a)->name,
	    ((const struct dent *)b)->name));
}

/*
 * A directory: its files in name order.  Files the directory says are
 * regular are opened relative to it without a stat of their own.
 */
static void
decode_dir(struct decode_ctx *d, const char *dir)
{
	DIR *dp;
	struct dirent *de;
	struct dent *ents = NULL, *ne;
	char path[4096];
	size_t n = 0, cap = 0, i, dl, nl;
	int maildir = 0;
	struct stat st;

	if ((dp = opendir(dir)) == NULL) {
		fail_input(d, dir, strerror(errno));
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((ne = realloc(ents, cap * sizeof(*ents))) == NULL)
				break;
			ents = ne;
		}
		if ((ents[n].name = strdup(de->d_name)) == NULL)
			break;
		ents[n].type = de->d_type;
		n++;
	}
	if (n > 1)
		qsort(ents, n, sizeof(*ents), dentcmp);
	/* a maildir: cur/, new/ and tmp/ beside each other */
	snprintf(path, sizeof(path), "%s/cur", dir);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(path, sizeof(path), "%s/new", dir);
		maildir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	}
	/* DIR/ once; each name is copied after it */
	if ((dl = strlen(dir)) < sizeof(path) - 1) {
		memcpy(path, dir, dl);
		path[dl] = '/';
	}
	for (i = 0; i < n; i++) {
#ifdef HAVE_LIBURING
		struct ring *r;
		size_t j;

		/* a run of regular files with names that fit: one batch */
		for (j = i; j < n && j - i < RING_FILES &&
		    ents[j].type == DT_REG &&
		    dl + 1 + strlen(ents[j].name) < sizeof(path); j++)
			;
		if (j - i > 1 && (r = ring_get(d)) != NULL) {
			if (ring_batch(d, r, dirfd(dp), ents + i, j - i, path,
			    dl) == 0) {
				for (; i < j; i++)
					free(ents[i].name);
				i--;
				continue;
			}
			ring_free(d);	/* and the ordinary way from here */
		}
#endif
		nl = strlen(ents[i].name);
		if (dl + 1 + nl >= sizeof(path)) {
			fail_input(d, ents[i].name, "path too long");
			free(ents[i].name);
			continue;
		}
		memcpy(path + dl + 1, ents[i].name, nl + 1);
		if (ents[i].type == DT_REG) {
			decode_file_at(d, dirfd(dp), ents[i].name, path);
		} else if (ents[i].type == DT_DIR || (stat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode))) {
			if (maildir && (strcmp(ents[i].name, "cur") == 0 ||
			    strcmp(ents[i].name, "new") == 0))
				decode_path(d, path);
		} else
			decode_path(d, path);
		free(ents[i].name);
	}
	free(ents);
	fds_flush(d);
	closedir(dp);
}

static void
decode_path(struct decode_ctx *d, const char *path)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0) {
		decode_fd(d, 0, 0, "-");
		return;
	}
	if (stat(path, &st) == -1) {
		fail_input(d, path, strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		decode_dir(d, path);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fail_input(d, path, "not a regular file");
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fail_input(d, path, strerror(errno));
		return;
	}
	decode_fd(d, fd, 1, path);
	close(fd);
}

/* --html FILE: the page beside FILE, then renamed over it */
static int
write_file(const char *path, const struct buf *b)
{
	char tmp[4096];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) != NULL) {
		bad = b->len > 0 && fwrite(b->p, 1, b->len, f) != b->len;
		bad |= fclose(f) != 0;
	}
	if (f == NULL || bad || rename(tmp, path) == -1) {
		fprintf(stderr, "bounce-decode: %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		return (1);
	}
	return (0);
}

/* --report: the history database's bounces by domain and cause. */
static int
report_main(const char *db, const char *since, int fmt, const char *html,
    const struct rules *rules, const struct config *conf)
{
	struct buf out = BUF_INIT;
	char err[1024];
	long secs;

	if (db == NULL || *db == '\0') {
		fprintf(stderr, "bounce-decode: --report needs --history DB "
		    "(or history.url or .path in the configuration)\n");
		return (EX_USAGE_);
	}
	if (history_parse_since(since, &secs) == -1) {
		fprintf(stderr, "bounce-decode: --since %s: want a number of "
		    "seconds, or with m, h, d or w\n", since);
		return (EX_USAGE_);
	}
	if (history_report(db, time(NULL) - secs, fmt, rules, conf, &out, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "bounce-decode: %s\n", err);
		buf_free(&out);
		return (1);
	}
	if (html != NULL) {
		secs = write_file(html, &out);
		buf_free(&out);
		return ((int)secs);
	}
	if (out.p != NULL)
		fwrite(out.p, 1, out.len, stdout);
	buf_free(&out);
	return (fflush(stdout) == 0 ? 0 : 1);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "rules", required_argument, NULL, 'r' },
		{ "no-dns", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "history", required_argument, NULL, 'H' },
		{ "report", no_argument, NULL, 'R' },
		{ "since", required_argument, NULL, 'S' },
		{ "line", required_argument, NULL, 'L' },
		{ "maillog", no_argument, NULL, 'M' },
		{ "follow", no_argument, NULL, 'F' },
		{ "html", required_argument, NULL, 'T' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	struct decode_ctx d;
	struct config conf;
	struct rules *rules = NULL;
	struct evidence_ctx *ev = NULL;
	struct hist_domains *doms = NULL;
	const char *rules_opt = NULL, *conf_path = NULL, *dir;
	const char *history_db = NULL, *since = "24h", *html = NULL;
	int prom = 0;
	int report = 0, maillog = 0, follow = 0, since_set = 0, nlines = 0;
	char **lines = NULL;
	struct maillog_opts mo;
	char err[1024], dirbuf[4096];
	int ch, no_dns = 0, i;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "c:hvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': d.json = 1; break;
		case 'r': rules_opt = optarg; break;
		case 'N': no_dns = 1; break;
		case 'c': conf_path = optarg; break;
		case 'v': d.verbose = 1; break;
		case 'H': history_db = optarg; break;
		case 'R': report = 1; break;
		case 'S': since = optarg; since_set = 1; break;
		case 'M': maillog = 1; break;
		case 'F': follow = 1; break;
		case 'T': html = optarg; break;
		case 'P': prom = 1; break;
		case 'L':
			if (lines == NULL && (lines = calloc((size_t)argc,
			    sizeof(*lines))) == NULL)
				return (1);
			lines[nlines++] = optarg;
			break;
		case 'V':
			printf("bounce-decode %s\n", BM_VERSION);
			return (0);
		case 'h':
			help_asked = 1;
			usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((follow && !maillog) || (maillog && (argc == 0 ||
	    lines != NULL || history_db != NULL || (follow && (report ||
	    argc != 1)))) || (lines != NULL && report) ||
	    ((html != NULL || prom) && (!report || maillog)))
		usage();
	memset(&mo, 0, sizeof(mo));
	if (maillog && report && since_set) {
		long secs;

		if (history_parse_since(since, &secs) == -1) {
			fprintf(stderr, "bounce-decode: --since %s: want a "
			    "number of seconds, or with m, h, d or w\n", since);
			return (EX_USAGE_);
		}
		mo.since = secs > 0 ? secs : 1;
	}
	if (report && !maillog) {
		if (argc != 0)
			usage();
		config_defaults(&conf);
		if (conf_path != NULL &&
		    config_load(conf_path, &conf, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return (EX_CONFIG_);
		}
		/* the page replays the bounces through the trend rules */
		if (html != NULL && (rules = rules_load(rules_find_dir(
		    rules_opt, conf.rules, NULL, dirbuf, sizeof(dirbuf)), err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			config_free(&conf);
			return (EX_CONFIG_);
		}
		ch = report_main(history_db ? history_db :
		    *conf.history.url ? conf.history.url : conf.history.path,
		    since, html ? HISTORY_REPORT_HTML : prom ?
		    HISTORY_REPORT_PROM : d.json, html, rules, &conf);
		rules_free(rules);
		config_free(&conf);
		return (ch);
	}
	if (argc == 0 && lines == NULL)
		usage();

	config_defaults(&conf);
	if (conf_path != NULL &&
	    config_load(conf_path, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return (EX_CONFIG_);
	}
	dir = rules_find_dir(rules_opt, conf.rules, NULL, dirbuf,
	    sizeof(dirbuf));
	if ((rules = rules_load(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		config_free(&conf);
		return (EX_CONFIG_);
	}
	if (lines != NULL || maillog) {	/* no message: no evidence */
		for (i = 0; i < argc && lines != NULL; i++)
			lines[nlines++] = argv[i];
		mo.json = d.json;
		mo.follow = follow;
		mo.report = report;
		mo.outbound_relay = conf.outbound_relay;
		ch = lines != NULL ? line_main(rules, lines, nlines, &mo) :
		    maillog_main(rules, argv, argc, &mo);
		free(lines);
		rules_free(rules);
		config_free(&conf);
		return (ch);
	}
	if (!no_dns)
		ev = evidence_new(&conf);
	d.rules = rules;
	if (ev != NULL && conf.n_our_domains == 0) {
		/* whose domains: the senders of the history, if any */
		const char *hp = history_db ? history_db :
		    *conf.history.url ? conf.history.url : conf.history.path;

		err[0] = '\0';

		if (*hp != '\0' &&
		    ((doms = hist_domains_new(conf.history.retention_days)) ==
		    NULL || hist_domains_load(doms, hp, err,
		    sizeof(err)) == -1))
			fprintf(stderr, "bounce-decode: %s\n", *err ? err :
			    "out of memory");
		if (doms != NULL)
			evidence_set_ours(ev, hist_domains_ours, doms);
		if (d.verbose && hist_domains_count(doms) == 0)
			fprintf(stderr, "bounce-decode: our_domains is empty "
			    "and %s: no bounce gets evidence\n", *hp ?
			    "the history holds no outgoing mail" :
			    "there is no history");
	}
	if (ev != NULL) {
		d.ev = ev;
		d.opts.evidence = ev_stage;
		d.opts.evidence_ctx = &d;
	}
	d.opts.outbound_relay = conf.outbound_relay;
	if (conf_path != NULL)	/* the milter's time limit, when asked */
		d.opts.max_ms = conf.max_classify_ms;
	d.tty = isatty(STDOUT_FILENO);
	for (i = 0; i < argc; i++)
		decode_path(&d, argv[i]);
	emit(&d, 1);
	fflush(stdout);
	buf_free(&d.out);
	buf_free(&d.in);
#ifdef HAVE_LIBURING
	ring_free(&d);
#endif
	evidence_free(ev);
	hist_domains_free(doms);
	rules_free(rules);
	config_free(&conf);
	return (d.status);
}
