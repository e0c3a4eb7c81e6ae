/*
 * fuzz_rules.c - libFuzzer target for the rules loaders
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_rules [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	At start, copies the repository's rules directory (FUZZ_RULES, else
 *	rules/ beside the build directory) into a temporary directory and
 *	lists its files (one level of subdirectories, e.g. formats/), in
 *	the order of their names, so that an input picks the same file on
 *	every machine (a regression input replays).  For
 *	each input, the first byte picks one of those files, the rest of
 *	the input replaces its content, rules_load() reads the whole set
 *	(and rules_free() drops it), then the file gets its text back.
 *	A failure must come with a "FILE:LINE: message" error; anything
 *	else is a crash, a leak or a sanitizer report.  An empty rules
 *	directory gives one file, status.tsv, whose every load fails early
 *	(there is no reason-vocabulary): a smoke run only.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_rules: broken promise: %s\n", #c); abort(); } } while (0)
#define MAXFILES	256

struct rfile {
	char	*path;
	char	*text;
	size_t	 len;
};

static char tmpdir[4096];
static struct rfile files[MAXFILES];
static size_t nfiles;

static char *
slurp(const char *p, size_t *len)
{
	FILE *fp;
	char *s = NULL;
	long n;

	if ((fp = fopen(p, "rb")) == NULL)
		return (NULL);
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
		*len = fread(s, 1, (size_t)n, fp);
		s[*len] = '\0';
	}
	fclose(fp);
	return (s);
}

static int
spill(const char *p, const void *data, size_t len)
{
	FILE *fp;

	if ((fp = fopen(p, "wb")) == NULL)
		return (-1);
	fwrite(data, 1, len, fp);
	return (fclose(fp));
}

/* Copy the regular files of src into dst, recursing depth levels. */
static int
file_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct rfile *)a)->path,
	    ((const struct rfile *)b)->path));
}

static void
copy_dir(const char *src, const char *dst, int depth)
{
	DIR *dp;
	struct dirent *de;
	struct stat st;
	char s[4096], d[4096];
	char *text;
	size_t len;

	if ((dp = opendir(src)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL && nfiles < MAXFILES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
		snprintf(d, sizeof(d), "%s/%s", dst, de->d_name);
		if (stat(s, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			mkdir(d, 0700);
			copy_dir(s, d, depth - 1);
		} else if (S_ISREG(st.st_mode) &&
		    (text = slurp(s, &len)) != NULL) {
			spill(d, text, len);
			files[nfiles].path = strdup(d);
			files[nfiles].text = text;
			files[nfiles].len = len;
			nfiles++;
		}
	}
	closedir(dp);
}

static void
cleanup(void)
{
	size_t i;
	char cmd[4200];

	for (i = 0; i < nfiles; i++) {
		free(files[i].path);
		free(files[i].text);
	}
	if (tmpdir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_rules: could not remove %s\n",
			    tmpdir);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char src[4096];
	const char *d, *t = getenv("TMPDIR");

	(void)argc;
	d = rules_find_dir(getenv("FUZZ_RULES"), NULL, (*argv)[0], src,
	    sizeof(src));
	snprintf(tmpdir, sizeof(tmpdir), "%s/fuzz_rules.XXXXXX", t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("fuzz_rules: mkdtemp");
		exit(1);
	}
	atexit(cleanup);
	copy_dir(d, tmpdir, 1);
	qsort(files, nfiles, sizeof(files[0]), file_cmp);
	if (nfiles == 0) {
		snprintf(src, sizeof(src), "%s/status.tsv", tmpdir);
		files[0].path = strdup(src);
		files[0].text = strdup("");
		files[0].len = 0;
		nfiles = 1;
	}
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r;
	struct rfile *f;
	char err[1024];

	if (size == 0)
		return (0);
	f = &files[data[0] % nfiles];
	if (spill(f->path, data + 1, size - 1) == -1)
		return (0);
	err[0] = '\0';
	r = rules_load(tmpdir, err, sizeof(err));
	if (r == NULL)
		CHECK(err[0] != '\0' && strchr(err, ':') != NULL);
	rules_free(r);
	spill(f->path, f->text, f->len);
	return (0);
}
