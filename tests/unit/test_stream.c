/* -netdev stream: options and messages; two backends connected end to end
 * (unix and TCP on 127.0.0.1) with a fake NIC on each side; the wire format
 * against a raw peer (partial records, length 0 / 1 GiB / garbage);
 * disconnect -> link down -> reconnect -> link up; back-pressure both ways;
 * addr.type=fd; a guest reset (re-exec) keeps the connection and its half-moved records.
 * Loopback and temp-dir unix sockets only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>

#include "test_stream_common.h"
#include "test_sock_common.h"   /* free_port */
#include "net/sock_util.h"
#include "vm/runstate.h"

static char tmpdir[100];

static int unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 3 };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static bool read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void send_record(int fd, const uint8_t *f, uint32_t len)
{
	uint8_t h[4];
	put_be32(h, len);
	write_all(fd, h, 4);
	write_all(fd, f, len);
}

/* Peer closed: read returns 0 (or an error) within the timeout. */
static bool peer_closed(int fd)
{
	uint8_t b[256];
	for (int i = 0; i < 100; i++) {
		ssize_t n = read(fd, b, sizeof(b));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
		if (n < 0)
			return false;
	}
	return false;
}

static char spath[300];

static void make_server(const char *id)
{
	char opts[400];
	snprintf(spath, sizeof(spath), "%s/%s.sock", tmpdir, id);
	snprintf(opts, sizeof(opts), "server=on,addr.type=unix,addr.path=%s", spath);
	assert_int_equal(nd("stream", id, opts), 0);
}

/* A stream server for netdev id with a fake NIC on it and a client connected to it (its fd). */
static struct tnic *serve_connected(const char *id, int *fd)
{
	struct tnic *t;

	make_server(id);
	vmm_lock();
	t = tnic_attach(id, false);
	vmm_unlock();
	*fd = unix_connect(spath);
	assert_true(wait_for(link_is_up, (void *)id, 3000));
	return t;
}

/* ---- options ----------------------------------------------------------- */

static void test_stream_option_errors(void **state)
{
	char opts[400];

	assert_int_equal(nd("stream", "s0", ""), -1);
	assert_true(log_has("Parameter 'addr' is missing"));
	assert_int_equal(nd("stream", "s0", "addr.path=/x"), -1);
	assert_true(log_has("Parameter 'addr.type' is missing"));
	assert_int_equal(nd("stream", "s0", "addr.type=bogus"), -1);
	assert_true(log_has("Parameter 'addr.type' does not accept value 'bogus'"));
	assert_int_equal(nd("stream", "s0", "addr.type=inet,addr.host=127.0.0.1"), -1);
	assert_true(log_has("Parameter 'addr.port' is missing"));
	assert_int_equal(nd("stream", "s0", "addr.type=inet,addr.port=1"), -1);
	assert_true(log_has("Parameter 'addr.host' is missing"));
	assert_int_equal(nd("stream", "s0", "addr.type=unix"), -1);
	assert_true(log_has("Parameter 'addr.path' is missing"));
	assert_int_equal(nd("stream", "s0", "addr.type=fd"), -1);
	assert_true(log_has("Parameter 'addr.str' is missing"));
	assert_int_equal(nd("stream", "s0", "addr.type=unix,addr.path=/x,bogus=1"), -1);
	assert_true(log_has("Parameter 'bogus' is unexpected"));
	assert_int_equal(nd("stream", "s0", "addr.type=unix,addr.path=/x,addr.host=y"), -1);
	assert_true(log_has("Parameter 'addr.host' is unexpected"));
	assert_int_equal(nd("stream", "s0", "server=on,reconnect-ms=100,addr.type=unix,addr.path=/x"), -1);
	assert_true(log_has("'reconnect-ms' option is incompatible with socket in server mode"));
	assert_int_equal(nd("stream", "s0", "server=on,reconnect=1,addr.type=unix,addr.path=/x"), -1);
	assert_true(log_has("'reconnect' option is incompatible with socket in server mode"));
	assert_int_equal(nd("stream", "s0", "reconnect=1,reconnect-ms=5,addr.type=unix,addr.path=/x"), -1);
	assert_true(log_has("mutually exclusive"));
	assert_int_equal(nd("stream", "s0", "server=maybe,addr.type=unix,addr.path=/x"), -1);
	assert_true(log_has("Parameter 'server' expects 'on' or 'off'"));
	char longp[200];
	memset(longp, 'a', 150);
	longp[150] = 0;
	snprintf(opts, sizeof(opts), "addr.type=unix,addr.path=/%s", longp);
	assert_int_equal(nd("stream", "s0", opts), -1);
	assert_true(log_has("is too long"));
	assert_int_equal(nd("stream", "s0", "addr.type=fd,addr.str=xyz"), -1);
	assert_true(log_has("File descriptor named 'xyz' has not been found"));
	assert_int_equal(nd("stream", "s0", "addr.type=fd,addr.str=999"), -1);
	assert_true(log_has("file descriptor 999 is not open"));
	assert_int_equal(nd("stream", "s0", "addr.type=inet,addr.host=no.such.host.invalid,addr.port=1"), -1);
	assert_true(log_has("address resolution failed for no.such.host.invalid:1"));
	/* A port in use. */
	int port = free_port(SOCK_STREAM);
	snprintf(opts, sizeof(opts), "server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=%d", port);
	assert_int_equal(nd("stream", "s1", opts), 0);
	assert_int_equal(nd("stream", "s2", opts), -1);
	assert_true(log_has("Failed to find an available port: Address already in use"));
	assert_null(net_client_find("s0"));
	assert_null(net_client_find("s2"));
	/* A client whose server is not there: not an error, the link is down. */
	snprintf(opts, sizeof(opts), "addr.type=unix,addr.path=%s/none.sock", tmpdir);
	assert_int_equal(nd("stream", "s3", opts), 0);
	assert_true(net_client_find("s3")->link_down);
	assert_string_equal(net_client_find("s3")->ops->type, "stream");
}

/* ---- end to end ---------------------------------------------------------- */

static void end_to_end(const char *server_opts, const char *client_opts)
{
	struct tnic *a, *b;
	uint8_t f[3000];

	assert_int_equal(nd("stream", "srv", server_opts), 0);
	assert_int_equal(nd("stream", "cli", client_opts), 0);
	vmm_lock();
	a = tnic_attach("srv", false);
	b = tnic_attach("cli", false);
	vmm_unlock();
	assert_true(wait_for(link_is_up, "srv", 3000));
	assert_true(wait_for(link_is_up, "cli", 3000));
	vmm_lock();
	assert_false(a->nc->link_down);   /* mirrored to the NIC */
	assert_non_null(strstr(net_client_find("srv")->info, "connection from"));
	assert_non_null(strstr(net_client_find("cli")->info, "connected to"));
	vmm_unlock();
	for (unsigned i = 0; i < 20; i++) {
		size_t len = 60 + i * 100;
		frame_fill(f, len, i);
		LOCKED(nic_send(a->nc, f, len));
		frame_fill(f, len, 100 + i);
		LOCKED(nic_send(b->nc, f, len));
	}
	assert_true(wait_frames(a, 20, 3000));
	assert_true(wait_frames(b, 20, 3000));
	vmm_lock();
	for (unsigned i = 0; i < 20; i++) {
		size_t len = 60 + i * 100;
		frame_fill(f, len, i);
		assert_int_equal(b->len[i], len);
		assert_memory_equal(b->data[i], f, len);
		frame_fill(f, len, 100 + i);
		assert_int_equal(a->len[i], len);
		assert_memory_equal(a->data[i], f, len);
	}
	vmm_unlock();
}

static void test_stream_unix_end_to_end(void **state)
{
	char so[400], co[400];
	snprintf(so, sizeof(so), "server=on,addr.type=unix,addr.path=%s/e2e.sock", tmpdir);
	snprintf(co, sizeof(co), "server=off,addr.type=unix,addr.path=%s/e2e.sock", tmpdir);
	end_to_end(so, co);
}

static void test_stream_inet_end_to_end(void **state)
{
	char so[200], co[200];
	int port = free_port(SOCK_STREAM);
	snprintf(so, sizeof(so), "server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=%d", port);
	snprintf(co, sizeof(co), "addr.type=inet,addr.host=127.0.0.1,addr.port=%d,addr.numeric=on", port);
	end_to_end(so, co);
}

static void test_stream_abstract_end_to_end(void **state)
{
	char so[200], co[200];
	snprintf(so, sizeof(so), "server=on,addr.type=unix,addr.abstract=on,addr.path=skiff-test-%d", getpid());
	snprintf(co, sizeof(co), "addr.type=unix,addr.abstract=on,addr.path=skiff-test-%d", getpid());
	end_to_end(so, co);
}

/* ---- wire format against a raw peer ----------------------------------- */

static void test_stream_partial_records(void **state)
{
	struct tnic *t;
	uint8_t f[1000], rec[1004], got[1004];
	int fd;

	t = serve_connected("p0", &fd);
	frame_fill(f, sizeof(f), 7);
	put_be32(rec, sizeof(f));
	memcpy(rec + 4, f, sizeof(f));
	/* Split inside the length and inside the frame. */
	write_all(fd, rec, 2);
	settle(20);
	write_all(fd, rec + 2, 300);
	settle(20);
	write_all(fd, rec + 302, sizeof(rec) - 302);
	assert_true(wait_frames(t, 1, 3000));
	/* An empty record is skipped; the stream stays in sync. */
	uint8_t zero[4] = { 0 };
	write_all(fd, zero, 4);
	send_record(fd, f, 100);
	assert_true(wait_frames(t, 2, 3000));
	vmm_lock();
	assert_int_equal(t->len[0], sizeof(f));
	assert_memory_equal(t->data[0], f, sizeof(f));
	assert_int_equal(t->len[1], 100);
	assert_false(net_client_find("p0")->link_down);
	vmm_unlock();
	/* The other way: length prefix + frame, byte-exact. */
	LOCKED(nic_send(t->nc, f, sizeof(f)));
	assert_true(read_all(fd, got, 4 + sizeof(f)));
	assert_memory_equal(got, rec, sizeof(rec));
	close(fd);
}

/* Many records in one burst, the way a TSO send arrives: the backend reads them in bulk and
 * must cut them apart in order, across reads that end inside a header or a frame and across
 * the buffer's compaction (sizes up to NET_MAX_FRAME keep the last record partial). */
static void test_stream_bulk_records(void **state)
{
	static const size_t sizes[] = { 1514, 60, NET_MAX_FRAME, 1, 1514, 9000, NET_MAX_FRAME - 1,
					 42, 65536, 1514, 3, 1515 };
	enum { N = 240 };
	struct tnic *t;
	size_t total = 0, off = 0;
	uint8_t *burst;
	int fd;

	for (unsigned i = 0; i < N; i++)
		total += 4 + sizes[i % 12];
	burst = malloc(total);
	assert_non_null(burst);
	for (unsigned i = 0; i < N; i++) {
		size_t len = sizes[i % 12];

		put_be32(burst + off, (uint32_t)len);
		frame_fill(burst + off + 4, len, i);
		off += 4 + len;
	}
	t = serve_connected("bk", &fd);
	/* Odd-sized writes, so reads end at every kind of place. */
	for (off = 0; off < total;) {
		size_t n = total - off < 77777 ? total - off : 77777;

		write_all(fd, burst + off, n);
		off += n;
	}
	assert_true(wait_frames(t, N, 10000));
	vmm_lock();
	assert_int_equal(t->count, N);
	for (unsigned i = 0; i < N; i++) {
		size_t len = sizes[i % 12];
		uint8_t *want = malloc(len);

		frame_fill(want, len, i);
		assert_int_equal(t->len[i], len);
		assert_memory_equal(t->data[i], want, len);
		free(want);
	}
	assert_false(t->nc->link_down);
	vmm_unlock();
	free(burst);
	close(fd);
}

/* Back-pressure in the middle of a buffered burst: the records already read wait in the
 * backend and are delivered when the NIC drains, without more data on the socket. */
static void test_stream_rx_resume_buffered(void **state)
{
	struct tnic *t;
	uint8_t f[1514];
	int fd;

	t = serve_connected("rb", &fd);
	for (unsigned i = 0; i < 3; i++) {
		frame_fill(f, sizeof(f), i);
		send_record(fd, f, sizeof(f));
	}
	assert_true(wait_frames(t, 3, 3000));
	LOCKED(t->full = true);
	/* One write: one read brings all 40 in; the first is refused (held by net core). */
	{
		static uint8_t burst[40 * (4 + 1514)];
		for (unsigned i = 0; i < 40; i++) {
			put_be32(burst + i * 1518, 1514);
			frame_fill(burst + i * 1518 + 4, 1514, 100 + i);
		}
		write_all(fd, burst, sizeof(burst));
	}
	settle(100);
	vmm_lock();
	assert_int_equal(t->count, 3);
	assert_int_equal(t->nc->queue_len, 1);
	t->full = false;
	net_client_flush(t->nc);
	vmm_unlock();
	assert_true(wait_frames(t, 43, 3000));
	vmm_lock();
	for (unsigned i = 0; i < 40; i++) {
		frame_fill(f, sizeof(f), 100 + i);
		assert_int_equal(t->len[3 + i], sizeof(f));
		assert_memory_equal(t->data[3 + i], f, sizeof(f));
	}
	vmm_unlock();
	close(fd);
}

/* A NIC's transmit batch is written at its end (ops->poll), in one go: nothing reaches the
 * socket while the batch runs, all of it when the NIC polls, before the loop gets the lock. A
 * frame from a peer that is not a NIC (no poll follows) goes out when the loop next runs. */
static void test_stream_tx_batch(void **state)
{
	struct tnic *t;
	uint8_t f[1514], got[10 * 1518];
	struct pollfd pfd;
	ssize_t n;
	int fd;

	unsetenv("SKIFF_STREAM_BATCH");   /* the default is what this tests */
	t = serve_connected("tb", &fd);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	vmm_lock();
	for (unsigned i = 0; i < 10; i++) {
		frame_fill(f, sizeof(f), i);
		assert_int_equal(net_send_buf(t->nc, f, sizeof(f)), sizeof(f));
	}
	assert_int_equal(poll(&pfd, 1, 50), 0);          /* queued, not written */
	net_client_poll_peer(t->nc);                      /* the batch ends */
	assert_int_equal(poll(&pfd, 1, 0), 1);
	n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
	vmm_unlock();
	assert_int_equal(n, (ssize_t)sizeof(got));
	for (unsigned i = 0; i < 10; i++) {
		frame_fill(f, sizeof(f), i);
		assert_int_equal(got[i * 1518 + 2] << 8 | got[i * 1518 + 3], sizeof(f));
		assert_memory_equal(got + i * 1518 + 4, f, sizeof(f));
	}
	close(fd);
	/* A peer that is not a NIC (a hub port) never polls: the loop writes what it sent. */
	t = serve_connected("tp", &fd);
	LOCKED(t->nc->ops = &tnic_plain_ops);   /* (once the link is up: it is a NIC's to mirror) */
	struct timeval tv = { .tv_sec = 3 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	frame_fill(f, sizeof(f), 77);
	LOCKED(net_send_buf(t->nc, f, sizeof(f)));
	assert_true(read_all(fd, got, 1518));
	assert_memory_equal(got + 4, f, sizeof(f));
	close(fd);
}

/* Two stream backends joined by a socket, each with a fake NIC that sends TSO-sized batches
 * (then polls, as a NIC does) and refuses frames now and then (a full receive ring): every
 * frame arrives once, in order, whatever the interleaving of batching, partial writes, the
 * transmit queue's limit, net core's hold and the receive side's pause and resume. */
struct seqnic {
	struct net_client *nc;
	bool full;
	uint32_t next, bad, got;
};

static ssize_t seqnic_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct seqnic *n = nc->opaque;
	uint8_t h[4];
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (n->full)
		return 0;
	assert_true(iov[0].iov_len >= 4);
	memcpy(h, iov[0].iov_base, 4);
	if ((uint32_t)(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]) != n->next ||
	    len != 60 + n->next % 1455)
		n->bad++;
	n->next++;
	n->got++;
	return (ssize_t)len;
}

static bool seqnic_can_receive(struct net_client *nc)
{
	return !((struct seqnic *)nc->opaque)->full;
}

static const struct net_client_ops seqnic_ops = {
	.type = "seqnic", .is_nic = true,
	.receive = seqnic_receive, .can_receive = seqnic_can_receive,
};

static void seqnic_send(struct seqnic *n, uint32_t *seq, unsigned count)
{
	static uint8_t f[1514];

	/* (a sender that minds net core's bound: beyond it frames are dropped, by design) */
	for (unsigned i = 0; i < count && net_can_send(n->nc); i++, (*seq)++) {
		size_t len = 60 + *seq % 1455;

		f[0] = *seq >> 24; f[1] = *seq >> 16; f[2] = *seq >> 8; f[3] = *seq;
		net_send_buf(n->nc, f, len);
	}
	net_client_poll_peer(n->nc);
}

static bool seqnics_done(void *arg)
{
	struct seqnic **n = arg;
	bool done;

	vmm_lock();
	done = n[0]->got == (uintptr_t)n[2] && n[1]->got == (uintptr_t)n[3];
	vmm_unlock();
	return done;
}

static void test_stream_pair_stress(void **state)
{
	struct seqnic a = { 0 }, b = { 0 };
	uint32_t seq_a = 0, seq_b = 0;
	unsigned rnd = 12345;
	char opts[400];

	make_server("ps");
	snprintf(opts, sizeof(opts), "server=off,addr.type=unix,addr.path=%s", spath);
	assert_int_equal(nd("stream", "pc", opts), 0);
	vmm_lock();
	a.nc = net_client_new(&seqnic_ops, "nic-ps", &a);
	b.nc = net_client_new(&seqnic_ops, "nic-pc", &b);
	assert_int_equal(net_client_connect(a.nc, net_client_find("ps")), 0);
	assert_int_equal(net_client_connect(b.nc, net_client_find("pc")), 0);
	vmm_unlock();
	assert_true(wait_for(link_is_up, "ps", 3000));
	assert_true(wait_for(link_is_up, "pc", 3000));
	for (unsigned round = 0; round < 400; round++) {
		rnd = rnd * 1103515245 + 12345;
		vmm_lock();
		/* a: a data burst (up to three TSO packets' worth); b: a few ACK-like frames */
		seqnic_send(&a, &seq_a, (rnd >> 8) % 140);
		seqnic_send(&b, &seq_b, (rnd >> 16) % 4);
		/* now and then a receive ring fills up, or drains (the NIC's RX kick) */
		if ((rnd >> 20) % 5 == 0)
			b.full = !b.full;
		if ((rnd >> 24) % 7 == 0)
			a.full = !a.full;
		if (!b.full)
			net_client_flush(b.nc);
		if (!a.full)
			net_client_flush(a.nc);
		vmm_unlock();
		loop_kick();
		if (round % 16 == 0)
			settle(1);
	}
	LOCKED(a.full = b.full = false; net_client_flush(a.nc); net_client_flush(b.nc));
	{
		void *arg[4] = { &a, &b, (void *)(uintptr_t)seq_b, (void *)(uintptr_t)seq_a };
		for (unsigned i = 0; i < 100 && !seqnics_done(arg); i++) {
			/* what a NIC does while its ring has room: take what net core holds */
			LOCKED(net_client_flush(a.nc); net_client_flush(b.nc));
			settle(50);
		}
		if (!seqnics_done(arg))
			fail_msg("a got %u of %u (bad %u), b got %u of %u (bad %u)", a.got, seq_b, a.bad,
				 b.got, seq_a, b.bad);
	}
	vmm_lock();
	assert_int_equal(b.bad, 0);
	assert_int_equal(a.bad, 0);
	assert_int_equal(b.got, seq_a);
	assert_int_equal(a.got, seq_b);
	net_client_free(a.nc);
	net_client_free(b.nc);
	vmm_unlock();
}

static void bad_length(uint32_t len, const char *what)
{
	struct tnic *t;
	uint8_t h[4], f[100];
	int fd;

	vmm_lock();
	t = tnic_attach("bl", false);
	vmm_unlock();
	fd = unix_connect(spath);
	assert_true(wait_for(link_is_up, "bl", 3000));
	put_be32(h, len);
	write_all(fd, h, 4);
	/* Best effort: the backend may already have dropped us after the header. */
	if (write(fd, "garbage-garbage", 15) < 0)
		assert_true(errno == EPIPE || errno == ECONNRESET);
	/* The connection is dropped; the link goes down; nothing was delivered. */
	assert_true(peer_closed(fd));
	assert_true(wait_for(link_is_down, "bl", 3000));
	assert_true(log_has("oversized packet received"));
	vmm_lock();
	assert_int_equal(t->count, 0);
	assert_true(t->nc->link_down);
	vmm_unlock();
	close(fd);
	/* The next client is accepted: the link comes back. */
	fd = unix_connect(spath);
	assert_true(wait_for(link_is_up, "bl", 3000));
	frame_fill(f, sizeof(f), 1);
	send_record(fd, f, sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	close(fd);
	(void)what;
}

static void test_stream_length_1gib(void **state)
{
	make_server("bl");
	bad_length(1u << 30, "1 GiB");
}

static void test_stream_length_garbage(void **state)
{
	make_server("bl");
	bad_length(0xdeadbeef, "garbage");
}

static void test_stream_length_just_too_big(void **state)
{
	make_server("bl");
	bad_length(NET_MAX_FRAME + 1, "max+1");
}

static void test_stream_max_frame_ok(void **state)
{
	struct tnic *t;
	static uint8_t f[NET_MAX_FRAME];
	int fd;

	t = serve_connected("mx", &fd);
	frame_fill(f, sizeof(f), 3);
	send_record(fd, f, sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	vmm_lock();
	assert_int_equal(t->len[0], NET_MAX_FRAME);
	vmm_unlock();
	close(fd);
}

/* ---- link state ------------------------------------------------------------ */

static void test_stream_disconnect_reconnect(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char opts[400];
	struct tnic *t;
	int lfd, cfd;
	uint8_t f[200], got[204];

	/* A raw server; the netdev is the client with reconnect-ms. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.90s/rc.sock", tmpdir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(opts, sizeof(opts), "addr.type=unix,addr.path=%s,reconnect-ms=50", sun.sun_path);
	assert_int_equal(nd("stream", "rc", opts), 0);
	vmm_lock();
	t = tnic_attach("rc", false);
	vmm_unlock();
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_true(wait_for(link_is_up, "rc", 3000));
	vmm_lock();
	assert_false(t->nc->link_down);
	vmm_unlock();
	close(cfd);
	assert_true(wait_for(link_is_down, "rc", 3000));
	vmm_lock();
	assert_true(t->nc->link_down);
	/* Frames sent while down are dropped, not queued. */
	frame_fill(f, sizeof(f), 1);
	net_send_buf(t->nc, f, sizeof(f));
	vmm_unlock();
	cfd = accept(lfd, NULL, NULL);   /* the reconnect */
	assert_true(cfd >= 0);
	assert_true(wait_for(link_is_up, "rc", 3000));
	struct timeval tv = { .tv_sec = 3 };
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	frame_fill(f, sizeof(f), 2);
	LOCKED(nic_send(t->nc, f, sizeof(f)));
	assert_true(read_all(cfd, got, sizeof(got)));
	assert_int_equal(got[3], sizeof(f));
	assert_memory_equal(got + 4, f, sizeof(f));
	close(cfd);
	close(lfd);
}

static void test_stream_server_next_client(void **state)
{
	struct tnic *t;
	int fd1, fd2;
	uint8_t f[80];

	make_server("nx");
	vmm_lock();
	t = tnic_attach("nx", false);
	vmm_unlock();
	fd1 = unix_connect(spath);
	assert_true(wait_for(link_is_up, "nx", 3000));
	/* A second client waits in the backlog while the first is served. */
	fd2 = unix_connect(spath);
	frame_fill(f, sizeof(f), 1);
	send_record(fd2, f, sizeof(f));
	settle(50);
	vmm_lock();
	assert_int_equal(t->count, 0);
	vmm_unlock();
	close(fd1);
	assert_true(wait_frames(t, 1, 3000));
	assert_true(wait_for(link_is_up, "nx", 3000));
	close(fd2);
	assert_true(wait_for(link_is_down, "nx", 3000));
}

/* ---- back-pressure ------------------------------------------------------------ */

static void test_stream_rx_backpressure(void **state)
{
	struct tnic *t;
	uint8_t f[500];
	int fd;

	make_server("bp");
	vmm_lock();
	t = tnic_attach("bp", false);
	t->full = true;
	vmm_unlock();
	fd = unix_connect(spath);
	assert_true(wait_for(link_is_up, "bp", 3000));
	for (unsigned i = 0; i < 50; i++) {
		frame_fill(f, sizeof(f), i);
		send_record(fd, f, sizeof(f));
	}
	settle(100);
	vmm_lock();
	/* One frame is held by net core; the backend stopped reading. */
	assert_int_equal(t->count, 0);
	assert_int_equal(t->nc->queue_len, 1);
	vmm_unlock();
	LOCKED(t->full = false; net_client_flush(t->nc));
	assert_true(wait_frames(t, 50, 3000));
	vmm_lock();
	for (unsigned i = 0; i < 50; i++) {
		frame_fill(f, sizeof(f), i);
		assert_memory_equal(t->data[i], f, sizeof(f));
	}
	vmm_unlock();
	close(fd);
}

static void test_stream_tx_slow_peer(void **state)
{
	struct tnic *t;
	static uint8_t f[60000];
	uint8_t h[4];
	static uint8_t got[60000];
	unsigned sent = 0, blocked_at = 0;
	int fd;

	t = serve_connected("tx", &fd);
	/* The peer does not read: frames are queued up to the bound, then
	 * net_send() says "wait" and net core holds the rest (bounded). */
	for (unsigned i = 0; i < 200; i++) {
		ssize_t r;
		frame_fill(f, sizeof(f), i);
		vmm_lock();
		r = nic_send(t->nc, f, sizeof(f));
		vmm_unlock();
		sent++;
		if (r == 0) {
			blocked_at = i;
			break;
		}
	}
	assert_true(blocked_at > 0);
	/* A few more go to net core's queue. */
	for (unsigned i = blocked_at + 1; i < blocked_at + 5; i++) {
		frame_fill(f, sizeof(f), i);
		LOCKED(nic_send(t->nc, f, sizeof(f)));
		sent++;
	}
	/* Now the peer reads everything, in order. */
	for (unsigned i = 0; i < sent; i++) {
		assert_true(read_all(fd, h, 4));
		assert_int_equal((uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3], sizeof(f));
		assert_true(read_all(fd, got, sizeof(got)));
		frame_fill(f, sizeof(f), i);
		assert_memory_equal(got, f, sizeof(f));
	}
	vmm_lock();
	assert_int_equal(net_client_find("tx")->queue_len, 0);
	vmm_unlock();
	close(fd);
}

static void test_stream_fd(void **state)
{
	int sv[2];
	char opts[64];
	struct tnic *t;
	uint8_t f[100], got[104];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(opts, sizeof(opts), "addr.type=fd,addr.str=%d", sv[0]);
	assert_int_equal(nd("stream", "fd0", opts), 0);
	vmm_lock();
	t = tnic_attach("fd0", false);
	assert_false(t->nc->link_down);
	vmm_unlock();
	frame_fill(f, sizeof(f), 5);
	send_record(sv[1], f, sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	LOCKED(nic_send(t->nc, f, sizeof(f)));
	assert_true(read_all(sv[1], got, sizeof(got)));
	assert_memory_equal(got + 4, f, sizeof(f));
	close(sv[1]);
	assert_true(wait_for(link_is_down, "fd0", 3000));
	/* A datagram socket is refused. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	snprintf(opts, sizeof(opts), "addr.type=fd,addr.str=%d", sv[0]);
	assert_int_equal(nd("stream", "fd1", opts), -1);
	assert_true(log_has("is not a stream socket"));
	close(sv[0]);
	close(sv[1]);
}

/* ---- a guest reset (re-exec) keeps the connection ------------------------------ */

/* What main() does on a guest reset, as far as the network goes: the old image's cleanup with
 * the reset pending, then a fresh process state (clients, loop) with SKIFF_REBOOTED=1. */
static void reexec_sim(void)
{
	loop_stop();
	runstate_request(RUNSTATE_RESET);
	common_free();
	runstate_clear();
	setenv("SKIFF_REBOOTED", "1", 1);
	loop_start();
}

/* Our side's socket has nothing unread by the other side (SIOCOUTQ). */
static bool peer_read_all(void *arg)
{
	int n = -1;

	return ioctl(*(int *)arg, SIOCOUTQ, &n) == 0 && n == 0;
}

/* The fd a hand-over variable names; it is open and inheritable. */
static int handed_over_fd(const char *id)
{
	char var[64];
	const char *env;
	int fd;

	snprintf(var, sizeof(var), SOCKBE_ENV_PREFIX "%s", id);
	env = getenv(var);
	assert_non_null(env);
	fd = atoi(env);
	assert_true(fd > 2);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	return fd;
}

/* Server side, with a record half received and one queued but not yet written when the guest
 * resets: the new image takes the same connection, the peer gets the queued record whole and
 * the half record completes. */
static void test_stream_reset_server_keeps_connection(void **state)
{
	static uint8_t f[1000], g[1514], got[4 + 1514];
	uint8_t hdr[4];
	struct tnic *t;
	int fd, kept;

	t = serve_connected("rs", &fd);
	frame_fill(f, sizeof(f), 1);
	put_be32(hdr, sizeof(f));
	write_all(fd, hdr, sizeof(hdr));
	write_all(fd, f, 300);
	assert_true(wait_for(peer_read_all, &fd, 3000));   /* the half record is in skiff's buffer */
	frame_fill(g, sizeof(g), 2);
	LOCKED(net_send_buf(t->nc, g, sizeof(g)));   /* no poll: the batch has not ended */
	vmm_lock();
	assert_int_equal(t->count, 0);
	vmm_unlock();

	reexec_sim();
	kept = handed_over_fd("rs");
	make_server("rs");
	unsetenv("SKIFF_REBOOTED");
	assert_null(getenv(SOCKBE_ENV_PREFIX "rs"));
	vmm_lock();
	assert_false(net_client_find("rs")->link_down);
	assert_non_null(strstr(net_client_find("rs")->info, "connection from"));
	t = tnic_attach("rs", false);
	vmm_unlock();
	assert_int_equal(fcntl(kept, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	struct timeval tv = { .tv_sec = 3 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_true(read_all(fd, got, sizeof(got)));
	assert_int_equal((got[2] << 8) | got[3], sizeof(g));
	assert_memory_equal(got + 4, g, sizeof(g));
	write_all(fd, f + 300, sizeof(f) - 300);
	assert_true(wait_frames(t, 1, 3000));
	vmm_lock();
	assert_int_equal(t->len[0], sizeof(f));
	assert_memory_equal(t->data[0], f, sizeof(f));
	vmm_unlock();
	/* And it carries on both ways. */
	send_record(fd, g, 60);
	assert_true(wait_frames(t, 2, 3000));
	LOCKED(nic_send(t->nc, f, 100));
	assert_true(read_all(fd, got, 104));
	assert_memory_equal(got + 4, f, 100);
	close(fd);
	assert_true(wait_for(link_is_down, "rs", 3000));
}

/* Client side (no reconnect-ms): the new image does not connect again, it goes on with the
 * connection it had; a stale or foreign variable is ignored. */
static void test_stream_reset_client_keeps_connection(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char opts[400];
	struct tnic *t;
	int lfd, cfd, tmp;
	uint8_t f[200], got[204];

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.90s/rcl.sock", tmpdir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(opts, sizeof(opts), "addr.type=unix,addr.path=%s", sun.sun_path);
	assert_int_equal(nd("stream", "rc", opts), 0);
	assert_true(wait_for(link_is_up, "rc", 3000));
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);

	reexec_sim();
	handed_over_fd("rc");
	assert_int_equal(nd("stream", "rc", opts), 0);
	unsetenv("SKIFF_REBOOTED");
	vmm_lock();
	assert_false(net_client_find("rc")->link_down);
	t = tnic_attach("rc", false);
	vmm_unlock();
	assert_int_equal(accept(lfd, NULL, NULL), -1);   /* no second connection */
	frame_fill(f, sizeof(f), 3);
	send_record(cfd, f, sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	LOCKED(nic_send(t->nc, f, sizeof(f)));
	struct timeval tv = { .tv_sec = 3 };
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_true(read_all(cfd, got, sizeof(got)));
	assert_memory_equal(got + 4, f, sizeof(f));

	/* Stale: the named fd is no socket (or there was no reset): a fresh start. */
	tmp = open("/dev/null", O_RDONLY);
	snprintf(opts, sizeof(opts), "%d:-1:somewhere", tmp);
	setenv(SOCKBE_ENV_PREFIX "st", opts, 1);
	setenv("SKIFF_REBOOTED", "1", 1);
	make_server("st");
	unsetenv("SKIFF_REBOOTED");
	assert_null(getenv(SOCKBE_ENV_PREFIX "st"));
	vmm_lock();
	assert_true(net_client_find("st")->link_down);
	vmm_unlock();
	setenv(SOCKBE_ENV_PREFIX "st2", "3:-1:x", 1);
	make_server("st2");
	assert_null(getenv(SOCKBE_ENV_PREFIX "st2"));
	vmm_lock();
	assert_true(net_client_find("st2")->link_down);
	vmm_unlock();
	assert_true(fcntl(tmp, F_GETFD) >= 0);   /* not ours: left alone */
	close(tmp);
	close(cfd);
	close(lfd);
}

/* Sockets given by fd= are named again by the re-executed image's command line: a datagram
 * one and a connected stream one stay open (inheritable); a stream one whose peer left before
 * the reset (its socket closed then, as QEMU closes it, the number held by /dev/null) gives a
 * link-down backend, not a failed start. */
static void test_stream_reset_user_fds(void **state)
{
	int dg[2], st[2], gone[2], sgone[2];
	char o_dg[64], o_st[64], o_gone[64], o_sgone[64];
	struct tnic *t;
	uint8_t f[120], got[124];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, st), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, gone), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sgone), 0);
	snprintf(o_dg, sizeof(o_dg), "fd=%d", dg[0]);
	snprintf(o_st, sizeof(o_st), "addr.type=fd,addr.str=%d", st[0]);
	snprintf(o_gone, sizeof(o_gone), "addr.type=fd,addr.str=%d", gone[0]);
	snprintf(o_sgone, sizeof(o_sgone), "fd=%d", sgone[0]);
	assert_int_equal(nd("socket", "ud", o_dg), 0);
	assert_int_equal(nd("stream", "us", o_st), 0);
	assert_int_equal(nd("stream", "ug", o_gone), 0);
	assert_int_equal(nd("socket", "usg", o_sgone), 0);
	assert_int_equal(fcntl(dg[0], F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fcntl(st[0], F_GETFD) & FD_CLOEXEC, 0);
	close(gone[1]);
	close(sgone[1]);
	assert_true(wait_for(link_is_down, "ug", 3000));
	assert_true(wait_for(link_is_down, "usg", 3000));
	assert_true(fcntl(gone[0], F_GETFD) >= 0);   /* /dev/null holds the number now */

	reexec_sim();
	assert_true(fcntl(dg[0], F_GETFD) >= 0);
	assert_int_equal(nd("socket", "ud", o_dg), 0);
	assert_int_equal(nd("stream", "us", o_st), 0);
	assert_int_equal(nd("stream", "ug", o_gone), 0);
	assert_true(log_has("ended before the guest's reset"));
	assert_int_equal(nd("socket", "usg", o_sgone), 0);
	unsetenv("SKIFF_REBOOTED");
	vmm_lock();
	assert_true(net_client_find("ug")->link_down);
	assert_true(net_client_find("usg")->link_down);
	assert_non_null(strstr(net_client_find("usg")->info, "socket: fd="));
	assert_false(net_client_find("us")->link_down);
	t = tnic_attach("ud", false);
	vmm_unlock();
	frame_fill(f, sizeof(f), 7);
	assert_int_equal(send(dg[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	vmm_lock();
	t = tnic_attach("us", false);
	vmm_unlock();
	send_record(st[1], f, sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	LOCKED(nic_send(t->nc, f, sizeof(f)));
	assert_true(read_all(st[1], got, sizeof(got)));
	assert_memory_equal(got + 4, f, sizeof(f));
	/* Without a reset that number (/dev/null now) is no socket for fd=. */
	assert_int_equal(nd("stream", "ug2", o_gone), -1);
	assert_true(log_has("is not a stream socket"));
	close(dg[1]);
	close(st[1]);
}

/* server=on with a listening socket given by fd=: that socket stays the user's (inheritable,
 * open across the reset); the connection accepted on it is skiff's (close-on-exec again in
 * the new image, which takes it over). */
static void test_stream_reset_listen_fd(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char opts[64];
	struct tnic *t;
	int lfd, cfd, kept;
	uint8_t f[90];

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.90s/lfd.sock", tmpdir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	snprintf(opts, sizeof(opts), "server=on,addr.type=fd,addr.str=%d", lfd);
	assert_int_equal(nd("stream", "lf", opts), 0);
	cfd = unix_connect(sun.sun_path);
	assert_true(wait_for(link_is_up, "lf", 3000));

	reexec_sim();
	kept = handed_over_fd("lf");
	assert_true(kept != lfd);
	assert_int_equal(fcntl(lfd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(nd("stream", "lf", opts), 0);
	unsetenv("SKIFF_REBOOTED");
	assert_int_equal(fcntl(kept, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(lfd, F_GETFD) & FD_CLOEXEC, 0);
	vmm_lock();
	assert_false(net_client_find("lf")->link_down);
	t = tnic_attach("lf", false);
	vmm_unlock();
	frame_fill(f, sizeof(f), 9);
	send_record(cfd, f, sizeof(f));
	assert_true(wait_frames(t, 1, 3000));
	close(cfd);
	assert_true(wait_for(link_is_down, "lf", 3000));
	/* and the listening socket still takes the next client */
	cfd = unix_connect(sun.sun_path);
	assert_true(wait_for(link_is_up, "lf", 3000));
	close(cfd);
}

static int st_setup(void **state)
{
	return common_setup(state);
}

int main(void)
{
	if (!scratch_dir_make(tmpdir, sizeof(tmpdir), "stream"))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_option_errors, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_unix_end_to_end, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_inet_end_to_end, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_abstract_end_to_end, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_partial_records, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_length_1gib, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_length_garbage, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_length_just_too_big, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_max_frame_ok, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_bulk_records, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_rx_resume_buffered, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_tx_batch, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_pair_stress, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_disconnect_reconnect, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_server_next_client, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_rx_backpressure, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_tx_slow_peer, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_fd, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_reset_server_keeps_connection, st_setup,
						common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_reset_client_keeps_connection, st_setup,
						common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_reset_user_fds, st_setup, common_teardown),
		cmocka_unit_test_setup_teardown(test_stream_reset_listen_fd, st_setup, common_teardown),
	};
	/* The peer may close first (that is what some tests provoke): a write
	 * from the test side must fail with EPIPE, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	return scratch_dir_remove(tmpdir, cmocka_run_group_tests(tests, NULL, NULL));
}
