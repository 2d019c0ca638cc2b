#include "util/env.h"

#include <stdlib.h>
#include <string.h>

bool env_switch(const char *name, bool dflt)
{
	const char *v = getenv(name);

	if (v && !strcmp(v, "on"))
		return true;
	if (v && !strcmp(v, "off"))
		return false;
	return dflt;
}
