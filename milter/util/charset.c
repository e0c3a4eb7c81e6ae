/*
 * charset.c - conversion of text in a named charset to UTF-8; see charset.h
 *
 *	Labels are normalised (lower case, aliases mapped to the iconv name
 *	of the usual superset: Shift_JIS -> CP932, GB2312 -> GB18030,
 *	ks_c_5601-1987 -> CP949, ISO-8859-1 -> WINDOWS-1252, as mail
 *	software writes them), then looked up in a per-thread cache of
 *	iconv descriptors kept behind a pthread key whose destructor closes
 *	them.  ISO-2022-JP is read the way Windows and Japanese phones
 *	write it (NEC/IBM extensions, half-width katakana): rewritten as
 *	Shift_JIS and decoded as CP932, unless it designates JIS X 0212 or
 *	0213, which go to glibc's ISO-2022-JP-2/-3.
 *
 *	Text that is plain ASCII (no ESC) in a charset that keeps ASCII as
 *	it is (tried once per descriptor) is not converted: the result is
 *	1, as for UTF-8, and the caller keeps the bytes, which is what the
 *	conversion would have given.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "charset.h"

#define CACHE_SLOTS	12
#define NAME_MAX_LEN	48

struct cd_slot {
	char		 name[NAME_MAX_LEN];	/* iconv name; "" = free */
	iconv_t		 cd;			/* (iconv_t)-1: unknown */
	unsigned long	 used;
	int		 ascii;			/* ASCII kept as is: 1 yes,
						   -1 no, 0 not tried */
};

struct cd_cache {
	struct cd_slot	 slot[CACHE_SLOTS];
	unsigned long	 tick;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_ok;

/* Sorted by label in strcmp() order: label_iconv() searches by halves. */
static const struct alias {
	const char	*label;
	const char	*iconv;		/* NULL: UTF-8 compatible */
} aliases[] = {
	{ "", NULL }, { "7bit", NULL }, { "8bit", NULL },
	{ "ansi_x3.4-1968", NULL }, { "ascii", NULL },
	{ "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" },
	{ "chinese", "GB18030" }, { "cn-big5", "BIG5-HKSCS" },
	{ "cp1252", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" },
	{ "cp932", "CP932" }, { "cp936", "GB18030" }, { "cp949", "CP949" },
	{ "cp950", "CP950" }, { "csascii", NULL }, { "csbig5", "BIG5-HKSCS" },
	{ "cseucpkdfmtjapanese", "EUC-JP-MS" }, { "csgb2312", "GB18030" },
	{ "csiso2022jp", "ISO-2022-JP-3" }, { "csksc56011987", "CP949" },
	{ "csshiftjis", "CP932" }, { "default", NULL },
	{ "euc-cn", "GB18030" }, { "euc-jp", "EUC-JP-MS" },
	{ "euc-jp-ms", "EUC-JP-MS" }, { "euc-kr", "CP949" },
	{ "eucjp", "EUC-JP-MS" }, { "gb18030", "GB18030" },
	{ "gb2312", "GB18030" }, { "gb_2312-80", "GB18030" },
	{ "gbk", "GB18030" }, { "iso-2022-jp", "ISO-2022-JP-3" },
	{ "iso-2022-jp-1", "ISO-2022-JP-3" },
	{ "iso-2022-jp-2", "ISO-2022-JP-2" },
	{ "iso-2022-jp-3", "ISO-2022-JP-3" }, { "iso-8859-1", "WINDOWS-1252" },
	{ "iso-ir-100", "WINDOWS-1252" }, { "iso646-us", NULL },
	{ "iso8859-1", "WINDOWS-1252" }, { "iso_8859-1", "WINDOWS-1252" },
	{ "jis", "ISO-2022-JP-3" }, { "korean", "CP949" },
	{ "ks_c_5601", "CP949" }, { "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601-1989", "CP949" }, { "ksc5601", "CP949" },
	{ "ksc_5601", "CP949" }, { "l1", "WINDOWS-1252" },
	{ "latin1", "WINDOWS-1252" }, { "ms_kanji", "CP932" },
	{ "shift-jis", "CP932" }, { "shift_jis", "CP932" },
	{ "shift_jisx0213", "CP932" }, { "sjis", "CP932" },
	{ "tis-620", "CP874" }, { "uhc", "CP949" },
	{ "unicode-1-1-utf-7", "UTF-7" }, { "unknown", NULL },
	{ "unknown-8bit", NULL }, { "us", NULL }, { "us-ascii", NULL },
	{ "utf-7", "UTF-7" }, { "utf-8", NULL }, { "utf8", NULL },
	{ "windows-31j", "CP932" }, { "windows-874", "CP874" },
	{ "windows-936", "GB18030" }, { "windows-949", "CP949" },
	{ "x-ascii", NULL }, { "x-big5", "BIG5-HKSCS" },
	{ "x-euc-jp", "EUC-JP-MS" }, { "x-eucjp", "EUC-JP-MS" },
	{ "x-gb2312", "GB18030" }, { "x-gbk", "GB18030" },
	{ "x-ms-cp932", "CP932" }, { "x-shift_jis", "CP932" },
	{ "x-sjis", "CP932" }, { "x-unicode20utf7", "UTF-7" },
	{ "x-unknown", NULL }, { "x-user-defined", NULL },
	{ "x-windows-949", "CP949" },
};

static void
cache_free(void *arg)
{
	struct cd_cache *c = arg;
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].name[0] != '\0' && c->slot[i].cd != (iconv_t)-1)
			iconv_close(c->slot[i].cd);
	free(c);
}

static void
cache_init(void)
{
	cache_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

static struct cd_cache *
cache_get(void)
{
	struct cd_cache *c;

	pthread_once(&cache_once, cache_init);
	if (!cache_ok)
		return (NULL);
	if ((c = pthread_getspecific(cache_key)) != NULL)
		return (c);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if (pthread_setspecific(cache_key, c) != 0) {
		free(c);
		return (NULL);
	}
	return (c);
}

/* Lower-case, trimmed label into out; 0 when it holds odd characters. */
static int
label_norm(const char *name, char *out, size_t outsz)
{
	size_t i = 0;
	unsigned char c;

	while (*name == ' ' || *name == '\t' || *name == '"' || *name == '\'')
		name++;
	for (; (c = (unsigned char)*name) != '\0'; name++) {
		if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ';')
			break;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == ':' || c == '+' ||
		    c == '(' || c == ')'))
			return (0);
		if (i + 1 >= outsz)
			return (0);
		out[i++] = (char)c;
	}
	out[i] = '\0';
	return (1);
}

/* The iconv name for a label, NULL for UTF-8-like, "" for unusable. */
int
charset_aliases_sorted(void)
{
	size_t i;

	for (i = 1; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i - 1].label, aliases[i].label) >= 0)
			return (0);
	return (1);
}

static const char *
label_iconv(const char *name, char *norm, size_t normsz)
{
	size_t lo, hi, mid;
	int c;

	if (name == NULL)
		return (NULL);
	if (!label_norm(name, norm, normsz))
		return ("");
	if (norm[0] == '\0')
		return (NULL);		/* no label: as UTF-8 */
	for (lo = 0, hi = sizeof(aliases) / sizeof(aliases[0]); lo < hi; ) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(norm, aliases[mid].label)) == 0)
			return (aliases[mid].iconv);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (norm);
}

int
charset_utf8_like(const char *name)
{
	char norm[NAME_MAX_LEN];

	return (label_iconv(name, norm, sizeof(norm)) == NULL);
}

/* The cache slot with a reset descriptor for the iconv name, or NULL. */
static struct cd_slot *
slot_get(const char *iname)
{
	struct cd_cache *c;
	struct cd_slot *s, *victim;
	int i;

	if ((c = cache_get()) == NULL)
		return (NULL);
	c->tick++;
	victim = &c->slot[0];
	for (i = 0; i < CACHE_SLOTS; i++) {
		s = &c->slot[i];
		if (s->name[0] != '\0' && strcmp(s->name, iname) == 0) {
			s->used = c->tick;
			if (s->cd != (iconv_t)-1)
				iconv(s->cd, NULL, NULL, NULL, NULL);
			return (s);
		}
		if (victim->name[0] == '\0')
			continue;		/* keep the first free slot */
		if (s->name[0] == '\0' || s->used < victim->used)
			victim = s;
	}
	if (victim->name[0] != '\0' && victim->cd != (iconv_t)-1)
		iconv_close(victim->cd);
	strncpy(victim->name, iname, sizeof(victim->name) - 1);
	victim->name[sizeof(victim->name) - 1] = '\0';
	victim->cd = iconv_open("UTF-8", iname);
	victim->used = c->tick;
	victim->ascii = 0;
	return (victim);
}

/*
 * Does the slot's charset turn every ASCII byte (ESC and the other
 * controls included) into itself?  Tried once per descriptor by
 * converting all of them; the descriptor is reset afterwards.
 */
static int
slot_ascii(struct cd_slot *s)
{
	char in[128], out[512], *ip = in, *op = out;
	size_t ileft = sizeof(in), oleft = sizeof(out), i, r;

	if (s->ascii != 0)
		return (s->ascii > 0);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	r = iconv(s->cd, &ip, &ileft, &op, &oleft);
	if (r != (size_t)-1)
		r = iconv(s->cd, NULL, NULL, &op, &oleft);
	s->ascii = r != (size_t)-1 && ileft == 0 &&
	    (size_t)(op - out) == sizeof(in) &&
	    memcmp(in, out, sizeof(in)) == 0 ? 1 : -1;
	iconv(s->cd, NULL, NULL, NULL, NULL);
	return (s->ascii > 0);
}

/* Is s[0, n) ASCII without ESC (what no ASCII-keeping charset changes)? */
static int
plain_ascii(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	const unsigned char *u = (const unsigned char *)s;
	uint64_t w, x;
	size_t i = 0;

	/* eight bytes at a time: a high bit, or a zero byte in w ^ ESCs */
	for (; n - i >= 8; i += 8) {
		memcpy(&w, u + i, 8);
		x = w ^ (ones * 0x1b);
		if ((w | ((x - ones) & ~x)) & highs)
			return (0);
	}
	for (; i < n; i++)
		if (u[i] >= 0x80 || u[i] == 0x1b)
			return (0);
	return (1);
}

/* Does s[0, n) hold the escape sequence esc (ESC and k more bytes)? */
static int
has_esc(const char *s, size_t n, const char *esc, size_t k)
{
	const char *p = s, *e = s + n;

	while ((p = memchr(p, 0x1b, (size_t)(e - p))) != NULL) {
		if ((size_t)(e - p) > k && memcmp(p + 1, esc + 1, k) == 0)
			return (1);
		p++;
	}
	return (0);
}

/* Room for need more bytes (and the NUL) in b. */
static int
room(struct buf *b, size_t need)
{
	size_t cap;
	char *np;

	if (need > SIZE_MAX / 2 - b->len - 1)
		return (-1);
	if (b->len + need + 1 <= b->cap)
		return (0);
	cap = b->cap * 2 > b->len + need + 1 ? b->cap * 2 : b->len + need + 1;
	if ((np = realloc(b->p, cap)) == NULL)
		return (-1);
	b->p = np;
	b->cap = cap;
	return (0);
}

/*
 * ISO-2022-JP as Windows and many phones write it (CP50220/CP50221):
 * JIS X 0208 with the NEC and IBM extensions, half-width katakana by
 * ESC ( I or SO/SI.  glibc knows none of the extensions, so the text
 * is rewritten as Shift_JIS (an arithmetic mapping) and decoded as
 * CP932.  Bytes that fit no rule are kept (8-bit ones then decode as
 * Shift_JIS, which is what such mixed text usually is).  *outp is
 * malloc'd; -1 when memory ran out.
 */
static int
jis_to_sjis(const char *s, size_t n, char **outp, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char *o, c1, c2;
	size_t i, k = 0;
	enum { ASCII, KANJI, KANA } st = ASCII, shifted = ASCII;

	if ((o = malloc(n + 1)) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		/* in ASCII only ESC, SO and SI do more than copy a byte */
		while (st == ASCII && i < n && u[i] != 0x1b && u[i] != 0x0e &&
		    u[i] != 0x0f)
			o[k++] = u[i++];
		if (i == n)
			break;
		if (u[i] == 0x1b && n - i >= 3) {
			if (u[i + 1] == '$' && (u[i + 2] == 'B' || u[i + 2] == '@')) {
				st = KANJI;
				i += 2;
				continue;
			}
			if (u[i + 1] == '(' && (u[i + 2] == 'B' || u[i + 2] == 'J')) {
				st = ASCII;
				i += 2;
				continue;
			}
			if (u[i + 1] == '(' && u[i + 2] == 'I') {
				st = KANA;
				i += 2;
				continue;
			}
		}
		if (u[i] == 0x0e || u[i] == 0x0f) {	/* SO, SI */
			if (u[i] == 0x0e && st != KANA)
				shifted = st, st = KANA;
			else if (u[i] == 0x0f && st == KANA)
				st = shifted;
			continue;
		}
		if (u[i] == '\n' || u[i] == '\r') {
			st = ASCII;		/* lines end in ASCII */
			o[k++] = u[i];
			continue;
		}
		if (st == KANA && u[i] >= 0x21 && u[i] <= 0x5f) {
			o[k++] = (unsigned char)(u[i] + 0x80);
			continue;
		}
		if (st == KANJI && u[i] >= 0x21 && u[i] <= 0x7e && i + 1 < n &&
		    u[i + 1] >= 0x21 && u[i + 1] <= 0x7e) {
			c1 = u[i];
			c2 = u[++i];
			o[k++] = (unsigned char)(((c1 + 1) >> 1) +
			    (c1 <= 0x5e ? 0x70 : 0xb0));
			if (c1 & 1)
				o[k++] = (unsigned char)(c2 + (c2 >= 0x60 ?
				    0x20 : 0x1f));
			else
				o[k++] = (unsigned char)(c2 + 0x7e);
			continue;
		}
		o[k++] = u[i];
	}
	o[k] = '\0';
	*outp = (char *)o;
	*outlen = k;
	return (0);
}

/* Convert s[0, n) with cd, appending to out (see charset_conv_buf). */
static int	conv_cd(iconv_t, const char *, size_t, struct buf *, size_t *);
static int	conv_runs(iconv_t, const char *, size_t, struct buf *,
		    size_t *);
static int	runs_ok(const char *, const char *, size_t);

int
charset_conv_buf(const char *name, const char *s, size_t n, struct buf *out,
    size_t *nbad)
{
	char norm[NAME_MAX_LEN], *sj;
	const char *iname;
	struct cd_slot *sl;
	size_t sjlen;
	int r;

	iname = label_iconv(name, norm, sizeof(norm));
	if (iname == NULL || *iname == '\0')
		return (1);
	if (strcmp(iname, "ISO-2022-JP-3") == 0 &&
	    !has_esc(s, n, "\x1b$(", 2) &&
	    (sl = slot_get("CP932")) != NULL && sl->cd != (iconv_t)-1) {
		/* no JIS X 0212/0213: the Windows reading is a superset */
		if (jis_to_sjis(s, n, &sj, &sjlen) == -1)
			return (-1);
		r = slot_ascii(sl) && runs_ok("CP932", sj, sjlen) ?
		    conv_runs(sl->cd, sj, sjlen, out, nbad) :
		    conv_cd(sl->cd, sj, sjlen, out, nbad);
		free(sj);
		return (r);
	}
	if (strcmp(iname, "ISO-2022-JP-3") == 0 &&
	    has_esc(s, n, "\x1b$(D", 3))
		iname = "ISO-2022-JP-2";	/* JIS X 0212 */
	if ((sl = slot_get(iname)) == NULL || sl->cd == (iconv_t)-1)
		return (1);
	if (slot_ascii(sl)) {
		if (plain_ascii(s, n)) {
			if (nbad != NULL)
				*nbad = 0;
			return (1);	/* the bytes are their own UTF-8 */
		}
		if (runs_ok(iname, s, n))
			return (conv_runs(sl->cd, s, n, out, nbad));
	}
	return (conv_cd(sl->cd, s, n, out, nbad));
}

/*
 * May conv_runs() cut this text?  Not for charsets that switch state
 * with ASCII bytes (ISO-2022-*, HZ, UTF-7: all may keep ASCII as it is
 * in their initial state), nor for text holding ESC, SO or SI.
 */
static int
runs_ok(const char *iname, const char *s, size_t n)
{
	if (strstr(iname, "2022") != NULL || strcasestr(iname, "utf-7") !=
	    NULL || strcasestr(iname, "utf7") != NULL ||
	    strncasecmp(iname, "hz", 2) == 0)
		return (0);
	return (memchr(s, 0x1b, n) == NULL && memchr(s, 0x0e, n) == NULL &&
	    memchr(s, 0x0f, n) == NULL);
}

/* Append s[0, n) as it is to out. */
static int
raw_add(struct buf *out, const char *s, size_t n)
{
	if (room(out, n) == -1)
		return (-1);
	memcpy(out->p + out->len, s, n);
	out->len += n;
	out->p[out->len] = '\0';
	return (0);
}

#define RUN_MIN		16	/* ASCII bytes worth an iconv() call less */

/*
 * conv_cd() for a charset that keeps ASCII as it is (slot_ascii()):
 * long ASCII runs are copied, only the text around 8-bit bytes goes
 * through iconv (tens of instructions a byte).  The output is the same
 * because every cut is at a character boundary: an ASCII byte starts
 * no multi-byte sequence (it may end one, as a Shift_JIS, Big5 or
 * GB18030 trail byte), so after two ASCII bytes in a row a new
 * character starts.  A piece starts one byte before its first 8-bit
 * byte (a base letter a following combining mark may join) and ends
 * after the first byte of the run that follows (it may be a trail
 * byte).  The descriptor is left in its initial state after each
 * piece, as a stateless charset is after any character.
 */
static int
conv_runs(iconv_t cd, const char *s, size_t n, struct buf *out, size_t *nbad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, j, k, r, bad, total = 0;

	if (nbad != NULL)
		*nbad = 0;
	if (out->p == NULL && raw_add(out, "", 0) == -1)
		return (-1);
	while (i < n) {
		for (j = i; j < n && u[j] < 0x80; j++)
			;
		if (j == n)
			return (raw_add(out, s + i, n - i));
		if (j > i)
			j--;			/* a base letter, maybe */
		if (raw_add(out, s + i, j - i) == -1)
			return (-1);
		/* the piece ends inside the first ASCII run of RUN_MIN */
		for (k = j + 1, r = 0; k < n && r < RUN_MIN; k++)
			r = u[k] < 0x80 ? r + 1 : 0;
		if (r == RUN_MIN)
			k -= RUN_MIN - 1;	/* after the run's first byte */
		else
			k = n;
		if (conv_cd(cd, s + j, k - j, out, nbad != NULL ? &bad :
		    NULL) == -1)
			return (-1);
		total += nbad != NULL ? bad : 0;
		i = k;
	}
	if (nbad != NULL)
		*nbad = total;
	return (0);
}

static int
conv_cd(iconv_t cd, const char *s, size_t n, struct buf *out, size_t *nbad)
{
	char *ip, *op;
	size_t ileft, oleft, r;

	if (nbad != NULL)
		*nbad = 0;
	if (n > SIZE_MAX / 4 || room(out, n * 2 + 64) == -1)
		return (-1);
#define OUT_SYNC()	(out->len = (size_t)(op - out->p))
#define OUT_LOAD()	(op = out->p + out->len, oleft = out->cap - out->len - 1)
	OUT_LOAD();
	ip = (char *)(uintptr_t)s;
	ileft = n;
	while (ileft > 0) {
		r = iconv(cd, &ip, &ileft, &op, &oleft);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			OUT_SYNC();
			if (room(out, out->cap + 64) == -1)
				goto oom;
			OUT_LOAD();
			continue;
		}
		if (errno != EILSEQ && errno != EINVAL)
			break;
		/* an invalid or cut sequence: U+FFFD, skip one byte */
		if (oleft < 3) {
			OUT_SYNC();
			if (room(out, 64) == -1)
				goto oom;
			OUT_LOAD();
		}
		memcpy(op, "\xef\xbf\xbd", 3);
		op += 3;
		oleft -= 3;
		if (nbad != NULL)
			(*nbad)++;
		ip++;
		ileft--;
	}
	for (;;) {
		if (iconv(cd, NULL, NULL, &op, &oleft) != (size_t)-1 ||
		    errno != E2BIG)
			break;
		OUT_SYNC();
		if (room(out, 64) == -1)
			goto oom;
		OUT_LOAD();
	}
	OUT_SYNC();
	out->p[out->len] = '\0';
	return (0);
oom:
	OUT_SYNC();
	out->p[out->len] = '\0';
	return (-1);
#undef OUT_SYNC
#undef OUT_LOAD
}

int
charset_conv(const char *name, const char *s, size_t n, char **out,
    size_t *outlen, size_t *nbad)
{
	struct buf b = BUF_INIT;
	int r;

	if ((r = charset_conv_buf(name, s, n, &b, nbad)) != 0) {
		buf_free(&b);
		return (r);
	}
	*out = b.p;
	*outlen = b.len;
	return (0);
}

/* Where the next ISO-2022-JP shift sequence at or after i is, or n. */
size_t
charset_jis_at(const char *s, size_t i, size_t n)
{
	const char *p = s + i, *e = s + n;

	while ((p = memchr(p, 0x1b, (size_t)(e - p))) != NULL) {
		if (e - p >= 3 && (p[1] == '$' || (p[1] == '(' &&
		    (p[2] == 'J' || p[2] == 'I'))))
			return ((size_t)(p - s));
		p++;
	}
	return (n);
}

/*
 * Japanese text labelled ISO-2022-JP but sent as 8-bit (EUC-JP,
 * Shift_JIS or UTF-8, as some carriers do): the encoding that decodes
 * with the fewest errors.  Returns the charset_conv() result.
 */
int
charset_jp_guess(const char *s, size_t n, char **conv, size_t *convlen)
{
	static const char *const try[] = { "euc-jp", "shift_jis" };
	char *best = NULL, *c = NULL;
	size_t bestlen = 0, bestbad = (size_t)-1, cl = 0, bad = 0, i;
	int r;

	for (i = 0; i < sizeof(try) / sizeof(try[0]); i++) {
		if ((r = charset_conv(try[i], s, n, &c, &cl, &bad)) == -1) {
			free(best);
			return (-1);
		}
		if (r == 1)
			continue;
		if (bad < bestbad) {
			free(best);
			best = c;
			bestlen = cl;
			bestbad = bad;
		} else
			free(c);
		if (bad == 0)
			break;
	}
	if (best == NULL)
		return (1);
	*conv = best;
	*convlen = bestlen;
	return (0);
}

/*
 * ISO-2022-JP runs inside text that is otherwise UTF-8 or ASCII (no
 * charset, or one iconv does not know): each run, from a shift
 * sequence to the shift back to ASCII or the line end, is converted on
 * its own; the rest is kept.  Returns as charset_conv().
 */
int
charset_jis_mixed(const char *s, size_t n, char **conv, size_t *convlen)
{
	struct buf b = BUF_INIT;
	size_t i = 0, j, k;
	int r;

	while (i < n) {
		j = charset_jis_at(s, i, n);
		if (buf_add(&b, s + i, j - i) == -1)
			goto oom;
		if (j == n)
			break;
		for (k = j + 3; k < n && s[k] != '\n'; k++)
			if (s[k] == 0x1b && n - k >= 3 && s[k + 1] == '(' &&
			    (s[k + 2] == 'B' || s[k + 2] == 'J')) {
				k += 3;
				break;
			}
		if (k > n)
			k = n;
		if ((r = charset_conv_buf("iso-2022-jp", s + j, k - j, &b,
		    NULL)) == 1)
			r = buf_add(&b, s + j, k - j);
		if (r == -1)
			goto oom;
		i = k;
	}
	if (b.p == NULL && buf_add(&b, "", 0) == -1)
		goto oom;
	*conv = b.p;
	*convlen = b.len;
	return (0);
oom:
	buf_free(&b);
	return (-1);
}
