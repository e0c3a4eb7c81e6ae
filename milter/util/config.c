/*
 * config.c - bounce-milter.conf (libconfig syntax); see config.h
 *
 *	config_defaults() fills the built-in defaults (bounce-milter.conf(5));
 *	config_load() reads a file over them with libconfig and checks each
 *	setting: its type, its range, its syntax (sockets, umask, facility,
 *	networks, domains).  The first problem found is returned as
 *	"FILE:LINE: message"; unknown settings are errors.  Default strings
 *	are static; config_free() releases only the ones it allocated.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

static char def_socket[] = "inet:8895@127.0.0.1";
static char def_umask[] = "007";
static char def_facility[] = "mail";
static char def_empty[] = "";
static char def_net4[] = "127.0.0.0/8";
static char def_net6[] = "::1/128";

static const char *const facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

static int
is_static(const char *p)
{
	return (p == def_socket || p == def_umask || p == def_facility ||
	    p == def_empty || p == def_net4 || p == def_net6);
}

static void
str_free(char **p)
{
	if (*p != NULL && !is_static(*p))
		free(*p);
	*p = NULL;
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->socket = def_socket;
	c->umask = def_umask;
	c->user = def_empty;
	c->authserv_id = def_empty;
	c->syslog_facility = def_facility;
	c->rules = def_empty;
	c->headers = 1;
	c->max_header_recipients = 20;
	c->internal_networks[0] = def_net4;
	c->internal_networks[1] = def_net6;
	c->n_internal_networks = 2;
	c->n_outbound_ips = 0;
	c->outbound_relay = def_empty;
	c->dns.resolver = def_empty;
	c->dns.timeout_ms = 2000;
	c->dns.spf = c->dns.dkim = c->dns.mx = 1;
	c->history.path = def_empty;
	c->history.url = def_empty;
	c->history.host = def_empty;
	c->history.retention_days = 30;
	c->max_message_size = 10485760;
	c->max_classify_ms = 200;
	c->trends.window = 3600;
	c->trends.dbeb_addresses = 5;
	c->trends.blocked_domains = 3;
	c->outgoing_headers = 0;
}

void
config_free(struct config *c)
{
	size_t i;

	str_free(&c->file);
	str_free(&c->socket);
	str_free(&c->umask);
	str_free(&c->user);
	str_free(&c->authserv_id);
	str_free(&c->syslog_facility);
	str_free(&c->rules);
	for (i = 0; i < c->n_internal_networks; i++)
		str_free(&c->internal_networks[i]);
	for (i = 0; i < c->n_outbound_ips; i++)
		str_free(&c->outbound_ips[i]);
	for (i = 0; i < c->n_our_domains; i++)
		str_free(&c->our_domains[i]);
	str_free(&c->outbound_relay);
	str_free(&c->dns.resolver);
	str_free(&c->history.path);
	str_free(&c->history.url);
	str_free(&c->history.host);
	c->n_internal_networks = c->n_outbound_ips = c->n_our_domains = 0;
}

/* Loading state: the file name and where to write the first error. */
struct loader {
	const char	*path;
	char		*err;
	size_t		 errlen;
};

static int fail(struct loader *, const config_setting_t *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

static int
fail(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	const char *f = NULL;
	int line = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s != NULL) {
		line = (int)config_setting_source_line(s);
		f = config_setting_source_file(s);
	}
	snprintf(l->err, l->errlen, "%s:%d: %s", f != NULL ? f : l->path,
	    line, msg);
	return (-1);
}

/* Full dotted name of a setting, for messages. */
static const char *
sname(const config_setting_t *s, char *b, size_t n)
{
	const config_setting_t *p = config_setting_parent(s);

	if (p != NULL && config_setting_name(p) != NULL)
		snprintf(b, n, "%s.%s", config_setting_name(p),
		    config_setting_name(s));
	else
		snprintf(b, n, "%s", config_setting_name(s) ?
		    config_setting_name(s) : "?");
	return (b);
}

static int
has_ctl(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return (1);
	return (0);
}

/*
 * outbound_relay: "", a host name, or Postfix's relayhost forms [host],
 * host:port, [host]:port (host in brackets may be an IPv6 literal).
 */
static int
relay_ok(const char *v)
{
	size_t n;
	const char *p;
	char *end;
	long port;
	int br = *v == '[';

	if (*v == '\0')
		return (1);
	p = v + br;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.");
	if (br && p[n] == ':')		/* [IPv6 literal] */
		n = strspn(p, "0123456789abcdefABCDEF:.");
	if (n == 0 || n > 253 || *p == '.' || *p == '-' || strstr(p, "..") !=
	    NULL)
		return (0);
	p += n;
	if (br && *p++ != ']')
		return (0);
	if (*p == '\0')
		return (1);
	if (*p++ != ':')
		return (0);
	port = strtol(p, &end, 10);
	return (*p >= '0' && *p <= '9' && *end == '\0' && port > 0 &&
	    port < 65536);
}

static int
get_str(struct loader *l, const config_setting_t *s, char **dst)
{
	const char *v;
	char *d, nb[128];

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (fail(l, s, "%s: expected a string in double quotes",
		    sname(s, nb, sizeof(nb))));
	v = config_setting_get_string(s);
	if (has_ctl(v))
		return (fail(l, s, "%s: control character in value",
		    sname(s, nb, sizeof(nb))));
	if ((d = strdup(v)) == NULL)
		return (fail(l, s, "out of memory"));
	str_free(dst);
	*dst = d;
	return (0);
}

static int
get_bool(struct loader *l, const config_setting_t *s, int *dst)
{
	char nb[128];

	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return (fail(l, s, "%s: expected true or false",
		    sname(s, nb, sizeof(nb))));
	*dst = config_setting_get_bool(s) ? 1 : 0;
	return (0);
}

static int
get_int(struct loader *l, const config_setting_t *s, long long lo,
    long long hi, long long *dst)
{
	long long v;
	char nb[128];

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		return (fail(l, s, "%s: expected an integer",
		    sname(s, nb, sizeof(nb))));
	}
	if (v < lo || v > hi)
		return (fail(l, s, "%s: %lld is out of range (%lld..%lld)",
		    sname(s, nb, sizeof(nb)), v, lo, hi));
	*dst = v;
	return (0);
}

static int
get_intv(struct loader *l, const config_setting_t *s, long long lo,
    long long hi, int *dst)
{
	long long v;

	if (get_int(l, s, lo, hi, &v) == -1)
		return (-1);
	*dst = (int)v;
	return (0);
}

/* An IPv4 or IPv6 address, with an optional /prefix when cidr is set. */
static int
valid_ip(const char *v, int cidr)
{
	char a[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned char b[sizeof(struct in6_addr)];
	long n;
	int max;

	if (strlen(v) >= sizeof(a))
		return (0);
	strcpy(a, v);
	if ((slash = strchr(a, '/')) != NULL) {
		if (!cidr)
			return (0);
		*slash++ = '\0';
	}
	if (inet_pton(AF_INET, a, b) == 1)
		max = 32;
	else if (inet_pton(AF_INET6, a, b) == 1)
		max = 128;
	else
		return (0);
	if (slash == NULL)
		return (1);
	errno = 0;
	n = strtol(slash, &end, 10);
	return (*slash != '\0' && *end == '\0' && errno == 0 && n >= 0 &&
	    n <= max);
}

/*
 * A domain name for our_domains: labels of letters, digits, '-', '_' or
 * UTF-8 octets (an IDN, turned into A-labels where it is used), at least
 * two labels, 253 octets at most, no leading '@' or '*'.
 */
static int
valid_domain(const char *v)
{
	size_t n = strlen(v), lab = 0, labels = 1, i;

	if (n > 0 && v[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return (0);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch == '.') {
			if (lab == 0)
				return (0);
			lab = 0;
			labels++;
			continue;
		}
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch < 0x80)
			return (0);
		if (++lab > 63)
			return (0);
	}
	return (lab > 0 && labels >= 2);
}

/* cidr: 0 an IP address, 1 an address or network, 2 a domain name */
static int
get_list(struct loader *l, const config_setting_t *s, char **v, size_t *n,
    int cidr)
{
	const config_setting_t *e;
	char *d, nb[128];
	const char *str;
	size_t i, cnt;
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		return (fail(l, s, "%s: expected a list [ \"...\", ... ]",
		    sname(s, nb, sizeof(nb))));
	cnt = (size_t)config_setting_length(s);
	if (cnt > CONFIG_MAX_LIST)
		return (fail(l, s, "%s: more than %d entries",
		    sname(s, nb, sizeof(nb)), CONFIG_MAX_LIST));
	for (i = 0; i < *n; i++)
		str_free(&v[i]);
	*n = 0;
	for (i = 0; i < cnt; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return (fail(l, e, "%s: entry %zu is not a string",
			    sname(s, nb, sizeof(nb)), i + 1));
		str = config_setting_get_string(e);
		if (cidr == 2 && !valid_domain(str))
			return (fail(l, e, "%s: \"%s\" is not a domain name "
			    "(example.org)", sname(s, nb, sizeof(nb)), str));
		if (cidr != 2 && !valid_ip(str, cidr))
			return (fail(l, e, "%s: \"%s\" is not an IP address%s",
			    sname(s, nb, sizeof(nb)), str,
			    cidr ? " or network (ADDR/PREFIX)" : ""));
		if ((d = strdup(str)) == NULL)
			return (fail(l, e, "out of memory"));
		v[(*n)++] = d;
	}
	return (0);
}

/* inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH or local:/PATH */
static const char *
check_socket(const char *v)
{
	const char *at, *p;
	long port;
	char *end;

	if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
		p = strchr(v, ':') + 1;
		if (*p != '/')
			return ("a unix socket needs an absolute path");
		if (strlen(p) > 100)
			return ("unix socket path too long (100 bytes max)");
		return (NULL);
	}
	if (strncmp(v, "inet:", 5) == 0)
		p = v + 5;
	else if (strncmp(v, "inet6:", 6) == 0)
		p = v + 6;
	else
		return ("expected inet:PORT@HOST, inet6:PORT@HOST or "
		    "unix:PATH");
	errno = 0;
	port = strtol(p, &end, 10);
	if (end == p || errno != 0 || port < 1 || port > 65535)
		return ("bad port number");
	at = end;
	if (*at != '\0' && (*at != '@' || at[1] == '\0'))
		return ("expected PORT@HOST");
	return (NULL);
}

static int
check_umask(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 4)
		return (0);
	return (strspn(v, "01234567") == n);
}

static int
is_facility(const char *v)
{
	size_t i;

	for (i = 0; facilities[i] != NULL; i++)
		if (strcasecmp(v, facilities[i]) == 0)
			return (1);
	return (0);
}

/* "" or HOST:PORT, [V6]:PORT, or a bare address (port 53). */
static int
check_resolver(const char *v)
{
	char h[INET6_ADDRSTRLEN + 16], *p, *end;
	unsigned char b[sizeof(struct in6_addr)];
	long port;

	if (*v == '\0')
		return (1);
	if (strlen(v) >= sizeof(h))
		return (0);
	strcpy(h, v);
	if (h[0] == '[') {
		if ((p = strchr(h, ']')) == NULL)
			return (0);
		*p++ = '\0';
		if (inet_pton(AF_INET6, h + 1, b) != 1)
			return (0);
		if (*p == '\0')
			return (1);
		if (*p++ != ':')
			return (0);
	} else if (inet_pton(AF_INET6, h, b) == 1) {
		return (1);
	} else {
		if ((p = strchr(h, ':')) != NULL)
			*p++ = '\0';
		if (inet_pton(AF_INET, h, b) != 1)
			return (0);
		if (p == NULL)
			return (1);
	}
	errno = 0;
	port = strtol(p, &end, 10);
	return (*p != '\0' && *end == '\0' && errno == 0 && port >= 1 &&
	    port <= 65535);
}

static int
load_dns(struct loader *l, struct config *c, const config_setting_t *g)
{
	const config_setting_t *s;
	const char *n;
	char nb[128];
	int i, r = 0;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (fail(l, g, "dns: expected a group { ... }"));
	for (i = 0; r == 0 && (s = config_setting_get_elem(g,
	    (unsigned int)i)) != NULL; i++) {
		n = config_setting_name(s);
		if (strcmp(n, "resolver") == 0) {
			if ((r = get_str(l, s, &c->dns.resolver)) == 0 &&
			    !check_resolver(c->dns.resolver))
				r = fail(l, s, "dns.resolver: \"%s\": expected "
				    "\"\", ADDR, ADDR:PORT or [ADDR6]:PORT",
				    c->dns.resolver);
		} else if (strcmp(n, "timeout_ms") == 0)
			r = get_intv(l, s, 1, 60000, &c->dns.timeout_ms);
		else if (strcmp(n, "spf") == 0)
			r = get_bool(l, s, &c->dns.spf);
		else if (strcmp(n, "dkim") == 0)
			r = get_bool(l, s, &c->dns.dkim);
		else if (strcmp(n, "mx") == 0)
			r = get_bool(l, s, &c->dns.mx);
		else
			r = fail(l, s, "unknown setting %s",
			    sname(s, nb, sizeof(nb)));
	}
	return (r);
}

/* history.url: a libpq URI, without a password (~/.pgpass, PGPASSFILE) */
static int
check_url(struct loader *l, const config_setting_t *s, const char *u)
{
	const char *p, *end, *at;

	if (*u == '\0')
		return (0);
	if (strncmp(u, "postgresql://", 13) != 0 &&
	    strncmp(u, "postgres://", 11) != 0)
		return (fail(l, s, "history.url: want postgresql://... or "
		    "\"\" (off)"));
	p = strstr(u, "://") + 3;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	if ((at != NULL && memchr(p, ':', (size_t)(at - p)) != NULL) ||
	    strstr(u, "password=") != NULL)
		return (fail(l, s, "history.url: no password here; libpq "
		    "reads it from ~/.pgpass or PGPASSFILE"));
	return (0);
}

static int
load_history(struct loader *l, struct config *c, const config_setting_t *g)
{
	const config_setting_t *s;
	const char *n;
	char nb[128];
	int i, r = 0;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (fail(l, g, "history: expected a group { ... }"));
	for (i = 0; r == 0 && (s = config_setting_get_elem(g,
	    (unsigned int)i)) != NULL; i++) {
		n = config_setting_name(s);
		if (strcmp(n, "path") == 0) {
			if ((r = get_str(l, s, &c->history.path)) == 0 &&
			    *c->history.path != '\0' &&
			    *c->history.path != '/')
				r = fail(l, s, "history.path: must be an "
				    "absolute path or \"\" (off)");
		} else if (strcmp(n, "url") == 0) {
			if ((r = get_str(l, s, &c->history.url)) == 0)
				r = check_url(l, s, c->history.url);
		} else if (strcmp(n, "host") == 0)
			r = get_str(l, s, &c->history.host);
		else if (strcmp(n, "retention_days") == 0)
			r = get_intv(l, s, 1, 3650, &c->history.retention_days);
		else
			r = fail(l, s, "unknown setting %s",
			    sname(s, nb, sizeof(nb)));
	}
	return (r);
}

static int
load_trends(struct loader *l, struct config *c, const config_setting_t *g)
{
	const config_setting_t *s;
	const char *n;
	char nb[128];
	int i, r = 0;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (fail(l, g, "trends: expected a group { ... }"));
	for (i = 0; r == 0 && (s = config_setting_get_elem(g,
	    (unsigned int)i)) != NULL; i++) {
		n = config_setting_name(s);
		if (strcmp(n, "window") == 0)
			r = get_intv(l, s, 60, 7 * 86400, &c->trends.window);
		else if (strcmp(n, "dbeb_addresses") == 0)
			r = get_intv(l, s, 1, 100000, &c->trends.dbeb_addresses);
		else if (strcmp(n, "blocked_domains") == 0)
			r = get_intv(l, s, 1, 100000,
			    &c->trends.blocked_domains);
		else
			r = fail(l, s, "unknown setting %s",
			    sname(s, nb, sizeof(nb)));
	}
	return (r);
}

static int
load_one(struct loader *l, struct config *c, const config_setting_t *s)
{
	const char *n = config_setting_name(s), *why;
	long long v;
	int r;

	if (strcmp(n, "socket") == 0) {
		if ((r = get_str(l, s, &c->socket)) == 0 &&
		    (why = check_socket(c->socket)) != NULL)
			r = fail(l, s, "socket: \"%s\": %s", c->socket, why);
		return (r);
	}
	if (strcmp(n, "umask") == 0) {
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return (fail(l, s, "umask: write it as a string, "
			    "e.g. \"007\" (libconfig reads 007 as decimal)"));
		if ((r = get_str(l, s, &c->umask)) == 0 &&
		    !check_umask(c->umask))
			r = fail(l, s, "umask: \"%s\" is not an octal mode",
			    c->umask);
		return (r);
	}
	if (strcmp(n, "user") == 0)
		return (get_str(l, s, &c->user));
	if (strcmp(n, "authserv_id") == 0) {
		if ((r = get_str(l, s, &c->authserv_id)) == 0 &&
		    strcspn(c->authserv_id, " ;\"\\()") !=
		    strlen(c->authserv_id))
			r = fail(l, s, "authserv_id: \"%s\": must be a host "
			    "name (no spaces, ';', quotes or parentheses)",
			    c->authserv_id);
		return (r);
	}
	if (strcmp(n, "syslog_facility") == 0) {
		if ((r = get_str(l, s, &c->syslog_facility)) == 0 &&
		    !is_facility(c->syslog_facility))
			r = fail(l, s, "syslog_facility: \"%s\": expected mail, "
			    "daemon, user or local0..local7",
			    c->syslog_facility);
		return (r);
	}
	if (strcmp(n, "rules") == 0) {
		struct stat st;

		if ((r = get_str(l, s, &c->rules)) == 0 && *c->rules != '\0' &&
		    (stat(c->rules, &st) == -1 || !S_ISDIR(st.st_mode)))
			r = fail(l, s, "rules: \"%s\" is not a directory",
			    c->rules);
		return (r);
	}
	if (strcmp(n, "headers") == 0)
		return (get_bool(l, s, &c->headers));
	if (strcmp(n, "outgoing_headers") == 0)
		return (get_bool(l, s, &c->outgoing_headers));
	if (strcmp(n, "max_header_recipients") == 0)
		return (get_intv(l, s, 1, 1000, &c->max_header_recipients));
	if (strcmp(n, "internal_networks") == 0)
		return (get_list(l, s, c->internal_networks,
		    &c->n_internal_networks, 1));
	if (strcmp(n, "outbound_ips") == 0)
		return (get_list(l, s, c->outbound_ips, &c->n_outbound_ips, 0));
	if (strcmp(n, "our_domains") == 0)
		return (get_list(l, s, c->our_domains, &c->n_our_domains, 2));
	if (strcmp(n, "outbound_relay") == 0) {
		if ((r = get_str(l, s, &c->outbound_relay)) == 0 &&
		    !relay_ok(c->outbound_relay))
			return (fail(l, s, "outbound_relay: expected a host "
			    "name, [host], host:port or [host]:port, not "
			    "\"%s\"", c->outbound_relay));
		return (r);
	}
	if (strcmp(n, "max_message_size") == 0) {
		if ((r = get_int(l, s, 1024, 1024LL * 1024 * 1024, &v)) == 0)
			c->max_message_size = (size_t)v;
		return (r);
	}
	if (strcmp(n, "max_classify_ms") == 0)
		return (get_intv(l, s, 1, 60000, &c->max_classify_ms));
	if (strcmp(n, "dns") == 0)
		return (load_dns(l, c, s));
	if (strcmp(n, "history") == 0)
		return (load_history(l, c, s));
	if (strcmp(n, "trends") == 0)
		return (load_trends(l, c, s));
	return (fail(l, s, "unknown setting %s", n));
}

int
config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct loader l = { path, err, errlen };
	config_t cf;
	const config_setting_t *root, *s;
	FILE *fp;
	int i, r = 0;

	if (err != NULL && errlen > 0)
		*err = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return (fail(&l, NULL, "cannot read: %s", strerror(errno)));
	config_init(&cf);
	if (config_read(&cf, fp) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", config_error_file(&cf) ?
		    config_error_file(&cf) : path, config_error_line(&cf),
		    config_error_text(&cf) ? config_error_text(&cf) :
		    "syntax error");
		fclose(fp);
		config_destroy(&cf);
		return (-1);
	}
	fclose(fp);
	root = config_root_setting(&cf);
	for (i = 0; r == 0 && (s = config_setting_get_elem(root,
	    (unsigned int)i)) != NULL; i++)
		r = load_one(&l, c, s);
	config_destroy(&cf);
	if (r == 0) {
		str_free(&c->file);
		if ((c->file = strdup(path)) == NULL)
			r = fail(&l, NULL, "out of memory");
	}
	return (r);
}
