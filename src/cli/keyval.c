/* QemuOpts-style "key=value,..." lists and the value parsers behind them. */
#include "cli/keyval.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static void *kv_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p && n)
		die("out of memory");
	return p;
}

static char *kv_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

void kvlist_add(struct kvlist *l, const char *key, const char *value)
{
	struct kv *kv;

	l->items = kv_xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	kv = &l->items[l->n++];
	kv->key = kv_xstrdup(key);
	kv->value = kv_xstrdup(value);
	kv->used = false;
}

void kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
	for (size_t i = 0; i < src->n; i++) {
		kvlist_add(dst, src->items[i].key, src->items[i].value);
		dst->items[dst->n - 1].used = src->items[i].used;
	}
}

/* Read up to an unescaped ',' (or '\0'); ",," is a literal comma.
 * stop_at_eq: a key ends at '=' as well, and keys know no escaping. */
static const char *kv_scan(const char *p, char **out, bool is_key)
{
	size_t cap = strlen(p) + 1, len = 0;
	char *buf = kv_xrealloc(NULL, cap);

	while (*p) {
		if (is_key && (*p == '=' || *p == ','))
			break;
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;            /* ",," -> "," */
		}
		buf[len++] = *p++;
	}
	buf[len] = '\0';
	*out = buf;
	return p;
}

int kvlist_parse(struct kvlist *out, const char *str, const char *implied_key)
{
	const char *p = str;
	bool first = true;

	while (*p) {
		char *key, *value;
		const char *q;

		q = kv_scan(p, &key, true);
		if (*q == '=') {
			q = kv_scan(q + 1, &value, false);
			kvlist_add(out, key, value);
			free(value);
		} else if (first && implied_key) {
			/* The whole element, with ",," escapes, is the implied value. */
			free(key);
			q = kv_scan(p, &value, false);
			kvlist_add(out, implied_key, value);
			free(value);
			key = NULL;
		} else if (first) {
			error_report("Expected '=' after parameter '%s'", key);
			free(key);
			return -1;
		} else if (!*key) {
			/* "a,,,b" style stray empty element */
			error_report("Invalid parameter ''");
			free(key);
			return -1;
		} else if (!strncmp(key, "no", 2) && key[2]) {
			/* QemuOpts short form: "noflag" is flag=off */
			kvlist_add(out, key + 2, "off");
		} else {
			kvlist_add(out, key, "on");
		}
		free(key);
		first = false;
		p = q;
		if (*p == ',')
			p++;
	}
	return 0;
}

const char *kvlist_get(struct kvlist *l, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->items[i].key, key)) {
			l->items[i].used = true;
			v = l->items[i].value;
		}
	}
	return v;
}

size_t kvlist_get_all(struct kvlist *l, const char *key, const char **vals, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].key, key))
			continue;
		l->items[i].used = true;
		if (n < max)
			vals[n] = l->items[i].value;
		n++;
	}
	return n;
}

int kvlist_check_unused(const struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!l->items[i].used) {
			error_report("Invalid parameter '%s'", l->items[i].key);
			return -1;
		}
	}
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Decimal, or hex with 0x; no sign, no trailing junk. -EINVAL / -ERANGE. */
static int parse_u64_err(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	return parse_u64_err(s, out) ? -1 : 0;
}

static int size_suffix_shift(char c)
{
	switch (c) {
	case 'b': case 'B': return 0;
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	case 'p': case 'P': return 50;
	case 'e': case 'E': return 60;
	}
	return -1;
}

int parse_size_err(const char *s, uint64_t *out, unsigned default_unit_shift)
{
	const char *p = s;
	uint64_t ival = 0, frac_num = 0, frac_den = 1;
	bool hex = false, any = false, has_frac = false;
	int shift;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		hex = true;
		p += 2;
	}
	for (; hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p); p++) {
		unsigned d = isdigit((unsigned char)*p) ? *p - '0' : (tolower(*p) - 'a' + 10);

		any = true;
		if (__builtin_mul_overflow(ival, hex ? 16 : 10, &ival) ||
		    __builtin_add_overflow(ival, d, &ival))
			return -ERANGE;
	}
	if (!any)
		return -EINVAL;
	if (*p == '.' && !hex) {
		/* "0.5G": fractions as QEMU's qemu_strtosz takes them */
		has_frac = true;
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_den < 1000000000000000000ULL) {
				frac_num = frac_num * 10 + (*p - '0');
				frac_den *= 10;
			}
		}
	}
	if (*p) {
		shift = size_suffix_shift(*p);
		if (shift < 0 || p[1])
			return -EINVAL;
	} else {
		shift = default_unit_shift;
	}
	/* A fraction of a byte makes no sense, nor does a hex fraction. */
	if (has_frac && shift == 0)
		return -EINVAL;
	if (shift && ival > (UINT64_MAX >> shift))
		return -ERANGE;
	ival <<= shift;
	if (has_frac) {
		/* frac_num / frac_den < 1, times 2^shift (shift <= 60) */
		unsigned __int128 f = ((unsigned __int128)frac_num << shift) / frac_den;

		if (__builtin_add_overflow(ival, (uint64_t)f, &ival))
			return -ERANGE;
	}
	*out = ival;
	return 0;
}

int parse_size(const char *s, uint64_t *out, unsigned default_unit_shift)
{
	return parse_size_err(s, out, default_unit_shift) ? -1 : 0;
}

int kvlist_get_bool(struct kvlist *l, const char *key, bool *out)
{
	const char *v = kvlist_get(l, key);

	if (!v)
		return 0;
	if (parse_bool(v, out)) {
		error_report("Parameter '%s' expects 'on' or 'off'", key);
		return -1;
	}
	return 1;
}

int kvlist_get_u64(struct kvlist *l, const char *key, uint64_t *out)
{
	const char *v = kvlist_get(l, key);

	if (!v)
		return 0;
	if (parse_u64(v, out)) {
		error_report("Parameter '%s' expects a non-negative number below 2^64", key);
		return -1;
	}
	return 1;
}

int kvlist_get_size(struct kvlist *l, const char *key, uint64_t *out)
{
	const char *v = kvlist_get(l, key);
	int r;

	if (!v)
		return 0;
	r = parse_size_err(v, out, 0);
	if (r == -ERANGE) {
		error_report("Value '%s' is out of range for parameter '%s'", v, key);
		return -1;
	}
	if (r) {
		error_report("Parameter '%s' expects a size", key);
		return -1;
	}
	return 1;
}

int parse_mac(const char *s, uint8_t mac[6])
{
	const char *p = s;

	/* QEMU's net_parse_macaddr: six groups of one or two hex digits,
	 * separated by ':' or '-'. */
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;
		int nd = 0;

		while (isxdigit((unsigned char)*p) && nd < 2) {
			v = v * 16 + (isdigit((unsigned char)*p) ? *p - '0' : tolower(*p) - 'a' + 10);
			p++;
			nd++;
		}
		if (!nd)
			return -1;
		mac[i] = v;
		if (i < 5) {
			if (*p != ':' && *p != '-')
				return -1;
			p++;
		}
	}
	return *p ? -1 : 0;
}

bool id_wellformed(const char *id)
{
	if (!isalpha((unsigned char)id[0]))
		return false;
	for (const char *p = id + 1; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	}
	return true;
}
