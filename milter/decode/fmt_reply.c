/*
 * fmt_reply.c - a person's reply that quotes a delivery notice
 *
 * SYNOPSIS
 *	int	fmt_person_reply(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	fmt_person_reply() says whether the message is a person's reply
 *	(RE: Fw: Undeliverable: ...) that quotes a whole notice in its
 *	text, DSN field lines included: no bounce, although the quoted
 *	notice would parse as one.  All of these must hold:
 *
 *	1. no delivery-status or feedback-report part (a mail system's
 *	   notice has one, or no person wrote it);
 *	2. the Subject starts with a reply prefix (RE:, AW:, SV:, VS:,
 *	   Antw:, Odp:, RES:, R:, Ynt:, RIF:, Απ:, 回复: and the like;
 *	   "Re[2]:" too), not only a forward (Fw:, WG:, TR:);
 *	3. no Auto-Submitted other than "no", and no null Return-Path;
 *	4. the text quotes another message the way mail clients do: a
 *	   separator line ("-----Original Message-----" in the major
 *	   languages, "-------- Forwarded Message --------"), an
 *	   attribution line ("On ... wrote:", "Am ... schrieb ...:"), or
 *	   an Outlook header block ("From: ..." then "Sent: ..." within
 *	   two lines), before the quoted notice's first DSN field.
 *
 *	A notice some MTA sends with a "Re:" Subject has no such quote
 *	above its own fields; a forward (Fw:) of a notice stays a bounce.
 */
#include <string.h>

#include "fmt.h"

#define REPLY_SCAN_MAX	(64u * 1024)	/* bytes of text looked at */

/* Reply prefixes, lower case; the Subject's first word before ':'. */
static const char *const prefixes[] = {
	"re", "aw", "sv", "vs", "antw", "antwort", "odp", "res", "r", "ynt",
	"rif", "ref", "atb", "vá", "απ", "ответ", "回复", "答复", "回覆",
	NULL
};

/* Separator lines, lower case, the dashes around them left out. */
static const char *const separators[] = {
	"original message", "ursprüngliche nachricht", "message d'origine",
	"mensaje original", "messaggio originale", "oorspronkelijk bericht",
	"originalmeddelande", "opprinnelig melding", "oprindelig meddelelse",
	"alkuperäinen viesti", "oryginalna wiadomość", "mensagem original",
	"původní zpráva", "исходное сообщение", "forwarded message",
	"weitergeleitete nachricht", "message transféré", "mensaje reenviado",
	"messaggio inoltrato", "doorgestuurd bericht", "vidarebefordrat meddelande",
	"mensagem encaminhada", NULL
};

/* Words that end an attribution line ("... wrote:"). */
static const char *const wrote[] = {
	"wrote", "schrieb", "a écrit", "escribió", "ha scritto", "schreef",
	"escreveu", "skrev", "napisał", "написал", "kirjoitti", "napsal",
	NULL
};

/* The two lines of an Outlook quote header: "From:" then "Sent:". */
static const char *const hdr_from[] = {
	"from:", "von:", "de:", "de :", "da:", "van:", "från:", "fra:", "od:",
	"от:", "lähettäjä:", NULL
};
static const char *const hdr_sent[] = {
	"sent:", "gesendet:", "envoyé :", "envoyé:", "enviado:", "enviado el:",
	"inviato:", "verzonden:", "skickat:", "sendt:", "wysłano:",
	"отправлено:", "lähetetty:", "date:", "datum:", NULL
};

static int
lower(int ch)
{
	return (ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
}

/* Does s[0..n) start with w (ASCII case ignored)? */
static int
starts(const char *s, size_t n, const char *w)
{
	size_t i, k = strlen(w);

	if (k > n)
		return (0);
	for (i = 0; i < k; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)w[i]))
			return (0);
	return (1);
}

static int
starts_any(const char *s, size_t n, const char *const *v)
{
	for (; *v != NULL; v++)
		if (starts(s, n, *v))
			return (1);
	return (0);
}

static int
reply_subject(const char *s)
{
	const char *const *p;
	const char *e;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	/* the first word: up to ':', '[' or '(' ("Re[2]:"), at most 12 bytes */
	n = strcspn(s, ":[( \t\xef");
	if (n == 0 || n > 12)
		return (0);
	e = s + n;
	if (*e == '[' || *e == '(') {
		e += strcspn(e, "])");
		if (*e != '\0')
			e++;
	}
	while (*e == ' ')
		e++;
	/* ':' or the full-width colon U+FF1A */
	if (*e != ':' && strncmp(e, "\xef\xbc\x9a", 3) != 0)
		return (0);
	for (p = prefixes; *p != NULL; p++)
		if (strlen(*p) == n && starts(s, n, *p))
			return (1);
	return (0);
}

static int
separator(const char *l, size_t n)
{
	size_t d;

	for (d = 0; d < n && (l[d] == '-' || l[d] == '_' || l[d] == ' ' ||
	    l[d] == '='); d++)
		;
	if (d < 2)
		return (0);
	return (starts_any(l + d, n - d, separators));
}

static int
attribution(const char *l, size_t n)
{
	const char *const *w;
	size_t k;

	while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	if (n < 8 || l[n - 1] != ':' || l[0] == '>')
		return (0);
	n--;
	for (w = wrote; *w != NULL; w++) {
		k = strlen(*w);
		if (n > k && l[n - k - 1] == ' ' && starts(l + n - k, k, *w))
			return (1);
	}
	/* "... wrote the following:" and the like: the word inside */
	for (w = wrote; *w != NULL; w++)
		if (fmt_strcasestr(l, n, *w) && n < 200 &&
		    (starts(l, n, "on ") || starts(l, n, "am ") ||
		    starts(l, n, "le ") || starts(l, n, "el ")))
			return (1);
	return (0);
}

/* Skip a quote prefix ("> > ") and blanks. */
static void
unquote(const char **l, size_t *n)
{
	while (*n > 0 && (**l == '>' || **l == ' ' || **l == '\t')) {
		(*l)++;
		(*n)--;
	}
}

int
fmt_person_reply(struct fmt_ctx *c)
{
	const char *p, *end, *l, *v;
	size_t n, scan;
	int from = 0, seen = 0;

	if (c == NULL || c->dsn != NULL || c->arf != NULL || c->text == NULL ||
	    c->textlen == 0 || c->subject == NULL ||
	    !reply_subject(c->subject))
		return (0);
	if ((v = fmt_header(c->root, "Auto-Submitted")) != NULL) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (!starts(v, strlen(v), "no"))
			return (0);
	}
	if ((v = fmt_header(c->root, "Return-Path")) != NULL &&
	    strstr(v, "<>") != NULL)
		return (0);
	scan = c->textlen < REPLY_SCAN_MAX ? c->textlen : REPLY_SCAN_MAX;
	p = c->text;
	end = c->text + scan;
	while (fmt_next_line(&p, end, &l, &n)) {
		unquote(&l, &n);
		/* the quoted notice's fields come after the quote marker */
		if (starts(l, n, "final-recipient:") ||
		    starts(l, n, "reporting-mta:"))
			return (seen);
		if (separator(l, n) || attribution(l, n))
			seen = 1;
		if (from > 0) {
			if (starts_any(l, n, hdr_sent))
				seen = 1;
			from--;
		}
		if (starts_any(l, n, hdr_from))
			from = 2;
	}
	return (seen);
}
