/*
 * smtpcmd.h - the phrases that name a refused SMTP command, as data
 *
 * SYNOPSIS
 *	int	smtp_cmds_load(struct rules *rules, char *err, size_t errlen);
 *	void	smtp_cmds_free(struct smtp_cmds *t);
 *
 * DESCRIPTION
 *	smtp_cmds_load() reads rules/smtp-commands (one "LEAD-IN | REST
 *	COMMAND" a line, the list format of rules/README) into
 *	rules->smtpcmd, once per rules set: per section (SC_DIAGNOSTIC,
 *	SC_NOTICE) the rows in file order and their distinct lead-ins in
 *	the order they first appear.  Lead-ins and rests are kept in lower
 *	case with single spaces; a lead-in that some row continues ends in
 *	a space.  Errors are "FILE:LINE: message": no "|", no or a lower
 *	case COMMAND, a lead-in both with and without a rest, more than
 *	SC_MAXLEAD lead-ins, a [diagnostic] lead-in without a letter, a
 *	[notice] lead-in that does not start with two characters other
 *	than white space.
 *
 *	For the one-pass searches of the users (fmt_command_find() in
 *	fmt_codes.c, cmd_in() in classify.c): each lead-in's first two
 *	bytes OR 0x20 (pair, the candidates of a [notice] scan), and its
 *	anchor (a letter, OR 0x20, at anchor bytes into it: the rarest of
 *	its letters in English text that no earlier lead-in of the section
 *	took; the candidates of a [diagnostic] scan); by_pair0[] and
 *	by_anchor[] give the lead-ins (bit i: lead i) that a byte OR 0x20
 *	may start or anchor, row0 and next the rows of a lead-in in order.
 */
#ifndef SMTPCMD_H
#define SMTPCMD_H

#include <stddef.h>

#define SC_MAXLEAD	8	/* lead-ins a section, at most */

enum { SC_DIAGNOSTIC, SC_NOTICE, SC_NSECT };

struct sc_lead {
	char		*text;		/* lower case, single spaces */
	size_t		 len;
	unsigned char	 pair[2];	/* text[0] | 0x20, text[1] | 0x20 */
	unsigned char	 third;		/* text[2] | 0x20 ('\0' at the end;
					   ' ': any white space) */
	unsigned char	 anchor_c;	/* text[anchor] | 0x20 */
	size_t		 anchor;
	int		 row0;		/* its first row, -1 none */
};

struct sc_row {
	char		*rest;		/* "" when the lead-in says it all */
	size_t		 len;
	const char	*cmd;		/* upper case */
	int		 lead;		/* index in the section's lead */
	int		 next;		/* next row of that lead, -1 none */
};

struct sc_section {
	struct sc_lead	 lead[SC_MAXLEAD];
	size_t		 nlead;
	struct sc_row	*row;
	size_t		 nrow;
	/* the lead-ins (a bit each) by pair[0], by anchor_c */
	unsigned char	 by_pair0[256];
	unsigned char	 by_anchor[256];
};

struct smtp_cmds {
	struct sc_section s[SC_NSECT];
	struct rlist	*list;
};

struct rules;

int	 smtp_cmds_load(struct rules *, char *, size_t);
void	 smtp_cmds_free(struct smtp_cmds *);

#endif
