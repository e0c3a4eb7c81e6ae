/*
 * config.h - bounce-milter.conf (libconfig syntax)
 *
 * SYNOPSIS
 *	void	config_defaults(struct config *c);
 *	int	config_load(const char *path, struct config *c, char *err,
 *		    size_t errlen);
 *	void	config_free(struct config *c);
 *
 * DESCRIPTION
 *	config_defaults() fills c with the built-in defaults of
 *	bounce-milter.conf(5) (socket inet:8895@127.0.0.1, history off, ...).
 *	config_load() reads path over those defaults, checks every value
 *	and returns 0, or -1 with "FILE:LINE: message" in err (exit 78).
 *	Unknown settings are errors, so typos do not pass silently.
 *	Strings are owned by c; config_free() releases them.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_PATH	BM_SYSCONFDIR "/bounce-milter/bounce-milter.conf"
#define CONFIG_MAX_LIST		64

struct config {
	char	*file;			/* path it came from, or NULL */
	char	*socket;
	char	*umask;			/* octal string, e.g. "007" */
	char	*user;
	char	*authserv_id;		/* "" = host name */
	char	*syslog_facility;
	char	*rules;			/* "" = search order */
	int	 headers;
	int	 max_header_recipients;
	char	*internal_networks[CONFIG_MAX_LIST];
	size_t	 n_internal_networks;
	char	*outbound_ips[CONFIG_MAX_LIST];
	size_t	 n_outbound_ips;
	char	*our_domains[CONFIG_MAX_LIST];	/* evidence only for these */
	size_t	 n_our_domains;		/* 0: senders of our history */
	char	*outbound_relay;
	struct {
		char	*resolver;	/* "" = system */
		int	 timeout_ms;
		int	 spf, dkim, mx;
	} dns;
	struct {
		char	*path;		/* "" = off */
		char	*url;		/* postgresql://...: wins over path */
		char	*host;		/* "": gethostname() */
		int	 retention_days;
	} history;
	size_t	 max_message_size;
	int	 max_classify_ms;
	struct {
		int	 window;
		int	 dbeb_addresses;
		int	 blocked_domains;
	} trends;
	int	 outgoing_headers;
};

void	config_defaults(struct config *);
int	config_load(const char *, struct config *, char *, size_t);
void	config_free(struct config *);

#endif
