/*
 * evidence_int.h - what evidence.c shares with its parts ev_original.c
 *	and ev_note.c (private to milter/evidence)
 *
 * SYNOPSIS
 *	struct evidence_ctx, struct msg, struct hlist;
 *	the functions of ev_original.c and ev_note.c.
 *
 * DESCRIPTION
 *	struct evidence_ctx is the context evidence_new() makes (read-only
 *	after that); struct msg the state of one message's checks; struct
 *	hlist the returned original's headers.  evidence.c calls its parts,
 *	never the other way round.
 */
#ifndef EVIDENCE_INT_H
#define EVIDENCE_INT_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "evidence.h"

#define MAX_IPS		8
#define MAX_NETS	CONFIG_MAX_LIST
#define MAX_DOMAINS	32	/* distinct recipient domains per message */

struct net {
	int		 fam;
	unsigned char	 addr[16];
	int		 bits;
};

struct evidence_ctx {
	struct ev_dns	*dns;
	struct ev_dkim	*dkim;
	int		 timeout_ms;
	int		 spf, dkim_on, mx;
	char		 ips[MAX_IPS][INET6_ADDRSTRLEN];
	int		 nips;
	struct net	 nets[MAX_NETS];
	int		 nnets;
	char		*ours[CONFIG_MAX_LIST];	/* our_domains, A-labels */
	int		 nours;
	evidence_ours_fn *ours_fn;	/* else: the history's senders */
	void		*ours_arg;
};

/* Per-message state. */
struct msg {
	struct evidence_ctx *e;
	const struct rules *rules;
	struct report	*r;
	int64_t		 deadline;
	int		 spf_done, dkim_done;
	const char	*spf, *dkim;
	struct ev_spf_info si;
	struct ev_dkim_info di;
	char		 from_domain[256];
	int		 ours;		/* the sender domain is ours */
	int		 from_ours;	/* the From domain is ours */
	char		 why[512];	/* why nothing was looked up */
	struct {
		char		 domain[256];
		const char	*mx;
		struct ev_mx_info info;
	}		 dom[MAX_DOMAINS];
	int		 ndom;
	int		 ran_out;
};

struct hlist {
	const char	*name[256];
	const char	*value[256];
	int		 n;
};

/* ev_original.c */
void	ev_original_get(struct report *, const char **, size_t *, int *,
	    struct hlist *);
const char *ev_hget(const struct hlist *, const char *);
const char *ev_addr_of(struct arena *, const char *);
const char *ev_domain_of(const char *);
const char *ev_original_sender(struct report *, const struct hlist *);
int	ev_body_cut(struct report *, const struct hlist *, const char *,
	    size_t);

/* ev_note.c */
const char *ev_note(struct msg *, int, int);

#endif
