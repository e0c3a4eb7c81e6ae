/*
 * decbench.c - per-message latency of the classifier pipeline
 *
 * SYNOPSIS
 *	decbench RULES_DIR MIN_SECONDS < FILE_LIST
 *
 * DESCRIPTION
 *	Reads the file names on standard input and, like bounce-decode
 *	--json --no-dns, reads each file, runs bounce_decode() and renders
 *	the JSON line (to memory), timing each message; repeats the list
 *	until MIN_SECONDS have passed.  Prints one line:
 *	    decbench: msgs=N secs=S cpu=C rate=R cpu_rate=Q p50_ms=X p99_ms=Y
 *	Built and run by bench/run against the build's layer archives (BUILD/lib/libbm-*.a).
 */
#include <sys/resource.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "buf.h"
#include "json.h"
#include "rules.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static int
slurp(const char *path, struct buf *b)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY)) == -1)
		return (-1);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(b, chunk, (size_t)n);
	close(fd);
	return (b->p == NULL ? buf_add(b, "", 0) : 0);
}

int
main(int argc, char *argv[])
{
	struct rules *rules;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct report *r;
	struct rusage ru;
	char err[1024], line[4096], **files = NULL;
	double *t = NULL, start, t0, min, secs, cpu;
	size_t nf = 0, capf = 0, nt = 0, capt = 0, i;

	if (argc != 3) {
		fprintf(stderr, "usage: decbench RULES_DIR MIN_SECONDS < LIST\n");
		return (2);
	}
	min = atof(argv[2]);
	if ((rules = rules_load(argv[1], err, sizeof(err))) == NULL) {
		fprintf(stderr, "decbench: %s\n", err);
		return (78);
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (nf == capf) {
			capf = capf ? capf * 2 : 1024;
			files = realloc(files, capf * sizeof(*files));
		}
		files[nf++] = strdup(line);
	}
	if (nf == 0)
		return (1);
	start = now();
	do {
		for (i = 0; i < nf; i++) {
			t0 = now();
			if (slurp(files[i], &in) == 0 &&
			    (r = bounce_decode(rules, in.p, in.len, NULL)) != NULL) {
				buf_reset(&out);
				json_report(&out, r, files[i]);
				report_free(r);
			}
			if (nt == capt) {
				capt = capt ? capt * 2 : 65536;
				t = realloc(t, capt * sizeof(*t));
			}
			t[nt++] = now() - t0;
		}
	} while (now() - start < min);
	secs = now() - start;
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	qsort(t, nt, sizeof(*t), dblcmp);
	printf("decbench: msgs=%zu secs=%.2f cpu=%.2f rate=%.1f cpu_rate=%.1f "
	    "p50_ms=%.3f p99_ms=%.3f\n", nt, secs, cpu, nt / secs,
	    nt / (cpu > 0 ? cpu : 1e-9), 1000 * t[nt / 2],
	    1000 * t[nt * 99 / 100]);
	for (i = 0; i < nf; i++)
		free(files[i]);
	free(files);
	free(t);
	buf_free(&in);
	buf_free(&out);
	rules_free(rules);
	return (0);
}
