/*
 * vocab.h - the reason vocabulary: the words a recipient's reason may be
 *
 * SYNOPSIS
 *	#include "vocab.h"
 *
 *	int	vocab_reason(const char *word);
 *	const char *vocab_name(int id);
 *	int	reason_known(const char *word);
 *
 * DESCRIPTION
 *	The reasons are Sisimai's vocabulary (36 words, "userunknown",
 *	"mailboxfull", ...).  vocab_reason() gives the number of a word
 *	(R_*), or R_NONE; vocab_name() the word of a number (NULL out of
 *	range); reason_known() is 1 when word is in the vocabulary, else 0.
 *	The format rules (decode) and the classifier (classify) both check
 *	their reason names against it, so it lives below both.
 */
#ifndef VOCAB_H
#define VOCAB_H

/* The reasons by number: the index in the vocabulary (vocab.c). */
enum {
	R_AUTHFAILURE, R_BADREPUTATION, R_BLOCKED, R_CONTENTERROR,
	R_DELIVERED, R_EXCEEDLIMIT, R_EXPIRED, R_FAILEDSTARTTLS, R_FEEDBACK,
	R_FILTERED, R_HASMOVED, R_HOSTUNKNOWN, R_MAILBOXFULL, R_MAILERERROR,
	R_MESGTOOBIG, R_NETWORKERROR, R_NORELAYING, R_NOTACCEPT,
	R_NOTCOMPLIANTRFC, R_ONHOLD, R_POLICYVIOLATION, R_REJECTED,
	R_REQUIREPTR, R_SECURITYERROR, R_SPAMDETECTED, R_SPEEDING,
	R_SUPPRESSED, R_SUSPEND, R_SYNTAXERROR, R_SYSTEMERROR, R_SYSTEMFULL,
	R_TOOMANYCONN, R_UNDEFINED, R_USERUNKNOWN, R_VACATION,
	R_VIRUSDETECTED, R_NREASONS, R_NONE = -1
};

int		 vocab_reason(const char *);
const char	*vocab_name(int);
int		 reason_known(const char *);

#endif
