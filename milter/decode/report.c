/*
 * report.c - the per-message report and its recipient records; see report.h
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

long long
report_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return (0);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
report_expired(struct report *r)
{
	size_t done, i;

	if (r == NULL || r->deadline == 0)
		return (0);
	if (r->timed_out)
		return (1);
	if (report_now_ms() < r->deadline)
		return (0);
	r->timed_out = 1;
	for (done = 0, i = 0; i < r->nrcpt; i++)
		if (r->rcpt[i].reason != NULL)
			done++;
	if (r->nrcpt == 0)
		r->error = "time limit (max_classify_ms) reached before the "
		    "recipients were read";
	else
		r->error = arena_printf(r->a, "time limit (max_classify_ms) "
		    "reached; %zu of %zu recipients classified", done,
		    r->nrcpt);
	if (r->error == NULL)
		r->error = "time limit (max_classify_ms) reached";
	return (1);
}
