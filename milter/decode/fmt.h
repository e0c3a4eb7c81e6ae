/*
 * fmt.h - internal interface between the format engine and the parsers
 *
 * OWNERS
 *	The first parser engineer owns the engine and these files: format.c,
 *	fmt_load.c, fmt_html.c,
 *	fmt.h, fmt_util.c, fmt_rx.c, fmt_codes.c, fmt_rcpt.c,
 *	fmt_rfc3464.c, fmt_text.c, fmt_report.c (ARF,
 *	RFC 3834), fmt_json.[ch], fmt_amazonses.c, fmt_hooks.c (one line per
 *	hook may be added by anyone), tests/unit/test_format.c, and the
 *	families rfc3464, arf, rfc3834 and rules/formats/{postfix, sendmail,
 *	exim, mailru, dragonfly, qmail, amazonses, gmail, googlegroups,
 *	yahoo, opensmtpd, v5sendmail, x2, exchange2003, zoho, ezweb}.fmt.
 *	Every other family belongs to whoever adds its rules/formats/ file
 *	and, when data cannot say it, its own milter/fmt_<family>.c with one
 *	line in fmt_hooks[] (fmt_hooks.c).  Change the engine or the
 *	directive language only through its owner.
 *
 * SYNOPSIS
 *	Engine (fmt_load.c, format.c):
 *	int	format_table_load(struct rules *rules, char *err, size_t errlen);
 *	int	format_parse(const struct rules *rules, struct report *r);
 *
 *	Parsers, each int f(struct fmt_ctx *c), return the number of
 *	recipients added (>= 0), or -1 when a limit stopped the work:
 *	fmt_rfc3464_parse()	the delivery-status part c->dsn
 *	fmt_rfc3464_text()	DSN fields written as plain text in c->text
 *	fmt_text_parse()	the generic text engine driven by c->fam
 *	fmt_arf_parse()		message/feedback-report (c->arf)
 *	fmt_rfc3834_parse()	auto-replies
 *	fmt_fallback_parse()	free-text notices no family knows
 *				(rules/lang/, fmt_fallback.c and the files
 *				of fmt_fb.h)
 *
 * DESCRIPTION
 *	format_parse() prepares one struct fmt_ctx per message: the parts
 *	that matter (delivery-status, feedback-report, returned original),
 *	the human-readable text of the report (c->text: every text part
 *	outside the returned original, in order, UTF-8, LF line ends; a
 *	text/html part only when there is no text/plain, with its tags
 *	removed), and the decoded Subject and From.  Then it picks the
 *	family: the first rules/formats/ family (in `order`) whose
 *	detection matches, and runs, in this order:
 *
 *	1. ARF when there is a message/feedback-report part (or a Microsoft
 *	   JMRP complaint);
 *	2. the RFC 3464 parser when there is a delivery-status part, or
 *	   when the text holds DSN fields (a report without MIME structure,
 *	   or forwarded and quoted), then the family's text rules to fill
 *	   in what the DSN left out;
 *	3. the family's text rules (or its C hook) otherwise; when they
 *	   find no recipient, those of the next family that matches;
 *	4. RFC 3834 auto-reply detection;
 *	5. the fallback (fmt_fallback.c): failed addresses next to the
 *	   failure phrases of rules/lang/ in the notice, behind a
 *	   confidence gate; or a report known from its headers alone.
 *	A report whose notice is a challenge-response request (rules/lang/
 *	`challenge`) is no bounce.
 *
 * FAMILY FILES (rules/formats/NAME.fmt)
 *	One directive per line: a keyword, white space, the argument.
 *	Blank lines and lines starting with # are ignored.  REGEX is a
 *	PCRE2 pattern in the one dialect of every rules file (rulefile.h,
 *	rules/README: UTF-8 mode, multiline, write (?i) for
 *	case-insensitive), compiled once at load.  An error is reported "FILE:LINE: message".
 *
 *	family ID		lower-case family id (r->format); required first
 *	kind dsn|arf|autoreply	default dsn
 *	order N			detection order, lower first (default 50)
 *	hook NAME		C hook from fmt_hooks[] (see below)
 *	header NAME REGEX	detection: +1 when header NAME matches
 *	body REGEX		detection: +1 when a line of the text matches
 *	need N			detection threshold (default 1)
 *	scope any|text|dsn	consider the family only for messages
 *				without (text) or with (dsn) a delivery-
 *				status part; default any
 *	veto-header NAME REGEX	detection fails when header NAME matches
 *	veto-body REGEX		detection fails when a text line matches
 *	begin REGEX		error section starts at a matching line (may
 *				repeat; without begin the section starts at
 *				the first line)
 *	end REGEX		error section ends (recipient lines stop)
 *	original REGEX		the inline returned original starts here
 *	rcpt REGEX		a recipient line; named groups: addr
 *				(required), diag, status, reply, rhost, cmd
 *	diag REGEX		a diagnostic line for the current recipient
 *				(group diag, else the whole line)
 *	shared REGEX		a diagnostic line for every recipient that
 *				has none (only where no recipient line is
 *				open: before the first, or after `cont`
 *				closed the last)
 *	pre REGEX		a line kept for the next recipient line and
 *				added to its diagnostic (a transcript's
 *				"<<< 550 ..." before "... User unknown")
 *	transcript REGEX	a remote server's reply in a session transcript
 *				(group diag): the distinct ones, joined,
 *				replace a recipient's diagnostic when longer
 *				and that states no enhanced status
 *	skip REGEX		a line to ignore
 *	cont none|indent|para|all
 *				what follows a recipient line: none, only
 *				indented lines, lines up to a blank line
 *				(default), everything up to the next
 *				recipient
 *	rcpt-header NAME	fallback recipients from a header of the
 *				bounce (X-Failed-Recipients), comma-separated,
 *				when the section was found but no rcpt line
 *	rcpt-original NAME	fallback recipient from a header of the
 *				returned original (To), likewise
 *	rhost REGEX		group rhost, searched in the diagnostic
 *	command REGEX		group cmd (HELO MAIL RCPT DATA ...), ditto
 *	reply REGEX		group reply: the family's own reply code
 *	status REGEX		group status: the family's own status
 *	hint REASON REGEX	reason_hint when the diagnostic matches
 *	action WORD		action for recipients (default failed;
 *				delayed when status class is 4)
 *	delayed REGEX		action delayed when the diagnostic or the
 *				Subject matches
 *				(the MTA is still retrying, or gave up on a
 *				temporary error)
 *
 * HOOKS
 *	A family's `hook NAME` refers to an entry of fmt_hooks[] (fmt_hooks.c):
 *	detect, when set, decides detection instead of (when the family has
 *	no header/body lines) or in addition to the data; parse, when set,
 *	runs instead of the text engine (it may call fmt_text_parse()
 *	itself); fixup runs last on every recipient list the family
 *	produced, DSN or text.  All get the context; all must stay within
 *	the arena and bounded loops.
 */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>
#include <string.h>

#include "format.h"
#include "mime.h"
#include "report.h"
#include "rules.h"

#define FMT_MAX_DSN	16	/* delivery-status parts read per message */

#define FMT_HBUCKETS	64	/* header name hash (format_table) */

struct fmt_rx;				/* a compiled PCRE2 pattern */
struct fmt_lang;			/* rules/lang/ (fmt_lang.c, fmt_fb.h) */
struct litscan;
struct rxlit;
struct vocab;				/* the reasons (vocab.h) */

/* A list of patterns of one directive. */
struct fmt_rxv {
	struct fmt_rx	**v;
	char		**arg;		/* header name or reason, or NULL */
	int		*hid;		/* header lists: the name's index in
					   the table's hname, FMT_HID_* */
	int		*ltag;		/* Subject and From: the tag of the
					   pattern's literals in the table's
					   scan, or -1 */
	size_t		 n;
};

#define FMT_HID_SUBJECT	(-1)	/* the decoded Subject (c->subject) */
#define FMT_HID_FROM	(-2)	/* the decoded From (c->from) */

enum fmt_cont { FC_PARA, FC_NONE, FC_INDENT, FC_ALL };
enum fmt_scope { FS_ANY, FS_TEXT, FS_DSN };

/* One rules/formats/NAME.fmt file, loaded. */
struct fmt_family {
	char		*id;
	char		*file;
	const char	*kind;		/* dsn arf autoreply */
	const char	*action;	/* or NULL */
	int		 order;
	int		 need;
	int		 scope;		/* FS_ANY, FS_TEXT, FS_DSN */
	enum fmt_cont	 cont;
	const struct fmt_hook *hook;
	struct fmt_rxv	 header, body, veto_header, veto_body;
	struct fmt_rxv	 begin, end, original, rcpt, diag, shared, skip, pre;
	struct fmt_rxv	 transcript;
	struct fmt_rxv	 rhost, command, reply, status, hint, delayed;
	char		*rcpt_header;
	char		*rcpt_original;
};

struct format_table {
	struct fmt_family **fam;	/* sorted by order, then id */
	size_t		 n;
	char		**hname;	/* header names the families test */
	size_t		*hnamelen;
	size_t		 nhname;
	struct litscan	*scan[2];	/* literals of the Subject and From
					   patterns (litscan.h) */
	unsigned	 ntag[2];
	/* hname as a hash table: a bucket's first name, the next */
	int		 hbucket[FMT_HBUCKETS];
	int		*hchain;
	struct fmt_lang	*lang;		/* the fallback's phrases, or NULL */
};

struct fmt_ctx {
	const struct rules	*rules;
	const struct fmt_family	*fam;	/* detected family, or NULL */
	struct report		*r;
	struct arena		*a;
	const struct mime_part	*root;
	const struct mime_part	*dsn;	/* message/(global-)delivery-status */
	const struct mime_part	*dsns[FMT_MAX_DSN];	/* all of them */
	size_t			 ndsn;
	const struct mime_part	*arf;	/* message/feedback-report */
	const struct mime_part	*orig;	/* returned original (embedded) */
	const char		*text;	/* human-readable text, see above */
	size_t			 textlen;
	const char		*subject;	/* decoded, or "" */
	const char		*from;		/* decoded, or "" */
	int			 limit;	/* a limit stopped the work */
	/* detection: for each header of root, its index in the table's
	   hname (or -1), and its value's length; NULL when not made */
	int			*hdr_id;
	size_t			*hdr_len;
	int			*hdr_next;	/* next header, same name */
	int			*hdr_first;	/* per hname: first, or -1 */
	size_t			 subjectlen, fromlen;
	unsigned char		*hit[2];	/* Subject, From: literals
						   seen (scan[]), or NULL */
};

struct fmt_hook {
	const char	*name;
	int		(*detect)(struct fmt_ctx *);	/* 1 yes, 0 no */
	int		(*parse)(struct fmt_ctx *);	/* rcpts added, -1 */
	void		(*fixup)(struct fmt_ctx *);
};

extern const struct fmt_hook fmt_hooks[];	/* NULL name ends it */

/* Named capture groups the engine knows. */
enum fmt_group {
	FG_ADDR, FG_DIAG, FG_STATUS, FG_REPLY, FG_RHOST, FG_CMD, FG_NGROUPS
};

struct fmt_match {
	const char	*s[FG_NGROUPS];	/* NULL when the group did not match */
	size_t		 n[FG_NGROUPS];
	size_t		 start, end;	/* the whole match */
};

/* fmt_rx.c */
int	 fmt_rx_match(const struct fmt_rx *, const char *, size_t,
	    struct fmt_match *);
int	 fmt_rx_match_raw(const struct fmt_rx *, const char *, size_t,
	    struct fmt_match *);
struct fmt_rx *fmt_rx_compile(const char *, char *, size_t);
void	 fmt_rx_free(struct fmt_rx *);
const struct rxlit *fmt_rx_lits(const struct fmt_rx *);
void	 fmt_thread_done(void);

/*
 * Next line of [*p, end): sets line/len (without LF or CR), advances *p.
 * Returns 0 at the end.  Inline: every parser's line loop calls it.
 */
static inline int
fmt_next_line(const char **p, const char *end, const char **line,
    size_t *len)
{
	const char *s = *p, *nl;

	if (s == NULL || s >= end)
		return (0);
	nl = memchr(s, '\n', (size_t)(end - s));
	*line = s;
	*len = (size_t)((nl != NULL ? nl : end) - s);
	*p = nl != NULL ? nl + 1 : end;
	if (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	return (1);
}

/* fmt_util.c */
char	*fmt_addr(struct arena *, const char *, size_t);
char	*fmt_oneline(struct arena *, const char *, size_t);
char	*fmt_append(struct arena *, const char *, const char *, size_t);
const char *fmt_header(const struct mime_part *, const char *);
char	*fmt_header_decoded(struct fmt_ctx *, const struct mime_part *,
	    const char *);
int	 fmt_strcasestr(const char *, size_t, const char *);

/* fmt_codes.c */
int	 fmt_status_find(const char *, char [16]);
int	 fmt_reply_find(const char *, int, char [4]);
const char *fmt_command_find(const struct rules *, const char *);
int	 fmt_status_better(const char *, const char *);

/* fmt_rcpt.c */
void	 fmt_rcpt_finish(struct fmt_ctx *, struct rcpt *);
struct rcpt *fmt_rcpt_add(struct fmt_ctx *);

/* the parsers */
int	 fmt_rfc3464_parse(struct fmt_ctx *);
int	 fmt_rfc3464_text(struct fmt_ctx *);
int	 fmt_rfc3464_fields(struct fmt_ctx *, const char *, size_t);
int	 fmt_rfc3464_epilogue(struct fmt_ctx *);
int	 fmt_text_parse(struct fmt_ctx *);
int	 fmt_text_merge(struct fmt_ctx *);
void	 fmt_family_refine(struct fmt_ctx *);
int	 fmt_arf_parse(struct fmt_ctx *);
int	 fmt_arf_jmrp(struct fmt_ctx *);
int	 fmt_arf_unsubscribe(struct fmt_ctx *);
int	 fmt_rfc3834_detect(struct fmt_ctx *);
int	 fmt_rfc3834_parse(struct fmt_ctx *);

/* the fallback (fmt_fb.h): fmt_lang.c, fmt_fallback.c, fmt_notice.c */
int	 fmt_lang_load(struct format_table *, const struct vocab *,
	    const char *, char *, size_t);
void	 fmt_lang_free(struct fmt_lang *);
int	 fmt_fallback_parse(struct fmt_ctx *);
int	 fmt_fallback_headers(struct fmt_ctx *);
int	 fmt_challenge(struct fmt_ctx *);
int	 fmt_delay_notice(struct fmt_ctx *);

/* fmt_reply.c */
int	 fmt_person_reply(struct fmt_ctx *);

/* fmt_rx.c */
int	 fmt_rxv_any(const struct fmt_rxv *, const char *, size_t,
	    struct fmt_match *, size_t *);
void	 fmt_rxv_free(struct fmt_rxv *);

/* fmt_load.c */
const struct fmt_family *fmt_family_find(const struct rules *,
	    const char *);
int	 fmt_hname_find(const struct format_table *, const char *, size_t);

/* fmt_html.c */
size_t	 fmt_html_text(char *, const char *, size_t);

#endif
