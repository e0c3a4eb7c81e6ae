/*
 * utf8.h - UTF-8 validation helpers
 *
 * SYNOPSIS
 *	size_t	utf8_seqlen(const unsigned char *p);
 *
 * DESCRIPTION
 *	utf8_seqlen() returns the length (1-4) of the well-formed UTF-8
 *	sequence at p (NUL-terminated input), or 0 when the bytes there are
 *	not valid UTF-8 (overlong forms, surrogates, past U+10FFFF, cut).
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

size_t	utf8_seqlen(const unsigned char *);

#endif
