/* libFuzzer harness for the stream backend's framing (net/sock_util.c:
 * 4-byte big-endian length records on a stream socket, both directions).
 *
 * The parser (sockbe_stream_read) is static and runs from the event loop,
 * so the harness builds a real "-netdev stream,addr.type=fd" backend on one
 * end of an AF_UNIX socketpair, peers it with a fake NIC, and plays the
 * program inside the event loop: each step is an el_call_soon() callback
 * that does one thing (writes the next piece of the byte stream to the
 * other end, cut at arbitrary points, or makes the NIC refuse/accept/send
 * frames, or drains/half-closes the socket) and re-arms itself, so every
 * step is followed by one loop round in which the backend reads what is
 * there. The loop runs a bounded number of rounds per input.
 *
 * Oracles: the sanitizers (memory), ASan's leak checker and libFuzzer's
 * -rss_limit_mb/-malloc_limit_mb (unbounded allocation), and the NIC side
 * checks that every delivered frame has 1..NET_MAX_FRAME bytes.
 *
 * Input: [cfg] then ops; cfg bit0: small socket buffers (partial writes,
 * TX queueing), bit1: the NIC claims vnet-header support, bit2: server mode
 * (the backend listens on an abstract unix socket, accepts the harness's
 * connection, and accepts the next one after a disconnect). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/net.h"
#include "net/sock_util.h"
#include "util/event_loop.h"
#include "util/log.h"

#define MAX_STEPS 256

static const uint8_t *prog;
static size_t prog_n;
static unsigned steps;
static int peer = -1;                 /* the harness's end of the socketpair */
static struct net_client *nic, *be;
static bool nic_blocked;
static bool server;
static struct sockaddr_un srv_addr;
static socklen_t srv_len;
static bool nic_echo;                /* answer from inside receive() (re-entrancy) */
static unsigned nic_frames;          /* delivered to the NIC (STREAM_TRACE) */
static uint8_t buf[NET_MAX_FRAME + 16];

static uint32_t take(unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes && prog_n; i++) {
		v |= (uint32_t)*prog << (8 * i);
		prog++;
		prog_n--;
	}
	return v;
}

static ssize_t nic_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len == 0 || len > NET_MAX_FRAME)
		abort();     /* the backend must not deliver empty or oversized records */
	if (nic_blocked)
		return 0;
	nic_frames++;
	if (nic_echo) {
		uint8_t f[64] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
		net_send_buf(nc, f, sizeof(f));   /* into the backend's TX while it is reading */
	}
	return (ssize_t)len;
}

static const struct net_client_ops nic_ops = {
	.type = "fuzz-nic", .is_nic = true, .receive = nic_receive,
};

static void quiet(const char *line) { (void)line; }

/* Write n bytes (from the input, zero-filled past its end); what the socket
 * does not take now is lost (the byte stream is cut there). */
static void peer_write(const uint8_t *p, size_t n)
{
	if (peer < 0 || n == 0)
		return;
	(void)!send(peer, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void step(void *opaque)
{
	(void)opaque;
	if (!prog_n || steps++ >= MAX_STEPS) {
		el_quit(0);
		return;
	}
	uint8_t op = (uint8_t)take(1);

	switch (op & 7) {
	case 0: case 1: { /* raw bytes: a piece of the stream, cut anywhere */
		size_t n = (op >> 3) ? (op >> 3) : take(1) + 1;
		if (n > prog_n)
			n = prog_n;
		peer_write(prog, n);
		prog += n;
		prog_n -= n;
		break;
	}
	case 2: { /* one whole record: length (any, incl. 0 and oversized), then payload */
		uint32_t len = take(2);
		size_t have;
		if (op & 0x08)
			len |= take(1) << 16;
		if (op & 0x10)
			len = 0xffffffffu - take(1);            /* huge lengths */
		buf[0] = (uint8_t)(len >> 24);
		buf[1] = (uint8_t)(len >> 16);
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		if (len > NET_MAX_FRAME || (op & 0x20)) { /* header only (or truncated record) */
			peer_write(buf, 4);
			break;
		}
		have = len < prog_n ? len : prog_n;
		memcpy(buf + 4, prog, have);
		memset(buf + 4 + have, 0, len - have);
		prog += have;
		prog_n -= have;
		peer_write(buf, 4 + (size_t)len);
		break;
	}
	case 3: /* NIC: back-pressure on/off, flush (on_drained -> resume reading) */
		if (op & 0x08)
			nic_blocked = !nic_blocked;
		if (op & 0x10)
			net_client_flush(nic);
		if (op & 0x20)
			net_client_set_link(nic, !(op & 0x40));
		if (op & 0x80)
			nic_echo = !nic_echo;
		break;
	case 4: { /* NIC sends a frame toward the socket (TX framing, queueing) */
		size_t n = take(2) | (size_t)(op & 0x08 ? take(1) & 1 : 0) << 16;
		memset(buf, (uint8_t)op, n < sizeof(buf) ? n : sizeof(buf));
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (unsigned k = 0; k < (op >> 5) + 1u; k++)
			net_send_buf(nic, buf, n);
		if (!(op & 0x10))
			net_client_poll_peer(nic);   /* the batch ends (net.h): the backend writes */
		break;
	}
	case 5: { /* peer reads (drains) what the backend sent */
		size_t want = (op & 0x08) ? sizeof(buf) : take(2);
		if (peer >= 0 && want)
			(void)!read(peer, buf, want < sizeof(buf) ? want : sizeof(buf));
		break;
	}
	case 6: /* peer half-closes or goes away: the backend sees EOF/EPIPE */
		if (server && (op & 0x20)) {   /* server mode: hang up and connect again */
			if (peer >= 0)
				close(peer);
			peer = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (peer >= 0 && connect(peer, (struct sockaddr *)&srv_addr, srv_len) < 0) {
				close(peer);
				peer = -1;
			}
			break;
		}
		if (peer >= 0) {
			if (op & 0x08) {
				close(peer);
				peer = -1;
			} else {
				shutdown(peer, (op & 0x10) ? SHUT_RDWR : SHUT_WR);
			}
		}
		break;
	default: /* idle rounds: the backend reads more of what is buffered */
		break;
	}
	el_call_soon(step, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_sink(quiet);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	struct sockbe *s;
	uint8_t c;

	if (size < 1)
		return 0;
	c = data[0];
	prog = data + 1;
	prog_n = size - 1;
	steps = 0;
	nic_blocked = nic_echo = false;
	nic_frames = 0;
	if (el_init() < 0)
		abort();
	server = c & 4;
	if (server) {
		/* Abstract namespace: nothing on disk, unique per process. */
		memset(&srv_addr, 0, sizeof(srv_addr));
		srv_addr.sun_family = AF_UNIX;
		srv_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				      (size_t)snprintf(srv_addr.sun_path + 1, sizeof(srv_addr.sun_path) - 1,
						       "skiff-fuzz-stream-%d", (int)getpid()));
		sv[0] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (sv[0] < 0 || bind(sv[0], (struct sockaddr *)&srv_addr, srv_len) < 0 ||
		    listen(sv[0], 4) < 0)
			abort();
		sv[1] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (sv[1] < 0 || connect(sv[1], (struct sockaddr *)&srv_addr, srv_len) < 0)
			abort();
	} else if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		abort();
	}
	peer = sv[1];
	fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK);
	if ((c & 1) && !server) {
		/* Small socket buffers: partial writes, the TX queue and its limit. */
		int sz = 4096;
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}

	s = sockbe_new("stream", "fuzz-stream");
	be = sockbe_client(s);
	nic = net_client_new(&nic_ops, "fuzz-nic", NULL);
	nic->has_vnet_hdr = c & 2;
	if (net_client_connect(nic, be) < 0)
		abort();
	if (server)
		sockbe_listen(s, sv[0], "fuzz-listen", NULL);   /* owns and closes sv[0] */
	else
		sockbe_stream_fd(s, sv[0], "fd=fuzz");

	el_call_soon(step, NULL);
	el_run();
#ifdef STREAM_TRACE
	fprintf(stderr, "steps %u frames %u link %s\n", steps, nic_frames, be->link_down ? "down" : "up");
#endif

	net_client_free(nic);
	net_client_free(be);    /* closes sv[0] */
	if (peer >= 0)
		close(peer);
	peer = -1;
	el_fini();
	return 0;
}
