/*
 * json.c - one small JSON writer for the bounce-decode contract; see json.h
 */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json.h"
#include "utf8.h"

/*
 * Bytes that are copied as they are: printable ASCII but '"' and '\\'.
 * The rest (controls, DEL, quote, backslash, and bytes >= 0x80, which
 * are checked for UTF-8) end a span.
 */
static const unsigned char plain[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* " */
	['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['@'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['P'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* \ */
	['`'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['p'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,	/* DEL */
};

#ifdef __SSE2__
/* How many of the n bytes at p are plain, sixteen at a time (a lower
 * bound: the rest is for the byte loop). */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	/* signed: "< 0x20" also catches the bytes >= 0x80 */
	const __m128i sp = _mm_set1_epi8(0x20), quo = _mm_set1_epi8('"');
	const __m128i bsl = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f);
	__m128i v;
	size_t i;
	int m;

	for (i = 0; n - i >= 16; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmplt_epi8(v, sp), _mm_cmpeq_epi8(v, quo)),
		    _mm_or_si128(_mm_cmpeq_epi8(v, bsl),
		    _mm_cmpeq_epi8(v, del))));
		if (m != 0)
			return (i + (size_t)__builtin_ctz((unsigned)m));
	}
	return (i);
}
#endif

/*
 * Output is written in place: the room for the worst case (6 bytes per
 * input byte, "\u00XX") is reserved first, then spans are copied.
 * str_at() writes the quoted s[0, n) at o and returns the end.
 */
static char *
str_at(char *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *q;
	const unsigned char *e = p + n;
	size_t k;

	*o++ = '"';
	while (p < e) {
		q = p;
#ifdef __SSE2__
		q += plain_run(p, (size_t)(e - p));
#endif
		for (; plain[*q]; q++)
			;
		if (q > p) {
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
			continue;
		}
		if (*p >= 0x80) {
			if ((k = utf8_seqlen(p)) == 0) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				p++;
			} else {
				memcpy(o, p, k);
				o += k;
				p += k;
			}
			continue;
		}
		*o++ = '\\';
		switch (*p) {
		case '"':  *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
		}
		p++;
	}
	*o++ = '"';
	*o = '\0';
	return (o);
}

int
json_string(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > (SIZE_MAX - 2) / 6 || buf_reserve(b, 6 * n + 2) == -1)
		return (-1);
	b->len = (size_t)(str_at(b->p + b->len, s, n) - b->p);
	return (0);
}

/* ,"key":"val" (keys are plain ASCII literals: no escaping needed) */
#define kv(b, key, val, comma)	kvn((b), (key), sizeof(key) - 1, (val), \
				    (comma))

/*
 * One reservation for the key and the worst case of the value.  Inline:
 * the key is a constant at each call, so its copy is a few moves.
 */
static inline int
kvn(struct buf *b, const char *key, size_t kl, const char *val, int comma)
{
	size_t n = val != NULL ? strlen(val) : 0;
	char *o;

	if (n > (SIZE_MAX - 2) / 6 - kl - 4)
		return (-1);
	if (b->cap - b->len <= kl + 4 + 6 * n + 2 &&
	    buf_reserve(b, kl + 4 + 6 * n + 2) == -1)
		return (-1);
	o = b->p + b->len;
	if (comma)
		*o++ = ',';
	*o++ = '"';
	memcpy(o, key, kl);
	o += kl;
	*o++ = '"';
	*o++ = ':';
	if (n == 0) {
		*o++ = '"';
		*o++ = '"';
		*o = '\0';
	} else
		o = str_at(o, val, n);
	b->len = (size_t)(o - b->p);
	return (0);
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
	e |= buf_adds(b, rc->hard ? ",\"hard\":true" : ",\"hard\":false");
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
	e |= buf_adds(b, r->bounce ? ",\"bounce\":true" : ",\"bounce\":false");
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
