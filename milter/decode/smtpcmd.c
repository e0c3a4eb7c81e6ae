/*
 * smtpcmd.c - the phrases that name a refused SMTP command; see smtpcmd.h
 *
 *	rules/smtp-commands is read with the list reader (rulelist.h);
 *	each entry is split in place: the rests and commands of a loaded
 *	set point into the list's own copies, the lead-ins are copies.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulelist.h"
#include "rules.h"
#include "smtpcmd.h"

static const char *const sc_name[SC_NSECT] = { "diagnostic", "notice" };

/* English letters, rarest first: a [diagnostic] lead-in's anchor. */
static const char rare[] = "zqxjkvbpygfwmucldrhsnioate";

/* Lower case, runs of white space as one space, no blank at the ends. */
static void
squeeze(char *s)
{
	char *r = s, *w = s;

	while (isspace((unsigned char)*r))
		r++;
	while (*r != '\0') {
		if (isspace((unsigned char)*r)) {
			while (isspace((unsigned char)*r))
				r++;
			if (*r != '\0')
				*w++ = ' ';
			continue;
		}
		*w++ = (char)tolower((unsigned char)*r++);
	}
	*w = '\0';
}

/* The anchor of lead-in l: its rarest letter not yet taken. */
static int
pick_anchor(struct sc_section *sec, struct sc_lead *l)
{
	const char *c, *at;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (c = rare; *c != '\0'; c++) {
			if ((at = strchr(l->text, *c)) == NULL)
				continue;
			for (i = 0; pass == 0 && i < sec->nlead; i++)
				if (sec->lead[i].anchor_c == (unsigned char)*c)
					break;
			if (pass == 0 && i < sec->nlead)
				continue;
			l->anchor = (size_t)(at - l->text);
			l->anchor_c = (unsigned char)*c;
			return (0);
		}
	return (-1);
}

/* The lead-in text (its "rest" says whether a space ends it). */
static int
lead_of(struct smtp_cmds *t, int k, size_t i, char *text, int more,
    char *err, size_t errlen)
{
	struct sc_section *sec = &t->s[k];
	struct sc_lead *l;
	size_t j, n = strlen(text);

	for (j = 0; j < sec->nlead; j++) {
		l = &sec->lead[j];
		if (strncmp(l->text, text, n) != 0 ||
		    !(l->text[n] == '\0' || (l->text[n] == ' ' &&
		    l->text[n + 1] == '\0')))
			continue;
		if ((l->text[n] == ' ') != more)
			return (rlist_error(t->list, sc_name[k], i, err, errlen,
			    "\"%s\" is a lead-in with and without a rest",
			    text));
		return ((int)j);
	}
	if (sec->nlead == SC_MAXLEAD)
		return (rlist_error(t->list, sc_name[k], i, err, errlen,
		    "more than %d lead-ins", SC_MAXLEAD));
	if (n < 2 || text[1] == ' ')
		return (rlist_error(t->list, sc_name[k], i, err, errlen,
		    "\"%s\": a lead-in starts with two characters", text));
	l = &sec->lead[sec->nlead];
	if ((l->text = malloc(n + 2)) == NULL)
		return (rlist_error(t->list, sc_name[k], i, err, errlen,
		    "out of memory"));
	sec->nlead++;		/* freed with the set from here on */
	memcpy(l->text, text, n);
	if (more)
		l->text[n++] = ' ';
	l->text[n] = '\0';
	l->len = n;
	text = l->text;
	l->pair[0] = (unsigned char)text[0] | 0x20;
	l->pair[1] = (unsigned char)text[1] | 0x20;
	l->third = text[2] == '\0' || text[2] == ' ' ? (unsigned char)text[2] :
	    (unsigned char)text[2] | 0x20;
	if (pick_anchor(sec, l) == -1 && k == SC_DIAGNOSTIC)
		return (rlist_error(t->list, sc_name[k], i, err, errlen,
		    "\"%.*s\": a lead-in without a letter",
		    (int)(n - (more != 0)), text));
	return ((int)sec->nlead - 1);
}

/* Entry i of section k: "LEAD-IN | REST COMMAND", split in place. */
static int
row_of(struct smtp_cmds *t, int k, size_t i, char *e, struct sc_row *r,
    char *err, size_t errlen)
{
	char *bar, *cmd, *p;
	int lead;

	if ((bar = strchr(e, '|')) == NULL)
		return (rlist_error(t->list, sc_name[k], i, err, errlen,
		    "\"%s\": want LEAD-IN | REST COMMAND", e));
	*bar = '\0';
	cmd = bar + 1 + strlen(bar + 1);
	while (cmd > bar + 1 && !isspace((unsigned char)cmd[-1]))
		cmd--;
	for (p = cmd; *p != '\0'; p++)
		if (!isupper((unsigned char)*p))
			break;
	if (*cmd == '\0' || *p != '\0')
		return (rlist_error(t->list, sc_name[k], i, err, errlen,
		    "\"%s\": the COMMAND, last, in upper case", cmd));
	r->cmd = cmd;
	if (cmd > bar + 1) {
		cmd[-1] = '\0';
		r->rest = bar + 1;
	} else
		r->rest = p;	/* the COMMAND's end: "" */
	squeeze(r->rest);
	r->len = strlen(r->rest);
	squeeze(e);
	if ((lead = lead_of(t, k, i, e, r->len > 0, err, errlen)) < 0)
		return (-1);
	r->lead = lead;
	return (0);
}

/* The look-up tables of a section read in: by byte, row chains. */
static void
index_section(struct sc_section *sec)
{
	int last[SC_MAXLEAD], l;
	size_t i;

	for (i = 0; i < sec->nlead; i++) {
		sec->lead[i].row0 = -1;
		last[i] = -1;
		sec->by_pair0[sec->lead[i].pair[0]] |= (unsigned char)(1u << i);
		if (sec->lead[i].anchor_c != 0)
			sec->by_anchor[sec->lead[i].anchor_c] |=
			    (unsigned char)(1u << i);
	}
	for (i = 0; i < sec->nrow; i++) {
		l = sec->row[i].lead;
		sec->row[i].next = -1;
		if (last[l] < 0)
			sec->lead[l].row0 = (int)i;
		else
			sec->row[last[l]].next = (int)i;
		last[l] = (int)i;
	}
}

int
smtp_cmds_load(struct rules *rules, char *err, size_t errlen)
{
	struct smtp_cmds *t;
	struct sc_section *sec;
	const char *const *e;
	size_t i;
	int k;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s/smtp-commands:0: out of memory",
		    rules->dir);
		return (-1);
	}
	rules->smtpcmd = t;
	if ((t->list = rlist_load(rules->dir, "smtp-commands", err,
	    errlen)) == NULL)
		return (-1);
	for (k = 0; k < SC_NSECT; k++) {
		sec = &t->s[k];
		if (rlist_need(t->list, sc_name[k], err, errlen) == -1)
			return (-1);
		e = rlist_get(t->list, sc_name[k], &sec->nrow);
		if (sec->nrow > 0 && (sec->row = calloc(sec->nrow,
		    sizeof(*sec->row))) == NULL) {
			snprintf(err, errlen, "%s/smtp-commands:0: out of "
			    "memory", rules->dir);
			return (-1);
		}
		for (i = 0; i < sec->nrow; i++)
			if (row_of(t, k, i, (char *)e[i], &sec->row[i], err,
			    errlen) == -1)
				return (-1);
		index_section(sec);
	}
	return (0);
}

void
smtp_cmds_free(struct smtp_cmds *t)
{
	size_t i;
	int k;

	if (t == NULL)
		return;
	for (k = 0; k < SC_NSECT; k++) {
		for (i = 0; i < t->s[k].nlead; i++)
			free(t->s[k].lead[i].text);
		free(t->s[k].row);
	}
	rlist_free(t->list);
	free(t);
}
