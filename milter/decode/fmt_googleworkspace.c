/*
 * fmt_googleworkspace.c - detection of Google Workspace plain notices
 *
 * SYNOPSIS
 *	int	fmt_googleworkspace_detect(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	Google Workspace (G Suite) sends some bounces with no
 *	delivery-status part at all: From <mailer-daemon@googlemail.com>,
 *	Subject "Delivery Status Notification ...", a text that starts with
 *	a line "** Message not delivered **" (or a similar title between
 *	two "**") followed by an explanation and "The response was:"
 *	(sometimes with an empty delivery-status part).  The same sender
 *	writes RFC 3464 reports with the same title, which the RFC 3464
 *	parser reads; this family is only for the others, which data cannot
 *	say (a detection that depends on what a part lacks).
 *	fmt_googleworkspace_detect() returns 1 for such a notice, else 0.
 *	The parse is data: rules/formats/googleworkspace.fmt.
 */
#include <string.h>

#include "fmt.h"

#define GW_MAX_LINES	200

int	fmt_googleworkspace_detect(struct fmt_ctx *);

/* A "** Title words **" line. */
static int
title_line(const char *s, size_t n)
{
	size_t i;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n < 7 || strncmp(s, "** ", 3) != 0 ||
	    strncmp(s + n - 3, " **", 3) != 0)
		return (0);
	for (i = 3; i < n - 3; i++)
		if (s[i] == '*')
			return (0);
	return (1);
}

int
fmt_googleworkspace_detect(struct fmt_ctx *c)
{
	const char *p, *end, *line;
	size_t len, nl = 0, i;

	if (c->arf != NULL)
		return (0);
	for (i = 0; i < c->ndsn; i++)
		if (c->dsns[i]->body != NULL && fmt_strcasestr(c->dsns[i]->body,
		    c->dsns[i]->bodylen, "Final-Recipient:"))
			return (0);
	if (!fmt_strcasestr(c->from, strlen(c->from),
	    "<mailer-daemon@googlemail.com>"))
		return (0);
	if (strstr(c->subject, "Delivery Status Notification") == NULL)
		return (0);
	p = c->text;
	end = p + c->textlen;
	while (nl++ < GW_MAX_LINES && fmt_next_line(&p, end, &line, &len))
		if (title_line(line, len))
			return (1);
	return (0);
}
