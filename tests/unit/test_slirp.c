/* End-to-end -netdev user on loopback only: a test NIC does DHCP, ARPs the
 * gateway, and sees the SYN of a host-forwarded connection; the event loop
 * runs in the test. Also the legacy hub wiring (-net nic -net user). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "cli/config.h"
#include "cli/keyval.h"
#include "net/net.h"
#include "net/netdev.h"
#include "net/slirp.h"
#include "util/event_loop.h"
#include "util/log.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

/* What the test NIC saw. */
static struct {
	bool accept;
	unsigned frames;
	bool offer;
	uint32_t yiaddr, server_id, router, dns;
	uint8_t offer_src_mac[6];
	bool arp_reply;
	uint8_t arp_sha[6];
	uint32_t arp_spa;
	bool syn;
	uint16_t syn_dport, syn_sport;
	uint32_t syn_daddr, syn_saddr, syn_seq;
	uint32_t acked;            /* highest ACK number slirp sent us (after the SYN) */
	bool arp_request_for_guest;
	int want;                  /* quit the loop when this is seen */
} seen;

enum { WANT_NONE, WANT_SYN };

static struct net_client *nic;

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void answer_arp(void *opaque)
{
	uint8_t f[42];
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08; f[13] = 0x06;
	uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 2 };
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, guest_mac, 6);
	uint8_t spa[4] = { 10, 0, 2, 15 }, tpa[4] = { 10, 0, 2, 2 };
	memcpy(f + 28, spa, 4);
	memcpy(f + 32, gw_mac, 6);
	memcpy(f + 38, tpa, 4);
	net_send_buf(nic, f, sizeof(f));
}

static void parse_dhcp(const uint8_t *f, size_t len, size_t udp)
{
	const uint8_t *bp = f + udp + 8;
	size_t blen = len - udp - 8;

	if (blen < 240 || bp[0] != 2 || be32(bp + 236) != 0x63825363)
		return;
	seen.yiaddr = be32(bp + 16);
	memcpy(seen.offer_src_mac, f + 6, 6);
	for (size_t i = 240; i < blen && bp[i] != 255;) {
		uint8_t opt = bp[i];
		if (opt == 0) {
			i++;
			continue;
		}
		if (i + 2 > blen || i + 2 + bp[i + 1] > blen)
			break;
		const uint8_t *v = bp + i + 2;
		uint8_t l = bp[i + 1];
		if (opt == 53 && l == 1 && v[0] == 2)
			seen.offer = true;
		if (opt == 54 && l == 4)
			seen.server_id = be32(v);
		if (opt == 3 && l >= 4)
			seen.router = be32(v);
		if (opt == 6 && l >= 4)
			seen.dns = be32(v);
		i += 2u + l;
	}
}

static ssize_t nic_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	uint8_t f[2048];
	size_t len = 0;

	if (!seen.accept)
		return 0;
	for (int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;
		if (len + n > sizeof(f))
			n = sizeof(f) - len;
		memcpy(f + len, iov[i].iov_base, n);
		len += n;
	}
	seen.frames++;
	if (len >= 42 && be16(f + 12) == 0x0806) {
		uint16_t op = be16(f + 20);
		if (op == 2) {
			seen.arp_reply = true;
			memcpy(seen.arp_sha, f + 22, 6);
			seen.arp_spa = be32(f + 28);
		} else if (op == 1 && be32(f + 38) == 0x0a00020f) {
			/* Not from inside receive(): answer on the next loop turn. */
			seen.arp_request_for_guest = true;
			el_call_soon(answer_arp, NULL);
		}
	} else if (len >= 34 && be16(f + 12) == 0x0800) {
		size_t ihl = (size_t)(f[14] & 15) * 4, l4 = 14 + ihl;
		if (f[23] == 17 && len >= l4 + 8 && be16(f + l4) == 67)
			parse_dhcp(f, len, l4);
		if (f[23] == 6 && len >= l4 + 20 && (f[l4 + 13] & 0x12) == 0x10)
			seen.acked = be32(f + l4 + 8);
		if (f[23] == 6 && len >= l4 + 20 && (f[l4 + 13] & 0x12) == 0x02) {
			seen.syn = true;
			seen.syn_dport = be16(f + l4 + 2);
			seen.syn_sport = be16(f + l4);
			seen.syn_daddr = be32(f + 30);
			seen.syn_saddr = be32(f + 26);
			seen.syn_seq = be32(f + l4 + 4);
			if (seen.want == WANT_SYN)
				el_quit(0);
		}
	}
	return (ssize_t)len;
}

static const struct net_client_ops nic_ops = {
	.type = "test-nic", .is_nic = true, .receive = nic_receive,
};

static void send_dhcp_discover(void)
{
	uint8_t f[14 + 576] = { 0 };
	uint8_t *ip = f + 14, *udp = ip + 20, *bp = udp + 8;

	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = 576 >> 8; ip[3] = 576 & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	udp[1] = 68; udp[3] = 67;
	udp[4] = (576 - 20) >> 8; udp[5] = (576 - 20) & 0xff;
	bp[0] = 1; bp[1] = 1; bp[2] = 6;
	bp[4] = 0x12; bp[5] = 0x34; bp[6] = 0x56; bp[7] = 0x78;
	memcpy(bp + 28, guest_mac, 6);
	bp[236] = 99; bp[237] = 130; bp[238] = 83; bp[239] = 99;
	bp[240] = 53; bp[241] = 1; bp[242] = 1;    /* DHCPDISCOVER */
	bp[243] = 255;
	assert_int_equal(net_send_buf(nic, f, sizeof(f)), (ssize_t)sizeof(f));
}

static void send_arp_request_gw(void)
{
	uint8_t f[42];
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08; f[13] = 0x06;
	uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, guest_mac, 6);
	uint8_t spa[4] = { 10, 0, 2, 15 }, tpa[4] = { 10, 0, 2, 2 };
	memcpy(f + 28, spa, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, tpa, 4);
	net_send_buf(nic, f, sizeof(f));
}

static void timeout_fn(void *opaque)
{
	*(bool *)opaque = true;
	el_quit(1);
}

/* Run the loop until el_quit(0) from the NIC, or timeout (returns false). */
static bool run_loop(unsigned ms)
{
	bool timed_out = false;
	struct el_timer *t = el_timer_new(timeout_fn, &timed_out);
	el_timer_mod(t, el_now_ns() + (uint64_t)ms * 1000000ull);
	int r = el_run();
	el_timer_free(t);
	/* el_quit() is sticky: re-arm the loop for the next run. */
	el_fini();
	assert_int_equal(el_init(), 0);
	return r == 0 && !timed_out;
}

static int create_user(const char *opts)
{
	struct kvlist l = { 0 };
	int r;
	assert_int_equal(kvlist_parse(&l, opts, NULL), 0);
	r = net_init_user("u0", &l);
	kvlist_free(&l);
	return r;
}

static int setup(void **state)
{
	memset(&seen, 0, sizeof(seen));
	seen.accept = true;
	assert_int_equal(el_init(), 0);
	nic = net_client_new(&nic_ops, "nic0", NULL);
	return 0;
}

static int teardown(void **state)
{
	net_client_free_all();
	el_fini();
	return 0;
}

static void test_dhcp_offer(void **state)
{
	assert_int_equal(create_user(""), 0);
	assert_int_equal(net_client_connect(nic, net_client_find("u0")), 0);
	send_dhcp_discover();
	/* libslirp answers synchronously; run one short loop turn anyway. */
	if (!seen.offer)
		run_loop(200);
	assert_true(seen.offer);
	assert_int_equal(seen.yiaddr, 0x0a00020f);      /* 10.0.2.15 */
	assert_int_equal(seen.server_id, 0x0a000202);   /* 10.0.2.2 */
	assert_int_equal(seen.router, 0x0a000202);
	assert_int_equal(seen.dns, 0x0a000203);         /* 10.0.2.3 */
	assert_memory_equal(seen.offer_src_mac, gw_mac, 6);
}

static void test_dhcp_custom_net(void **state)
{
	assert_int_equal(create_user("net=192.168.76.0/24,dhcpstart=192.168.76.50,dns=192.168.76.53"), 0);
	assert_int_equal(net_client_connect(nic, net_client_find("u0")), 0);
	send_dhcp_discover();
	assert_true(seen.offer);
	assert_int_equal(seen.yiaddr, 0xc0a84c32);
	assert_int_equal(seen.server_id, 0xc0a84c02);
	assert_int_equal(seen.dns, 0xc0a84c35);
}

static void test_arp_gateway(void **state)
{
	assert_int_equal(create_user(""), 0);
	assert_int_equal(net_client_connect(nic, net_client_find("u0")), 0);
	send_arp_request_gw();
	assert_true(seen.arp_reply);
	assert_memory_equal(seen.arp_sha, gw_mac, 6);
	assert_int_equal(seen.arp_spa, 0x0a000202);
}

/* The NIC cannot take frames: slirp's reply is queued, not lost. */
static void test_backpressure(void **state)
{
	assert_int_equal(create_user(""), 0);
	assert_int_equal(net_client_connect(nic, net_client_find("u0")), 0);
	seen.accept = false;
	send_arp_request_gw();
	assert_false(seen.arp_reply);
	assert_int_equal(nic->queue_len, 1);
	seen.accept = true;
	net_client_flush(nic);
	assert_true(seen.arp_reply);
	assert_int_equal(nic->queue_len, 0);
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Returns the host side's connected socket (the caller closes it). */
static int hostfwd_syn(const char *family_host, int domain)
{
	char opts[128];
	int port = free_port();

	snprintf(opts, sizeof(opts), "hostfwd=tcp:%s:%d-:8080", family_host, port);
	assert_int_equal(create_user(opts), 0);
	assert_int_equal(net_client_connect(nic, net_client_find("u0")), 0);
	send_dhcp_discover();      /* the guest has .15 (and slirp knows its MAC) */
	assert_true(seen.offer);

	int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	if (domain == AF_INET) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		assert_true(r == 0 || errno == EINPROGRESS);
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
					   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		assert_true(r == 0 || errno == EINPROGRESS);
	}
	seen.want = WANT_SYN;
	assert_true(run_loop(5000));
	assert_true(seen.syn);
	assert_int_equal(seen.syn_daddr, 0x0a00020f);   /* empty guest addr = 10.0.2.15 */
	assert_int_equal(seen.syn_dport, 8080);
	return fd;
}

static void test_hostfwd_syn(void **state)
{
	close(hostfwd_syn("127.0.0.1", AF_INET));
}

/* A guest TCP segment from 10.0.2.15:8080 back to slirp's side of the connection. */
static size_t tcp_frame(uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags, size_t pay)
{
	uint8_t *ip = f + 14, *th = ip + 20;
	size_t tot = 20 + 20 + pay;
	uint32_t s = 0;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08; f[13] = 0x00;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8); ip[3] = (uint8_t)tot;
	ip[8] = 64; ip[9] = 6;
	ip[12] = 10; ip[13] = 0; ip[14] = 2; ip[15] = 15;
	ip[16] = (uint8_t)(seen.syn_saddr >> 24); ip[17] = (uint8_t)(seen.syn_saddr >> 16);
	ip[18] = (uint8_t)(seen.syn_saddr >> 8); ip[19] = (uint8_t)seen.syn_saddr;
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
	th[0] = 8080 >> 8; th[1] = 8080 & 0xff;
	th[2] = (uint8_t)(seen.syn_sport >> 8); th[3] = (uint8_t)seen.syn_sport;
	for (int i = 0; i < 4; i++) {
		th[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		th[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	th[12] = 5 << 4; th[13] = flags;
	th[14] = 0xff; th[15] = 0xff;             /* window */
	for (size_t i = 0; i < pay; i++)
		th[20 + i] = (uint8_t)(i * 7 + 1);
	/* checksum: pseudo-header + segment */
	for (int i = 0; i < 8; i += 2)
		s += (uint32_t)(ip[12 + i] << 8 | ip[13 + i]);
	s += 6 + (uint32_t)(20 + pay);
	for (size_t i = 0; i + 1 < 20 + pay; i += 2)
		s += (uint32_t)(th[i] << 8 | th[i + 1]);
	if ((20 + pay) & 1)
		s += (uint32_t)th[19 + pay] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	th[16] = (uint8_t)(~s >> 8); th[17] = (uint8_t)~s;
	return 14 + tot;
}

/* The e1000 hands libslirp a TSO packet whole (net.h takes_tso_frames): one 40000-byte TCP
 * segment in one frame must come out of the host socket intact. */
static void test_tso_frame_whole(void **state)
{
	static uint8_t f[14 + 40 + 40000];
	uint8_t got[40000];
	size_t n = 0;
	int fd = hostfwd_syn("127.0.0.1", AF_INET);
	uint32_t iss = 0x1000;

	assert_true(net_client_find("u0")->ops->takes_tso_frames);
	/* handshake: SYN-ACK from the guest, slirp ACKs it */
	net_send_buf(nic, f, tcp_frame(f, iss, seen.syn_seq + 1, 0x12, 0));
	/* one segment far over the MTU */
	net_send_buf(nic, f, tcp_frame(f, iss + 1, seen.syn_seq + 1, 0x18, sizeof(got)));
	for (int tries = 0; tries < 100 && n < sizeof(got); tries++) {
		ssize_t r = read(fd, got + n, sizeof(got) - n);
		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		run_loop(20);
	}
	assert_int_equal(n, sizeof(got));
	for (size_t i = 0; i < sizeof(got); i++)
		if (got[i] != (uint8_t)(i * 7 + 1))
			fail_msg("byte %zu differs", i);
	run_loop(50);
	assert_int_equal(seen.acked, iss + 1 + sizeof(got));
	close(fd);
}

static void test_hostfwd_syn_ipv6(void **state)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool have_v6 = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	if (!have_v6)
		skip();
	close(hostfwd_syn("[::1]", AF_INET6));
}

/* -net nic -net user as the CLI encodes it: NIC <-> hub0port0, hub0port1 <-> user.0. */
static void test_legacy_hub_wiring(void **state)
{
	struct netdev_config nd[3] = {
		{ .type = "user", .id = "user.0" },
		{ .type = "hubport", .id = "hub0port0" },
		{ .type = "hubport", .id = "hub0port1" },
	};
	kvlist_add(&nd[1].opts, "hubid", "0");
	kvlist_add(&nd[2].opts, "hubid", "0");
	kvlist_add(&nd[2].opts, "netdev", "user.0");
	struct skiff_config cfg = { .netdevs = nd, .nr_netdevs = 3 };

	assert_int_equal(net_init_clients(&cfg), 0);
	for (int i = 0; i < 3; i++)
		kvlist_free(&nd[i].opts);
	assert_int_equal(net_client_connect(nic, net_client_find("hub0port0")), 0);
	send_dhcp_discover();
	assert_true(seen.offer);
	assert_int_equal(seen.yiaddr, 0x0a00020f);
	send_arp_request_gw();
	assert_true(seen.arp_reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dhcp_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_custom_net, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfwd_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfwd_syn_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tso_frame_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_hub_wiring, setup, teardown),
	};
	return cmocka_run_group_tests_name("slirp", tests, NULL, NULL);
}
