/* QEMU's option-string grammar ("QemuOpts"): "value,key=value,flag,key=a,,b".
 * ",," is a literal comma; a bare first word may be an implied key (e.g. the
 * netdev type); a bare later word "flag" means flag=on and "noflag" flag=off
 * where the caller allows it.
 *
 * Value parsers report errors in QEMU's words through error_report() and
 * return -1; they never exit. */
#ifndef SKIFF_CLI_KEYVAL_H
#define SKIFF_CLI_KEYVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv {
	char *key;
	char *value;
	bool used;           /* set by kvlist_get*: lets kvlist_check_unused() find unknown keys */
};

struct kvlist {
	struct kv *items;
	size_t n;
};

/* Split str into pairs. implied_key names the key a leading bare word gets
 * (NULL: a leading bare word is an error). Returns 0 or -1 (reported). */
int kvlist_parse(struct kvlist *out, const char *str, const char *implied_key);
void kvlist_add(struct kvlist *l, const char *key, const char *value);
void kvlist_free(struct kvlist *l);
void kvlist_copy(struct kvlist *dst, const struct kvlist *src);

/* Last value for key (QEMU: later wins), marking every occurrence used; NULL if absent. */
const char *kvlist_get(struct kvlist *l, const char *key);
/* Every value for a repeatable key (hostfwd=, dnssearch=, ...), in order; returns count. */
size_t kvlist_get_all(struct kvlist *l, const char *key, const char **vals, size_t max);
/* -1 and "Invalid parameter 'KEY'" for the first key never fetched. */
int kvlist_check_unused(const struct kvlist *l);

/* Typed getters: 0 = absent (out untouched), 1 = present and valid, -1 = reported error.
 * Wording as QEMU: "Parameter 'KEY' expects 'on' or 'off'",
 * "Parameter 'KEY' expects a non-negative number below 2^64",
 * "Parameter 'KEY' expects a size" (sizes take k/K, M, G, T, P, E suffixes, default unit bytes). */
int kvlist_get_bool(struct kvlist *l, const char *key, bool *out);
int kvlist_get_u64(struct kvlist *l, const char *key, uint64_t *out);
int kvlist_get_size(struct kvlist *l, const char *key, uint64_t *out);

/* Standalone parsers used by the getters and by -m: 0 or -1 (not reported). */
int parse_bool(const char *s, bool *out);
int parse_u64(const char *s, uint64_t *out);
/* default_unit_shift: 0 for bytes, 20 for MiB (as "-m 512" means 512 MiB). */
int parse_size(const char *s, uint64_t *out, unsigned default_unit_shift);

/* As parse_size() but tells why: 0, -EINVAL (syntax) or -ERANGE (above 2^64-1),
 * so callers can use QEMU's "Value '%s' is out of range for parameter" wording.
 * Accepts QEMU's forms: "512", "8G", "0.5G", "0x1000", optional b/B suffix. */
int parse_size_err(const char *s, uint64_t *out, unsigned default_unit_shift);

/* "52:54:00:12:34:56" -> mac; 0 or -1 (not reported). ':' or '-' separators. */
int parse_mac(const char *s, uint8_t mac[6]);

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
bool id_wellformed(const char *id);

#endif
