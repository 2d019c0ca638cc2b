/* skiff-bridge-helper: the bridge.conf ACL parser (allow/deny/all/include,
 * default deny, deny wins, bounded input), and - when the helper is built
 * (build/skiff-bridge-helper) and we are root - the whole thing end to end
 * in a private network namespace: -netdev bridge gets a tap enslaved to a
 * bridge with the bridge's MTU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "test_stream_common.h"
#include "net/tap.h"
#include "../../tools/skiff-bridge-helper/bridge_acl.c"

static char tmpdir[100];
static char helper[PATH_MAX];
static bool have_netns;
static struct bh_acl acl;
static char err[512];

static int parse(const char *text)
{
	memset(&acl, 0, sizeof(acl));
	err[0] = 0;
	return bh_acl_parse(&acl, text, "bridge.conf", 0, err, sizeof(err));
}

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;
	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_acl_default_deny(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_false(bh_acl_allows(&acl, "br0"));
	assert_int_equal(parse("# nothing but comments\n\n   \n"), 0);
	assert_false(bh_acl_allows(&acl, "br0"));
}

static void test_acl_allow(void **state)
{
	assert_int_equal(parse("allow br0\n"), 0);
	assert_true(bh_acl_allows(&acl, "br0"));
	assert_false(bh_acl_allows(&acl, "br1"));
	assert_false(bh_acl_allows(&acl, "br"));
	assert_int_equal(parse("  allow   virbr0   # libvirt's\nallow br1"), 0);
	assert_true(bh_acl_allows(&acl, "virbr0"));
	assert_true(bh_acl_allows(&acl, "br1"));
	assert_int_equal(parse("allow all\n"), 0);
	assert_true(bh_acl_allows(&acl, "anything"));
}

static void test_acl_deny_wins(void **state)
{
	assert_int_equal(parse("allow all\ndeny br0\n"), 0);
	assert_false(bh_acl_allows(&acl, "br0"));
	assert_true(bh_acl_allows(&acl, "br1"));
	/* Order does not matter: deny beats allow either way. */
	assert_int_equal(parse("deny br0\nallow br0\n"), 0);
	assert_false(bh_acl_allows(&acl, "br0"));
	assert_int_equal(parse("allow br0\ndeny all\n"), 0);
	assert_false(bh_acl_allows(&acl, "br0"));
	assert_int_equal(parse("deny all\nallow all\n"), 0);
	assert_false(bh_acl_allows(&acl, "x"));
}

static void test_acl_errors(void **state)
{
	assert_int_equal(parse("permit br0\n"), -1);
	assert_string_equal(err, "bridge.conf:1: unknown command 'permit'");
	assert_int_equal(parse("allow br0\nallow\n"), -1);
	assert_string_equal(err, "bridge.conf:2: 'allow' needs an argument");
	assert_int_equal(parse("allow br0 br1\n"), -1);
	assert_string_equal(err, "bridge.conf:1: one bridge name per rule");
	assert_int_equal(parse("allow averyveryverylongbridge\n"), -1);
	assert_string_equal(err, "bridge.conf:1: invalid bridge name 'averyveryverylongbridge'");
	assert_int_equal(parse("allow ../x\n"), -1);
	assert_int_equal(parse("include /nonexistent/skiff.conf\n"), -1);
	assert_string_equal(err, "/nonexistent/skiff.conf: No such file or directory");
	char longline[1000];
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	assert_int_equal(parse(longline), -1);
	assert_string_equal(err, "bridge.conf:1: line too long");
	/* Too many rules: bounded. */
	size_t n = (BH_ACL_MAX_RULES + 1) * 10 + 1;
	char *many = malloc(n);
	many[0] = 0;
	for (int i = 0; i <= BH_ACL_MAX_RULES; i++)
		strcat(many, "allow br0\n");
	assert_int_equal(parse(many), -1);
	assert_non_null(strstr(err, "too many rules"));
	free(many);
	assert_false(bh_valid_ifname(""));
	assert_false(bh_valid_ifname("a b"));
	assert_false(bh_valid_ifname(".."));
	assert_true(bh_valid_ifname("br-lan.10"));
}

static void test_acl_include(void **state)
{
	char inc[PATH_MAX], main_[PATH_MAX], text[PATH_MAX + 64], loop[PATH_MAX];

	write_file("user.conf", "allow br7\n", inc, sizeof(inc));
	snprintf(text, sizeof(text), "deny br9\ninclude %s\n", inc);
	write_file("bridge.conf", text, main_, sizeof(main_));
	memset(&acl, 0, sizeof(acl));
	assert_int_equal(bh_acl_load(&acl, main_, err, sizeof(err)), 0);
	assert_true(bh_acl_allows(&acl, "br7"));
	assert_false(bh_acl_allows(&acl, "br9"));
	assert_false(bh_acl_allows(&acl, "br0"));
	/* A deny in an included file still wins. */
	write_file("user.conf", "deny br7\n", inc, sizeof(inc));
	snprintf(text, sizeof(text), "allow all\ninclude %s\n", inc);
	write_file("bridge.conf", text, main_, sizeof(main_));
	memset(&acl, 0, sizeof(acl));
	assert_int_equal(bh_acl_load(&acl, main_, err, sizeof(err)), 0);
	assert_false(bh_acl_allows(&acl, "br7"));
	assert_true(bh_acl_allows(&acl, "br1"));
	/* An include loop is cut off. */
	snprintf(loop, sizeof(loop), "%s/loop.conf", tmpdir);
	snprintf(text, sizeof(text), "include %s\n", loop);
	write_file("loop.conf", text, loop, sizeof(loop));
	memset(&acl, 0, sizeof(acl));
	assert_int_equal(bh_acl_load(&acl, loop, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nested too deeply"));
}

/* ---- the helper itself, end to end ------------------------------------- */

static int ctl_fd(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	return s;
}

static void test_helper_end_to_end(void **state)
{
	char conf[PATH_MAX], opts[PATH_MAX + 64];
	struct ifreq ifr = { 0 };
	struct net_client *nc;
	const char *ifn;
	int s;

	if (!have_netns || access(helper, X_OK) != 0) {
		printf("skipped: needs root and build/skiff-bridge-helper "
		       "(make -C tools/skiff-bridge-helper)\n");
		return;
	}
	s = ctl_fd();
	if (ioctl(s, SIOCBRADDBR, "sktbr0") < 0) {
		printf("skipped: cannot create a bridge: %s\n", strerror(errno));
		close(s);
		return;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "sktbr0");
	ifr.ifr_mtu = 1400;
	assert_int_equal(ioctl(s, SIOCSIFMTU, &ifr), 0);

	write_file("bridge.conf", "allow sktbr0\n", conf, sizeof(conf));
	setenv("SKIFF_BRIDGE_CONF", conf, 1);
	snprintf(opts, sizeof(opts), "br=sktbr0,helper=%s", helper);
	assert_int_equal(nd("bridge", "br", opts), 0);
	nc = net_client_find("br");
	ifn = tap_get_ifname(nc);
	assert_non_null(ifn);
	assert_true(nc->has_vnet_hdr);
	/* Same MTU, up, MAC starting with 0xfe, enslaved. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifn);
	assert_int_equal(ioctl(s, SIOCGIFMTU, &ifr), 0);
	assert_int_equal(ifr.ifr_mtu, 1400);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_UP);
	assert_int_equal(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	assert_int_equal((uint8_t)ifr.ifr_hwaddr.sa_data[0], 0xfe);
	/* (sysfs shows the old namespace: ask the bridge) removing it as a
	 * port works only if it is one. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "sktbr0");
	ifr.ifr_ifindex = (int)if_nametoindex(ifn);
	assert_int_equal(ioctl(s, SIOCBRDELIF, &ifr), 0);
	assert_int_equal(ioctl(s, SIOCBRDELIF, &ifr), -1);

	/* Not allowed. */
	write_file("bridge.conf", "allow all\ndeny sktbr0\n", conf, sizeof(conf));
	assert_int_equal(nd("bridge", "br2", opts), -1);
	assert_true(log_has("bridge helper failed"));
	/* No ACL file. */
	snprintf(conf, sizeof(conf), "%s/missing.conf", tmpdir);
	setenv("SKIFF_BRIDGE_CONF", conf, 1);
	assert_int_equal(nd("bridge", "br3", opts), -1);
	assert_true(log_has("bridge helper failed"));
	/* A bridge that does not exist. */
	write_file("bridge.conf", "allow all\n", conf, sizeof(conf));
	setenv("SKIFF_BRIDGE_CONF", conf, 1);
	snprintf(opts, sizeof(opts), "br=nosuchbr,helper=%s", helper);
	assert_int_equal(nd("bridge", "br4", opts), -1);
	unsetenv("SKIFF_BRIDGE_CONF");
	close(s);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(helper, sizeof(helper), "%.4000s/../skiff-bridge-helper", self);
		}
	}
	if (geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0 &&
	    unshare(CLONE_NEWNET) == 0)
		have_netns = true;
	if (!scratch_dir_make(tmpdir, sizeof(tmpdir), "bracl"))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_default_deny),
		cmocka_unit_test(test_acl_allow),
		cmocka_unit_test(test_acl_deny_wins),
		cmocka_unit_test(test_acl_errors),
		cmocka_unit_test(test_acl_include),
		cmocka_unit_test_setup_teardown(test_helper_end_to_end, common_setup, common_teardown),
	};
	return scratch_dir_remove(tmpdir, cmocka_run_group_tests(tests, NULL, NULL));
}
