/*
 * vocab.h - the reason vocabulary: the words a recipient's reason may be
 *
 * SYNOPSIS
 *	#include "vocab.h"
 *
 *	struct vocab *vocab_load(const char *dir, char *err, size_t errlen);
 *	void	vocab_free(struct vocab *v);
 *	int	vocab_reason(const struct vocab *v, const char *word);
 *	const char *vocab_name(const struct vocab *v, int id);
 *	int	vocab_count(const struct vocab *v);
 *	int	reason_known(const struct vocab *v, const char *word);
 *	int	vocab_hard(const struct vocab *v, const char *word, char cls);
 *	const char *vocab_implied(const struct vocab *v, const char *word);
 *
 * DESCRIPTION
 *	The reasons (Sisimai's vocabulary: "userunknown", "mailboxfull",
 *	...) are data: the [reasons] section of rules/reason-vocabulary,
 *	one reason a line (rules/README's list format).  vocab_load()
 *	reads DIR/reason-vocabulary; NULL with "FILE:LINE: message" in err
 *	when an entry is wrong, or "FILE:0: message" when a reason the
 *	programs name (the R_* below) is missing.
 *
 *	A reason has a small number, its id: the reasons the programs name
 *	keep their R_* ids in every vocabulary, the others follow in file
 *	order, fewer than VOCAB_MAX in all.  vocab_reason() gives the id
 *	of a word (a hash look-up: the classifier asks for every
 *	recipient), or R_NONE; vocab_name() the word of an id (NULL out of
 *	range); vocab_count() the number of reasons (ids run from 0 to
 *	vocab_count() - 1); reason_known() is 1 when word is in the
 *	vocabulary, else 0.  v may be NULL: no word is known.
 *
 *	vocab_hard() is 1 when reason word is a hard bounce at status or
 *	reply class cls ('4', '5'): "hard" in the entry, or "hard-on-5"
 *	and cls '5'.  vocab_implied() gives the "implies D.D" of the entry
 *	(the status subject and detail the reason clearly implies, for a
 *	bounce that states none), or NULL.
 *
 *	vocab_hash3() (inline) hashes a name by its first three bytes,
 *	enough to tell most reasons apart at a fraction of the cost of the
 *	whole name; the vocabulary's index and the classifier's index of
 *	reasons.rules sets (reason_int.h) each mask it to their size.
 *
 *	The format rules (decode) and the classifier (classify) both check
 *	their reason names against it, so it lives below both.
 */
#ifndef VOCAB_H
#define VOCAB_H

#include <stddef.h>

/*
 * The reasons the programs name, by number: vocab.c checks that each is
 * in the data and gives it this id.  Other reasons exist in the data
 * only, with ids from R_NFIXED on.
 */
enum {
	R_BADREPUTATION, R_BLOCKED, R_CONTENTERROR, R_DELIVERED,
	R_EXCEEDLIMIT, R_EXPIRED, R_FEEDBACK, R_FILTERED, R_HASMOVED,
	R_HOSTUNKNOWN, R_MAILBOXFULL, R_MAILERERROR, R_MESGTOOBIG,
	R_NETWORKERROR, R_NORELAYING, R_NOTACCEPT, R_NOTCOMPLIANTRFC,
	R_ONHOLD, R_REJECTED, R_SECURITYERROR, R_SPAMDETECTED, R_SPEEDING,
	R_SUSPEND, R_SYNTAXERROR, R_SYSTEMERROR, R_UNDEFINED, R_USERUNKNOWN,
	R_VACATION, R_NFIXED, R_NONE = -1
};

#define VOCAB_MAX	60	/* reasons in a vocabulary, at most */
#define VOCAB_NAME_MAX	24	/* bytes of a name, with its NUL */

struct vocab;

/* A name's hash of its first three bytes (unmasked): see above. */
static inline size_t
vocab_hash3(const char *s)
{
	size_t h = (unsigned char)s[0];

	if (s[0] != '\0' && s[1] != '\0')
		h = h * 31 * 31 + (unsigned char)s[1] * 31 +
		    (unsigned char)s[2];
	return (h);
}

struct vocab	*vocab_load(const char *, char *, size_t);
void		 vocab_free(struct vocab *);
int		 vocab_reason(const struct vocab *, const char *);
const char	*vocab_name(const struct vocab *, int);
int		 vocab_count(const struct vocab *);
int		 reason_known(const struct vocab *, const char *);
int		 vocab_hard(const struct vocab *, const char *, char);
const char	*vocab_implied(const struct vocab *, const char *);

#endif
