#include "util/env.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/keyval.h"

bool env_switch(const char *name, bool dflt)
{
	const char *v = getenv(name);

	if (v && !strcmp(v, "on"))
		return true;
	if (v && !strcmp(v, "off"))
		return false;
	return dflt;
}

size_t env_size(const char *name, size_t dflt)
{
	const char *v = getenv(name);
	uint64_t n;

	if (v && !strcmp(v, "off"))
		return 0;
	/* The option parser's number rules (cli/keyval.h): no sign, no junk, no overflow. */
	return !v || parse_u64(v, &n) < 0 || n > SIZE_MAX ? dflt : (size_t)n;
}

bool env_hand_over(const char *prefix, const char *id, int fd, const char *val)
{
	char var[160];
	int fl = fd >= 0 ? fcntl(fd, F_GETFD) : 0;

	snprintf(var, sizeof(var), "%s%s", prefix, id);
	if (fl < 0 || (fd >= 0 && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0))
		return false;
	return setenv(var, val, 1) == 0;
}

const char *env_take_over(const char *prefix, const char *id, char *buf, size_t len)
{
	char var[160];
	const char *val;

	snprintf(var, sizeof(var), "%s%s", prefix, id);
	val = getenv(var);
	if (!val)
		return NULL;
	snprintf(buf, len, "%s", val);
	unsetenv(var);
	return getenv(ENV_REBOOTED) ? buf : NULL;
}
