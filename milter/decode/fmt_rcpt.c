/*
 * fmt_rcpt.c - a parser's recipient records; see fmt.h
 *
 * SYNOPSIS
 *	struct rcpt *fmt_rcpt_add(struct fmt_ctx *c);
 *	void	fmt_rcpt_finish(struct fmt_ctx *c, struct rcpt *rc);
 *
 * DESCRIPTION
 *	fmt_rcpt_add() adds a recipient to the report c->r (NULL, and
 *	c->limit set, at the report's limit).  fmt_rcpt_finish() fills a
 *	recipient's derived fields (status, reply, command, action) from
 *	its diagnostic (fmt_codes.c); a diagnostic in which the MTA says
 *	it gave up ("retry timeout exceeded", "Envelope expired", "in the
 *	queue too long") marks the recipient expired and failed, also when
 *	reported as delayed.
 */
#include <string.h>

#include "fmt.h"
#include "litscan.h"

struct rcpt *
fmt_rcpt_add(struct fmt_ctx *c)
{
	struct rcpt *rc;

	if ((rc = report_add_rcpt(c->r)) == NULL)
		c->limit = 1;
	return (rc);
}

/*
 * Does the diagnostic say the sending MTA gave up on the recipient (its
 * queue lifetime or retry period over)?  Only the MTAs' own fixed words:
 * a delay warning never says them.
 */
static int
gave_up(const char *d)
{
	size_t n;

	if (d == NULL || *d == '\0')
		return (0);
	n = strnlen(d, 4096);
	/* each anchored on its rarest byte, x or q (fmt_strcasestr() would
	   find it again on every call: every recipient asks) */
	return (lit_find_ci(d, n, "envelope expired", 16, 10) ||
	    lit_find_ci(d, n, "retry timeout exceeded", 22, 15) ||
	    lit_find_ci(d, n, "in the queue too long", 21, 7));
}

/*
 * Derived fields of one recipient: status from the diagnostic when the
 * report gave none or a generic one, reply code, command, action.
 */
void
fmt_rcpt_finish(struct fmt_ctx *c, struct rcpt *rc)
{
	char st[16], rp[4];
	const char *cmd;

	if (rc->diag != NULL && *rc->diag != '\0') {
		if (fmt_status_find(rc->diag, st) &&
		    fmt_status_better(rc->status, st))
			memcpy(rc->status, st, sizeof(rc->status));
		if (rc->reply[0] == '\0' &&
		    fmt_reply_find(rc->diag, rc->status[0] ?
		    rc->status[0] - '0' : (rc->action != NULL &&
		    strcmp(rc->action, "delivered") == 0) ? 2 : -1, rp))
			memcpy(rc->reply, rp, sizeof(rc->reply));
		if ((rc->command == NULL || *rc->command == '\0') &&
		    (cmd = fmt_command_find(c->rules, rc->diag)) != NULL)
			rc->command = cmd;
	}
	/*
	 * An MTA that says it gave up has failed the recipient, whatever
	 * its Action field says: OpenSMTPD 6 reports an expired envelope as
	 * "Action: delayed" (Status 4.4.7, "Envelope expired").
	 */
	if (gave_up(rc->diag)) {
		rc->expired = 1;
		/*
		 * Reported as delayed with a 4.x.x status (OpenSMTPD), it
		 * failed for good: "delivery time expired", permanent.
		 */
		if (rc->action != NULL && strcmp(rc->action, "delayed") == 0) {
			rc->action = "failed";
			if (rc->status[0] == '4')
				rc->status[0] = '5';
		}
	}
	if ((rc->action == NULL || *rc->action == '\0') &&
	    c->r->kind != NULL && strcmp(c->r->kind, "dsn") == 0) {
		if (rc->status[0] == '4' && !rc->expired)
			rc->action = "delayed";
		else if (rc->status[0] == '2')
			rc->action = "delivered";
		else
			rc->action = "failed";
	}
}
