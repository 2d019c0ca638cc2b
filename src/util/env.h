/* Comparison switches from the environment (SKIFF_COALESCED=off, SKIFF_RX_PAGE=off, ...):
 * the profile and bench scenarios run one build both ways in one lab run. */
#ifndef SKIFF_UTIL_ENV_H
#define SKIFF_UTIL_ENV_H

#include <stdbool.h>

/* "on" -> true, "off" -> false, unset or anything else -> dflt. */
bool env_switch(const char *name, bool dflt);

#endif
