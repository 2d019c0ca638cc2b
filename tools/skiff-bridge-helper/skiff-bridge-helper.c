/* skiff-bridge-helper: a qemu-bridge-helper compatible setuid helper.
 *
 *   skiff-bridge-helper [--use-vnet] --br=BRIDGE --fd=UNIX_SOCKET_FD
 *
 * Checks BRIDGE against /etc/qemu/bridge.conf (allow/deny/include; default
 * deny, deny wins), creates a tap, gives it the bridge's MTU and a MAC
 * starting with 0xFE (so the bridge keeps its own address), enslaves it to
 * the bridge (SIOCBRADDIF), brings it up, drops privileges and passes the
 * tap fd over the unix socket with SCM_RIGHTS (one byte of payload). Exit
 * status 0 on success; messages on stderr in qemu-bridge-helper's words.
 *
 * Install: owned by root, mode 4755 (or cap_net_admin+ep). The ACL file is
 * fixed at build time (BRIDGE_CONF); SKIFF_BRIDGE_CONF is honoured only when
 * the helper is NOT running setuid (tests, development). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "bridge_acl.h"

#ifndef BRIDGE_CONF
#define BRIDGE_CONF "/etc/qemu/bridge.conf"
#endif

static void usage(void)
{
	fprintf(stderr, "Usage: skiff-bridge-helper [--use-vnet] --br=bridge --fd=unixfd\n");
}

static bool has_vnet_hdr(int fd)
{
	unsigned int features = 0;

	if (ioctl(fd, TUNGETFEATURES, &features) < 0)
		return false;
	return features & IFF_VNET_HDR;
}

static int drop_privileges(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (geteuid() == uid && getegid() == gid)
		return 0;
	/* Supplementary groups first (needs privileges), then gid, then uid. */
	if (geteuid() == 0 && setgroups(1, &gid) < 0)
		return -1;
	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	if (setuid(0) == 0 && uid != 0)
		return -1;   /* still able to regain root: refuse to go on */
	return 0;
}

static int send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	ssize_t r;

	memset(u.buf, 0, sizeof(u.buf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do {
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *bridge = NULL, *conf = BRIDGE_CONF, *env;
	bool use_vnet = false, setuid_run;
	int unixfd = -1, fd = -1, ctl = -1, mtu;
	static struct bh_acl acl;
	char err[512], iface[IFNAMSIZ];
	struct ifreq ifr;
	struct stat st;

	setuid_run = getuid() != geteuid() || getgid() != getegid();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--use-vnet")) {
			use_vnet = true;
		} else if (!strncmp(argv[i], "--br=", 5)) {
			bridge = argv[i] + 5;
		} else if (!strncmp(argv[i], "--fd=", 5)) {
			char *end;
			long v = strtol(argv[i] + 5, &end, 10);
			if (*end || end == argv[i] + 5 || v < 0 || v > 65535) {
				usage();
				return EXIT_FAILURE;
			}
			unixfd = (int)v;
		} else {
			usage();
			return EXIT_FAILURE;
		}
	}
	if (!bridge || unixfd < 0) {
		usage();
		return EXIT_FAILURE;
	}
	if (!bh_valid_ifname(bridge)) {
		fprintf(stderr, "invalid bridge name `%s'\n", bridge);
		return EXIT_FAILURE;
	}
	if (fstat(unixfd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "--fd=%d is not a unix socket\n", unixfd);
		return EXIT_FAILURE;
	}
	env = getenv("SKIFF_BRIDGE_CONF");
	if (env && *env && !setuid_run)
		conf = env;

	if (bh_acl_load(&acl, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "failed to parse default acl file `%s'\n%s\n", conf, err);
		return EXIT_FAILURE;
	}
	if (!bh_acl_allows(&acl, bridge)) {
		fprintf(stderr, "access denied by acl file\n");
		return EXIT_FAILURE;
	}

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "failed to open /dev/net/tun: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (use_vnet && has_vnet_hdr(fd))
		ifr.ifr_flags |= IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "tap%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "failed to create tun device: %s\n", strerror(errno));
		goto fail;
	}
	snprintf(iface, sizeof(iface), "%s", ifr.ifr_name);

	ctl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl < 0) {
		fprintf(stderr, "failed to open control socket: %s\n", strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
	if (ioctl(ctl, SIOCGIFMTU, &ifr) < 0) {
		fprintf(stderr, "failed to get mtu of bridge `%s': %s\n", bridge, strerror(errno));
		goto fail;
	}
	mtu = ifr.ifr_mtu;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	ifr.ifr_mtu = mtu;
	if (ioctl(ctl, SIOCSIFMTU, &ifr) < 0) {
		fprintf(stderr, "failed to set mtu of device `%s' to %d: %s\n", iface, mtu,
			strerror(errno));
		goto fail;
	}
	/* Linux bridges take the lowest port MAC: keep the tap's high. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	if (ioctl(ctl, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "failed to get MAC address of device `%s': %s\n", iface,
			strerror(errno));
		goto fail;
	}
	ifr.ifr_hwaddr.sa_data[0] = (char)0xFE;
	if (ioctl(ctl, SIOCSIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "failed to set MAC address of device `%s': %s\n", iface,
			strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(iface);
	if (!ifr.ifr_ifindex || ioctl(ctl, SIOCBRADDIF, &ifr) < 0) {
		fprintf(stderr, "failed to add interface `%s' to bridge `%s': %s\n", iface, bridge,
			strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0) {
		fprintf(stderr, "failed to get interface flags for `%s': %s\n", iface,
			strerror(errno));
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0) {
		fprintf(stderr, "failed to bring up interface `%s': %s\n", iface, strerror(errno));
		goto fail;
	}
	close(ctl);
	ctl = -1;

	/* Nothing privileged is left: give everything back before talking. */
	if (drop_privileges() < 0) {
		fprintf(stderr, "failed to drop privileges: %s\n", strerror(errno));
		goto fail;
	}
	if (send_fd(unixfd, fd) < 0) {
		fprintf(stderr, "failed to write fd to unix socket: %s\n", strerror(errno));
		goto fail;
	}
	close(fd);
	return EXIT_SUCCESS;
fail:
	if (ctl >= 0)
		close(ctl);
	if (fd >= 0)
		close(fd);
	return EXIT_FAILURE;
}
