/*
 * milter_set.c - the configuration + rules set, reference counted
 *
 * SYNOPSIS
 *	struct mset *mset_load(const struct mopts *o, char *err,
 *		    size_t errlen);
 *	int	mset_install(struct mset *s);
 *	int	mset_reload(const struct mopts *o);
 *	struct mset *mset_acquire(void);
 *	void	mset_release(struct mset *s);
 *	int	mset_busy(void);
 *	void	mset_stopping(void);
 *	void	mset_shutdown(void);
 *	int	mset_stores_open(const struct mset *s, char *err,
 *		    size_t errlen);
 *	void	mset_stores_close(void);
 *	void	mset_free(struct mset *s);
 *
 * DESCRIPTION
 *	One set is current.  A message takes a reference when it begins and
 *	keeps classifying with that set until it is done, whatever reloads
 *	happen meanwhile.  A reload builds and checks a complete new set
 *	first (configuration, rules directory, evidence context) and only
 *	then swaps the pointer under the lock; a set that is no longer
 *	current is freed by whoever drops its last reference.  A failed
 *	reload changes nothing.  Once stopping has begun (mset_stopping(),
 *	called when smfi_main() returns) a reload is refused, even one
 *	that was loading meanwhile: the check is made again under the lock
 *	that installs, so no set reaches the stores after they closed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "milter.h"

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static struct mset *cur;
static struct history *hist;
static struct trend *trend;
static int busy;
static int stopping;		/* no more reloads */
static unsigned long gen;

void
mset_free(struct mset *s)
{
	if (s == NULL)
		return;
	evidence_free(s->ev);
	rules_free(s->rules);
	config_free(&s->conf);
	free(s);
}

struct mset *
mset_load(const struct mopts *o, char *err, size_t errlen)
{
	struct mset *s;
	const char *dir;
	struct stat st;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s:0: out of memory", o->conf);
		return (NULL);
	}
	config_defaults(&s->conf);
	if (o->conf_given || stat(o->conf, &st) == 0) {
		if (config_load(o->conf, &s->conf, err, errlen) == -1) {
			mset_free(s);
			return (NULL);
		}
	}
	dir = rules_find_dir(NULL, s->conf.rules, o->argv0, s->rules_dir,
	    sizeof(s->rules_dir));
	if (dir == NULL) {
		snprintf(err, errlen, "%s:0: no rules directory found",
		    s->conf.file != NULL ? s->conf.file : "(defaults)");
		mset_free(s);
		return (NULL);
	}
	if (dir != s->rules_dir)
		snprintf(s->rules_dir, sizeof(s->rules_dir), "%s", dir);
	if ((s->rules = rules_load(s->rules_dir, err, errlen)) == NULL) {
		mset_free(s);
		return (NULL);
	}
	if (*s->conf.authserv_id != '\0')
		snprintf(s->authserv, sizeof(s->authserv), "%s",
		    s->conf.authserv_id);
	else if (gethostname(s->authserv, sizeof(s->authserv) - 1) == -1 ||
	    s->authserv[0] == '\0')
		snprintf(s->authserv, sizeof(s->authserv), "localhost");
	return (s);
}

/*
 * The evidence context: none when every DNS check is off.  Whose domains
 * get evidence: our_domains, else the sender domains of the history's
 * outgoing mail; with neither, no bounce gets evidence (said once).
 */
static void
mset_evidence(struct mset *s)
{
	if (s->ev == NULL && (s->conf.dns.spf || s->conf.dns.dkim ||
	    s->conf.dns.mx))
		s->ev = evidence_new(&s->conf);
	if (s->ev == NULL || s->conf.n_our_domains > 0)
		return;
	if (hist != NULL)
		evidence_set_ours(s->ev, hist_domains_ours,
		    history_domains(hist));
	else
		mlog(LOG_WARNING, "NOQUEUE: our_domains is empty and the "
		    "history is off: no bounce gets SPF, DKIM or MX evidence "
		    "(set our_domains to the domains we send from)");
}

static void
hist_log(void *arg, int level, const char *line)
{
	(void)arg;
	mlog(level, "NOQUEUE: %s", line);
}

int
mset_stores_open(const struct mset *s, char *err, size_t errlen)
{
	struct history_opts ho;

	trend = trend_new(s->rules, &s->conf);
	if (trend == NULL)
		mlog(LOG_WARNING, "NOQUEUE: out of memory; trends off");
	if (*s->conf.history.path == '\0' && *s->conf.history.url == '\0')
		return (0);
	memset(&ho, 0, sizeof(ho));
	ho.retention_days = s->conf.history.retention_days;
	ho.host = s->conf.history.host;
	ho.trend = trend;		/* other hosts' bounces count too */
	ho.log = hist_log;
	if ((hist = history_open(*s->conf.history.url ? s->conf.history.url :
	    s->conf.history.path, &ho, err,
	    errlen)) == NULL)
		return (-1);
	return (0);
}

void
mset_stores_close(void)
{
	pre_shutdown();		/* its workers put records in hist */
	history_close(hist);
	hist = NULL;
	trend_free(trend);
	trend = NULL;
}

static int install(struct mset *, const char *);

/*
 * Make s current (NULL: none).  Refused (-1, s freed) for a set once
 * stopping has begun: a reload racing the shutdown must not install a
 * set whose history pointer is about to be closed.
 */
int
mset_install(struct mset *s)
{
	return (install(s, NULL));
}

/*
 * mset_install(), logging line (when not NULL) while the set is being
 * made current: under the lock mset_stopping() takes, so a reload's line
 * never follows the "stopped" line, and it is written before another
 * thread can free s.
 */
static int
install(struct mset *s, const char *line)
{
	struct mset *old;

	if (s != NULL)
		mset_evidence(s);
	pthread_mutex_lock(&lk);
	if (s != NULL && stopping) {
		pthread_mutex_unlock(&lk);
		mset_free(s);
		return (-1);
	}
	if (s != NULL) {
		s->hist = hist;
		s->trend = trend;
	}
	old = cur;
	cur = s;
	if (s != NULL)
		s->generation = ++gen;
	if (line != NULL)
		mlog(LOG_INFO, "%s", line);
	if (old != NULL && old->refs > 0)
		old = NULL;		/* its last message frees it */
	pthread_mutex_unlock(&lk);
	mset_free(old);
	return (0);
}

void
mset_stopping(void)
{
	pthread_mutex_lock(&lk);
	stopping = 1;
	pthread_mutex_unlock(&lk);
}

static int
is_stopping(void)
{
	int v;

	pthread_mutex_lock(&lk);
	v = stopping;
	pthread_mutex_unlock(&lk);
	return (v);
}

struct mset *
mset_acquire(void)
{
	struct mset *s;

	pthread_mutex_lock(&lk);
	if ((s = cur) != NULL) {
		s->refs++;
		busy++;
	}
	pthread_mutex_unlock(&lk);
	return (s);
}

void
mset_release(struct mset *s)
{
	int drop;

	if (s == NULL)
		return;
	pthread_mutex_lock(&lk);
	s->refs--;
	busy--;
	drop = (s != cur && s->refs == 0);
	pthread_mutex_unlock(&lk);
	if (drop)
		mset_free(s);
}

int
mset_busy(void)
{
	int n;

	pthread_mutex_lock(&lk);
	n = busy;
	pthread_mutex_unlock(&lk);
	return (n);
}

static int
differs(const char *a, const char *b)
{
	return (strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0);
}

int
mset_reload(const struct mopts *o)
{
	struct mset *s, *old;
	char err[1024], line[4096];

	if (is_stopping()) {
		mlog(LOG_WARNING, "NOQUEUE: reload refused: stopping");
		return (-1);
	}
	if ((s = mset_load(o, err, sizeof(err))) == NULL) {
		mlog(LOG_ERR, "NOQUEUE: reload failed, still running the "
		    "previous configuration and rules: %s", err);
		return (-1);
	}
	old = mset_acquire();
	if (old != NULL) {
		if (o->socket == NULL && differs(old->conf.socket,
		    s->conf.socket))
			mlog(LOG_WARNING, "NOQUEUE: reload: socket changed to "
			    "%s; that takes a restart", s->conf.socket);
		if (o->user == NULL && differs(old->conf.user, s->conf.user))
			mlog(LOG_WARNING, "NOQUEUE: reload: user changed; "
			    "that takes a restart");
		if (differs(old->conf.history.path, s->conf.history.path) ||
		    differs(old->conf.history.url, s->conf.history.url) ||
		    differs(old->conf.history.host, s->conf.history.host) ||
		    trend_differs(old->trend, s->rules, &s->conf))
			mlog(LOG_WARNING, "NOQUEUE: reload: history and "
			    "trends settings and the trend rules take a "
			    "restart");
		if (differs(old->conf.syslog_facility,
		    s->conf.syslog_facility))
			mlog_facility(s->conf.syslog_facility);
		mset_release(old);
	}
	snprintf(line, sizeof(line), "NOQUEUE: reloaded configuration %.1500s "
	    "and rules %.1500s", s->conf.file != NULL ? s->conf.file :
	    "(built-in defaults)", s->rules_dir);
	if (install(s, line) == -1) {
		mlog(LOG_WARNING, "NOQUEUE: reload refused: stopping");
		return (-1);
	}
	return (0);
}

void
mset_shutdown(void)
{
	mset_stopping();
	(void)mset_install(NULL);
}
