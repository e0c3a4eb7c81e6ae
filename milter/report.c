/*
 * report.c - the per-message report and its recipient records; see report.h
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct report *
report_new(size_t cap)
{
	struct arena *a;
	struct report *r;

	if ((a = arena_new(cap)) == NULL)
		return (NULL);
	if ((r = arena_alloc(a, sizeof(*r))) == NULL) {
		arena_free(a);
		return (NULL);
	}
	r->a = a;
	r->kind = r->format = r->reporting_mta = r->arrival_date = "";
	r->orig.message_id = r->orig.from = r->orig.to = "";
	r->orig.subject = r->orig.envelope_id = r->orig.queue_id = "";
	r->error = "";
	return (r);
}

struct rcpt *
report_add_rcpt(struct report *r)
{
	struct rcpt *n;
	size_t cap;

	if (r->nrcpt >= REPORT_MAX_RCPT) {
		r->error = "too many recipients; the rest were not read";
		return (NULL);
	}
	if (r->nrcpt == r->rcap) {
		cap = r->rcap ? r->rcap * 2 : 8;
		if (cap > REPORT_MAX_RCPT)
			cap = REPORT_MAX_RCPT;
		if ((n = arena_alloc(r->a, cap * sizeof(*n))) == NULL) {
			r->error = "out of memory for this message";
			return (NULL);
		}
		if (r->nrcpt)
			memcpy(n, r->rcpt, r->nrcpt * sizeof(*n));
		r->rcpt = n;
		r->rcap = cap;
	}
	n = &r->rcpt[r->nrcpt++];
	memset(n, 0, sizeof(*n));
	return (n);
}

void
report_free(struct report *r)
{
	if (r != NULL)
		arena_free(r->a);	/* r itself lives in the arena */
}
