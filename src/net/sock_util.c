/* The engine behind -netdev socket, stream and dgram: see sock_util.h. */
#include "net/sock_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <stddef.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli/keyval.h"
#include "net/net.h"
#include "util/env.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "vm/runstate.h"

#define SOCKBE_READ_BATCH 64
/* Stream receive buffer: records are parsed in place from reads of up to this many bytes,
 * as QEMU reads its stream sockets (a 64 KiB burst of 1514-byte frames is one read(), not
 * two per frame). It always has room for one whole record behind a partial one. */
#define SOCKBE_RBUF_SIZE (2 * (4 + NET_MAX_FRAME))

enum sockbe_kind { SB_NONE, SB_SERVER, SB_CLIENT, SB_FD, SB_DGRAM };

struct sockbe {
	struct net_client *nc;
	enum sockbe_kind kind;
	char desc[160];            /* the address, for info and messages */
	char peer[128];            /* who is connected (info; kept across a reset) */
	/* listening socket (server) */
	int lfd;
	char *unlink_path;
	/* the data socket */
	int fd;
	/* fd= gave us the socket (or the listening one): the same command line names it again
	 * after a reset (re-exec), so it stays inheritable and is not closed for a reset */
	bool user_fd;
	/* fd= stream whose connection ended: /dev/null holds its number (so nothing else gets
	 * it before the re-exec, whose fd= names it again) */
	int placeholder;
	bool connecting;
	bool registered;
	uint32_t events;
	bool rx_paused;
	/* stream receive: bytes [rstart, rend) of rbuf are read and not yet delivered (whole
	 * records while delivery is paused, then at most one partial record) */
	uint8_t *rbuf;             /* SOCKBE_RBUF_SIZE */
	size_t rstart, rend;
	struct el_timer *rx_resume; /* delivers buffered records after back-pressure ends */
	uint8_t *fbuf;             /* datagrams: NET_MAX_FRAME + 1 (to see truncation) */
	/* stream transmit queue: bytes [tx_start, tx_end) of txbuf */
	uint8_t *txbuf;
	size_t tx_start, tx_end;
	bool tx_blocked;           /* receive() returned 0: flush net core when drained */
	/* Records are queued and written together: at the end of the NIC's transmit batch
	 * (ops->poll) or, from anywhere else, when the loop next runs (this timer). */
	struct el_timer *tx_flush;
	/* SKIFF_STREAM_BATCH=off, for comparisons only: each record written on its own and read
	 * with two read()s (its length, then its frame), as before. */
	bool batch;
	/* client */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t reconnect_ms;
	struct el_timer *timer;
	/* datagram destination */
	struct sockaddr_storage dest;
	socklen_t destlen;
};

static const struct net_client_ops sockbe_socket_ops, sockbe_stream_ops, sockbe_dgram_ops;

static void sockbe_fd_event(void *opaque, uint32_t events);
static void sockbe_start_connect(struct sockbe *s);

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die("out of memory");
	return p;
}

/* fd= gave us the data socket (not so a connection accepted on an fd= listening socket). */
static bool sockbe_data_fd_is_users(const struct sockbe *s)
{
	return s->user_fd && (s->kind == SB_FD || s->kind == SB_DGRAM);
}

/* Non-blocking; close-on-exec unless it is the user's (fd=: see user_fd). */
static void sockbe_set_flags(int fd, bool users)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (!users)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void sockbe_user_fd(struct sockbe *s)
{
	s->user_fd = true;
}

struct sockbe *sockbe_new(const char *type, const char *id)
{
	struct sockbe *s = calloc(1, sizeof(*s));
	const struct net_client_ops *ops = &sockbe_socket_ops;

	if (!s)
		die("out of memory");
	s->batch = env_switch("SKIFF_STREAM_BATCH", true);
	if (!strcmp(type, "stream"))
		ops = &sockbe_stream_ops;
	else if (!strcmp(type, "dgram"))
		ops = &sockbe_dgram_ops;
	s->fd = s->lfd = s->placeholder = -1;
	s->nc = net_client_new(ops, id, s);
	net_client_set_link(s->nc, false);
	return s;
}

struct net_client *sockbe_client(struct sockbe *s)
{
	return s->nc;
}

void sockbe_free(struct sockbe *s)
{
	net_client_free(s->nc);
}

static void sockbe_info(struct sockbe *s, const char *fmt, const char *what)
{
	char info[256];

	snprintf(info, sizeof(info), fmt, what);
	net_client_set_info(s->nc, info);
}

/* ---- fd registration -------------------------------------------------- */

static void sockbe_update_events(struct sockbe *s)
{
	uint32_t ev;

	if (s->fd < 0)
		return;
	if (s->connecting)
		ev = EPOLLOUT;
	else
		ev = (s->rx_paused ? 0 : EPOLLIN) | (s->tx_end > s->tx_start ? EPOLLOUT : 0);
	/* Unregistered while idle: a hung-up fd would otherwise report
	 * EPOLLHUP forever while we are not reading it. */
	if (!ev) {
		if (s->registered)
			el_del_fd(s->fd);
		s->registered = false;
	} else if (!s->registered) {
		if (el_add_fd(s->fd, ev, sockbe_fd_event, s) < 0)
			die("%s: cannot watch fd: %s", s->nc->ops->type, strerror(errno));
		s->registered = true;
	} else if (ev != s->events) {
		el_mod_fd(s->fd, ev);
	}
	s->events = ev;
}

static void sockbe_close_fd(struct sockbe *s)
{
	if (s->fd < 0)
		return;
	if (s->registered)
		el_del_fd(s->fd);
	s->registered = false;
	if (s->user_fd && s->kind == SB_FD) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* (dup2 closes the socket; its copy of the number is inheritable). Without
		 * /dev/null the shut-down socket itself holds the number. */
		if (nul < 0 || dup2(nul, s->fd) != s->fd)
			shutdown(s->fd, SHUT_RDWR);
		s->placeholder = s->fd;
		if (nul >= 0)
			close(nul);
	} else {
		close(s->fd);
	}
	s->fd = -1;
	s->connecting = false;
	s->rx_paused = false;
	s->rstart = s->rend = 0;
	s->tx_start = s->tx_end = 0;
	if (s->rx_resume)
		el_timer_del(s->rx_resume);
	if (s->tx_flush)
		el_timer_del(s->tx_flush);
}

/* The stream peer went away (or never came). */
static void sockbe_disconnect(struct sockbe *s, const char *why)
{
	bool was_up = !s->nc->link_down;

	sockbe_close_fd(s);
	s->tx_blocked = false;
	if (was_up)
		debug_report("%s %s: %s disconnected%s%s", s->nc->ops->type, s->nc->name, s->desc,
			     why ? ": " : "", why ? why : "");
	/* Frames queued for us are dropped with the link. */
	net_client_set_link(s->nc, false);
	switch (s->kind) {
	case SB_SERVER:
		sockbe_info(s, "listening on %s", s->desc);
		if (s->lfd >= 0)
			el_mod_fd(s->lfd, EPOLLIN);
		break;
	case SB_CLIENT:
		sockbe_info(s, "disconnected from %s", s->desc);
		if (s->reconnect_ms)
			el_timer_mod(s->timer, el_now_ns() + s->reconnect_ms * 1000000ULL);
		break;
	default:
		sockbe_info(s, "disconnected (%s)", s->desc);
		break;
	}
}

static void sockbe_connected(struct sockbe *s, int fd, const char *peer)
{
	int one = 1;

	s->fd = fd;
	s->connecting = false;
	s->rstart = s->rend = 0;
	s->tx_start = s->tx_end = 0;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sockbe_update_events(s);
	if (s->kind == SB_SERVER)
		sockbe_info(s, "connection from %s", peer);
	else
		sockbe_info(s, "connected to %s", peer);
	net_client_set_link(s->nc, true);
}

/* ---- stream receive --------------------------------------------------- */

/* Read once into dst; 1 = got bytes, 0 = nothing now, -1 = connection gone. */
static int sockbe_read_some(struct sockbe *s, void *dst, size_t want, size_t *got)
{
	ssize_t n;

	do {
		n = read(s->fd, dst, want);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		*got = (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	sockbe_disconnect(s, n == 0 ? "end of stream" : strerror(errno));
	return -1;
}

/* A record's length: its first 4 bytes, big-endian (QEMU's stream format). */
static uint32_t sockbe_rec_len(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Deliver the whole records buffered, until net core pushes back. false when the connection
 * was dropped (an oversized record, or the peer went away while we delivered). */
static bool sockbe_stream_deliver(struct sockbe *s)
{
	while (!s->rx_paused && s->fd >= 0 && s->rend - s->rstart >= 4) {
		const uint8_t *p = s->rbuf + s->rstart;
		uint32_t len = sockbe_rec_len(p);

		if (len == 0) {
			/* An empty record: nothing to deliver (QEMU skips it too). */
			s->rstart += 4;
			continue;
		}
		if (len > NET_MAX_FRAME) {
			warn_report("%s %s: oversized packet received (%u bytes, at most %d), "
				    "connection terminated", s->nc->ops->type, s->nc->name, len,
				    NET_MAX_FRAME);
			sockbe_disconnect(s, "oversized packet");
			return false;
		}
		if (s->rend - s->rstart < 4 + (size_t)len)
			break;                  /* the rest of this record is still to come */
		s->rstart += 4 + (size_t)len;
		if (net_send_buf(s->nc, p + 4, len) == 0) {
			/* Copied into net core's queue; wait for on_drained. */
			s->rx_paused = true;
			sockbe_update_events(s);
		}
	}
	if (s->fd < 0)
		return false;
	if (s->rstart == s->rend)
		s->rstart = s->rend = 0;
	return true;
}

static void sockbe_stream_read(struct sockbe *s)
{
	if (!s->rbuf)
		s->rbuf = xmalloc(SOCKBE_RBUF_SIZE);
	if (!sockbe_stream_deliver(s))
		return;
	for (int i = 0; i < SOCKBE_READ_BATCH && s->fd >= 0 && !s->rx_paused; i++) {
		size_t room, got;

		/* Keep room for a whole record behind the partial one left over. */
		if (s->rstart && SOCKBE_RBUF_SIZE - s->rend < 4 + NET_MAX_FRAME) {
			memmove(s->rbuf, s->rbuf + s->rstart, s->rend - s->rstart);
			s->rend -= s->rstart;
			s->rstart = 0;
		}
		room = SOCKBE_RBUF_SIZE - s->rend;
		if (!s->batch) {
			size_t have = s->rend - s->rstart, need = 4 - have;

			/* (deliver() dropped any record longer than NET_MAX_FRAME and left at most
			 * one partial record: need is 1 .. 4 + NET_MAX_FRAME) */
			if (have >= 4)
				need = 4 + (size_t)sockbe_rec_len(s->rbuf + s->rstart) - have;
			room = need < room ? need : room;
		}
		if (sockbe_read_some(s, s->rbuf + s->rend, room, &got) <= 0)
			return;
		s->rend += got;
		if (!sockbe_stream_deliver(s) || got < room)
			return;                 /* drained the socket (epoll says when there is more) */
	}
}

/* Back-pressure ended with records still buffered: epoll will not report them. */
static void sockbe_rx_resume_cb(void *opaque)
{
	struct sockbe *s = opaque;

	if (s->fd >= 0 && !s->rx_paused && !s->connecting && s->kind != SB_DGRAM)
		sockbe_stream_read(s);
}

/* ---- stream transmit --------------------------------------------------- */

static ssize_t sockbe_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t r;

	do {
		r = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && errno == ENOTSOCK) {
		do {
			r = writev(fd, iov, iovcnt);
		} while (r < 0 && errno == EINTR);
	}
	return r;
}

/* Write what is queued. false when the connection failed (and was dropped). */
static bool sockbe_flush_tx(struct sockbe *s)
{
	while (s->tx_end > s->tx_start) {
		struct iovec v = { s->txbuf + s->tx_start, s->tx_end - s->tx_start };
		ssize_t r = sockbe_writev(s->fd, &v, 1);

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			sockbe_disconnect(s, strerror(errno));
			return false;
		}
		s->tx_start += (size_t)r;
	}
	if (s->tx_start == s->tx_end)
		s->tx_start = s->tx_end = 0;
	sockbe_update_events(s);
	return true;
}

/* Append to the transmit queue; the caller made sure it fits (queued + this <= the limit):
 * with less than one record's room left at the end, what is queued moves to the front. */
static void sockbe_tx_append(struct sockbe *s, const struct iovec *iov, int iovcnt)
{
	if (!s->txbuf)
		s->txbuf = xmalloc(SOCKBE_TXQ_LIMIT);
	if (s->tx_start && SOCKBE_TXQ_LIMIT - s->tx_end < 8192 + NET_MAX_FRAME) {
		memmove(s->txbuf, s->txbuf + s->tx_start, s->tx_end - s->tx_start);
		s->tx_end -= s->tx_start;
		s->tx_start = 0;
	}
	for (int i = 0; i < iovcnt; i++) {
		memcpy(s->txbuf + s->tx_end, iov[i].iov_base, iov[i].iov_len);
		s->tx_end += iov[i].iov_len;
	}
}

/* Write what is queued and, once it is all out, let net core deliver what it held for us. */
static void sockbe_tx_kick(struct sockbe *s)
{
	if (s->tx_flush)
		el_timer_del(s->tx_flush);
	while (s->fd >= 0 && !s->connecting && s->tx_end > s->tx_start) {
		if (!sockbe_flush_tx(s) || s->tx_end > s->tx_start || !s->tx_blocked)
			return;                 /* dropped, or the rest waits for EPOLLOUT */
		/* Drained: what net core held for us comes now (queued, then written here). */
		s->tx_blocked = false;
		net_client_flush(s->nc);
	}
}

static void sockbe_tx_flush_cb(void *opaque)
{
	sockbe_tx_kick(opaque);
}

/* One record (length, frame) into the transmit queue. A TSO packet the NIC cut into 45
 * frames is then one write to the socket and one wake-up of the peer, not 45 of each. */
static ssize_t sockbe_stream_receive(struct sockbe *s, const struct iovec *iov, int iovcnt,
				     size_t len)
{
	struct iovec v[iovcnt + 1];
	uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };
	size_t total = len + 4, queued;

	if (s->fd < 0 || s->connecting)
		return (ssize_t)len;
	queued = s->tx_end - s->tx_start;
	if (queued + total > SOCKBE_TXQ_LIMIT) {
		/* Full: write what is queued now; still full = the peer is slow. */
		sockbe_tx_kick(s);
		if (s->fd < 0)
			return (ssize_t)len;
		queued = s->tx_end - s->tx_start;
		if (queued + total > SOCKBE_TXQ_LIMIT) {
			s->tx_blocked = true;
			return 0;
		}
	}
	v[0].iov_base = hdr;
	v[0].iov_len = 4;
	memcpy(v + 1, iov, sizeof(*iov) * (size_t)iovcnt);
	sockbe_tx_append(s, v, iovcnt + 1);
	if (!s->batch) {
		sockbe_tx_kick(s);
		return (ssize_t)len;
	}
	/* A NIC ends every transmit batch with ops->poll (net.h), which writes it: no timer, whose
	 * arming would wake the loop thread once per batch for nothing. From anywhere else (a hub)
	 * the loop writes it when it next runs; what net core held is written by tx_kick's loop. */
	if (s->nc->peer && s->nc->peer->ops->is_nic)
		return (ssize_t)len;
	if (!s->tx_flush)
		s->tx_flush = el_timer_new(sockbe_tx_flush_cb, s);
	if (!el_timer_pending(s->tx_flush))
		el_timer_mod(s->tx_flush, 0);
	return (ssize_t)len;
}

/* ---- datagrams ---------------------------------------------------------- */

static void sockbe_dgram_read(struct sockbe *s)
{
	if (!s->fbuf)
		s->fbuf = xmalloc(NET_MAX_FRAME + 1);
	for (int i = 0; i < SOCKBE_READ_BATCH && !s->rx_paused; i++) {
		ssize_t n;

		do {
			n = recv(s->fd, s->fbuf, NET_MAX_FRAME + 1, MSG_TRUNC | MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				debug_report("%s %s: recv: %s", s->nc->ops->type, s->nc->name,
					     strerror(errno));
			/* ECONNREFUSED etc. are per-datagram: keep going next time. */
			return;
		}
		if (n == 0)
			continue;
		if (n > NET_MAX_FRAME) {
			debug_report("%s %s: dropping oversized %zd-byte datagram", s->nc->ops->type,
				     s->nc->name, n);
			continue;
		}
		if (net_send_buf(s->nc, s->fbuf, (size_t)n) == 0) {
			s->rx_paused = true;
			sockbe_update_events(s);
		}
	}
}

static ssize_t sockbe_dgram_receive(struct sockbe *s, const struct iovec *iov, int iovcnt,
				    size_t len)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t r;

	if (s->fd < 0)
		return (ssize_t)len;
	if (s->destlen) {
		m.msg_name = &s->dest;
		m.msg_namelen = s->destlen;
	}
	do {
		r = sendmsg(s->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		debug_report("%s %s: send: %s (frame dropped)", s->nc->ops->type, s->nc->name,
			     strerror(errno));
	return (ssize_t)len;
}

/* ---- events ---------------------------------------------------------- */

static void sockbe_fd_event(void *opaque, uint32_t events)
{
	struct sockbe *s = opaque;

	if (s->fd < 0)
		return;
	if (s->connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err) {
			sockbe_info(s, "connection to %s failed", s->desc);
			debug_report("%s %s: connect to %s: %s", s->nc->ops->type, s->nc->name,
				     s->desc, strerror(err));
			sockbe_disconnect(s, strerror(err));
			return;
		}
		s->connecting = false;
		sockbe_connected(s, s->fd, s->desc);
		return;
	}
	if (s->kind == SB_DGRAM) {
		if (events & (EPOLLIN | EPOLLERR))
			sockbe_dgram_read(s);
		return;
	}
	if ((events & EPOLLOUT) && s->tx_end > s->tx_start) {
		sockbe_tx_kick(s);
		if (s->fd < 0)
			return;
	}
	if (!s->rx_paused && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		sockbe_stream_read(s);
}

static void sockbe_accept_event(void *opaque, uint32_t events)
{
	struct sockbe *s = opaque;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char peer[128] = "?";
	int fd;

	if (s->fd >= 0) {
		el_mod_fd(s->lfd, 0);
		return;
	}
	fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			warn_report("%s %s: accept: %s", s->nc->ops->type, s->nc->name,
				    strerror(errno));
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(peer, sizeof(peer), "%s:%u", a, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &in->sin6_addr, a, sizeof(a));
		snprintf(peer, sizeof(peer), "[%s]:%u", a, ntohs(in->sin6_port));
	} else {
		snprintf(peer, sizeof(peer), "%.120s", s->desc);
	}
	/* One client at a time (as QEMU): stop accepting until it leaves. */
	el_mod_fd(s->lfd, 0);
	sockbe_connected(s, fd, peer);
}

static void sockbe_reconnect_timer(void *opaque)
{
	struct sockbe *s = opaque;

	if (s->fd < 0)
		sockbe_start_connect(s);
}

static void sockbe_start_connect(struct sockbe *s)
{
	int fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		warn_report("%s %s: socket: %s", s->nc->ops->type, s->nc->name, strerror(errno));
		if (s->reconnect_ms)
			el_timer_mod(s->timer, el_now_ns() + s->reconnect_ms * 1000000ULL);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen) == 0) {
		sockbe_connected(s, fd, s->desc);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		s->fd = fd;
		s->connecting = true;
		sockbe_info(s, "connecting to %s", s->desc);
		sockbe_update_events(s);
		return;
	}
	debug_report("%s %s: connect to %s: %s", s->nc->ops->type, s->nc->name, s->desc,
		     strerror(errno));
	sockbe_info(s, "connection to %s failed", s->desc);
	close(fd);
	if (s->reconnect_ms)
		el_timer_mod(s->timer, el_now_ns() + s->reconnect_ms * 1000000ULL);
}

/* ---- reset hand-over (sock_util.h) ---------------------------------------- */

bool sockbe_user_fd_gone(const char *type, const char *id, const char *str,
			 const char *info_prefix)
{
	char var[128], *end;
	const char *val;
	struct sockbe *s;
	long want, was;

	snprintf(var, sizeof(var), SOCKBE_ENV_PREFIX "%s", id);
	val = getenv(var);
	if (!val || strncmp(val, "gone:", 5) || !getenv(ENV_REBOOTED))
		return false;   /* (a connection handed over is sockbe_adopt's) */
	errno = 0;
	want = strtol(str, &end, 10);
	if (errno || *end || !*str)
		return false;
	was = strtol(val + 5, &end, 10);
	if (errno || *end || was != want || want < 0 || want > INT_MAX)
		return false;
	unsetenv(var);
	warn_report("netdev %s: fd=%s: its connection ended before the guest's reset; the link "
		    "stays down (as in QEMU, an fd= stream is not made again)", id, str);
	s = sockbe_new(type, id);
	s->user_fd = true;
	s->kind = SB_FD;
	s->placeholder = (int)want;
	snprintf(s->desc, sizeof(s->desc), "%sfd=%d", info_prefix, s->placeholder);
	sockbe_info(s, "disconnected (%s)", s->desc);
	return true;
}

/* What a stream's buffers carry across the re-exec: this header, then the received bytes not
 * yet delivered (whole records, then at most one partial one), then the queued bytes not yet
 * written (the first may be the rest of a record half written). */
struct sockbe_carry {
	uint32_t rx_len, tx_len;
};

/* Whether fd is the memfd sockbe_hand_over() made (not some other inherited fd). */
static bool sockbe_is_carry(int fd)
{
	char link[64], path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strncmp(link, "/memfd:skiff-stream-carry", 25);
}

/* The carried bytes into the (empty) buffers. false when they cannot be read back. */
static bool sockbe_carry_in(struct sockbe *s, int mfd)
{
	struct sockbe_carry c;

	if (pread(mfd, &c, sizeof(c), 0) != (ssize_t)sizeof(c) || c.rx_len > SOCKBE_RBUF_SIZE ||
	    c.tx_len > SOCKBE_TXQ_LIMIT)
		return false;
	if (!s->rbuf)
		s->rbuf = xmalloc(SOCKBE_RBUF_SIZE);
	if (!s->txbuf)
		s->txbuf = xmalloc(SOCKBE_TXQ_LIMIT);
	if (pread(mfd, s->rbuf, c.rx_len, sizeof(c)) != (ssize_t)c.rx_len ||
	    pread(mfd, s->txbuf, c.tx_len, sizeof(c) + c.rx_len) != (ssize_t)c.tx_len)
		return false;
	s->rstart = s->tx_start = 0;
	s->rend = c.rx_len;
	s->tx_end = c.tx_len;
	return true;
}

/* The new image's side: a connection the previous image handed over for this netdev, taken
 * as if it had just connected. false when there is none, or it is not a connected stream
 * socket any more, or (want_fd >= 0, fd=) not that fd: the caller sets up as on a first
 * start; fds the variable named are closed then, but for the user's fd= number. A
 * connection whose carried bytes are lost is dropped (its records would be cut). */
static bool sockbe_adopt(struct sockbe *s, int want_fd)
{
	char buf[192], peer[128];
	const char *val = env_take_over(SOCKBE_ENV_PREFIX, s->nc->name, buf, sizeof(buf));
	long fd, mfd = -1;
	char *end;
	int type = 0;
	socklen_t l = sizeof(type);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	bool carried;

	if (!val)
		return false;
	errno = 0;
	fd = strtol(val, &end, 10);
	if (*end == ':')
		mfd = strtol(end + 1, &end, 10);
	snprintf(peer, sizeof(peer), "%s", *end == ':' ? end + 1 : "");
	if (errno || fd < 0 || fd > INT_MAX || mfd < -1 || mfd > INT_MAX || !*peer ||
	    (want_fd >= 0 && fd != want_fd))
		return false;
	if (mfd >= 0 && !sockbe_is_carry((int)mfd))
		mfd = -1;   /* not ours: left alone */
	if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_STREAM ||
	    getpeername((int)fd, (struct sockaddr *)&ss, &sl) < 0) {
		debug_report("%s %s: handed-over fd %ld is not a connected stream socket: ignored",
			     s->nc->ops->type, s->nc->name, fd);
		if (mfd >= 0)
			close((int)mfd);
		if (want_fd < 0 && type == SOCK_STREAM)
			close((int)fd);   /* (a connection that ended during the reset) */
		return false;
	}
	sockbe_set_flags((int)fd, want_fd >= 0);
	carried = mfd < 0 || sockbe_carry_in(s, (int)mfd);
	if (mfd >= 0)
		close((int)mfd);
	if (!carried) {
		warn_report("%s %s: the bytes in transit could not be kept across the reset: "
			    "connection dropped", s->nc->ops->type, s->nc->name);
		s->rstart = s->rend = s->tx_start = s->tx_end = 0;
		if (want_fd >= 0) {
			sockbe_connected(s, (int)fd, peer);
			sockbe_disconnect(s, "bytes lost in the reset");
			return true;
		}
		close((int)fd);
		return false;
	}
	{
		/* sockbe_connected() starts with empty buffers: it gets the carried ones after */
		size_t re = s->rend, te = s->tx_end;

		sockbe_connected(s, (int)fd, peer);
		s->rend = re;
		s->tx_end = te;
	}
	if (s->rend) {
		/* Buffered records: delivered from the loop (the NIC may drop them: it is
		 * being reset too), and the read resumes behind them. */
		if (!s->rx_resume)
			s->rx_resume = el_timer_new(sockbe_rx_resume_cb, s);
		el_timer_mod(s->rx_resume, 0);
	}
	if (s->tx_end) {
		if (!s->tx_flush)
			s->tx_flush = el_timer_new(sockbe_tx_flush_cb, s);
		el_timer_mod(s->tx_flush, 0);
	}
	debug_report("%s %s: connection with %s kept across the reset (%u + %u bytes buffered)",
		     s->nc->ops->type, s->nc->name, peer, (unsigned)s->rend, (unsigned)s->tx_end);
	return true;
}

/* The old image's side, at cleanup with a reset pending (the caller's check): leave the
 * connection open for the next image and say where it is. Its buffers go in a memfd, so that no record is cut. true
 * when handed over (s->fd is then -1, not closed). */
static bool sockbe_hand_over(struct sockbe *s)
{
	char val[192];
	struct sockbe_carry c = { 0, 0 };
	int mfd = -1;

	if (s->fd < 0 || s->connecting || s->kind == SB_DGRAM)
		return false;
	c.rx_len = (uint32_t)(s->rend - s->rstart);
	c.tx_len = (uint32_t)(s->tx_end - s->tx_start);
	if (c.rx_len || c.tx_len) {
		mfd = memfd_create("skiff-stream-carry", 0);
		if (mfd < 0 ||
		    pwrite(mfd, &c, sizeof(c), 0) != (ssize_t)sizeof(c) ||
		    (c.rx_len && pwrite(mfd, s->rbuf + s->rstart, c.rx_len, sizeof(c)) !=
				 (ssize_t)c.rx_len) ||
		    (c.tx_len && pwrite(mfd, s->txbuf + s->tx_start, c.tx_len,
					sizeof(c) + c.rx_len) != (ssize_t)c.tx_len)) {
			debug_report("%s %s: cannot keep the buffers across the reset: %s",
				     s->nc->ops->type, s->nc->name, strerror(errno));
			if (mfd >= 0)
				close(mfd);
			return false;
		}
	}
	snprintf(val, sizeof(val), "%d:%d:%s", s->fd, mfd, s->peer);
	if (!env_hand_over(SOCKBE_ENV_PREFIX, s->nc->name, s->fd, val)) {
		if (mfd >= 0)
			close(mfd);
		return false;
	}
	/* (memfd_create without MFD_CLOEXEC: the new image inherits it) */
	if (s->registered)
		el_del_fd(s->fd);
	s->registered = false;
	debug_report("%s %s: connection with %s kept open as fd %d for the reset",
		     s->nc->ops->type, s->nc->name, s->peer, s->fd);
	s->fd = -1;
	return true;
}

/* ---- setup ------------------------------------------------------------ */

void sockbe_listen(struct sockbe *s, int lfd, const char *desc, const char *unlink_path)
{
	s->kind = SB_SERVER;
	s->lfd = lfd;
	snprintf(s->desc, sizeof(s->desc), "%s", desc);
	if (unlink_path) {
		s->unlink_path = strdup(unlink_path);
		if (!s->unlink_path)
			die("out of memory");
	}
	sockbe_set_flags(lfd, s->user_fd);
	if (el_add_fd(lfd, EPOLLIN, sockbe_accept_event, s) < 0)
		die("cannot watch fd: %s", strerror(errno));
	sockbe_info(s, "listening on %s", desc);
	if (sockbe_adopt(s, -1))
		el_mod_fd(lfd, 0);      /* one client at a time: it is still here */
}

void sockbe_connect(struct sockbe *s, const struct sockaddr *addr, socklen_t len,
		    uint64_t reconnect_ms, const char *desc)
{
	s->kind = SB_CLIENT;
	memcpy(&s->addr, addr, len);
	s->addrlen = len;
	s->reconnect_ms = reconnect_ms;
	snprintf(s->desc, sizeof(s->desc), "%s", desc);
	s->timer = el_timer_new(sockbe_reconnect_timer, s);
	if (!s->timer)
		die("out of memory");
	if (!sockbe_adopt(s, -1))
		sockbe_start_connect(s);
}

void sockbe_stream_fd(struct sockbe *s, int fd, const char *desc)
{
	s->kind = SB_FD;
	snprintf(s->desc, sizeof(s->desc), "%s", desc);
	if (sockbe_adopt(s, fd))
		return;
	sockbe_set_flags(fd, s->user_fd);
	sockbe_connected(s, fd, desc);
}

void sockbe_dgram(struct sockbe *s, int fd, const struct sockaddr *dest, socklen_t len,
		  const char *desc)
{
	s->kind = SB_DGRAM;
	snprintf(s->desc, sizeof(s->desc), "%s", desc);
	sockbe_set_flags(fd, s->user_fd);
	if (dest && len) {
		memcpy(&s->dest, dest, len);
		s->destlen = len;
	}
	s->fd = fd;
	sockbe_update_events(s);
	net_client_set_info(s->nc, desc);
	net_client_set_link(s->nc, true);
}

/* ---- net client ops ------------------------------------------------------ */

static ssize_t sockbe_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct sockbe *s = nc->opaque;
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (!s || len == 0 || len > NET_MAX_FRAME)
		return (ssize_t)len;
	if (s->kind == SB_DGRAM)
		return sockbe_dgram_receive(s, iov, iovcnt, len);
	return sockbe_stream_receive(s, iov, iovcnt, len);
}

/* The NIC ends a transmit batch (net.h ops->poll): what it sent goes out now, in one write. */
static void sockbe_poll(struct net_client *nc)
{
	struct sockbe *s = nc->opaque;

	if (s && s->kind != SB_DGRAM)
		sockbe_tx_kick(s);
}

static void sockbe_on_drained(struct net_client *nc)
{
	struct sockbe *s = nc->opaque;

	if (!s || !s->rx_paused || s->fd < 0)
		return;
	s->rx_paused = false;
	sockbe_update_events(s);
	if (s->rend - s->rstart >= 4) {
		if (!s->rx_resume)
			s->rx_resume = el_timer_new(sockbe_rx_resume_cb, s);
		el_timer_mod(s->rx_resume, 0);
	}
}

static void sockbe_cleanup(struct net_client *nc)
{
	struct sockbe *s = nc->opaque;
	bool reset = runstate_pending() == RUNSTATE_RESET;

	if (!s)
		return;
	if (reset && !sockbe_hand_over(s) && s->fd >= 0 && s->kind == SB_FD && s->user_fd)
		sockbe_close_fd(s);   /* not handed over: link-down after the reset ("gone") */
	if (s->user_fd && reset) {
		/* The next image opens them again by number (fd=): leave them open. */
		if (s->fd >= 0 && sockbe_data_fd_is_users(s)) {
			if (s->registered)
				el_del_fd(s->fd);
			s->registered = false;
			s->fd = -1;
		}
		if (s->lfd >= 0)
			el_del_fd(s->lfd);
		s->lfd = -1;
		if (s->kind == SB_FD && s->placeholder >= 0) {
			char val[32];

			snprintf(val, sizeof(val), "gone:%d", s->placeholder);
			env_hand_over(SOCKBE_ENV_PREFIX, nc->name, s->placeholder, val);
			s->placeholder = -1;
		}
	}
	if (!reset)
		s->user_fd = false;   /* the last exit: close the user's sockets plainly */
	sockbe_close_fd(s);
	if (s->placeholder >= 0)
		close(s->placeholder);
	if (s->lfd >= 0) {
		el_del_fd(s->lfd);
		close(s->lfd);
	}
	if (s->unlink_path)
		unlink(s->unlink_path);
	if (s->timer)
		el_timer_free(s->timer);
	if (s->rx_resume)
		el_timer_free(s->rx_resume);
	if (s->tx_flush)
		el_timer_free(s->tx_flush);
	free(s->unlink_path);
	free(s->rbuf);
	free(s->fbuf);
	free(s->txbuf);
	free(s);
	nc->opaque = NULL;
}

#define SOCKBE_OPS(name, str) \
	static const struct net_client_ops name = { \
		.type = str, \
		.receive = sockbe_receive, \
		.on_drained = sockbe_on_drained, \
		.poll = sockbe_poll, \
		.cleanup = sockbe_cleanup, \
	}
SOCKBE_OPS(sockbe_socket_ops, "socket");
SOCKBE_OPS(sockbe_stream_ops, "stream");
SOCKBE_OPS(sockbe_dgram_ops, "dgram");

/* ---- option helpers ------------------------------------------------------ */

int sock_parse_host_port(const char *str, struct sockaddr_in *out)
{
	const char *colon = strrchr(str, ':');
	char host[256];
	char *end;
	long port;

	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	if (!colon) {
		error_report("host address '%s' doesn't contain ':' separating host from port", str);
		return -1;
	}
	if ((size_t)(colon - str) >= sizeof(host)) {
		error_report("host address '%s' is too long", str);
		return -1;
	}
	memcpy(host, str, (size_t)(colon - str));
	host[colon - str] = 0;
	if (host[0] == 0) {
		out->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (host[0] >= '0' && host[0] <= '9') {
		if (!inet_aton(host, &out->sin_addr)) {
			error_report("host address '%s' is not a valid IPv4 address", host);
			return -1;
		}
	} else {
		struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
		if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai) {
			error_report("can't resolve host address '%s'", host);
			return -1;
		}
		out->sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		freeaddrinfo(ai);
	}
	errno = 0;
	port = strtol(colon + 1, &end, 0);
	if (end == colon + 1 || *end || errno || port < 0 || port > 65535) {
		error_report("port number '%s' is invalid", colon + 1);
		return -1;
	}
	out->sin_port = htons((uint16_t)port);
	return 0;
}

int sock_check_unused_modern(const struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!l->items[i].used) {
			error_report("Parameter '%s' is unexpected", l->items[i].key);
			return -1;
		}
	}
	return 0;
}

int sock_mcast_open(const struct sockaddr_in *group, const struct in_addr *local,
		    const char *enodev_hint)
{
	struct ip_mreq mr;
	int fd, one = 1;
	unsigned char loop = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_report("can't create datagram socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		error_report("can't set socket option SO_REUSEADDR: %s", strerror(errno));
		goto fail;
	}
	if (bind(fd, (const struct sockaddr *)group, sizeof(*group)) < 0) {
		error_report("can't bind ip=%s to socket: %s", inet_ntoa(group->sin_addr),
			     strerror(errno));
		goto fail;
	}
	mr.imr_multiaddr = group->sin_addr;
	mr.imr_interface.s_addr = local ? local->s_addr : htonl(INADDR_ANY);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		int e = errno;
		error_report("can't add socket to multicast group %s: %s%s%s",
			     inet_ntoa(group->sin_addr), strerror(e),
			     e == ENODEV ? "\nno interface for multicast: " : "",
			     e == ENODEV ? enodev_hint : "");
		goto fail;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0) {
		error_report("can't force multicast message to loopback: %s", strerror(errno));
		goto fail;
	}
	if (local && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, local, sizeof(*local)) < 0) {
		error_report("can't set the default network send interface: %s", strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int sock_parse_fd(const char *key, const char *str)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(str, &end, 10);
	if (!*str || *end || errno || v < 0 || v > INT_MAX) {
		error_report("File descriptor named '%s' has not been found\n"
			     "%s= takes the number of a file descriptor inherited by skiff "
			     "(there is no monitor to pass named fds)", str, key);
		return -1;
	}
	if (fcntl((int)v, F_GETFD) < 0) {
		error_report("%s=%s: file descriptor %ld is not open (%s)", key, str, v,
			     strerror(errno));
		return -1;
	}
	return (int)v;
}

int sock_unix_addr(const char *path, bool abstract, bool tight, struct sockaddr_un *out,
		   socklen_t *len)
{
	size_t n = strlen(path), max = sizeof(out->sun_path) - (abstract ? 1 : 0);

	memset(out, 0, sizeof(*out));
	out->sun_family = AF_UNIX;
	if (n == 0 && !abstract) {
		error_report("UNIX socket path is empty");
		return -1;
	}
	if (abstract ? n > max : n >= max) {
		error_report("UNIX socket path '%s' is too long\n"
			     "Path must be less than %zu bytes", path, sizeof(out->sun_path));
		return -1;
	}
	if (abstract) {
		memcpy(out->sun_path + 1, path, n);
		*len = tight ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)
			     : (socklen_t)sizeof(*out);
	} else {
		memcpy(out->sun_path, path, n);
		*len = (socklen_t)sizeof(*out);
	}
	return 0;
}
