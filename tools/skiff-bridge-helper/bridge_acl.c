/* ACL parser of skiff-bridge-helper: see bridge_acl.h. Runs setuid root, so
 * everything is bounded: line length, rule count, include depth, file size. */
#include "bridge_acl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BH_MAX_FILE (1 << 20)

bool bh_valid_ifname(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > BH_BRNAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]) ||
		    !isprint((unsigned char)name[i]))
			return false;
	return true;
}

static int bh_load_depth(struct bh_acl *acl, const char *file, int depth, char *err,
			 size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	int r;

	if (depth > BH_ACL_MAX_DEPTH) {
		snprintf(err, errlen, "%s: includes nested too deeply (loop?)", file);
		return -1;
	}
	f = fopen(file, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	buf = malloc(BH_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = fread(buf, 1, BH_MAX_FILE + 1, f);
	fclose(f);
	if (n > BH_MAX_FILE) {
		free(buf);
		snprintf(err, errlen, "%s: file too large", file);
		return -1;
	}
	buf[n] = 0;
	r = bh_acl_parse(acl, buf, file, depth, err, errlen);
	free(buf);
	return r;
}

int bh_acl_load(struct bh_acl *acl, const char *file, char *err, size_t errlen)
{
	return bh_load_depth(acl, file, 0, err, errlen);
}

int bh_acl_parse(struct bh_acl *acl, const char *text, const char *name, int depth,
		 char *err, size_t errlen)
{
	const char *p = text;
	int lineno = 0;

	while (*p) {
		char line[512], *cmd, *arg, *end;
		size_t len = strcspn(p, "\n");

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s:%d: line too long", name, lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = 0;
		p += len;
		if (*p == '\n')
			p++;
		/* Comments run to the end of the line. */
		if ((end = strchr(line, '#')))
			*end = 0;
		cmd = line;
		while (isspace((unsigned char)*cmd))
			cmd++;
		if (!*cmd)
			continue;
		arg = cmd;
		while (*arg && !isspace((unsigned char)*arg))
			arg++;
		if (*arg)
			*arg++ = 0;
		while (isspace((unsigned char)*arg))
			arg++;
		end = arg + strlen(arg);
		while (end > arg && isspace((unsigned char)end[-1]))
			*--end = 0;
		if (!*arg) {
			snprintf(err, errlen, "%s:%d: '%s' needs an argument", name, lineno, cmd);
			return -1;
		}
		if (!strcmp(cmd, "include")) {
			if (bh_load_depth(acl, arg, depth + 1, err, errlen) < 0)
				return -1;
			continue;
		}
		if (strcmp(cmd, "allow") && strcmp(cmd, "deny")) {
			snprintf(err, errlen, "%s:%d: unknown command '%s'", name, lineno, cmd);
			return -1;
		}
		if (strpbrk(arg, " \t")) {
			snprintf(err, errlen, "%s:%d: one bridge name per rule", name, lineno);
			return -1;
		}
		if (acl->n >= BH_ACL_MAX_RULES) {
			snprintf(err, errlen, "%s:%d: too many rules", name, lineno);
			return -1;
		}
		struct bh_acl_rule *r = &acl->rules[acl->n];
		bool all = !strcmp(arg, "all");
		if (!all && !bh_valid_ifname(arg)) {
			snprintf(err, errlen, "%s:%d: invalid bridge name '%s'", name, lineno, arg);
			return -1;
		}
		if (!strcmp(cmd, "allow"))
			r->kind = all ? BH_ALLOW_ALL : BH_ALLOW;
		else
			r->kind = all ? BH_DENY_ALL : BH_DENY;
		snprintf(r->br, sizeof(r->br), "%s", all ? "" : arg);
		acl->n++;
	}
	return 0;
}

bool bh_acl_allows(const struct bh_acl *acl, const char *br)
{
	bool allowed = false;

	for (size_t i = 0; i < acl->n; i++) {
		const struct bh_acl_rule *r = &acl->rules[i];

		switch (r->kind) {
		case BH_DENY_ALL:
			return false;
		case BH_DENY:
			if (!strcmp(r->br, br))
				return false;
			break;
		case BH_ALLOW_ALL:
			allowed = true;
			break;
		case BH_ALLOW:
			if (!strcmp(r->br, br))
				allowed = true;
			break;
		}
	}
	return allowed;
}
