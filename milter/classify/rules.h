/*
 * rules.h - the data the classifier reads, loaded from a rules directory
 *
 * SYNOPSIS
 *	struct rules *rules_load(const char *dir, char *err, size_t errlen);
 *	void	rules_free(struct rules *r);
 *	const char *rules_find_dir(const char *opt, const char *conf,
 *		    const char *argv0, char *out, size_t outlen);
 *
 * DESCRIPTION
 *	A rules directory holds, as text files an administrator can edit:
 *	the reason vocabulary (reason-vocabulary), the enhanced status
 *	table (status.tsv), the reason patterns
 *	(reasons.rules), the 5.4.1 cause catalog (causes.rules) and the
 *	bounce-format markers (formats/), and the lists of rules/README
 *	(reason-order, exchange-online, autoreply, powermta,
 *	smtp-commands, trends).  rules_load() reads and checks all of them and
 *	compiles every pattern once (PCRE2, JIT).  On error
 *	it returns NULL and writes "FILE:LINE: message" into err.
 *
 *	A loaded set is read-only: any number of threads may classify with
 *	it at once.  The milter swaps a whole new set in on reload.
 *
 *	rules_find_dir() applies the documented search order: opt
 *	(--rules), conf (the configuration's rules), ../rules beside the
 *	directory of argv0 (an uninstalled build), BM_DATADIR/rules.
 */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>

struct status_table;
struct reason_rules;
struct cause_table;
struct format_table;
struct eop_hosts;
struct fmt_autoreply;
struct fmt_powermta;
struct smtp_cmds;
struct trend_rules;
struct vocab;

struct rules {
	char			*dir;
	struct vocab		*vocab;		/* vocab.c */
	struct status_table	*status;	/* status.c */
	struct reason_rules	*reasons;	/* reason_load.c */
	struct cause_table	*causes;	/* cause.c */
	struct format_table	*formats;	/* fmt_load.c */
	struct eop_hosts	*eop;		/* eophost.c */
	struct fmt_autoreply	*autoreply;	/* fmt_report.c */
	struct fmt_powermta	*powermta;	/* fmt_powermta.c */
	struct smtp_cmds	*smtpcmd;	/* smtpcmd.c */
	struct trend_rules	*trends;	/* trendrule.c */
};

struct rules *rules_load(const char *, char *, size_t);
void	 rules_free(struct rules *);
const char *rules_find_dir(const char *, const char *, const char *, char *,
	    size_t);

/* Sub-loaders, each in its own module; all return 0 or -1 with err set. */
int	 status_table_load(struct rules *, char *, size_t);
void	 status_table_free(struct status_table *);
int	 reason_rules_load(struct rules *, char *, size_t);
int	 reason_scan_build(struct rules *, char *, size_t);	/* after
						   cause_table_load() */
void	 reason_rules_free(struct reason_rules *);
int	 cause_table_load(struct rules *, char *, size_t);
void	 cause_table_free(struct cause_table *);
int	 format_table_load(struct rules *, char *, size_t);
void	 format_table_free(struct format_table *);
int	 eop_hosts_load(struct rules *, char *, size_t);
void	 eop_hosts_free(struct eop_hosts *);
int	 fmt_autoreply_load(struct rules *, char *, size_t);
void	 fmt_autoreply_free(struct fmt_autoreply *);
int	 fmt_powermta_load(struct rules *, char *, size_t);
void	 fmt_powermta_free(struct fmt_powermta *);
int	 smtp_cmds_load(struct rules *, char *, size_t);
void	 smtp_cmds_free(struct smtp_cmds *);

/* The roles of Exchange Online's domains (rules/exchange-online). */
enum { EOP_TENANT_MX, EOP_RELAY, EOP_FRONT_END, EOP_RETIRED, EOP_NROLES };
const char *const *eop_domains(const struct rules *, int, size_t *);
int	 eop_host(const struct rules *, int, const char *, size_t);

#endif
