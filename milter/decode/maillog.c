/*
 * maillog.c - mail log lines and pasted SMTP replies as recipient
 *	records; see maillog.h
 *
 * SYNOPSIS
 *	void	maillog_init(struct maillog_rec *m, time_t now);
 *	int	maillog_parse(struct maillog_rec *m, const char *line,
 *		    size_t len);
 *	int	maillog_reply(struct maillog_rec *m, const char *text,
 *		    size_t len);
 *	int	maillog_fill(const struct maillog_rec *m, size_t i,
 *		    struct report *r);
 *	int	maillog_epoch(const char *iso, long long *t);
 *
 * DESCRIPTION
 *	A line is read in two steps: the syslog-style header (timestamp,
 *	host, "program[pid]:"), then the message by its markers: Postfix's
 *	"status=", Sendmail's "stat=", Exim's "**" and "==" after the
 *	message id.  Every field is copied, NUL-terminated, into the
 *	record's own buffer (twice the longest line), so a record needs no
 *	allocation and holds nothing of the line once parsed.  The fast
 *	path that finds the lines worth parsing is maillog_scan.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "maillog.h"

struct span {
	const char	*p;
	const char	*e;
};

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const int mdays[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273,
    304, 334 };

static inline int
dig(int c)
{
	return (c >= '0' && c <= '9');
}

static inline int
sp(int c)
{
	return (c == ' ' || c == '\t' || c == '\r');
}

/* Copy p[0..n) into the record's buffer; "" when it is full. */
static const char *
save(struct maillog_rec *m, const char *p, size_t n)
{
	char *w = m->w;

	if ((size_t)(m->sb + sizeof(m->sb) - w) < n + 1)
		return ("");
	memcpy(w, p, n);
	w[n] = '\0';
	m->w = w + n + 1;
	return (w);
}

static const char *
save_span(struct maillog_rec *m, struct span s)
{
	while (s.p < s.e && sp((unsigned char)*s.p))
		s.p++;
	while (s.e > s.p && sp((unsigned char)s.e[-1]))
		s.e--;
	return (save(m, s.p, (size_t)(s.e - s.p)));
}

/* The first n bytes at p equal s (case-insensitively with ci)? */
static int
at(const char *p, const char *e, const char *s, int ci)
{
	size_t n = strlen(s);

	if ((size_t)(e - p) < n)
		return (0);
	return (ci ? strncasecmp(p, s, n) == 0 : memcmp(p, s, n) == 0);
}

static const char *
find(const char *p, const char *e, const char *s)
{
	size_t n = strlen(s);

	if (p >= e || (size_t)(e - p) < n)
		return (NULL);
	return (memmem(p, (size_t)(e - p), s, n));
}

void
maillog_init(struct maillog_rec *m, time_t now)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	m->now_year = tm.tm_year + 1900;
	m->now_yday = tm.tm_yday;
	m->w = m->sb;
}

static void
rec_reset(struct maillog_rec *m)
{
	m->mta = m->time = m->host = m->queue_id = "";
	m->orig_rcpt = m->relay = m->rhost = m->dsn = "";
	m->action = m->reply = m->command = m->sender = "";
	m->nrcpt = 0;
	m->w = m->sb;
}

/* --- timestamps ------------------------------------------------------ */

/* "+hhmm", "+hh:mm" or "Z" at p: copied as "+hh:mm"/"Z"; the end. */
static const char *
zone(const char *p, const char *e, char *out, size_t *o)
{
	if (p < e && *p == 'Z') {
		out[(*o)++] = 'Z';
		return (p + 1);
	}
	if (p + 5 <= e && (*p == '+' || *p == '-') && dig(p[1]) &&
	    dig(p[2])) {
		if (dig(p[3]) && dig(p[4])) {
			memcpy(out + *o, p, 3);
			out[*o + 3] = ':';
			memcpy(out + *o + 4, p + 3, 2);
			*o += 6;
			return (p + 5);
		}
		if (p + 6 <= e && p[3] == ':' && dig(p[4]) && dig(p[5])) {
			memcpy(out + *o, p, 6);
			*o += 6;
			return (p + 6);
		}
	}
	return (p);
}

/* "YYYY-MM-DD?hh:mm:ss" at p (sep 'T' or ' ')? */
static int
iso_at(const char *p, const char *e, int sep)
{
	static const char pat[] = "dddd-dd-dd?dd:dd:dd";
	size_t i;

	if (e - p < 19)
		return (0);
	for (i = 0; i < 19; i++)
		if (pat[i] == 'd' ? !dig((unsigned char)p[i]) :
		    pat[i] == '?' ? p[i] != sep : p[i] != pat[i])
			return (0);
	return (1);
}

/*
 * An ISO 8601 stamp at p (date, sep, time, fraction, zone) into
 * m->time as "YYYY-MM-DDThh:mm:ss[.f][zone]"; returns its end.
 */
static const char *
iso_stamp(struct maillog_rec *m, const char *p, const char *e)
{
	char out[64];
	size_t o = 19, f;

	memcpy(out, p, 19);
	out[10] = 'T';
	p += 19;
	if (p < e && (*p == '.' || *p == ',') && p + 1 < e &&
	    dig((unsigned char)p[1])) {
		out[o++] = '.';
		for (p++, f = 0; p < e && dig((unsigned char)*p); p++)
			if (f++ < 9)
				out[o++] = *p;
	}
	if (e - p > 5 && *p == ' ' && (p[1] == '+' || p[1] == '-') &&
	    dig((unsigned char)p[2]) && dig((unsigned char)p[3]) &&
	    dig((unsigned char)p[4]) && dig((unsigned char)p[5]))
		p++;			/* Exim: " +hhmm" */
	p = zone(p, e, out, &o);
	m->time = save(m, out, o);
	return (p);
}

/* "Mmm dd hh:mm:ss" (day space-padded): into m->time; its end, or NULL. */
static const char *
syslog_stamp(struct maillog_rec *m, const char *p, const char *e)
{
	const char *mp;
	char out[64];
	int mon, day, year, yday;
	size_t o;

	if (e - p < 15 || p[3] != ' ' || !isupper((unsigned char)p[0]))
		return (NULL);
	for (mp = months; *mp; mp += 3)
		if (memcmp(mp, p, 3) == 0)
			break;
	if (*mp == '\0')
		return (NULL);
	mon = (int)(mp - months) / 3;
	p += 4;
	if (*p == ' ')
		p++;
	if (!dig((unsigned char)*p))
		return (NULL);
	day = *p++ - '0';
	if (dig((unsigned char)*p))
		day = day * 10 + (*p++ - '0');
	if (e - p < 9 || *p != ' ' || !dig((unsigned char)p[1]) ||
	    !dig((unsigned char)p[2]) || p[3] != ':' || p[6] != ':' ||
	    !dig((unsigned char)p[4]) || !dig((unsigned char)p[5]) ||
	    !dig((unsigned char)p[7]) || !dig((unsigned char)p[8]) ||
	    day < 1 || day > 31)
		return (NULL);
	/* no year: this year, unless that is more than a day ahead */
	year = m->now_year;
	yday = mdays[mon] + day - 1;
	if (yday > m->now_yday + 1)
		year--;
	o = (size_t)snprintf(out, sizeof(out), "%04d-%02d-%02dT%.8s",
	    year, mon + 1, day, p + 1);
	p += 9;
	if (p < e && *p == '.')
		for (out[o++] = *p++; p < e && dig((unsigned char)*p) &&
		    o < 40; p++)
			out[o++] = *p;
	m->time = save(m, out, o);
	return (p);
}

static struct span
token(const char *p, const char *e)
{
	struct span s;

	while (p < e && *p == ' ')
		p++;
	s.p = p;
	while (p < e && *p != ' ')
		p++;
	s.e = p;
	return (s);
}

/* "prog[pid]: " at p: its name in *prog; returns the message, or p. */
static const char *
tag(const char *p, const char *e, struct span *prog)
{
	struct span t = token(p, e);

	prog->p = prog->e = t.p;
	if (t.e == t.p || t.e[-1] != ':' || t.e >= e)
		return (p);
	prog->e = memchr(t.p, '[', (size_t)(t.e - t.p));
	if (prog->e == NULL)
		prog->e = t.e - 1;
	return (t.e + 1);
}

/*
 * The header of a log line: sets m->time and m->host, the program in
 * *prog; returns where the message starts.
 */
static const char *
header(struct maillog_rec *m, const char *p, const char *e,
    struct span *prog)
{
	const char *q;
	struct span t;
	int i;

	prog->p = prog->e = p;
	if (*p == '<') {		/* RFC 5424: <PRI>1 TS HOST APP PID MSGID SD */
		for (q = p + 1; q < e && dig((unsigned char)*q); q++)
			;
		if (q + 3 >= e || *q != '>' || q[1] != '1' || q[2] != ' ')
			return (p);
		q += 3;
		if (iso_at(q, e, 'T'))
			q = iso_stamp(m, q, e);
		t = token(q, e);	/* the stamp's rest or "-" */
		t = token(t.e, e);
		m->host = save_span(m, t);
		*prog = token(t.e, e);
		if (prog->e - prog->p == 1 && *prog->p == '-')
			prog->e = prog->p;
		t = token(prog->e, e);		/* procid */
		t = token(t.e, e);		/* msgid */
		q = t.e;
		while (q < e && *q == ' ')
			q++;
		if (q < e && *q == '[') {	/* structured data */
			while (q < e && *q == '[') {
				for (q++; q < e && *q != ']'; q++)
					if (*q == '\\' && q + 1 < e)
						q++;
				if (q < e)
					q++;
			}
		} else if (q < e && *q == '-')
			q++;
		if (q < e && *q == ' ')
			q++;
		if (e - q >= 3 && memcmp(q, "\xef\xbb\xbf", 3) == 0)
			q += 3;
		return (q);
	}
	if (iso_at(p, e, 'T')) {	/* journald short-iso, rsyslog */
		q = iso_stamp(m, p, e);
		t = token(q, e);
		m->host = save_span(m, t);
		return (tag(t.e, e, prog));
	}
	if (iso_at(p, e, ' ')) {	/* Exim's own log */
		q = iso_stamp(m, p, e);
		while (q < e && *q == ' ')
			q++;
		if (q < e && *q == '[') {	/* [pid] */
			for (i = 1; q + i < e && dig((unsigned char)q[i]); i++)
				;
			if (q + i < e && q[i] == ']')
				q += i + 1;
		}
		while (q < e && *q == ' ')
			q++;
		prog->p = "exim";
		prog->e = prog->p + 4;
		return (q);
	}
	if ((q = syslog_stamp(m, p, e)) != NULL) {
		t = token(q, e);
		m->host = save_span(m, t);
		return (tag(t.e, e, prog));
	}
	return (tag(p, e, prog));
}

/* --- reply text -------------------------------------------------------- */

/* The SMTP command a phrase names ("RCPT TO", "end of DATA"...). */
static const char *
command_of(const char *p, const char *e)
{
	while (p < e && *p == ' ')
		p++;
	if (at(p, e, "pipelined ", 1))
		p += 10;
	if (at(p, e, "RCPT", 1))
		return ("RCPT");
	if (at(p, e, "MAIL", 1))
		return ("MAIL");
	if (at(p, e, "end of data", 1) || at(p, e, "DATA", 1) ||
	    at(p, e, "BDAT", 1))
		return ("DATA");
	if (at(p, e, "EHLO", 1) || at(p, e, "HELO", 1) || at(p, e, "LHLO", 1))
		return ("HELO");
	if (at(p, e, "initial connection", 1) ||
	    at(p, e, "the initial server greeting", 1))
		return ("CONN");
	return ("");
}

/* A reply code "DDD " or "DDD-" (or DDD at the end) at p? */
static int
code_at(const char *p, const char *e)
{
	return (e - p >= 3 && (*p == '2' || *p == '4' || *p == '5') &&
	    dig((unsigned char)p[1]) && dig((unsigned char)p[2]) &&
	    (e - p == 3 || p[3] == ' ' || p[3] == '-'));
}

/* "host H[ip]" or "host H [ip]" at s.p: H into m->rhost; past it. */
static const char *
host_said(struct maillog_rec *m, const char *p, const char *e)
{
	const char *h = p + 5, *q;

	for (q = h; q < e && *q != '[' && *q != ' ' && *q != ':'; q++)
		;
	if (q > h)
		m->rhost = save(m, h, (size_t)(q - h));
	if (q < e && *q == ' ' && q + 1 < e && q[1] == '[')
		q++;
	if (q < e && *q == '[')
		while (q < e && *q != ']')
			q++;
	if (q < e && *q == ']')
		q++;
	return (q);
}

/*
 * Take the reply out of what wraps it, in place of *s: Postfix's "host
 * H said: R (in reply to C command)" and "host H refused to talk to me:
 * R", Exim's "SMTP error from remote mail server after C: [host H
 * [ip]: ]R".  Sets m->rhost and m->command where they say.
 */
static void
unwrap(struct maillog_rec *m, struct span *s)
{
	const char *p = s->p, *e = s->e, *q, *r;

	while (p < e && sp((unsigned char)*p))
		p++;
	while (e > p && sp((unsigned char)e[-1]))
		e--;
	/* "(in reply to C command)" at the end */
	if (e - p > 20 && e[-1] == ')' &&
	    (q = find(p, e, " (in reply to ")) != NULL) {
		while ((r = find(q + 1, e, " (in reply to ")) != NULL)
			q = r;
		if (at(e - 9, e, " command)", 0)) {
			m->command = command_of(q + 14, e);
			e = q;
		}
	}
	if (at(p, e, "delivery temporarily suspended: host ", 1) &&
	    find(p, e, " said: ") != NULL)
		p += 32;
	if (at(p, e, "host ", 1)) {
		q = host_said(m, p, e);
		if (at(q, e, " said: ", 0))
			p = q + 7;
		else if (at(q, e, " refused to talk to me: ", 0)) {
			p = q + 24;
			m->command = "CONN";
		}
	} else if (at(p, e, "SMTP error from remote mail", 1) &&
	    (q = find(p, e, " after ")) != NULL) {
		/* the reply: ": DDD" after the command */
		for (r = q + 7; (r = find(r, e, ": ")) != NULL; r += 2) {
			if (code_at(r + 2, e))
				break;
			if (at(r + 2, e, "host ", 1)) {
				const char *h = host_said(m, r + 2, e);

				if (at(h, e, ": ", 0) && code_at(h + 2, e)) {
					m->command = command_of(q + 7, r);
					p = h + 2;
					r = NULL;
					break;
				}
			}
		}
		if (r != NULL) {
			m->command = command_of(q + 7, r);
			p = r + 2;
		}
	}
	s->p = p;
	s->e = e;
}

/* The action a status or reply code implies: 4 delayed, else failed. */
static const char *
action_of(const char *dsn, const char *reply)
{
	if (dsn != NULL && (dsn[0] == '4' || dsn[0] == '5') && dsn[1] == '.')
		return (dsn[0] == '4' ? "delayed" : "failed");
	if (reply != NULL && code_at(reply, reply + strlen(reply)))
		return (reply[0] == '4' ? "delayed" : "failed");
	return ("failed");
}

/* --- the three MTAs ---------------------------------------------------- */

/* "QID: " at p: the queue id; the rest after it, or NULL. */
static const char *
queue_id(struct maillog_rec *m, const char *p, const char *e)
{
	const char *q;

	for (q = p; q < e && (isalnum((unsigned char)*q) || *q == '.' ||
	    *q == '-' || *q == '_'); q++)
		;
	if (q == p || q - p > 64 || !at(q, e, ": ", 0))
		return (NULL);
	m->queue_id = save(m, p, (size_t)(q - p));
	return (q + 2);
}

/* ", key=" in [p, e): the value's start, else NULL. */
static const char *
field(const char *p, const char *e, const char *key)
{
	const char *q = find(p, e, key);

	return (q != NULL ? q + strlen(key) : NULL);
}

/* A field value: up to ", " (or e). */
static struct span
value(const char *p, const char *e)
{
	struct span s;
	const char *q = find(p, e, ", ");

	s.p = p;
	s.e = q != NULL ? q : e;
	return (s);
}

/* A relay "host[ip]:port" (Postfix) or "host. [ip]" (Sendmail). */
static void
relay(struct maillog_rec *m, struct span v)
{
	const char *b, *c, *h;
	char tmp[1024];
	size_t hn, in;

	while (v.e > v.p && sp((unsigned char)v.e[-1]))
		v.e--;
	if (v.e == v.p || (v.e - v.p == 4 && memcmp(v.p, "none", 4) == 0))
		return;
	b = memchr(v.p, '[', (size_t)(v.e - v.p));
	h = b != NULL ? b : v.e;
	while (h > v.p && (h[-1] == ' ' || h[-1] == '.'))
		h--;
	hn = (size_t)(h - v.p);
	if (hn > 0)
		m->rhost = save(m, v.p, hn);
	if (b != NULL && (c = memchr(b, ']', (size_t)(v.e - b))) != NULL) {
		in = (size_t)(c + 1 - b);
		if (hn + in < sizeof(tmp)) {
			memcpy(tmp, v.p, hn);
			memcpy(tmp + hn, b, in);
			m->relay = save(m, tmp, hn + in);
			return;
		}
	}
	/* no address: a host name, or a transport (local, lmtp socket) */
	c = memchr(v.p, ':', (size_t)(v.e - v.p));
	m->relay = save(m, v.p, (size_t)((c != NULL ? c : v.e) - v.p));
}

static int
dsn_ok(struct span v)
{
	const char *p = v.p;
	int parts = 0, n;

	if (p >= v.e || (*p != '2' && *p != '4' && *p != '5'))
		return (0);
	while (p < v.e) {
		for (n = 0; p < v.e && dig((unsigned char)*p); p++)
			n++;
		if (n == 0 || n > 3)
			return (0);
		parts++;
		if (p < v.e && *p++ != '.')
			return (0);
	}
	return (parts == 3 && v.e[-1] != '.');
}

/* Postfix: QID: to=<a>, [orig_to=<b>,] relay=R, ..., dsn=D, status=S (T) */
static int
postfix(struct maillog_rec *m, const char *p, const char *e)
{
	const char *q, *st, *v, *open;
	struct span s;

	if ((p = queue_id(m, p, e)) == NULL || !at(p, e, "to=<", 0))
		return (MAILLOG_SKIP);
	p += 4;
	if ((q = memchr(p, '>', (size_t)(e - p))) == NULL)
		return (MAILLOG_BAD);
	m->rcpt[0] = save(m, p, (size_t)(q - p));
	m->nrcpt = 1;
	if ((st = find(q, e, ", status=")) == NULL)
		return (MAILLOG_SKIP);
	v = st + 9;
	if (at(v, e, "bounced", 0))
		m->action = "failed", v += 7;
	else if (at(v, e, "deferred", 0))
		m->action = "delayed", v += 8;
	else if (at(v, e, "expired", 0))
		m->action = "failed", v += 7;
	else
		return (MAILLOG_SKIP);
	if ((v = field(q, st, ", orig_to=<")) != NULL &&
	    (s.e = memchr(v, '>', (size_t)(st - v))) != NULL) {
		s.p = v;
		m->orig_rcpt = save_span(m, s);
	}
	if ((v = field(q, st + 2, ", relay=")) != NULL)
		relay(m, value(v, st + 2));
	if ((v = field(q, st + 2, ", dsn=")) != NULL) {
		s = value(v, st + 2);
		if (dsn_ok(s))
			m->dsn = save_span(m, s);
	}
	/* the text in parentheses: to the last ')' of the line */
	while (e > st && sp((unsigned char)e[-1]))
		e--;
	if ((open = find(st + 9, e, " (")) == NULL) {
		m->reply = "";
		return (MAILLOG_OK);
	}
	if (e[-1] != ')')
		return (MAILLOG_BAD);		/* cut short */
	s.p = open + 2;
	s.e = e - 1;
	unwrap(m, &s);
	m->reply = save_span(m, s);
	return (MAILLOG_OK);
}

/* Sendmail: QID: to=a,b, ..., relay=h. [ip], dsn=D, stat=TEXT */
static int
sendmail(struct maillog_rec *m, const char *p, const char *e)
{
	const char *st, *v, *q, *a;
	struct span s, to;

	if ((p = queue_id(m, p, e)) == NULL || !at(p, e, "to=", 0))
		return (MAILLOG_SKIP);
	if ((st = find(p, e, ", stat=")) == NULL)
		return (MAILLOG_SKIP);
	to = value(p + 3, st);
	v = st + 7;
	while (e > v && sp((unsigned char)e[-1]))
		e--;
	if (at(v, e, "Sent", 1) || at(v, e, "queued", 1) ||
	    at(v, e, "done", 1))
		return (MAILLOG_SKIP);
	if ((q = field(p, st + 2, ", dsn=")) != NULL) {
		s = value(q, st + 2);
		if (dsn_ok(s))
			m->dsn = save_span(m, s);
	}
	if (m->dsn[0] == '2')
		return (MAILLOG_SKIP);
	if (at(v, e, "Deferred", 1)) {
		m->action = "delayed";
		v += 8;
		if (at(v, e, ": ", 0))
			v += 2;
	} else
		m->action = m->dsn[0] == '4' ? "delayed" : "failed";
	if ((q = field(p, st + 2, ", relay=")) != NULL)
		relay(m, value(q, st + 2));
	/* the recipients: a,<b>,"c d" */
	for (a = to.p; a < to.e && m->nrcpt < MAILLOG_RCPT_MAX; a = q + 1) {
		int quote = 0;

		for (q = a; q < to.e && (quote || *q != ','); q++)
			if (*q == '"')
				quote = !quote;
		s.p = a;
		s.e = q;
		while (s.p < s.e && (*s.p == '<' || *s.p == ' '))
			s.p++;
		while (s.e > s.p && (s.e[-1] == '>' || s.e[-1] == ' '))
			s.e--;
		if (s.e > s.p)
			m->rcpt[m->nrcpt++] = save_span(m, s);
	}
	if (m->nrcpt == 0)
		return (MAILLOG_BAD);
	s.p = v;
	s.e = e;
	unwrap(m, &s);
	m->reply = save_span(m, s);
	return (MAILLOG_OK);
}

/* Exim: ID ** addr [<parent>] [fields]: text, or ID == addr ...: text */
static int
exim(struct maillog_rec *m, const char *p, const char *e)
{
	const char *q, *h, *colon;
	struct span s;
	int dashes = 0;

	for (q = p; q < e && (isalnum((unsigned char)*q) || *q == '-'); q++)
		dashes += *q == '-';
	if (q - p < 14 || q - p > 40 || dashes < 2 || e - q < 5 ||
	    q[0] != ' ' || q[3] != ' ' ||
	    !((q[1] == '*' && q[2] == '*') || (q[1] == '=' && q[2] == '=')))
		return (MAILLOG_SKIP);
	m->queue_id = save(m, p, (size_t)(q - p));
	m->action = q[1] == '*' ? "failed" : "delayed";
	p = q + 4;
	for (q = p; q < e && *q != ' ' && !(*q == ':' && (q + 1 == e ||
	    q[1] == ' ')); q++)
		;
	if (q == p)
		return (MAILLOG_BAD);
	s.p = p;
	s.e = q;
	if (*s.p == '<' && s.e[-1] == '>')
		s.p++, s.e--;
	m->rcpt[0] = save_span(m, s);
	m->nrcpt = 1;
	colon = find(q, e, ": ");
	if (colon == NULL && e > q && e[-1] == ':')
		colon = e - 1;
	if ((h = find(q, colon != NULL ? colon : e, " H=")) != NULL) {
		const char *b;

		s = token(h + 3, e);
		if (s.e + 2 < e && s.e[1] == '[' &&
		    (b = memchr(s.e, ']', (size_t)(e - s.e))) != NULL)
			s.e = b + 1;
		relay(m, s);
	}
	if (colon == NULL) {
		m->reply = "";
		return (MAILLOG_OK);
	}
	/*
	 * Exim logs no status.  Where its error is one Postfix logs with a
	 * status of its own, say that: a network error of the connection
	 * ("defer (110)": errno) is 4.4.1, the end of retrying 4.4.7.
	 */
	if ((h = find(q, colon, " defer (")) != NULL) {
		int err = atoi(h + 8);

		if (err == 101 || err == 104 || err == 110 || err == 111 ||
		    err == 112 || err == 113)
			m->dsn = "4.4.1";
	}
	s.p = colon + 1;
	s.e = e;
	unwrap(m, &s);
	if (s.e - s.p == 22 && memcmp(s.p, "retry timeout exceeded", 22) == 0)
		m->dsn = "4.4.7";
	m->reply = save_span(m, s);
	return (MAILLOG_OK);
}

/* "QID: from=<s>, size=" (Postfix, Sendmail) or "ID <= s " (Exim). */
static int
sender_line(struct maillog_rec *m, const char *p, const char *e)
{
	const char *q, *a;
	int dashes = 0;

	if ((q = queue_id(m, p, e)) != NULL && at(q, e, "from=<", 0)) {
		a = q + 6;
		if ((q = memchr(a, '>', (size_t)(e - a))) == NULL ||
		    !at(q, e, ">, size=", 0))
			return (MAILLOG_SKIP);
		m->sender = save(m, a, (size_t)(q - a));
		return (MAILLOG_SENDER);
	}
	for (q = p; q < e && (isalnum((unsigned char)*q) || *q == '-'); q++)
		dashes += *q == '-';
	if (q - p < 14 || q - p > 40 || dashes < 2 || !at(q, e, " <= ", 0))
		return (MAILLOG_SKIP);
	m->queue_id = save(m, p, (size_t)(q - p));
	a = q + 4;
	for (q = a; q < e && *q != ' '; q++)
		;
	m->sender = save(m, a, (size_t)(q - a));
	if (strcmp(m->sender, "<>") == 0)
		m->sender = "";
	return (MAILLOG_SENDER);
}

int
maillog_parse(struct maillog_rec *m, const char *line, size_t len)
{
	const char *e = line + len, *p;
	struct span prog;
	int rc;

	rec_reset(m);
	while (e > line && (e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if (len > MAILLOG_LINE_MAX || memchr(line, '\0', len) != NULL)
		return (MAILLOG_BAD);
	if (e == line)
		return (MAILLOG_SKIP);
	p = header(m, line, e, &prog);
	if ((rc = sender_line(m, p, e)) == MAILLOG_SENDER) {
		m->mta = "";
		return (rc);
	}
	if (find(p, e, ", status=") != NULL) {
		m->mta = "postfix";
		rc = postfix(m, p, e);
	} else if (find(p, e, ", stat=") != NULL) {
		m->mta = "sendmail";
		rc = sendmail(m, p, e);
	} else {
		m->mta = "exim";
		rc = exim(m, p, e);
	}
	(void)prog;
	return (rc);
}

int
maillog_reply(struct maillog_rec *m, const char *text, size_t len)
{
	const char *p = text, *e = text + len;
	char *w, *o;
	struct span s;
	int space = 0;

	rec_reset(m);
	if (len > MAILLOG_LINE_MAX)
		e = text + MAILLOG_LINE_MAX;
	/* one line: runs of white space (line ends too) become one space */
	o = w = m->w;
	for (; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\0' || c == '\r' || c == '\n' || c == '\t' ||
		    c == ' ') {
			space = o != w;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = (char)c;
	}
	*o = '\0';
	m->w = o + 1;
	s.p = w;
	s.e = o;
	/* the recipient before it: "<a@b>: " (Postfix) or "<a@b>... " */
	if (s.p < s.e && *s.p == '<' && (p = memchr(s.p, '>',
	    (size_t)(s.e - s.p))) != NULL && (at(p + 1, s.e, ": ", 0) ||
	    at(p + 1, s.e, "... ", 0)))
		s.p = p + (p[1] == ':' ? 3 : 5);
	if (at(s.p, s.e, "Diagnostic-Code:", 1))
		s.p += 16;
	while (s.p < s.e && *s.p == ' ')
		s.p++;
	if (at(s.p, s.e, "smtp;", 1))
		s.p += 5;
	else if (at(s.p, s.e, "X-Postfix;", 1))
		s.p += 10;
	if (at(s.p, s.e, "Remote host said: ", 1))
		s.p += 18;
	unwrap(m, &s);
	if (s.e <= s.p)
		return (MAILLOG_BAD);
	m->reply = save_span(m, s);
	m->action = action_of(NULL, m->reply);
	if (!code_at(m->reply, m->reply + strlen(m->reply))) {
		/* no reply code: the class of the first status in it */
		for (p = m->reply; (p = strpbrk(p, "45")) != NULL; p++)
			if (p[1] == '.' && dig((unsigned char)p[2]) &&
			    (p == m->reply || p[-1] == ' ')) {
				m->action = *p == '4' ? "delayed" : "failed";
				break;
			}
	}
	m->rcpt[0] = "";
	m->nrcpt = 1;
	return (MAILLOG_OK);
}

int
maillog_fill(const struct maillog_rec *m, size_t i, struct report *r)
{
	struct arena *a = r->a;
	struct rcpt *rc;
	struct span s;

	if (i >= m->nrcpt || (rc = report_add_rcpt(r)) == NULL)
		return (-1);
	r->bounce = 1;
	r->kind = "dsn";
	r->format = m->mta;
	r->reporting_mta = arena_strdup(a, m->host);
	r->orig.queue_id = arena_strdup(a, m->queue_id);
	rc->addr = arena_strdup(a, m->rcpt[i]);
	rc->orig_addr = arena_strdup(a, m->orig_rcpt[0] && i == 0 ?
	    m->orig_rcpt : m->rcpt[i]);
	rc->action = m->action[0] ? m->action : action_of(m->dsn, m->reply);
	s.p = m->dsn;
	s.e = m->dsn + strlen(m->dsn);
	if (dsn_ok(s) && (size_t)(s.e - s.p) < sizeof(rc->status))
		memcpy(rc->status, m->dsn, (size_t)(s.e - s.p) + 1);
	rc->diag = arena_strdup(a, m->reply);
	rc->remote_mta = arena_strdup(a, m->rhost);
	rc->command = m->command;
	rc->last_attempt = arena_strdup(a, m->time);
	rc->feedback_type = "";
	rc->ev.spf = rc->ev.dkim = rc->ev.mx = "skipped";
	if (m->sender != NULL && *m->sender != '\0' &&
	    (r->orig.from = arena_strdup(a, m->sender)) == NULL)
		r->orig.from = "";
	rc->ev.note = "";
	if (r->reporting_mta == NULL || r->orig.queue_id == NULL ||
	    rc->addr == NULL || rc->orig_addr == NULL || rc->diag == NULL ||
	    rc->remote_mta == NULL || rc->last_attempt == NULL) {
		r->error = "out of memory for this line";
		return (-1);
	}
	return (0);
}

int
maillog_epoch(const char *s, long long *t)
{
	const char *e = s + strlen(s), *p;
	struct tm tm;
	long off = 0;
	int haszone = 0;
	time_t v;

	if (!iso_at(s, e, 'T') && !iso_at(s, e, ' '))
		return (-1);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	for (p = s + 19; p < e && (*p == '.' || dig((unsigned char)*p)); p++)
		;
	if (p < e && *p == 'Z')
		haszone = 1;
	else if (p + 3 <= e && (*p == '+' || *p == '-')) {
		off = atol(p + 1) * 3600;
		if (p + 6 <= e && p[3] == ':')
			off += atol(p + 4) * 60;
		if (*p == '-')
			off = -off;
		haszone = 1;
	}
	if (haszone) {
		if ((v = timegm(&tm)) == (time_t)-1)
			return (-1);
		*t = (long long)v - off;
	} else {
		tm.tm_isdst = -1;
		if ((v = mktime(&tm)) == (time_t)-1)
			return (-1);
		*t = (long long)v;
	}
	return (0);
}
