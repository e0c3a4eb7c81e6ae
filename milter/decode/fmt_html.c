/*
 * fmt_html.c - the text of an HTML part, for the format engine
 *
 * SYNOPSIS
 *	size_t	fmt_html_text(char *out, const char *s, size_t n);
 *
 * DESCRIPTION
 *	fmt_html_text() writes the text of the HTML s[0..n) into out (room
 *	for n bytes: the text is never longer) and returns its length; out
 *	is not NUL terminated.  Tags are dropped; <br>, <li>, </p>, </div>,
 *	</tr> and </hN> become a line feed; the entities &lt; &gt; &amp;
 *	&nbsp; &quot; &#39; are decoded, CR dropped; an unclosed tag ends
 *	the text.  format_parse() (format.c) uses it for the text of a
 *	bounce that has a text/html part and no text/plain one.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"

/*
 * Does the HTML tag tag[0..len) (after '<', before '>') end a line of
 * text: <br>, </p>, </div>, </tr>, </hN>, <li>, in any case?
 */
static int
tag_breaks(const char *tag, size_t len)
{
	int a, b;

	if (len < 2)
		return (0);
	a = tolower((unsigned char)tag[0]);
	b = tolower((unsigned char)tag[1]);
	if (a == 'b')
		return (b == 'r');
	if (a == 'l')
		return (b == 'i');
	if (a != '/')
		return (0);
	if (b == 'p' || b == 'h')
		return (1);
	if (b == 't')
		return (len >= 3 && tolower((unsigned char)tag[2]) == 'r');
	return (b == 'd' && len >= 4 && strncasecmp(tag + 2, "iv", 2) == 0);
}

/* Bytes fmt_html_text() looks at: the rest are copied in runs. */
static const unsigned char html_special[256] = {
	['<'] = 1, ['&'] = 1, ['\r'] = 1,
};

/* HTML to text: tags dropped (<br>, </p>, </div>, </tr> become LF). */
size_t
fmt_html_text(char *d, const char *s, size_t n)
{
	char *o = d;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = i; j < n && !html_special[(unsigned char)s[j]]; j++)
			;
		if (j > i) {
			memcpy(o, s + i, j - i);
			o += j - i;
			if ((i = j) == n)
				break;
		}
		if (s[i] == '<') {
			const char *gt = memchr(s + i, '>', n - i);

			if (gt == NULL)
				break;
			if (tag_breaks(s + i + 1, (size_t)(gt - s - i - 1)))
				*o++ = '\n';
			i = (size_t)(gt - s);
			continue;
		}
		if (s[i] == '&') {
			static const struct { const char *e; char c; } ent[] = {
				{ "&lt;", '<' }, { "&gt;", '>' },
				{ "&amp;", '&' }, { "&nbsp;", ' ' },
				{ "&quot;", '"' }, { "&#39;", '\'' },
			};
			size_t k, el;

			for (k = 0; k < sizeof(ent) / sizeof(ent[0]); k++) {
				el = strlen(ent[k].e);
				if (i + el <= n &&
				    strncasecmp(s + i, ent[k].e, el) == 0)
					break;
			}
			if (k < sizeof(ent) / sizeof(ent[0])) {
				*o++ = ent[k].c;
				i += strlen(ent[k].e) - 1;
				continue;
			}
		}
		if (s[i] == '\r')
			continue;
		*o++ = s[i];
	}
	return ((size_t)(o - d));
}
