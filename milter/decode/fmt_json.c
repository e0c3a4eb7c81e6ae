/*
 * fmt_json.c - a small, bounded JSON reader; see fmt_json.h
 */
#include <string.h>

#include "fmt_json.h"

struct jp {
	struct arena	*a;
	const char	*s, *e;
	size_t		 nodes;
};

static void
ws(struct jp *p)
{
	while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' ||
	    *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int
hex4(const char *s, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return (-1);
	}
	return (0);
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/* A string at p->s (past the opening quote). */
static char *
string(struct jp *p)
{
	const char *b = p->s;
	char *d, *o;
	unsigned cp, lo;

	while (p->s < p->e && *p->s != '"') {
		if (*p->s == '\\' && p->s + 1 < p->e)
			p->s++;
		p->s++;
	}
	if (p->s >= p->e)
		return (NULL);
	if ((d = arena_alloc(p->a, (size_t)(p->s - b) + 1)) == NULL)
		return (NULL);
	for (o = d; b < p->s; b++) {
		if (*b != '\\') {
			*o++ = *b;
			continue;
		}
		b++;
		switch (*b) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u':
			if (p->s - b < 5 || hex4(b + 1, &cp) == -1) {
				*o++ = '?';
				break;
			}
			b += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p->s - b >= 7 &&
			    b[1] == '\\' && b[2] == 'u' &&
			    hex4(b + 3, &lo) == 0 && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				b += 6;
			} else if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			if (cp == 0)
				cp = 0xfffd;
			o += put_utf8(o, cp);
			break;
		default: *o++ = *b; break;
		}
	}
	*o = '\0';
	p->s++;
	return (d);
}

static struct fjson *value(struct jp *, int);

static struct fjson *
node(struct jp *p, enum fjson_type t)
{
	struct fjson *j;

	if (++p->nodes > FJSON_MAX_NODES)
		return (NULL);
	if ((j = arena_alloc(p->a, sizeof(*j))) == NULL)
		return (NULL);
	j->type = t;
	return (j);
}

static struct fjson *
container(struct jp *p, int depth, int obj)
{
	struct fjson *j, *v, **tail;
	char *key = NULL;

	if ((j = node(p, obj ? FJ_OBJECT : FJ_ARRAY)) == NULL)
		return (NULL);
	tail = &j->child;
	p->s++;
	ws(p);
	if (p->s < p->e && *p->s == (obj ? '}' : ']')) {
		p->s++;
		return (j);
	}
	for (;;) {
		ws(p);
		if (obj) {
			if (p->s >= p->e || *p->s != '"')
				return (NULL);
			p->s++;
			if ((key = string(p)) == NULL)
				return (NULL);
			ws(p);
			if (p->s >= p->e || *p->s != ':')
				return (NULL);
			p->s++;
		}
		if ((v = value(p, depth + 1)) == NULL)
			return (NULL);
		v->key = key;
		*tail = v;
		tail = &v->next;
		ws(p);
		if (p->s < p->e && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->e && *p->s == (obj ? '}' : ']')) {
			p->s++;
			return (j);
		}
		return (NULL);
	}
}

static struct fjson *
value(struct jp *p, int depth)
{
	struct fjson *j;
	const char *b;

	if (depth > FJSON_MAX_DEPTH)
		return (NULL);
	ws(p);
	if (p->s >= p->e)
		return (NULL);
	switch (*p->s) {
	case '{':
		return (container(p, depth, 1));
	case '[':
		return (container(p, depth, 0));
	case '"':
		if ((j = node(p, FJ_STRING)) == NULL)
			return (NULL);
		p->s++;
		if ((j->str = string(p)) == NULL)
			return (NULL);
		return (j);
	default:
		b = p->s;
		while (p->s < p->e && strchr(",]} \t\r\n", *p->s) == NULL)
			p->s++;
		if (p->s == b)
			return (NULL);
		if ((j = node(p, *b == 't' || *b == 'f' ? FJ_BOOL :
		    *b == 'n' ? FJ_NULL : FJ_NUMBER)) == NULL)
			return (NULL);
		j->str = arena_strndup(p->a, b, (size_t)(p->s - b));
		return (j->str != NULL ? j : NULL);
	}
}

const struct fjson *
fjson_parse(struct arena *a, const char *s, size_t n)
{
	struct jp p;

	if (s == NULL)
		return (NULL);
	p.a = a;
	p.s = s;
	p.e = s + n;
	p.nodes = 0;
	return (value(&p, 0));
}

const struct fjson *
fjson_get(const struct fjson *obj, const char *key)
{
	const struct fjson *c;

	if (obj == NULL || obj->type != FJ_OBJECT)
		return (NULL);
	for (c = obj->child; c != NULL; c = c->next)
		if (c->key != NULL && strcmp(c->key, key) == 0)
			return (c);
	return (NULL);
}
