/* PLACEHOLDER - replaced by the MIME module (see mime.h). */
#include <string.h>
#include "mime.h"
int mime_parse(struct arena *a, const char *b, size_t n, const struct mime_limits *l, struct mime_msg *m)
{ (void)l; memset(m, 0, sizeof(*m)); if ((m->root = arena_alloc(a, sizeof(*m->root))) == NULL) return (-1);
  m->root->type = "text/plain"; m->root->charset = ""; m->root->raw = b; m->root->rawlen = n;
  m->root->body = arena_strndup(a, b, n); m->root->bodylen = n; m->nparts = 1; return (m->root->body ? 0 : -1); }
const char *mime_hdr_get(const struct mime_part *p, const char *n) { size_t i = 0; return (mime_hdr_next(p, n, &i)); }
const char *mime_hdr_next(const struct mime_part *p, const char *n, size_t *it)
{ for (; *it < p->nhdrs; (*it)++) if (strcasecmp(p->hdrs[*it].name, n) == 0) return (p->hdrs[(*it)++].value); return (NULL); }
char *mime_decode_words(struct arena *a, const char *v) { return (arena_strdup(a, v)); }
char *mime_to_utf8(struct arena *a, const char *c, const char *s, size_t n, size_t *o) { (void)c; *o = n; return (arena_strndup(a, s, n)); }
const struct mime_part *mime_find(const struct mime_part *r, const char *t) { return (r && strcmp(r->type, t) == 0 ? r : NULL); }
