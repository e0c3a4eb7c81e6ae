/*
 * milter_cb.c - bounce-milter's libmilter callbacks
 *
 *	negotiate  asks for header add/change rights and only the steps and
 *		   macros it uses: no connect, HELO, RCPT, DATA or unknown
 *		   commands; no replies to MAIL and header events; SKIP.
 *	envfrom	   starts a message: takes a reference to the current set,
 *		   notes a null envelope sender.
 *	header	   keeps the header (up to max_message_size), counts forged
 *		   X-Bounce-* copies, notes report-like headers.
 *	eoh	   a message that is no bounce candidate, carries no
 *		   forged header and is not ours needs nothing:
 *		   SMFIS_ACCEPT here.  Ours (outgoing): the preflight's SPF
 *		   lookups start (milter_pre.c).
 *	body	   collects the body of a candidate up to the cap (the first
 *		   64 KiB in memory, the rest in an unnamed file in $TMPDIR
 *		   or /tmp: see spool.h); past the cap, or for a message
 *		   kept only for its forged headers, SKIP.  Ours: octets
 *		   counted for the size, never kept; no SKIP.
 *	eom	   deletes every X-Bounce-Class/-Hint/-Original (highest
 *		   index first), classifies a candidate (at most two parses
 *		   of large messages per CPU at once, so many large
 *		   bounces ending together do not all hold their parse
 *		   memory at the same time; not during DNS evidence), adds
 *		   its own headers, logs one line per failed recipient.
 *		   Ours: the outgoing line and the history record
 *		   (milter_pre.c); with outgoing_headers X-Bounce-Preflight.
 *	abort, close: free the message (and connection) state.
 *
 *	Nothing here ever rejects, discards or delays: every internal
 *	problem ends in SMFIS_CONTINUE (or ACCEPT) and one log line.
 */
#include <sys/socket.h>
#include <pthread.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "annotate.h"
#include "bounce.h"
#include "buf.h"
#include "mclock.h"
#include "milter.h"
#include "spool.h"

#define NFORGE	4
#define MAX_RCPT_KEPT	1000	/* recipients remembered for the history */
#define SPOOL_MEM	(64u * 1024)	/* past this a message spills to a file */
static const char *const forge_names[NFORGE] = {
	"X-Bounce-Class", "X-Bounce-Hint", "X-Bounce-Original", PF_HEADER
};

struct mmsg {
	struct mset	*set;
	struct spool	 sp;		/* headers + body as collected */
	int		 spill_logged;
	int		 null_sender;
	int		 candidate;	/* report-like headers */
	int		 collect;	/* body wanted */
	unsigned	 forged[NFORGE];
	int		 outgoing;	/* ours: recorded in the history */
	char		*from;		/* envelope sender (outgoing only) */
	char		*envid;		/* ESMTP ENVID= (outgoing only) */
	char		*msgid;		/* Message-ID header (outgoing only) */
	char		**rcpts;	/* envelope recipients (outgoing) */
	size_t		 nrcpt;
	size_t		 rcpts_seen;	/* all of them, kept or not */
	struct pf_dkim	 dk;		/* DKIM-Signature d= (outgoing) */
	char		 hfrom[256];	/* From: domain (outgoing) */
	int		 hfrom_seen;
	struct pre_job	*pre;		/* preflight, from EOH to EOM */
	size_t		 hdr_octets;	/* size: headers (at EOH) */
	size_t		 body_octets;	/* + body (outgoing) */
};

struct mconn {
	int		 nr_mail;	/* SMFIP_NR_MAIL granted */
	int		 nr_hdr;	/* SMFIP_NR_HDR granted */
	int		 skip;		/* SMFIP_SKIP granted */
	int		 chghdrs;	/* SMFIF_CHGHDRS granted */
	int		 nr_rcpt;	/* SMFIP_NR_RCPT granted */
	struct mmsg	*m;
};

/* Where large messages spill: $TMPDIR, else /tmp (private under systemd). */
static const char *
spool_dir(void)
{
	const char *d = getenv("TMPDIR");

	return (d != NULL && *d == '/' ? d : "/tmp");
}

static void
msg_free(struct mconn *c)
{
	if (c == NULL || c->m == NULL)
		return;
	pre_abort(c->m->pre);
	mset_release(c->m->set);
	spool_free(&c->m->sp);
	free(c->m->from);
	free(c->m->envid);
	free(c->m->msgid);
	while (c->m->nrcpt > 0)
		free(c->m->rcpts[--c->m->nrcpt]);
	free(c->m->rcpts);
	free(c->m);
	c->m = NULL;
}

static struct mmsg *
msg_new(struct mconn *c)
{
	struct mmsg *m;

	msg_free(c);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	if ((m->set = mset_acquire()) == NULL) {
		free(m);
		return (NULL);
	}
	spool_init(&m->sp, SPOOL_MEM, m->set->conf.max_message_size,
	    spool_dir());
	c->m = m;
	return (m);
}

static const char *
qid(SMFICTX *ctx, char *b, size_t n)
{
	return (annotate_queueid(smfi_getsymval(ctx, "i"), b, n));
}

/* Keep n more octets of the message, up to the cap. */
static void
keep(struct mmsg *m, const void *p, size_t n)
{
	if (spool_add(&m->sp, p, n) == -1 && !m->spill_logged) {
		m->spill_logged = 1;
		mlog(LOG_WARNING, "spool: %s; kept in memory", m->sp.err);
	}
}

/* Does addr (text) fall in one of the CIDR networks? */
static int
in_networks(const char *addr, char *const *nets, size_t n)
{
	unsigned char a[16], b[16];
	char net[64], *slash;
	int fa, fb, bits, i;
	size_t k;

	if (addr == NULL)
		return (0);
	if (*addr == '[') {		/* Sendmail's [1.2.3.4] */
		snprintf(net, sizeof(net), "%s", addr + 1);
		net[strcspn(net, "]")] = '\0';
		addr = net;
	}
	fa = inet_pton(AF_INET, addr, a) == 1 ? 4 :
	    inet_pton(AF_INET6, strncasecmp(addr, "IPv6:", 5) == 0 ?
	    addr + 5 : addr, a) == 1 ? 16 : 0;
	if (fa == 0)
		return (0);
	for (k = 0; k < n; k++) {
		snprintf(net, sizeof(net), "%s", nets[k]);
		if ((slash = strchr(net, '/')) != NULL)
			*slash++ = '\0';
		fb = inet_pton(AF_INET, net, b) == 1 ? 4 :
		    inet_pton(AF_INET6, net, b) == 1 ? 16 : 0;
		if (fb != fa)
			continue;
		bits = slash != NULL ? atoi(slash) : fa * 8;
		for (i = 0; bits >= 8; i++, bits -= 8)
			if (a[i] != b[i])
				break;
		if (bits >= 8)
			continue;
		if (bits == 0 || ((a[i] ^ b[i]) & (0xff << (8 - bits))) == 0)
			return (1);
	}
	return (0);
}

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mconn *c;
	unsigned long want;

	(void)f2;
	(void)f3;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		mlog(LOG_ERR, "NOQUEUE: out of memory; connection passed "
		    "unfiltered");
		/* in negotiation REJECT means "leave me out of this
		 * connection": the MTA goes on without the milter */
		return (SMFIS_REJECT);
	}
	smfi_setpriv(ctx, c);
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST);
	c->chghdrs = (*pf0 & SMFIF_CHGHDRS) != 0;
	if (!c->chghdrs || !(*pf0 & SMFIF_ADDHDRS))
		mlog(LOG_WARNING, "NOQUEUE: the MTA does not let this milter "
		    "add and delete headers; nothing will be annotated");
	/* recipients: counted for the outgoing line and the history */
	want = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NODATA |
	    SMFIP_NOUNKNOWN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR |
	    SMFIP_SKIP;
	*pf1 = f1 & want;
	c->nr_rcpt = (*pf1 & SMFIP_NR_RCPT) != 0;
	c->nr_mail = (*pf1 & SMFIP_NR_MAIL) != 0;
	c->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	c->skip = (*pf1 & SMFIP_SKIP) != 0;
	*pf2 = 0;
	*pf3 = 0;
	if (*pf0 & SMFIF_SETSYMLIST) {
		if (smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {mail_addr} "
		    "{client_addr} {auth_authen} {daemon_name}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOH, "i") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS)
			mlog(LOG_WARNING, "NOQUEUE: could not request macros; "
			    "queue ids may be missing from the log");
	}
	return (SMFIS_CONTINUE);
}

static void
no_client_addr_log(void)
{
	mlog(LOG_WARNING, "NOQUEUE: the MTA sent no {client_addr} macro; "
	    "messages without it are treated as inbound (not ours), so no "
	    "outgoing line or history record is made for them.  Postfix "
	    "and Sendmail send it by default: check milter_mail_macros or "
	    "confMILTER_MACROS_ENVFROM");
}

/* The MTA sent no {client_addr}: said once per process. */
static void
no_client_addr(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, no_client_addr_log);
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct mconn *c = smfi_getpriv(ctx);
	struct mmsg *m;
	const char *a = argv != NULL && argv[0] != NULL ? argv[0] : "";
	int nr = c != NULL && c->nr_mail;

	if (c == NULL)
		return (SMFIS_ACCEPT);
	if ((m = msg_new(c)) == NULL) {
		mlog(LOG_ERR, "NOQUEUE: out of memory; message passed "
		    "unchanged");
		return (nr ? SMFIS_NOREPLY : SMFIS_CONTINUE);
	}
	while (*a == ' ')
		a++;
	m->null_sender = (*a == '\0' || strncmp(a, "<>", 2) == 0);
	if (!m->null_sender) {
		const char *ca = smfi_getsymval(ctx, "{client_addr}");
		const char *au = smfi_getsymval(ctx, "{auth_authen}");
		int i;

		/*
		 * ours: authenticated or from an internal network.  Without
		 * {client_addr} (an MTA that does not send it) the message
		 * is inbound: a stranger's mail must not count as ours.
		 * Postfix's own pickup mail has client_addr 127.0.0.1.
		 */
		if (ca == NULL || *ca == '\0')
			no_client_addr();
		m->outgoing = (au != NULL && *au != '\0') || in_networks(ca,
		    m->set->conf.internal_networks,
		    m->set->conf.n_internal_networks);
		if (m->outgoing) {
			m->from = strdup(a);
			for (i = 1; argv[i] != NULL; i++)
				if (strncasecmp(argv[i], "ENVID=", 6) == 0) {
					free(m->envid);
					m->envid = strdup(argv[i] + 6);
				}
		}
	}
	if (mlog_verbose > 2) {
		char qb[72];

		/* Sendmail knows the queue id here; Postfix only later */
		mlog(LOG_DEBUG, "%s: mail from %s client=%s auth=%s "
		    "daemon=%s", qid(ctx, qb, sizeof(qb)), a,
		    smfi_getsymval(ctx, "{client_addr}") ?
		    smfi_getsymval(ctx, "{client_addr}") : "-",
		    smfi_getsymval(ctx, "{auth_authen}") ?
		    smfi_getsymval(ctx, "{auth_authen}") : "-",
		    smfi_getsymval(ctx, "{daemon_name}") ?
		    smfi_getsymval(ctx, "{daemon_name}") : "-");
	}
	return (nr ? SMFIS_NOREPLY : SMFIS_CONTINUE);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mconn *c = smfi_getpriv(ctx);
	struct mmsg *m;
	char **nv, *r;
	sfsistat ok = c != NULL && c->nr_rcpt ? SMFIS_NOREPLY : SMFIS_CONTINUE;

	if (c == NULL || (m = c->m) == NULL || !m->outgoing ||
	    argv == NULL || argv[0] == NULL)
		return (ok);
	m->rcpts_seen++;
	if (m->set->hist == NULL || m->nrcpt >= MAX_RCPT_KEPT)
		return (ok);
	if ((nv = realloc(m->rcpts, (m->nrcpt + 1) * sizeof(*nv))) == NULL)
		return (ok);
	m->rcpts = nv;
	if ((r = strdup(argv[0])) != NULL)
		m->rcpts[m->nrcpt++] = r;
	return (ok);
}

/* Headers that make a message worth classifying beyond a null sender. */
static int
report_like(const char *name, const char *value)
{
	const char *p;

	if (strcasecmp(name, "Content-Type") == 0) {
		for (p = value; *p == ' ' || *p == '\t'; p++)
			;
		return (strncasecmp(p, "multipart/report", 16) == 0);
	}
	if (strcasecmp(name, "X-Failed-Recipients") == 0)
		return (1);
	if (strcasecmp(name, "Auto-Submitted") == 0) {
		for (p = value; *p == ' ' || *p == '\t'; p++)
			;
		return (strncasecmp(p, "no", 2) != 0 ||
		    (p[2] != '\0' && strchr(" \t;(\r\n", p[2]) == NULL));
	}
	if (strcasecmp(name, "From") == 0)
		return (strcasestr(value, "mailer-daemon") != NULL ||
		    strcasestr(value, "postmaster@") != NULL);
	return (0);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct mconn *c = smfi_getpriv(ctx);
	struct mmsg *m;
	const char *p, *nl;
	int i;
	sfsistat ok;

	if (c == NULL)
		return (SMFIS_ACCEPT);
	ok = c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if ((m = c->m) == NULL && (m = msg_new(c)) == NULL)
		return (ok);
	if (name == NULL || value == NULL)
		return (ok);
	for (i = 0; i < NFORGE; i++)
		if (strcasecmp(name, forge_names[i]) == 0)
			m->forged[i]++;
	if (!m->candidate && report_like(name, value))
		m->candidate = 1;
	if (m->outgoing && m->msgid == NULL &&
	    strcasecmp(name, "Message-ID") == 0)
		m->msgid = strndup(value, 998);
	if (m->outgoing && strcasecmp(name, "DKIM-Signature") == 0)
		pf_dkim_add(&m->dk, value);
	if (m->outgoing && !m->hfrom_seen && strcasecmp(name, "From") == 0) {
		m->hfrom_seen = 1;
		pf_addr_domain(value, m->hfrom, sizeof(m->hfrom));
	}
	keep(m, name, strlen(name));
	keep(m, ": ", 2);
	for (p = value; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		keep(m, p, (size_t)(nl - p - (nl > p && nl[-1] == '\r')));
		keep(m, "\r\n", 2);
	}
	keep(m, p, strlen(p));
	keep(m, "\r\n", 2);
	return (ok);
}

/*
 * A message we send, at end of message: the preflight's "outgoing" line
 * (and "preflight" warning) and the history record (when on) with its
 * spf and dkim words, both through milter_pre.c, and with
 * outgoing_headers an X-Bounce-Preflight header, for which the
 * preflight is awaited at most dns.timeout_ms.
 */
static void
record_outgoing(SMFICTX *ctx, struct mmsg *m, const char *q, int hdr_ok)
{
	struct hist_out ho;
	struct pf_result pr;
	struct buf hv = BUF_INIT;
	char why[512];
	int hdr = hdr_ok && m->set->conf.outgoing_headers;

	memset(&ho, 0, sizeof(ho));
	ho.queue_id = q;
	ho.message_id = m->msgid;
	ho.envelope_id = m->envid;
	ho.from = m->from;
	ho.rcpts = (const char *const *)m->rcpts;
	ho.nrcpt = m->nrcpt;
	ho.when = time(NULL);
	ho.size = m->hdr_octets + m->body_octets;
	m->outgoing = 0;		/* once */
	if (m->pre == NULL) {
		mlog(LOG_ERR, "%s: out of memory; no outgoing line", q);
		if (m->set->hist != NULL && history_put_outgoing(m->set->hist,
		    &ho, why, sizeof(why)) == -1 && *why != '\0')
			mlog(LOG_WARNING, "%s: %s", q, why);
		return;
	}
	pre_end(m->pre, m->set->hist, &ho, m->rcpts_seen,
	    hdr ? m->set->conf.dns.timeout_ms : 0, hdr ? &pr : NULL);
	m->pre = NULL;			/* pre_end() owns it now */
	if (!hdr)
		return;
	if (pf_header(&hv, m->set->authserv, &pr) == -1 || hv.p == NULL ||
	    smfi_addheader(ctx, PF_HEADER, hv.p) != MI_SUCCESS)
		mlog(LOG_ERR, "%s: could not add %s header", q, PF_HEADER);
	buf_free(&hv);
}

static int
forged_total(const struct mmsg *m)
{
	int i;

	for (i = 0; i < NFORGE; i++)
		if (m->forged[i] > 0)
			return (1);
	return (0);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct mconn *c = smfi_getpriv(ctx);
	struct mmsg *m;

	if (c == NULL || (m = c->m) == NULL)
		return (SMFIS_ACCEPT);
	m->hdr_octets = m->sp.seen + 2;
	if (m->outgoing)		/* SPF lookups start now */
		m->pre = pre_begin(m->set, m->from, &m->dk, m->hfrom);
	if (!m->null_sender && !m->candidate && !forged_total(m) &&
	    !m->outgoing) {
		msg_free(c);
		return (SMFIS_ACCEPT);
	}
	m->collect = m->null_sender || m->candidate;
	keep(m, "\r\n", 2);
	return (SMFIS_CONTINUE);
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct mconn *c = smfi_getpriv(ctx);
	struct mmsg *m;

	if (c == NULL || (m = c->m) == NULL)
		return (SMFIS_CONTINUE);
	m->body_octets += len;		/* outgoing: counted, not kept */
	if (!m->collect)
		return (c->skip && !m->outgoing ? SMFIS_SKIP : SMFIS_CONTINUE);
	keep(m, chunk, len);
	if (m->sp.cut && c->skip && !m->outgoing)
		return (SMFIS_SKIP);
	return (SMFIS_CONTINUE);
}

/* Delete every X-Bounce-* header the message came with, last first. */
static int
delete_forged(SMFICTX *ctx, struct mconn *c, struct mmsg *m, const char *q)
{
	unsigned n;
	int i, total = 0;

	for (i = 0; i < NFORGE; i++) {
		for (n = m->forged[i]; n > 0; n--) {
			if (!c->chghdrs ||
			    smfi_chgheader(ctx, (char *)forge_names[i], (int)n,
			    NULL) != MI_SUCCESS) {
				mlog(LOG_ERR, "%s: could not delete forged "
				    "%s header #%u", q, forge_names[i], n);
				return (-1);
			}
			total++;
		}
	}
	if (total > 0)
		mlog(LOG_NOTICE, "%s: removed %d X-Bounce-* header%s the "
		    "message came with", q, total, total > 1 ? "s" : "");
	return (0);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) * 1000L +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000L);
}

static void
annotate(SMFICTX *ctx, struct mmsg *m, const struct report *r,
    const char *q)
{
	struct annotate_opts o;
	struct annotate_orig og;
	struct hist_match hm;
	struct hist_values hv;
	struct buf hl = BUF_INIT;
	time_t now = time(NULL);
	struct annotate_hdrs h = { NULL, 0, 0 };
	struct buf lines = BUF_INIT;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.authserv_id = m->set->authserv;
	o.max_rcpt = (size_t)m->set->conf.max_header_recipients;
	o.evidence = m->set->ev != NULL;
	if ((m->set->hist != NULL || m->set->trend != NULL) &&
	    history_note_bounce(m->set->hist, m->set->trend, r, q, now, &hm,
	    &hl) == 1) {
		history_match_values(&hm, now, &hv);
		og.message_id = hv.message_id;
		og.sent = hv.sent;
		og.from = hv.from;
		og.ttb = hv.ttb;
		o.orig = &og;
	}
	if (m->set->conf.headers) {
		if (annotate_headers(r, &o, &h) == -1)
			mlog(LOG_ERR, "%s: out of memory; no headers added", q);
		else
			for (i = 0; i < h.n; i++)
				if (smfi_addheader(ctx, (char *)h.v[i].name,
				    h.v[i].value) != MI_SUCCESS) {
					mlog(LOG_ERR, "%s: could not add %s "
					    "header", q, h.v[i].name);
					break;
				}
		annotate_hdrs_free(&h);
	}
	if (annotate_log(&lines, q, r, &o) == -1)
		mlog(LOG_ERR, "%s: out of memory; log lines lost", q);
	mlog_lines(LOG_INFO, lines.p);
	mlog_lines(LOG_NOTICE, hl.p);
	buf_free(&lines);
	buf_free(&hl);
}

/*
 * At most this many large messages (over SPOOL_MEM octets kept, whether
 * they spilled to a file or stayed in memory because spilling failed) are
 * parsed at once: each parse maps or holds its message and fills an
 * arena of a few times its size, and with hundreds of large bounces
 * reaching end of message together an unbounded number of parses would
 * hold all of that at once.  Small messages never wait here: their
 * parse memory is small.  The gate is left when the DNS evidence starts
 * (ev_stage()), so large bounces waiting on slow DNS do not hold up the
 * others.  A large message waits at most max_classify_ms for its turn;
 * then it passes unchanged, logged.  The wait is timed on
 * CLOCK_MONOTONIC (a clock step does not shorten or stretch it).
 */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static int gate_busy, gate_max;

static void
gate_init(void)
{
	long n;

	(void)mcond_init(&gate_cv);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	gate_max = n < 1 ? 2 : n > 8 ? 16 : (int)n * 2;
	if (getenv("BM_TEST_GATE_MAX") != NULL &&	/* tests only */
	    atoi(getenv("BM_TEST_GATE_MAX")) > 0)
		gate_max = atoi(getenv("BM_TEST_GATE_MAX"));
}

static int
gate_enter(long wait_ms)
{
	struct timespec until;
	int rc = 0;

	pthread_once(&gate_once, gate_init);
	mclock_after(&until, wait_ms);
	pthread_mutex_lock(&gate_mu);
	while (gate_busy >= gate_max && rc == 0)
		rc = mcond_wait_until(&gate_cv, &gate_mu, &until);
	if (gate_busy < gate_max) {
		gate_busy++;
		rc = 0;
	}
	pthread_mutex_unlock(&gate_mu);
	return (rc == 0 ? 0 : -1);
}

static void
gate_leave(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_busy--;
	pthread_cond_signal(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* One message's evidence stage: leaves the gate, logs why it skipped. */
struct ev_stage {
	struct evidence_ctx *ev;
	const char	*q;
	int		*gated;
};

static void
ev_stage(void *arg, const struct rules *rules, struct report *r)
{
	struct ev_stage *es = arg;
	char why[600];

	if (*es->gated) {
		gate_leave();
		*es->gated = 0;
	}
	evidence_check(es->ev, rules, r, why, sizeof(why));
	if (*why != '\0' && mlog_verbose > 0)
		mlog(LOG_DEBUG, "%s: %s", es->q, why);
}

static void
classify(SMFICTX *ctx, struct mmsg *m, const char *q)
{
	struct bounce_opts bo;
	struct ev_stage es;
	struct timespec t0;
	struct report *r;
	const char *msg;
	size_t len;
	long ms, limit;
	int gated;

	memset(&bo, 0, sizeof(bo));
	gated = m->sp.len > SPOOL_MEM;
	if (m->set->ev != NULL) {
		es.ev = m->set->ev;
		es.q = q;
		es.gated = &gated;
		bo.evidence = ev_stage;
		bo.evidence_ctx = &es;
	}
	/* decoded parts stay within a few times what was collected */
	bo.arena_cap = 2 * m->sp.cap + 8u * 1024 * 1024;
	bo.outbound_relay = m->set->conf.outbound_relay;
	bo.max_ms = m->set->conf.max_classify_ms;	/* + DNS: bounce.h */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (gated && gate_enter(bo.max_ms) == -1) {
		mlog(LOG_WARNING, "%s: no turn among the large messages "
		    "being classified within %ld ms (max_classify_ms); "
		    "message passed unchanged", q, ms_since(&t0));
		return;
	}
	if (gated && mlog_verbose > 1)
		mlog(LOG_DEBUG, "%s: large message (%zu octets%s): parse "
		    "gate taken", q, m->sp.len, m->sp.fd != -1 ?
		    ", spooled to a file" : ", in memory");
	if (gated && bo.max_ms > 0) {	/* the wait counts against it */
		ms = ms_since(&t0);
		bo.max_ms = ms < bo.max_ms ? bo.max_ms - (int)ms : 1;
	}
	if ((msg = spool_view(&m->sp, &len)) == NULL && *m->sp.err != '\0')
		mlog(LOG_ERR, "%s: spool: %s; classified nothing", q,
		    m->sp.err);
	r = bounce_decode(m->set->rules, msg != NULL ? msg : "", len, &bo);
	spool_unview(&m->sp);
	if (gated)
		gate_leave();
	ms = ms_since(&t0);
	if (r == NULL) {
		mlog(LOG_ERR, "%s: out of memory; message passed unchanged", q);
		return;
	}
	limit = m->set->conf.max_classify_ms;
	if (bo.evidence != NULL)	/* DNS has its own budget */
		limit += m->set->conf.dns.timeout_ms;
	if (m->sp.cut)
		mlog(LOG_WARNING, "%s: message larger than max_message_size="
		    "%zu (%zu octets seen); classified the first %zu octets",
		    q, m->sp.cap, m->sp.seen, m->sp.len);
	if (*r->error != '\0')
		mlog(LOG_WARNING, "%s: decode: %s", q, r->error);
	if (r->timed_out || ms > limit)
		mlog(LOG_WARNING, "%s: classification took %ld ms (limit %ld "
		    "ms); message passed unchanged", q, ms, limit);
	else if (r->bounce)
		annotate(ctx, m, r, q);
	else if (m->null_sender)
		mlog(LOG_INFO, "%s: null sender but not a delivery report "
		    "(%zu octets); passed unchanged", q, m->sp.seen);
	else if (mlog_verbose > 1)
		mlog(LOG_DEBUG, "%s: not a bounce", q);
	if (mlog_verbose > 1)
		mlog(LOG_DEBUG, "%s: classified %zu octets in %ld ms%s", q,
		    len, ms, m->sp.fd != -1 ? " (spooled to a file)" :
		    m->sp.len > SPOOL_MEM ? " (large, in memory)" : "");
	report_free(r);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct mconn *c = smfi_getpriv(ctx);
	struct mmsg *m;
	char qb[80];
	const char *q;
	int del;

	if (c == NULL || (m = c->m) == NULL)
		return (SMFIS_CONTINUE);
	q = qid(ctx, qb, sizeof(qb));
	del = delete_forged(ctx, c, m, q);
	if (m->outgoing)
		record_outgoing(ctx, m, q, del == 0);
	if (del == 0 && m->collect)
		classify(ctx, m, q);
	msg_free(c);
	return (SMFIS_CONTINUE);
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	msg_free(smfi_getpriv(ctx));
	return (SMFIS_CONTINUE);
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct mconn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		msg_free(c);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return (SMFIS_CONTINUE);
}

struct smfiDesc milter_desc = {
	"bounce-milter",
	SMFI_VERSION,
	SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST,
	NULL,			/* connect */
	NULL,			/* helo */
	cb_envfrom,
	cb_envrcpt,
	cb_header,
	cb_eoh,
	cb_body,
	cb_eom,
	cb_abort,
	cb_close,
	NULL,			/* unknown */
	NULL,			/* data */
	cb_negotiate,
};
