/*
 * milter_log.c - bounce-milter's syslog, optionally mirrored to stderr
 *
 * SYNOPSIS
 *	void	mlog_init(const char *fac, int err, int verbose);
 *	void	mlog_facility(const char *fac);
 *	void	mlog(int prio, const char *fmt, ...);
 *	void	mlog_lines(int prio, const char *lines);
 *
 * DESCRIPTION
 *	Ident "bounce-milter", the configured facility.  With -e every line
 *	also goes to standard error as "bounce-milter[PID]: LINE", which is
 *	what the tests read (they cannot rely on a syslog daemon).  Callers
 *	start each line with the queue id (or NOQUEUE:) themselves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "milter.h"

int mlog_verbose;
static int to_stderr;

static const struct {
	const char	*name;
	int		 fac;
} facs[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int
facility(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(facs) / sizeof(facs[0]); i++)
		if (strcasecmp(name, facs[i].name) == 0)
			return (facs[i].fac);
	return (LOG_MAIL);
}

void
mlog_init(const char *fac, int err, int verbose)
{
	to_stderr = err;
	mlog_verbose = verbose;
	openlog("bounce-milter", LOG_PID | LOG_NDELAY, facility(fac));
}

void
mlog_facility(const char *fac)
{
	closelog();
	openlog("bounce-milter", LOG_PID | LOG_NDELAY, facility(fac));
}

static void
emit(int prio, const char *line)
{
	syslog(prio, "%s", line);
	if (to_stderr) {
		fprintf(stderr, "bounce-milter[%ld]: %s\n", (long)getpid(),
		    line);
		fflush(stderr);
	}
}

void
mlog(int prio, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (p = line; *p; p++)		/* one line, always */
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	emit(prio, line);
}

void
mlog_lines(int prio, const char *lines)
{
	char line[4096];
	const char *p, *e;
	size_t n;

	for (p = lines; p != NULL && *p; p = *e ? e + 1 : e) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0)
			emit(prio, line);
	}
}
