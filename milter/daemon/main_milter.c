/*
 * main_milter.c - bounce-milter: the libmilter daemon
 *
 * SYNOPSIS
 *	bounce-milter [-c CONF] [-p SOCKET] [-f] [-n] [-e] [-u USER]
 *	    [-P PIDFILE] [-v] [-V]
 *
 * DESCRIPTION
 *	Reads the configuration and rules (errors "FILE:LINE: message",
 *	exit 78), opens the socket with the configured umask, sets
 *	TCP_NODELAY on an inet listener, detaches unless -f, drops
 *	privileges, then as the run user writes the pid file (so the same
 *	user removes it) and loads the configuration and rules once more
 *	as a reload would (exit 78 with a clear message when either
 *	fails: a file only root can read would fail every reload), then
 *	runs libmilter's loop with the
 *	callbacks of milter_cb.c.  A signal thread handles SIGUSR1 (reload
 *	configuration and rules; a bad reload changes nothing; none once
 *	stopping began); libmilter's own thread alone handles SIGTERM and
 *	SIGHUP (stop) and SIGINT (stop, aborting sessions in flight).
 *	-e mirrors every log line to standard error.  See bounce-milter(8).
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sqlite3.h>
#include <spf2/spf_lib_version.h>
#include <dkim.h>
#include <libmilter/mfapi.h>

#include "milter.h"

#define EX_USAGE_	2
#define EX_SOFTWARE_	70
#define EX_UNAVAIL_	69
#define EX_CONFIG_	78

static struct mopts opts;

static int help_asked;		/* -h, --help: usage on stdout, exit 0 */

static void
usage(void)
{
	FILE *f = help_asked ? stdout : stderr;

	fprintf(f, "usage: bounce-milter [-c CONF] [-p SOCKET] [-f] [-n] "
	    "[-e] [-u USER] [-P PIDFILE] [-v] [-V]\n"
	    "See bounce-milter(8), bounce-milter.conf(5); every cause, side "
	    "and hint: bounce-milter-causes(7).\n");
	exit(help_asked ? 0 : EX_USAGE_);
}

static void
versions(void)
{
	unsigned int ma, mi, pl;
	uint32_t dv = dkim_libversion();
	char pv[64] = "?";

	smfi_version(&ma, &mi, &pl);
	pcre2_config(PCRE2_CONFIG_VERSION, pv);
	printf("bounce-milter %s\n", BM_VERSION);
	printf("libmilter %u.%u.%u\n", ma, mi, pl);
	printf("libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR,
	    LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION);
	printf("PCRE2 %s\n", pv);
	printf("libspf2 %d.%d.%d\n", SPF_LIB_VERSION_MAJOR,
	    SPF_LIB_VERSION_MINOR, SPF_LIB_VERSION_PATCH);
	printf("libopendkim %u.%u.%u\n", (unsigned)(dv >> 24),
	    (unsigned)((dv >> 16) & 0xff), (unsigned)((dv >> 8) & 0xff));
	printf("SQLite %s\n", sqlite3_libversion());
	exit(0);
}

static sigset_t sigs;

/*
 * SIGUSR1: reload.  Each signal has one owner: this thread waits for
 * SIGUSR1 alone; libmilter's own signal thread (started in smfi_main())
 * waits for SIGTERM, SIGHUP (a clean stop) and SIGINT (a stop that
 * aborts the sessions in flight: the MTA applies its default action to
 * them), and nothing else waits for those, so a signal is never taken
 * by one thread or the other at random.  A reload once stopping has
 * begun is refused (mset_reload()).
 */
static void *
sig_thread(void *arg)
{
	int sig;

	(void)arg;
	for (;;) {
		if (sigwait(&sigs, &sig) != 0 || sig != SIGUSR1)
			continue;
		mlog(LOG_INFO, "NOQUEUE: SIGUSR1: reloading");
		mset_reload(&opts);
	}
	return (NULL);
}

/* Let messages in flight finish (at most a few seconds). */
static void
drain(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < 100 && mset_busy() > 0; i++)
		nanosleep(&ts, NULL);
	if (mset_busy() > 0)
		mlog(LOG_WARNING, "NOQUEUE: stopping with %d message(s) in "
		    "flight; the MTA goes on without the milter", mset_busy());
}

/* The set loaded at start until it is installed (die() frees it). */
static struct mset *start_set;

static void
die(int code, const char *what, const char *err)
{
	fprintf(stderr, "bounce-milter: %s%s%s\n", what, *what ? ": " : "",
	    err);
	mlog(LOG_ERR, "NOQUEUE: %s%s%s", what, *what ? ": " : "", err);
	mproc_cleanup();
	if (start_set != NULL)		/* not installed yet: ours to free */
		mset_free(start_set);
	exit(code);
}

/* err, and that it happened as the run user. */
static const char *
user_note(const char *user, const char *err)
{
	static char b[1400];

	if (user == NULL || *user == '\0' || geteuid() == 0)
		return (err);
	snprintf(b, sizeof(b), "%s (as user \"%s\": the pid file must be in "
	    "a directory that user can write, or it is left behind at exit)",
	    err, user);
	return (b);
}

/* Would a reload work as this user?  Else exit 78, saying why. */
static void
reload_check(const char *user)
{
	struct mset *s;
	char err[1024], msg[1400];

	if ((s = mset_load(&opts, err, sizeof(err))) != NULL) {
		mset_free(s);
		return;
	}
	snprintf(msg, sizeof(msg), "as user \"%s\" the configuration and "
	    "rules would not load at reload (SIGUSR1): %s; make them readable "
	    "by that user", user, err);
	die(EX_CONFIG_, "", msg);
}

int
main(int argc, char *argv[])
{
	struct mset *set;
	const char *sock, *user, *pidfile = NULL;
	char err[1024];
	int ch, fg = 0, check = 0, to_err = 0, verbose = 0, nd = 0, r;
	int was_root;
	pthread_t th;
	sigset_t blk;

	opts.conf = CONFIG_DEFAULT_PATH;
	opts.argv0 = argv[0];
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		help_asked = 1;
		usage();
	}
	while ((ch = getopt(argc, argv, "c:p:fneu:P:vVh")) != -1) {
		switch (ch) {
		case 'c': opts.conf = optarg; opts.conf_given = 1; break;
		case 'p': opts.socket = optarg; break;
		case 'f': fg = 1; break;
		case 'n': check = 1; break;
		case 'e': to_err = 1; break;
		case 'u': opts.user = optarg; break;
		case 'P': pidfile = optarg; break;
		case 'v': verbose++; break;
		case 'V': versions(); break;
		case 'h': help_asked = 1; usage(); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	mlog_init("mail", to_err, verbose);

	if ((set = mset_load(&opts, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		if (!check)
			mlog(LOG_ERR, "NOQUEUE: %s", err);
		return (EX_CONFIG_);
	}
	start_set = set;
	sock = opts.socket != NULL ? opts.socket : set->conf.socket;
	user = opts.user != NULL ? opts.user : set->conf.user;
	if (check) {
		printf("%s: configuration OK; rules %s; socket %s\n",
		    set->conf.file != NULL ? set->conf.file :
		    "(built-in defaults)", set->rules_dir, sock);
		mset_free(set);
		return (0);
	}
	mlog_facility(set->conf.syslog_facility);

	signal(SIGPIPE, SIG_IGN);
	if (smfi_register(milter_desc) != MI_SUCCESS)
		die(EX_SOFTWARE_, "", "smfi_register failed");
	if (mproc_socket(sock, set->conf.umask, user, err, sizeof(err)) == -1)
		die(EX_UNAVAIL_, "socket", err);
	if (strncmp(sock, "inet", 4) == 0 && (nd = mproc_nodelay()) < 1)
		mlog(LOG_WARNING, "NOQUEUE: could not set TCP_NODELAY on %s; "
		    "expect ~40 ms per annotated message", sock);
	if (!fg && mproc_daemon() == -1)
		die(EX_SOFTWARE_, "daemon", strerror(errno));
	was_root = geteuid() == 0;
	if (mproc_privileges(user, err, sizeof(err)) == -1)
		die(EX_CONFIG_, "privileges", err);
	/*
	 * From here on as the run user.  The pid file is written now, by
	 * the user that removes it at exit (written as root into a
	 * directory the user cannot write, it would go stale).  And the
	 * configuration and rules are loaded once more as this user,
	 * exactly as SIGUSR1 will: a file only root can read loads at
	 * start but would fail every reload.
	 */
	if (mproc_pidfile(pidfile, err, sizeof(err)) == -1)
		die(EX_CONFIG_, "pid file", user_note(user, err));
	if (was_root && geteuid() != 0)
		reload_check(user);

	/*
	 * Every thread blocks these from here on (threads started later
	 * inherit it): ours waits for USR1 only, libmilter's (started in
	 * smfi_main) for TERM, HUP and INT.  Blocked before the "listening"
	 * line, so a signal sent once it is logged is never lost.
	 */
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigaddset(&blk, SIGINT);
	sigaddset(&blk, SIGTERM);
	sigaddset(&blk, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &blk, NULL);
	if (mset_stores_open(set, err, sizeof(err)) == -1)
		die(EX_CONFIG_, "history", err);
	mlog(LOG_INFO, "NOQUEUE: bounce-milter %s listening on %s%s; "
	    "configuration %s; rules %s; authserv-id %s", BM_VERSION, sock,
	    nd > 0 ? " (TCP_NODELAY)" : "",
	    set->conf.file != NULL ? set->conf.file : "(built-in defaults)",
	    set->rules_dir, set->authserv);
	mset_install(set);
	start_set = NULL;		/* the current set's owners free it */

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	if ((r = pthread_create(&th, NULL, sig_thread, NULL)) != 0)
		die(EX_SOFTWARE_, "signal thread", strerror(r));
	pthread_detach(th);
	r = smfi_main();
	mset_stopping();		/* no reload from here on */
	drain();
	mlog(LOG_INFO, "NOQUEUE: bounce-milter stopped%s",
	    r == MI_SUCCESS ? "" : " (libmilter reported an error)");
	mset_shutdown();
	if (mset_busy() == 0)		/* else a thread may still use them */
		mset_stores_close();
	mproc_cleanup();
	return (r == MI_SUCCESS ? 0 : EX_SOFTWARE_);
}
