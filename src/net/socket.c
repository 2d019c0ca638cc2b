/* -netdev socket (legacy, IPv4): listen=, connect=, mcast= (+localaddr=),
 * udp= + localaddr=, fd=. Grammar and messages as QEMU's net/socket.c
 * (research §1.5); the data path is sock_util.c. */
#include "net/sock_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/keyval.h"
#include "net/net.h"
#include "util/log.h"

static void sin_str(const struct sockaddr_in *in, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(in->sin_port));
}

static int socket_listen(const char *id, const char *str)
{
	struct sockaddr_in sa;
	struct sockbe *s;
	char desc[64];
	int fd, one = 1;

	if (sock_parse_host_port(str, &sa) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_report("can't create stream socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin_str(&sa, desc, sizeof(desc));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		error_report("can't bind ip=%s to socket: %s%s", desc, strerror(errno),
			     errno == EADDRINUSE ? "\nanother process (or netdev) uses that port: "
						   "pick another" : "");
		close(fd);
		return -1;
	}
	if (listen(fd, 0) < 0) {
		error_report("listen(%s) failed: %s", desc, strerror(errno));
		close(fd);
		return -1;
	}
	s = sockbe_new("socket", id);
	sockbe_listen(s, fd, desc, NULL);
	return 0;
}

static int socket_connect(const char *id, const char *str)
{
	struct sockaddr_in sa;
	struct sockbe *s;
	char desc[64];

	if (sock_parse_host_port(str, &sa) < 0)
		return -1;
	sin_str(&sa, desc, sizeof(desc));
	s = sockbe_new("socket", id);
	/* As QEMU: a refused connection is not an error at start-up; the link
	 * stays down. No reconnection for the legacy backend. */
	sockbe_connect(s, (struct sockaddr *)&sa, sizeof(sa), 0, desc);
	return 0;
}

static int socket_mcast(const char *id, const char *str, const char *localaddr)
{
	struct sockaddr_in sa;
	struct in_addr local;
	struct sockbe *s;
	char desc[64], info[128];
	int fd;

	if (sock_parse_host_port(str, &sa) < 0)
		return -1;
	if (!IN_MULTICAST(ntohl(sa.sin_addr.s_addr))) {
		error_report("specified mcastaddr %s (0x%08x) does not contain a multicast address",
			     inet_ntoa(sa.sin_addr), ntohl(sa.sin_addr.s_addr));
		return -1;
	}
	if (localaddr && !inet_aton(localaddr, &local)) {
		error_report("localaddr '%s' is not a valid IPv4 address", localaddr);
		return -1;
	}
	fd = sock_mcast_open(&sa, localaddr ? &local : NULL,
			     "give localaddr= (e.g. localaddr=127.0.0.1) or add a multicast route");
	if (fd < 0)
		return -1;
	sin_str(&sa, desc, sizeof(desc));
	s = sockbe_new("socket", id);
	snprintf(info, sizeof(info), "socket: mcast=%s", desc);
	sockbe_dgram(s, fd, (struct sockaddr *)&sa, sizeof(sa), info);
	return 0;
}

static int socket_udp(const char *id, const char *rhost, const char *lhost)
{
	struct sockaddr_in raddr, laddr;
	struct sockbe *s;
	char rd[64], info[128];
	int fd, one = 1;

	if (sock_parse_host_port(rhost, &raddr) < 0 || sock_parse_host_port(lhost, &laddr) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_report("can't create datagram socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0) {
		char ld[64];
		sin_str(&laddr, ld, sizeof(ld));
		error_report("can't bind ip=%s to socket: %s", ld, strerror(errno));
		close(fd);
		return -1;
	}
	sin_str(&raddr, rd, sizeof(rd));
	s = sockbe_new("socket", id);
	snprintf(info, sizeof(info), "socket: udp=%s", rd);
	sockbe_dgram(s, fd, (struct sockaddr *)&raddr, sizeof(raddr), info);
	return 0;
}

static int socket_fd(const char *id, const char *str)
{
	int fd, type;
	socklen_t l = sizeof(type);
	struct sockbe *s;
	char info[64];

	if (sockbe_user_fd_gone("socket", id, str, "socket: "))
		return 0;
	fd = sock_parse_fd("fd", str);
	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0) {
		error_report("getsockopt(SO_TYPE) for fd=%d failed\n"
			     "fd=%d is not a socket", fd, fd);
		return -1;
	}
	s = sockbe_new("socket", id);
	sockbe_user_fd(s);
	snprintf(info, sizeof(info), "socket: fd=%d", fd);
	if (type == SOCK_DGRAM) {
		sockbe_dgram(s, fd, NULL, 0, info);
	} else if (type == SOCK_STREAM) {
		sockbe_stream_fd(s, fd, info);
	} else {
		error_report("socket type=%d for fd=%d must be either SOCK_DGRAM or SOCK_STREAM",
			     type, fd);
		sockbe_free(s);
		return -1;
	}
	return 0;
}

int net_init_socket(const char *id, struct kvlist *opts)
{
	const char *fd = kvlist_get(opts, "fd");
	const char *listen_ = kvlist_get(opts, "listen");
	const char *connect_ = kvlist_get(opts, "connect");
	const char *mcast = kvlist_get(opts, "mcast");
	const char *udp = kvlist_get(opts, "udp");
	const char *localaddr = kvlist_get(opts, "localaddr");

	if (kvlist_check_unused(opts) < 0)
		return -1;
	if (!!fd + !!listen_ + !!connect_ + !!mcast + !!udp != 1) {
		error_report("exactly one of listen=, connect=, mcast= or udp= is required");
		return -1;
	}
	if (localaddr && !mcast && !udp) {
		error_report("localaddr= is only valid with mcast= or udp=");
		return -1;
	}
	if (fd)
		return socket_fd(id, fd);
	if (listen_)
		return socket_listen(id, listen_);
	if (connect_)
		return socket_connect(id, connect_);
	if (mcast)
		return socket_mcast(id, mcast, localaddr);
	if (!localaddr) {
		error_report("localaddr= is mandatory with udp=");
		return -1;
	}
	return socket_udp(id, udp, localaddr);
}
