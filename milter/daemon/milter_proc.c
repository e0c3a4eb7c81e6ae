/*
 * milter_proc.c - the process around the milter: socket, TCP_NODELAY,
 *		   privileges, daemon mode, pid file
 *
 * SYNOPSIS
 *	int	mproc_socket(const char *spec, const char *umask_s,
 *		    const char *user, char *err, size_t errlen);
 *	int	mproc_nodelay(void);
 *	int	mproc_privileges(const char *user, char *err, size_t errlen);
 *	int	mproc_daemon(void);
 *	int	mproc_pidfile(const char *path, char *err, size_t errlen);
 *	void	mproc_cleanup(void);
 *
 * DESCRIPTION
 *	mproc_socket() hands the socket spec to libmilter and opens it
 *	with the configured umask.  A unix socket path that already exists
 *	is removed only when it is a socket nobody listens on (a stale one
 *	from a crash); a live socket or any other file is an error.  Run as
 *	root with a user to switch to, the unix socket is given to that
 *	user and group so the group (postfix's) can connect.
 *
 *	mproc_nodelay() sets TCP_NODELAY on the listening inet socket
 *	libmilter opened (found among our descriptors: a socket with
 *	SO_ACCEPTCONN).  Linux copies the option to every accepted
 *	connection, which stops the ~40 ms Nagle/delayed-ACK stall per
 *	annotated message.  Returns how many it set.
 *
 *	mproc_privileges() switches to user (groups, gid, uid) when root;
 *	mproc_daemon() detaches; mproc_pidfile() writes the pid file;
 *	mproc_cleanup() removes the pid file and the unix socket.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "milter.h"

static char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char pid_path[4096];

static const char *
unix_of(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return (spec + 5);
	if (strncmp(spec, "local:", 6) == 0)
		return (spec + 6);
	return (NULL);
}

/* 0: free to (re)create; -1: refuse, err says why. */
static int
check_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) == -1)
		return (errno == ENOENT ? 0 : (snprintf(err, errlen,
		    "%s: %s", path, strerror(errno)), -1));
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; "
		    "not removing it", path);
		return (-1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return (0);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "%s: another process is listening on "
		    "it; is bounce-milter already running?", path);
		return (-1);
	}
	return (0);		/* stale: smfi_opensocket(true) removes it */
}

int
mproc_socket(const char *spec, const char *umask_s, const char *user,
    char *err, size_t errlen)
{
	const char *path = unix_of(spec);
	struct passwd *pw;
	mode_t old, mask;

	if (path != NULL) {
		if (strlen(path) >= sizeof(unix_path)) {
			snprintf(err, errlen, "%s: path too long", path);
			return (-1);
		}
		if (check_stale(path, err, errlen) == -1)
			return (-1);
	}
	if (smfi_setconn((char *)spec) != MI_SUCCESS) {
		snprintf(err, errlen, "%s: libmilter rejected the socket", spec);
		return (-1);
	}
	mask = (mode_t)strtoul(umask_s != NULL && *umask_s ? umask_s : "007",
	    NULL, 8);
	old = umask(mask);
	if (smfi_opensocket(true) != MI_SUCCESS) {
		umask(old);
		snprintf(err, errlen, "%s: cannot listen (in use, or no "
		    "permission?)", spec);
		return (-1);
	}
	umask(old);
	if (path == NULL)
		return (0);
	snprintf(unix_path, sizeof(unix_path), "%s", path);
	if (geteuid() == 0 && user != NULL && *user != '\0' &&
	    (pw = getpwnam(user)) != NULL &&
	    chown(path, pw->pw_uid, pw->pw_gid) == -1)
		mlog(LOG_WARNING, "NOQUEUE: chown %s: %s", path,
		    strerror(errno));
	return (0);
}

int
mproc_nodelay(void)
{
	DIR *d;
	struct dirent *e;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on = 1, acc, n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		sl = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &sl) == -1 ||
		    !acc)
			continue;
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on)) == 0)
			n++;
	}
	closedir(d);
	return (n);
}

int
mproc_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return (0);
	if (geteuid() != 0) {
		mlog(LOG_INFO, "NOQUEUE: not started as root; user \"%s\" "
		    "ignored", user);
		return (0);
	}
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user \"%s\" does not exist", user);
		return (-1);
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		snprintf(err, errlen, "cannot switch to user \"%s\": %s", user,
		    strerror(errno));
		return (-1);
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could regain root after switching to "
		    "\"%s\"", user);
		return (-1);
	}
	return (0);
}

int
mproc_daemon(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		return (-1);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		return (-1);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return (0);
}

int
mproc_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	int fd;

	if (path == NULL || *path == '\0')
		return (0);
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0644)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) == EOF) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	snprintf(pid_path, sizeof(pid_path), "%s", path);
	return (0);
}

void
mproc_cleanup(void)
{
	if (pid_path[0] != '\0')
		(void)unlink(pid_path);
	if (unix_path[0] != '\0')
		(void)unlink(unix_path);
}
