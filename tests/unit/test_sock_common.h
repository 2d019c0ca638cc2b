/* Socket helpers shared by the socket, dgram and stream backend tests: a free
 * port on 127.0.0.1, and a private network namespace with lo up for the
 * multicast tests. Header-only: every test_*.c is its own binary. */
#ifndef TEST_SOCK_COMMON_H
#define TEST_SOCK_COMMON_H

#include <stdbool.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* A port on 127.0.0.1 that was free a moment ago (SOCK_STREAM or SOCK_DGRAM). */
static inline int free_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &l), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* As root: move into a private network namespace and bring lo up there with
 * multicast, so multicast stays on it. Returns whether all that worked. */
static inline bool netns_with_lo_up(void)
{
	bool ok = false;

	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		struct ifreq ifr = { .ifr_name = "lo" };
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
			ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
		}
		close(s);
	}
	return ok;
}

#endif
