/*
 * history_note.c - a decoded bounce into the history store and the
 *	trends, in one call for the daemon; see history.h
 *	(history_note_bounce)
 *
 * SYNOPSIS
 *	int	history_note_bounce(struct history *h, struct trend *t,
 *		    const struct report *r, const char *queue_id, time_t when,
 *		    struct hist_match *m, struct buf *lines);
 */
#include <string.h>

#include "history.h"
#include "trend.h"

int
history_note_bounce(struct history *h, struct trend *t,
    const struct report *r, const char *queue_id, time_t when,
    struct hist_match *m, struct buf *lines)
{
	const struct rcpt *rc;
	const char *q = queue_id != NULL && *queue_id ? queue_id : "NOQUEUE";
	char why[512], line[1024], dom[256];
	size_t i;
	int found = 0;

	memset(m, 0, sizeof(*m));
	if (r == NULL)
		return (0);
	if (h != NULL) {
		found = history_find_original(h, r, m);
		if (found == -1)
			buf_printf(lines, "%s: history: lookup of the original "
			    "failed: %s\n", q, m->by);
		if (history_put_bounce(h, r, queue_id, when,
		    found == 1 ? m : NULL, why, sizeof(why)) == -1 && *why)
			buf_printf(lines, "%s: %s\n", q, why);
	}
	for (i = 0; t != NULL && i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		if (!history_rcpt_counts(r, rc) || rc->cause == NULL)
			continue;
		history_domain(dom, sizeof(dom), rc->addr);
		if (trend_note(t, dom, rc->cause, rc->addr, when, line,
		    sizeof(line)) == 1)
			buf_printf(lines, "%s\n", line);
	}
	if (found != 1)
		memset(m, 0, sizeof(*m));
	return (found == 1);
}
