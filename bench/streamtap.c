/* bench/streamtap SOCKET TAP: the far end of a guest's `-netdev stream,server=off` for the
 * bench's stream row (tests/lab/scenarios/bench.sh measure_streamtap). It listens on the unix
 * socket SOCKET, takes one connection and relays frames between it and the existing tap
 * device TAP until either side closes. On the socket each frame is a 4-byte big-endian length
 * and the frame (QEMU's stream/socket format, shared/research/netbackends.md); on the tap one
 * read()/write() per frame (IFF_NO_PI). The same peer serves either VMM, so the row compares
 * their stream backends and NICs, not two peers. Not part of skiff: a lab tool. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define FRAME_MAX 65536u            /* larger lengths end the connection: not a stream peer */
#define RX_BUF (4 * (FRAME_MAX + 4)) /* socket bytes read ahead, several frames per read() */

static int tap_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "streamtap: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "streamtap: tap %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int unix_accept(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l, c;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "streamtap: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	unlink(path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0) {
		fprintf(stderr, "streamtap: %s: %s\n", path, strerror(errno));
		return -1;
	}
	c = accept(l, NULL, NULL);
	if (c < 0)
		fprintf(stderr, "streamtap: accept: %s\n", strerror(errno));
	close(l);
	return c;
}

/* Write all of iov (blocking socket); -1 on error. */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t rx[RX_BUF], frame[FRAME_MAX];
	size_t have = 0;
	unsigned long to_tap = 0, to_sock = 0;
	int tap, s;

	if (argc != 3) {
		fprintf(stderr, "usage: streamtap SOCKET TAP\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* the VMM gone: writev fails, the loop ends with its counts */
	tap = tap_open(argv[2]);
	if (tap < 0)
		return 1;
	fprintf(stderr, "streamtap: listening on %s\n", argv[1]);
	s = unix_accept(argv[1]);
	if (s < 0)
		return 1;
	for (;;) {
		struct pollfd p[2] = { { .fd = s, .events = POLLIN }, { .fd = tap, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t r = read(s, rx + have, sizeof(rx) - have);
			size_t off = 0;

			if (r <= 0)
				break; /* the VMM went away */
			have += (size_t)r;
			/* Every whole frame in the buffer to the tap; a partial one waits. */
			while (have - off >= 4) {
				uint32_t len;

				memcpy(&len, rx + off, 4);
				len = ntohl(len);
				if (len > FRAME_MAX) {
					fprintf(stderr, "streamtap: frame of %u bytes: not a stream peer\n", len);
					goto out;
				}
				if (have - off - 4 < len)
					break;
				if (write(tap, rx + off + 4, len) == (ssize_t)len)
					to_tap++;
				off += 4 + len;
			}
			memmove(rx, rx + off, have - off);
			have -= off;
		}
		if (p[1].revents) {
			ssize_t r = read(tap, frame, sizeof(frame));
			uint32_t be;
			struct iovec iov[2] = { { &be, 4 }, { frame, 0 } };

			if (r < 0 && errno != EAGAIN && errno != EINTR)
				break;
			if (r > 0) {
				be = htonl((uint32_t)r);
				iov[1].iov_len = (size_t)r;
				if (write_all(s, iov, 2) < 0)
					break;
				to_sock++;
			}
		}
	}
out:
	fprintf(stderr, "streamtap: done, %lu frames to the tap, %lu to the VMM\n", to_tap, to_sock);
	return 0;
}
