/*
 * json.c - one small JSON writer for the bounce-decode contract; see json.h
 */
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

int
json_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	int rc = buf_addc(b, '"');

	while (rc == 0 && *p) {
		if (*p >= 0x80) {
			n = utf8_seqlen(p);
			if (n == 0) {
				rc = buf_add(b, "\xef\xbf\xbd", 3);
				p++;
			} else {
				rc = buf_add(b, p, n);
				p += n;
			}
			continue;
		}
		switch (*p) {
		case '"':  rc = buf_add(b, "\\\"", 2); break;
		case '\\': rc = buf_add(b, "\\\\", 2); break;
		case '\n': rc = buf_add(b, "\\n", 2); break;
		case '\r': rc = buf_add(b, "\\r", 2); break;
		case '\t': rc = buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc = buf_printf(b, "\\u%04x", *p);
			else
				rc = buf_addc(b, *p);
		}
		p++;
	}
	return (rc == 0 ? buf_addc(b, '"') : -1);
}

static int
kv(struct buf *b, const char *key, const char *val, int comma)
{
	if (comma && buf_addc(b, ',') == -1)
		return (-1);
	if (json_string(b, key) == -1 || buf_addc(b, ':') == -1)
		return (-1);
	return (json_string(b, val ? val : ""));
}

static int
json_rcpt(struct buf *b, const struct rcpt *rc)
{
	int e = 0;

	e |= buf_addc(b, '{');
	e |= kv(b, "recipient", rc->addr, 0);
	e |= kv(b, "original_recipient", rc->orig_addr, 1);
	e |= kv(b, "action", rc->action, 1);
	e |= kv(b, "status", rc->status, 1);
	e |= kv(b, "reply_code", rc->reply, 1);
	e |= kv(b, "reason", rc->reason, 1);
	e |= buf_printf(b, ",\"hard\":%s", rc->hard ? "true" : "false");
	e |= kv(b, "cause", rc->cause, 1);
	e |= kv(b, "side", rc->side, 1);
	e |= kv(b, "hint", rc->hint, 1);
	e |= kv(b, "inner_cause", rc->inner_cause, 1);
	e |= kv(b, "remote_mta", rc->remote_mta, 1);
	e |= kv(b, "command", rc->command, 1);
	e |= kv(b, "diagnostic", rc->diag, 1);
	e |= kv(b, "last_attempt", rc->last_attempt, 1);
	if (rc->feedback_type && *rc->feedback_type)
		e |= kv(b, "feedback_type", rc->feedback_type, 1);
	e |= buf_adds(b, ",\"evidence\":{");
	e |= kv(b, "spf", rc->ev.spf, 0);
	e |= kv(b, "dkim", rc->ev.dkim, 1);
	e |= kv(b, "mx", rc->ev.mx, 1);
	e |= buf_adds(b, "}}");
	return (e ? -1 : 0);
}

int
json_report(struct buf *b, const struct report *r, const char *file)
{
	size_t i;
	int e = 0;

	e |= buf_addc(b, '{');
	e |= kv(b, "file", file, 0);
	e |= buf_printf(b, ",\"bounce\":%s", r->bounce ? "true" : "false");
	e |= kv(b, "kind", r->bounce ? r->kind : "", 1);
	e |= kv(b, "format", r->bounce ? r->format : "", 1);
	e |= kv(b, "reporting_mta", r->reporting_mta, 1);
	e |= buf_adds(b, ",\"original\":{");
	e |= kv(b, "message_id", r->orig.message_id, 0);
	e |= kv(b, "from", r->orig.from, 1);
	e |= kv(b, "to", r->orig.to, 1);
	e |= kv(b, "subject", r->orig.subject, 1);
	e |= kv(b, "envelope_id", r->orig.envelope_id, 1);
	e |= buf_adds(b, "},\"recipients\":[");
	for (i = 0; r->bounce && i < r->nrcpt; i++) {
		if (i)
			e |= buf_addc(b, ',');
		e |= json_rcpt(b, &r->rcpt[i]);
	}
	e |= buf_addc(b, ']');
	e |= kv(b, "error", r->error, 1);
	e |= buf_addc(b, '}');
	return (e ? -1 : 0);
}
