/* /etc/qemu/bridge.conf ACLs, as qemu-bridge-helper reads them:
 *   allow BR | allow all | deny BR | deny all | include FILE | # comment
 * Default deny; a matching deny beats any allow. Shared by the helper and
 * its unit tests (tests/unit/test_bridge_acl.c). */
#ifndef SKIFF_BRIDGE_ACL_H
#define SKIFF_BRIDGE_ACL_H

#include <stdbool.h>
#include <stddef.h>

#define BH_ACL_MAX_RULES   1024
#define BH_ACL_MAX_DEPTH   8
#define BH_BRNAME_MAX      15      /* IFNAMSIZ - 1 */

enum bh_acl_kind { BH_ALLOW, BH_ALLOW_ALL, BH_DENY, BH_DENY_ALL };

struct bh_acl_rule {
	enum bh_acl_kind kind;
	char br[BH_BRNAME_MAX + 1];
};

struct bh_acl {
	struct bh_acl_rule rules[BH_ACL_MAX_RULES];
	size_t n;
};

/* Parse file (and its includes) into acl, appending. 0, or -1 with a
 * message in err (the first error: file:line: what). */
int bh_acl_load(struct bh_acl *acl, const char *file, char *err, size_t errlen);
/* Parse one buffer (tests; includes are read from disk). */
int bh_acl_parse(struct bh_acl *acl, const char *text, const char *name, int depth,
		 char *err, size_t errlen);
bool bh_acl_allows(const struct bh_acl *acl, const char *br);
/* A usable interface name: 1..15 chars, no '/', no whitespace, not "." / "..". */
bool bh_valid_ifname(const char *name);

#endif
