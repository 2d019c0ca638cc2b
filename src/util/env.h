/* Comparison switches from the environment (SKIFF_COALESCED=off, SKIFF_RX_PAGE=off, ...):
 * the profile and bench scenarios run one build both ways in one lab run. */
#ifndef SKIFF_UTIL_ENV_H
#define SKIFF_UTIL_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* "on" -> true, "off" -> false, unset or anything else -> dflt. */
bool env_switch(const char *name, bool dflt);
/* A size: "off" -> 0, a number (parse_u64: decimal or 0x hex) -> that, unset or anything
 * else -> dflt. */
size_t env_size(const char *name, size_t dflt);

/* A guest reset re-executes skiff (main.c) with this set to 1 in the environment. Backends
 * hand what must survive it (a tap, a stream's connection) to the new image in one variable
 * <prefix><netdev id> each. */
#define ENV_REBOOTED "SKIFF_REBOOTED"
/* The old image: keep fd (-1: none) open across the exec (FD_CLOEXEC cleared) and set
 * <prefix><id>=val. false when that failed (nothing set). */
bool env_hand_over(const char *prefix, const char *id, int fd, const char *val);
/* The new image: the value handed over for <prefix><id>, copied into buf (len bytes) and
 * taken out of the environment; NULL when there is none or this image is not a reset's. */
const char *env_take_over(const char *prefix, const char *id, char *buf, size_t len);

#endif
