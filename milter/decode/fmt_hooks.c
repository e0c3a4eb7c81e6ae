/*
 * fmt_hooks.c - the table of C hooks a rules/formats/ family can name
 *
 *	A family whose markers data cannot say gets its C in its own
 *	milter/fmt_<family>.c and one line here; its .fmt file says
 *	`hook NAME`.  See fmt.h for what detect, parse and fixup do.
 */
#include <stddef.h>

#include "fmt.h"

int	fmt_amazonses_detect(struct fmt_ctx *);
int	fmt_amazonses_parse(struct fmt_ctx *);
int	fmt_x5_parse(struct fmt_ctx *);
void	fmt_powermta_fixup(struct fmt_ctx *);
int	fmt_googleworkspace_detect(struct fmt_ctx *);

const struct fmt_hook fmt_hooks[] = {
	{ "amazonses", fmt_amazonses_detect, fmt_amazonses_parse, NULL },
	{ "x5", NULL, fmt_x5_parse, NULL },
	{ "powermta", NULL, NULL, fmt_powermta_fixup },
	{ "googleworkspace", fmt_googleworkspace_detect, NULL, NULL },
	{ NULL, NULL, NULL, NULL }
};
