/*
 * fmt_x5.c - the "X5" family: a DSN forwarded inside a message/rfc822
 *
 * SYNOPSIS
 *	int	fmt_x5_parse(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	An unnamed gateway (Sisimai's "X5") sends its notice to
 *	"NotificationRecipients" with a short text part and attaches the
 *	real bounce, a multipart/report, as message/rfc822.  The
 *	delivery-status part is thus inside the returned message, where the
 *	engine does not look for one.  fmt_x5_parse() finds the first
 *	message/delivery-status (or message/global-delivery-status) part
 *	inside c->orig and reads its fields with fmt_rfc3464_fields(); the
 *	original of the inner report (its own message/rfc822 part) becomes
 *	the report's original.  Without such a part it falls back to the
 *	family's text rules.  Returns the number of recipients added.
 *
 *	The family's detection is data (rules/formats/x5.fmt).
 */
#include <stddef.h>

#include "fmt.h"

int	fmt_x5_parse(struct fmt_ctx *);

int
fmt_x5_parse(struct fmt_ctx *c)
{
	const struct mime_part *d, *o;
	int n;

	if (c->orig == NULL)
		return (fmt_text_parse(c));
	if ((d = mime_find(c->orig, "message/delivery-status")) == NULL)
		d = mime_find(c->orig, "message/global-delivery-status");
	if (d == NULL || d->body == NULL)
		return (fmt_text_parse(c));
	n = fmt_rfc3464_fields(c, d->body, d->bodylen);
	if (n > 0 && c->r->original == NULL &&
	    (o = mime_find(c->orig, "message/rfc822")) != NULL &&
	    o != c->orig)
		c->r->original = o->child != NULL ? o->child : o;
	return (n);
}
