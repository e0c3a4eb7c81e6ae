/*
 * milter.h - the bounce-milter daemon's own modules (not the library)
 *
 * SYNOPSIS
 *	Logging (milter_log.c)
 *	void	mlog_init(const char *facility, int to_stderr, int verbose);
 *	void	mlog_facility(const char *facility);
 *	void	mlog(int prio, const char *fmt, ...);
 *	void	mlog_lines(int prio, const char *lines);
 *	extern int mlog_verbose;
 *
 *	The working set (milter_set.c)
 *	struct mset *mset_load(const struct mopts *o, char *err,
 *		    size_t errlen);
 *	void	mset_free(struct mset *s);
 *	int	mset_install(struct mset *s);
 *	struct mset *mset_acquire(void);
 *	void	mset_release(struct mset *s);
 *	int	mset_reload(const struct mopts *o);
 *	void	mset_stopping(void);
 *	void	mset_shutdown(void);
 *	int	mset_busy(void);
 *	int	mset_stores_open(const struct mset *s, char *err,
 *		    size_t errlen);
 *	void	mset_stores_close(void);
 *
 *	Callbacks (milter_cb.c)
 *	extern struct smfiDesc milter_desc;
 *
 *	Outgoing preflight (milter_pre.c)
 *	struct pre_job *pre_begin(const struct mset *s, const char *sender,
 *		    const struct pf_dkim *dk, const char *from_domain);
 *	void	pre_end(struct pre_job *j, struct history *h,
 *		    const struct hist_out *ho, size_t rcpts, int wait_ms,
 *		    struct pf_result *out);
 *	void	pre_abort(struct pre_job *j);
 *	void	pre_shutdown(void);
 *
 *	Process (milter_proc.c)
 *	int	mproc_socket(const char *spec, const char *umask_s,
 *		    const char *user, char *err, size_t errlen);
 *	int	mproc_nodelay(void);
 *	int	mproc_privileges(const char *user, char *err, size_t errlen);
 *	int	mproc_daemon(void);
 *	int	mproc_pidfile(const char *path, char *err, size_t errlen);
 *	void	mproc_cleanup(void);
 *
 * DESCRIPTION
 *	A set is everything a message is classified with: the
 *	configuration, the rules, the evidence context and the authserv-id.
 *	Each message holds a reference to the set current when it began
 *	(mset_acquire) and drops it when done (mset_release), so a reload
 *	(mset_reload: load and check a new set, then swap it in) never
 *	changes the rules under a message in flight; the old set is freed
 *	when its last message is done.  mset_install() returns -1 (and
 *	frees s) once mset_stopping() was called: no reload after the
 *	shutdown began.
 *
 *	The history store and the trend counters are process-wide: opened
 *	once (mset_stores_open, after fork and the user switch, since the
 *	store's writer is a thread and its file must belong to the user)
 *	from the first set's configuration (the trends: and its rules,
 *	rules/trends, copied), handed to every set installed later, and
 *	closed after smfi_main() returns.  Changing history, trends or the
 *	trend rules in a reload takes a restart (logged; trend_differs()).
 */
#ifndef MILTER_H
#define MILTER_H

#include <stddef.h>

#include "config.h"
#include "evidence.h"
#include "history.h"
#include "preflight.h"
#include "rules.h"
#include "trend.h"

/* Command line settings that win over the file, kept for reloads. */
struct mopts {
	const char	*conf;		/* -c, or the default path */
	int		 conf_given;	/* -c was given: the file must exist */
	const char	*socket;	/* -p, or NULL */
	const char	*user;		/* -u, or NULL */
	const char	*argv0;
};

struct mset {
	struct config		 conf;
	struct rules		*rules;
	struct evidence_ctx	*ev;
	char			 authserv[256];
	char			 rules_dir[4096];
	int			 refs;		/* under the set lock */
	unsigned long		 generation;
	struct history		*hist;		/* process-wide, or NULL */
	struct trend		*trend;		/* process-wide, or NULL */
};

extern int mlog_verbose;

void	mlog_init(const char *, int, int);
void	mlog_facility(const char *);
void	mlog(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	mlog_lines(int, const char *);

struct mset *mset_load(const struct mopts *, char *, size_t);
int	mset_install(struct mset *);
struct mset *mset_acquire(void);
void	mset_release(struct mset *);
int	mset_reload(const struct mopts *);
void	mset_stopping(void);
void	mset_shutdown(void);
int	mset_busy(void);
void	mset_free(struct mset *);
int	mset_stores_open(const struct mset *, char *, size_t);
void	mset_stores_close(void);

struct smfiDesc;
extern struct smfiDesc milter_desc;

struct pre_job;
struct pre_job *pre_begin(const struct mset *, const char *,
	    const struct pf_dkim *, const char *);
void	pre_end(struct pre_job *, struct history *, const struct hist_out *,
	    size_t, int, struct pf_result *);
void	pre_abort(struct pre_job *);
void	pre_shutdown(void);

int	mproc_socket(const char *, const char *, const char *, char *, size_t);
int	mproc_nodelay(void);
int	mproc_privileges(const char *, char *, size_t);
int	mproc_daemon(void);
int	mproc_pidfile(const char *, char *, size_t);
void	mproc_cleanup(void);

#endif
