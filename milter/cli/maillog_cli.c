/*
 * maillog_cli.c - bounce-decode --line, --maillog [--follow] [--report];
 *	see maillog_cli.h
 *
 * SYNOPSIS
 *	int	line_main(const struct rules *rules, char **texts, int n,
 *		    const struct maillog_opts *o);
 *	int	maillog_main(const struct rules *rules, char **paths, int n,
 *		    const struct maillog_opts *o);
 *
 * DESCRIPTION
 *	Every result goes through the classifier the same way: the log line
 *	or reply is parsed (maillog.h), put into an empty report as one
 *	recipient record (maillog_fill()), and classify_report() decides,
 *	so the cause, side and hint are those of the same reply inside a
 *	bounce.
 *
 *	Reading.  A log is read 1 MiB at a time; only complete lines are
 *	looked at, and in them only the lines maillog_scan_next() finds by
 *	their markers, so memory stays at the buffer (plus one line of at
 *	most MAILLOG_LINE_MAX bytes; a longer one is dropped as it streams
 *	past and counted).  Lines with NUL bytes are counted and skipped.
 *	A last line without a newline is read as a line at the end of the
 *	input (counted as partial); while following, it waits for its
 *	newline.
 *
 *	Following (like tail -F).  The log's directory is watched with
 *	inotify (and polled once a second, should inotify be missing or
 *	miss something).  At each wake-up the open file is read to its
 *	end, then:
 *	- when the path names another file (logrotate's move-and-create),
 *	  the old file is kept open and read on until it has been quiet
 *	  for OLD_IDLE seconds (a writer may still append to it before it
 *	  reopens), and the new file is read from its start;
 *	- when the file is shorter than what was read, or the bytes before
 *	  the read offset are no longer those that were read
 *	  (copytruncate, and more written since), the copy logrotate made
 *	  (a file in the same directory named after the log, holding the
 *	  same bytes before that offset) is read from that offset to its
 *	  end first, then the log from its start.
 *	So no line is lost or read twice, except those logrotate itself
 *	loses between its copy and its truncation.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "classify.h"
#include "json.h"
#include "maillog.h"
#include "maillog_cli.h"
#include "maillog_report.h"
#include "report.h"

#define RD_CHUNK	(1024u * 1024)	/* bytes read at once */
#define RD_CAP		(RD_CHUNK + MAILLOG_LINE_MAX + 1)
#define TAIL		1024		/* bytes kept to recognise the file:
					   a few whole lines, stamps and ids */
#define OLD_MAX		8		/* rotated files still read */
#define OLD_IDLE	10		/* seconds quiet before one is closed */
#define OUT_CHUNK	(64u * 1024)
#define LOG_ARENA	(1024u * 1024)	/* arena cap of one result */
#define SENDERS		16384		/* queue id -> sender cache slots */

/* The sender of a queue id, as its "from=" line said (direct-mapped). */
struct sender {
	char	qid[40];
	char	addr[216];
};

struct stats {
	unsigned long long	 lines, results, binary, toolong, bad, partial;
};

struct src {
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	const char	*name;
	char		*buf;
	size_t		 len;		/* read, not yet looked at */
	off_t		 off;		/* read up to here */
	unsigned long long lineno;	/* lines before buf */
	int		 skipping;	/* inside a line too long */
	char		 tail[TAIL];	/* the last bytes read */
	size_t		 tl;
	time_t		 active;	/* when it last grew */
};

struct ml {
	const struct rules	*rules;
	const struct maillog_opts *o;
	struct maillog_rec	*m;
	struct buf		 out;
	struct stats		 st;
	long long		 cutoff;	/* --since, epoch; 0 none */
	struct agg		 agg;
	struct sender		*senders;	/* SENDERS, or NULL */
	int			 tty;
	int			 status;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
emit(struct ml *ml, int force)
{
	if (ml->out.len == 0 || (!force && !ml->tty &&
	    ml->out.len < OUT_CHUNK))
		return;
	fwrite(ml->out.p, 1, ml->out.len, stdout);
	buf_reset(&ml->out);
	if (force)
		fflush(stdout);
}

static const char *
dash(const char *s)
{
	return (s == NULL || *s == '\0' ? "-" : s);
}

/* One classified result, as bounce-decode prints a recipient. */
static void
print(struct ml *ml, const struct report *r, const char *name,
    const struct maillog_rec *m)
{
	const struct rcpt *rc = &r->rcpt[0];
	struct buf *b = &ml->out;

	if (!ml->o->json) {
		/* as "%s: %s %s %s %s %s %s - %s\n", without printf's cost */
		const char *f[7];
		size_t i;

		f[0] = rc->addr, f[1] = rc->status, f[2] = rc->reply;
		f[3] = rc->reason, f[4] = rc->cause, f[5] = rc->side;
		f[6] = rc->hint;
		buf_adds(b, name);
		buf_addc(b, ':');
		for (i = 0; i < 7; i++) {
			buf_adds(b, i == 6 ? " - " : " ");
			buf_adds(b, dash(f[i]));
		}
		buf_addc(b, '\n');
		return;
	}
	json_report(b, r, name);
	if (m != NULL && b->len > 0 && b->p[b->len - 1] == '}') {
		b->len--;
		buf_adds(b, ",\"queue_id\":");
		json_string(b, m->queue_id);
		buf_adds(b, ",\"time\":");
		json_string(b, m->time);
		buf_adds(b, ",\"mta\":");
		json_string(b, m->mta);
		buf_adds(b, ",\"relay\":");
		json_string(b, m->relay);
		buf_addc(b, '}');
	}
	buf_addc(b, '\n');
}

/* --- one result ---------------------------------------------------------- */

/* Classify recipient i of the parsed record m and print or count it. */
static void
result(struct ml *ml, const struct maillog_rec *m, size_t i,
    const char *name)
{
	struct report *r;
	long long t = 0;

	if (ml->o->report && (maillog_epoch(m->time, &t) == -1 ||
	    t < ml->cutoff) && ml->cutoff > 0)
		return;
	if ((r = report_new(LOG_ARENA)) == NULL)
		return;
	r->outbound_relay = ml->o->outbound_relay != NULL ?
	    ml->o->outbound_relay : "";
	if (maillog_fill(m, i, r) == 0) {
		classify_report(ml->rules, r);
		ml->st.results++;
		if (ml->o->report)
			mlr_add(&ml->agg, &r->rcpt[0], m, t);
		else
			print(ml, r, name, m);
	}
	report_free(r);
}

static struct sender *
sender_slot(struct ml *ml, const char *qid)
{
	uint64_t h = mlr_hash(qid, 0xcbf29ce484222325ULL);

	if (ml->senders == NULL &&
	    (ml->senders = calloc(SENDERS, sizeof(*ml->senders))) == NULL)
		return (NULL);
	return (&ml->senders[h & (SENDERS - 1)]);
}

/* Remember the sender line's queue id and sender. */
static void
sender_put(struct ml *ml, const struct maillog_rec *m)
{
	struct sender *e;

	if (*m->queue_id == '\0' || strlen(m->queue_id) >= sizeof(e->qid) ||
	    strlen(m->sender) >= sizeof(e->addr) ||
	    (e = sender_slot(ml, m->queue_id)) == NULL)
		return;
	memcpy(e->qid, m->queue_id, strlen(m->queue_id) + 1);
	memcpy(e->addr, m->sender, strlen(m->sender) + 1);
}

static const char *
sender_get(struct ml *ml, const char *qid)
{
	struct sender *e;

	if (ml->senders == NULL || *qid == '\0' ||
	    (e = sender_slot(ml, qid)) == NULL || strcmp(e->qid, qid) != 0)
		return ("");
	return (e->addr);
}

static void
line(struct ml *ml, struct src *s, const char *p, size_t n,
    unsigned long long lineno)
{
	char name[4200];
	size_t i;
	int rc;

	if (memchr(p, '\0', n) != NULL)
		return;			/* counted as binary */
	rc = maillog_parse(ml->m, p, n);
	if (rc == MAILLOG_SENDER) {
		sender_put(ml, ml->m);
		return;
	}
	if (rc == MAILLOG_SKIP)
		return;
	ml->m->sender = sender_get(ml, ml->m->queue_id);
	if (rc == MAILLOG_BAD) {
		ml->st.bad++;
		return;
	}
	snprintf(name, sizeof(name), "%s:%llu", s->name, lineno);
	for (i = 0; i < ml->m->nrcpt; i++)
		result(ml, ml->m, i, name);
	emit(ml, 0);
}

/* Complete lines [p, end) (end just past a newline). */
static void
region(struct ml *ml, struct src *s, const char *p, const char *end)
{
	struct maillog_scan sc;
	const char *q, *z, *ls, *eol;
	unsigned long long ln = s->lineno;

	for (q = p; q < end && (z = memchr(q, '\0', (size_t)(end - q))) !=
	    NULL; ) {
		ml->st.binary++;
		q = memchr(z, '\n', (size_t)(end - z));
		q = q != NULL ? q + 1 : end;
	}
	maillog_scan_init(&sc, p, end);
	for (q = p; q < end && (ls = maillog_scan_next(&sc, q, &eol)) !=
	    NULL; q = eol + 1) {
		ln += maillog_count_nl(q, (size_t)(ls - q));
		line(ml, s, ls, (size_t)(eol - ls), ln + 1);
		ln++;
		if (eol >= end)
			break;
	}
	if (q < end)
		ln += maillog_count_nl(q, (size_t)(end - q));
	s->lineno = ln;
}

/* Look at what s->buf holds: its complete lines; keep the rest. */
static void
process(struct ml *ml, struct src *s)
{
	char *p = s->buf, *end = s->buf + s->len, *nl;
	size_t rem;

	if (s->skipping) {
		if ((nl = memchr(p, '\n', s->len)) == NULL) {
			s->len = 0;
			return;
		}
		p = nl + 1;
		s->skipping = 0;
		ml->st.toolong++;
		s->lineno++;
	}
	if (p < end && (nl = memrchr(p, '\n', (size_t)(end - p))) != NULL) {
		region(ml, s, p, nl + 1);
		p = nl + 1;
	}
	rem = (size_t)(end - p);
	if (rem > MAILLOG_LINE_MAX) {
		s->skipping = 1;
		s->len = 0;
		return;
	}
	if (p != s->buf && rem > 0)
		memmove(s->buf, p, rem);
	s->len = rem;
}

/* The end of the input: a last line without its newline is read too. */
static void
finish(struct ml *ml, struct src *s)
{
	if (s->skipping) {
		ml->st.toolong++;
		s->lineno++;
		s->skipping = 0;
	} else if (s->len > 0) {
		ml->st.partial++;
		if (memchr(s->buf, '\0', s->len) != NULL)
			ml->st.binary++;
		line(ml, s, s->buf, s->len, s->lineno + 1);
		s->lineno++;
	}
	s->len = 0;
}

static void
keep_tail(struct src *s, const char *p, size_t n)
{
	if (n >= TAIL) {
		memcpy(s->tail, p + n - TAIL, TAIL);
		s->tl = TAIL;
		return;
	}
	if (s->tl + n > TAIL) {
		memmove(s->tail, s->tail + (s->tl + n - TAIL), TAIL - n);
		s->tl = TAIL - n;
	}
	memcpy(s->tail + s->tl, p, n);
	s->tl += n;
}

static int truncated(struct src *);

/*
 * Read s to its end (for now); -1 on a read error.  With check (a file
 * followed), before each read: 1 when the file was cut under the reader.
 */
static int
drain(struct ml *ml, struct src *s, int check)
{
	ssize_t n;
	size_t want;

	for (;;) {
		if (check && truncated(s))
			return (1);
		want = RD_CAP - 1 - s->len;
		if (want > RD_CHUNK)
			want = RD_CHUNK;
		n = read(s->fd, s->buf + s->len, want);
		if (n == -1 && errno == EINTR && !stop)
			continue;
		if (n == -1) {
			if (errno == EINTR)
				return (0);
			return (-1);
		}
		if (n == 0)
			return (0);
		keep_tail(s, s->buf + s->len, (size_t)n);
		s->off += n;
		s->len += (size_t)n;
		s->active = time(NULL);
		process(ml, s);
		emit(ml, 0);
	}
}

static int
src_open(struct src *s, const char *path, const char *name)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->name = name;
	if (strcmp(path, "-") == 0)
		s->fd = 0;
	else if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(s->fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		if (S_ISDIR(st.st_mode)) {
			close(s->fd);
			s->fd = -1;
			errno = EISDIR;
			return (-1);
		}
		if (S_ISREG(st.st_mode))
			(void)posix_fadvise(s->fd, 0, 0,
			    POSIX_FADV_SEQUENTIAL);
	}
	if ((s->buf = malloc(RD_CAP)) == NULL) {
		if (s->fd > 0)
			close(s->fd);
		s->fd = -1;
		return (-1);
	}
	s->active = time(NULL);
	return (0);
}

static void
src_close(struct src *s)
{
	if (s->fd > 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
}

/* --- following ----------------------------------------------------------- */

static const char *
base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return (b != NULL ? b + 1 : path);
}

/*
 * copytruncate: the copy of s that logrotate made, in s's directory,
 * named after it, with the bytes s read last at the same offset; read
 * from s->off to its end.
 */
static void
recover_copy(struct ml *ml, struct src *s, const char *path)
{
	char dir[4096], p[4096 + 256], best[4096 + 256], tmp[TAIL];
	const char *b = base_name(path), *suf;
	size_t bl = strlen(b);
	struct dirent *de;
	struct stat st;
	time_t bt = 0;
	DIR *dp;
	int fd, saved;

	if (s->tl == 0 || s->off < (off_t)s->tl)
		return;
	snprintf(dir, sizeof(dir), "%.*s", b == path ? 1 : (int)(b - path - 1),
	    b == path ? "." : path);
	if ((dp = opendir(dir)) == NULL)
		return;
	best[0] = '\0';
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, b, bl) != 0 ||
		    strchr(".-_", de->d_name[bl]) == NULL ||
		    de->d_name[bl] == '\0')
			continue;
		suf = strrchr(de->d_name, '.');
		if (suf != NULL && (strcmp(suf, ".gz") == 0 ||
		    strcmp(suf, ".bz2") == 0 || strcmp(suf, ".xz") == 0 ||
		    strcmp(suf, ".zst") == 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_size < s->off || (st.st_dev == s->dev &&
		    st.st_ino == s->ino))
			continue;
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		if (pread(fd, tmp, s->tl, s->off - (off_t)s->tl) ==
		    (ssize_t)s->tl && memcmp(tmp, s->tail, s->tl) == 0 &&
		    (best[0] == '\0' || st.st_mtime > bt)) {
			snprintf(best, sizeof(best), "%s", p);
			bt = st.st_mtime;
		}
		close(fd);
	}
	closedir(dp);
	if (best[0] == '\0' ||
	    (fd = open(best, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (lseek(fd, s->off, SEEK_SET) == s->off) {
		fprintf(stderr, "bounce-decode: %s was cut (copytruncate); "
		    "the rest of it read from %s\n", path, best);
		saved = s->fd;
		s->fd = fd;
		(void)drain(ml, s, 0);
		s->fd = saved;
	}
	close(fd);
}

/* Has the file under s been cut (and perhaps written again) since? */
static int
truncated(struct src *s)
{
	struct stat st;
	char tmp[TAIL];

	if (fstat(s->fd, &st) == -1 || !S_ISREG(st.st_mode))
		return (0);
	if (st.st_size < s->off)
		return (1);
	if (s->tl == 0 || s->off < (off_t)s->tl)
		return (0);
	return (pread(s->fd, tmp, s->tl, s->off - (off_t)s->tl) !=
	    (ssize_t)s->tl || memcmp(tmp, s->tail, s->tl) != 0);
}

static int
follow(struct ml *ml, const char *path)
{
	struct src cur, old[OLD_MAX];
	int nold = 0, ifd, i = 0, have = 0;
	char dir[4096], ev[8192];
	const char *b = base_name(path);
	struct pollfd pfd;
	struct stat st;
	time_t now;

	snprintf(dir, sizeof(dir), "%.*s", b == path ? 1 : (int)(b - path - 1),
	    b == path ? "." : path);
	if ((ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) != -1 &&
	    inotify_add_watch(ifd, dir, IN_MODIFY | IN_CREATE |
	    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB |
	    IN_CLOSE_WRITE) == -1) {
		close(ifd);
		ifd = -1;
	}
	if (src_open(&cur, path, path) == 0)
		have = 1;
	else
		fprintf(stderr, "bounce-decode: %s: %s; waiting for it\n",
		    path, strerror(errno));
	while (!stop) {
		if (have && (i = drain(ml, &cur, 1)) == 1) {
			/* cut (copytruncate): the copy's rest, then from 0 */
			fprintf(stderr, "bounce-decode: %s was cut short; "
			    "reading it again from its start\n", path);
			recover_copy(ml, &cur, path);
			finish(ml, &cur);
			cur.off = 0;
			cur.tl = 0;
			cur.lineno = 0;
			(void)lseek(cur.fd, 0, SEEK_SET);
			continue;
		} else if (i == -1)
			fprintf(stderr, "bounce-decode: %s: %s\n", path,
			    strerror(errno));
		now = time(NULL);
		for (i = 0; i < nold; i++) {
			(void)drain(ml, &old[i], 0);
			if (now - old[i].active >= OLD_IDLE) {
				finish(ml, &old[i]);
				src_close(&old[i]);
				old[i--] = old[--nold];
			}
		}
		if (stat(path, &st) == 0 && (!have || st.st_dev != cur.dev ||
		    st.st_ino != cur.ino)) {
			if (have) {		/* moved away, a new one made */
				if (nold == OLD_MAX) {
					finish(ml, &old[0]);
					src_close(&old[0]);
					old[0] = old[--nold];
				}
				old[nold++] = cur;
			}
			if (src_open(&cur, path, path) == 0) {
				if (have)
					fprintf(stderr, "bounce-decode: %s was "
					    "replaced (rotated); reading the "
					    "new file\n", path);
				have = 1;
				continue;	/* read it at once */
			}
			have = 0;
		}
		emit(ml, 1);
		pfd.fd = ifd;
		pfd.events = POLLIN;
		if (poll(&pfd, ifd != -1 ? 1 : 0, 1000) > 0)
			while (read(ifd, ev, sizeof(ev)) > 0)
				;
	}
	/* stopped: what is there still */
	if (have) {
		(void)drain(ml, &cur, 0);
		finish(ml, &cur);
		src_close(&cur);
	}
	for (i = 0; i < nold; i++) {
		(void)drain(ml, &old[i], 0);
		finish(ml, &old[i]);
		src_close(&old[i]);
	}
	if (ifd != -1)
		close(ifd);
	return (0);
}

/* --- entry points -------------------------------------------------------- */

static void
summary(struct ml *ml, const char *what)
{
	unsigned long long skipped = ml->st.binary + ml->st.toolong +
	    ml->st.bad;

	if (skipped == 0 && ml->st.partial == 0)
		return;
	fprintf(stderr, "bounce-decode: %s: %llu lines skipped (%llu with "
	    "NUL bytes, %llu longer than %u bytes, %llu delivery lines "
	    "unreadable)%s\n", what, skipped, ml->st.binary, ml->st.toolong,
	    MAILLOG_LINE_MAX, ml->st.bad, ml->st.partial ?
	    "; the last line had no newline" : "");
}

int
maillog_main(const struct rules *rules, char **paths, int n,
    const struct maillog_opts *o)
{
	struct ml ml;
	struct src s;
	struct sigaction sa;
	int i;

	memset(&ml, 0, sizeof(ml));
	ml.rules = rules;
	ml.o = o;
	ml.tty = isatty(STDOUT_FILENO);
	if (o->since > 0)
		ml.cutoff = (long long)time(NULL) - o->since;
	if ((ml.m = malloc(sizeof(*ml.m))) == NULL) {
		fprintf(stderr, "bounce-decode: out of memory\n");
		return (1);
	}
	maillog_init(ml.m, time(NULL));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (o->follow) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	for (i = 0; i < n; i++) {
		if (o->follow && strcmp(paths[i], "-") != 0) {
			ml.status |= follow(&ml, paths[i]);
			continue;
		}
		if (src_open(&s, paths[i], paths[i]) == -1) {
			fprintf(stderr, "bounce-decode: %s: %s\n", paths[i],
			    strerror(errno));
			ml.status = 1;
			continue;
		}
		if (drain(&ml, &s, 0) == -1) {
			fprintf(stderr, "bounce-decode: %s: %s\n", paths[i],
			    strerror(errno));
			ml.status = 1;
		}
		finish(&ml, &s);
		src_close(&s);
	}
	if (o->report)
		mlr_print(&ml.agg, &ml.out, ml.cutoff, ml.o->json);
	emit(&ml, 1);
	summary(&ml, n == 1 ? paths[0] : "maillog");
	mlr_free(&ml.agg);
	free(ml.senders);
	buf_free(&ml.out);
	free(ml.m);
	if (fflush(stdout) != 0)
		ml.status = 1;
	return (ml.status);
}

/* Standard input, whole (at most MAILLOG_LINE_MAX bytes used). */
static char *
read_stdin(size_t *len)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	ssize_t n;

	while ((n = read(0, tmp, sizeof(tmp))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		if (b.len < MAILLOG_LINE_MAX)
			buf_add(&b, tmp, (size_t)n);
	}
	*len = b.len;
	return (b.p != NULL ? b.p : strdup(""));
}

int
line_main(const struct rules *rules, char **texts, int n,
    const struct maillog_opts *o)
{
	struct ml ml;
	struct report *r;
	char name[32], *in;
	size_t len;
	int i, status = 0;

	memset(&ml, 0, sizeof(ml));
	ml.rules = rules;
	ml.o = o;
	if ((ml.m = malloc(sizeof(*ml.m))) == NULL)
		return (1);
	maillog_init(ml.m, time(NULL));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "line:%d", i + 1);
		in = NULL;
		if (strcmp(texts[i], "-") == 0) {
			if ((in = read_stdin(&len)) == NULL)
				continue;
		} else
			len = strlen(texts[i]);
		if (maillog_reply(ml.m, in ? in : texts[i], len) !=
		    MAILLOG_OK) {
			fprintf(stderr, "bounce-decode: %s: no reply text\n",
			    name);
			status = 1;
			free(in);
			continue;
		}
		free(in);
		if ((r = report_new(LOG_ARENA)) != NULL)
			r->outbound_relay = o->outbound_relay != NULL ?
			    o->outbound_relay : "";
		if (r == NULL || maillog_fill(ml.m, 0, r) == -1) {
			report_free(r);
			status = 1;
			continue;
		}
		classify_report(rules, r);
		print(&ml, r, name, NULL);
		report_free(r);
	}
	fwrite(ml.out.p ? ml.out.p : "", 1, ml.out.len, stdout);
	buf_free(&ml.out);
	free(ml.m);
	return (fflush(stdout) == 0 ? status : 1);
}
