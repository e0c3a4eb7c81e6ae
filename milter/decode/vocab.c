/*
 * vocab.c - the reason vocabulary; see vocab.h
 */
#include <stddef.h>
#include <string.h>

#include "vocab.h"

static const char *const vocabulary[] = {
	"authfailure", "badreputation", "blocked", "contenterror",
	"delivered", "exceedlimit", "expired", "failedstarttls", "feedback",
	"filtered", "hasmoved", "hostunknown", "mailboxfull", "mailererror",
	"mesgtoobig", "networkerror", "norelaying", "notaccept",
	"notcompliantrfc", "onhold", "policyviolation", "rejected",
	"requireptr", "securityerror", "spamdetected", "speeding",
	"suppressed", "suspend", "syntaxerror", "systemerror", "systemfull",
	"toomanyconn", "undefined", "userunknown", "vacation",
	"virusdetected", NULL
};

_Static_assert(sizeof(vocabulary) / sizeof(vocabulary[0]) == R_NREASONS + 1,
    "the enum follows vocabulary[]");

int
vocab_reason(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < R_NREASONS; i++)
		if (vocabulary[i][0] == s[0] && strcmp(vocabulary[i], s) == 0)
			return (i);
	return (R_NONE);
}

const char *
vocab_name(int id)
{
	return (id >= 0 && id < R_NREASONS ? vocabulary[id] : NULL);
}

int
reason_known(const char *s)
{
	return (vocab_reason(s) != R_NONE);
}
