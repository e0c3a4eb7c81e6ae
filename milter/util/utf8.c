/*
 * utf8.c - UTF-8 validation; see utf8.h
 */
#include "utf8.h"

#define CONT(c)	(((c) & 0xc0) == 0x80)

size_t
utf8_seqlen(const unsigned char *p)
{
	unsigned c = p[0];

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		return (CONT(p[1]) ? 2 : 0);
	if (c >= 0xe0 && c <= 0xef) {
		if (!CONT(p[1]) || !CONT(p[2]))
			return (0);
		if (c == 0xe0 && p[1] < 0xa0)
			return (0);		/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return (0);		/* surrogate */
		return (3);
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (!CONT(p[1]) || !CONT(p[2]) || !CONT(p[3]))
			return (0);
		if (c == 0xf0 && p[1] < 0x90)
			return (0);
		if (c == 0xf4 && p[1] >= 0x90)
			return (0);
		return (4);
	}
	return (0);
}
