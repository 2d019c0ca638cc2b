/* Host GSO packets cut into frames (net/gso.c): every segment's headers against the RFCs'
 * rules (IP length, IPv4 ID and header checksum, TCP sequence, flags on the first / last
 * segment only), its TCP checksum once completed as a NIC completes NEEDS_CSUM, the payload
 * slices back to back; and packets it must refuse without emitting anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/checksum.h"
#include "net/gso.h"

#define MAX_SEGS 80
#define TCP_OPT 12   /* timestamps, as Linux sends them: data offset 8 */

struct segs {
	unsigned n;
	struct virtio_net_hdr vh[MAX_SEGS];
	uint8_t f[MAX_SEGS][NET_GSO_MAX_HDR + 9000];
	size_t len[MAX_SEGS];
};

static struct segs *S;

static void collect(void *opaque, const struct iovec *iov, int iovcnt)
{
	struct segs *s = opaque;
	size_t off = 0;

	assert_true(iovcnt >= 2 && iovcnt <= 3);
	assert_int_equal(iov[0].iov_len, sizeof(struct virtio_net_hdr));
	assert_true(s->n < MAX_SEGS);
	memcpy(&s->vh[s->n], iov[0].iov_base, sizeof(struct virtio_net_hdr));
	for (int i = 1; i < iovcnt; i++) {
		assert_true(off + iov[i].iov_len <= sizeof(s->f[0]));
		memcpy(s->f[s->n] + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	s->len[s->n++] = off;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

struct pkt {
	uint8_t b[70000];
	size_t len, l3, l4, hdr;
	bool v4;
	struct virtio_net_hdr vh;
};

/* A host TSO packet as Linux hands it to a tap: the TCP checksum field holds the
 * pseudo-header sum for the whole L4 length, NEEDS_CSUM, the segment size in gso_size. */
static void build(struct pkt *p, bool v4, int tags, size_t payload, uint16_t mss, uint8_t flags)
{
	uint8_t *b = p->b;
	size_t l3 = 14 + 4 * (size_t)tags, l4;
	uint32_t sum;

	memset(p, 0, sizeof(*p));
	memcpy(b, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\xab\xcd\xef", 12);
	for (int t = 0; t < tags; t++) {
		put16(b + 12 + 4 * t, t == 0 && tags == 2 ? 0x88A8 : 0x8100);
		put16(b + 14 + 4 * t, (uint16_t)(100 + t));
	}
	put16(b + l3 - 2, v4 ? 0x0800 : 0x86DD);
	if (v4) {
		b[l3] = 0x45;
		put16(b + l3 + 4, 0xFFFE);          /* ID: wraps within the packet */
		put16(b + l3 + 6, 0x4000);          /* DF */
		b[l3 + 8] = 64;
		b[l3 + 9] = 6;
		memcpy(b + l3 + 12, "\xc0\xa8\x0b\x21\xc0\xa8\x0b\x02", 8);
		l4 = l3 + 20;
		put16(b + l3 + 2, (uint16_t)(20 + 20 + TCP_OPT + payload));
	} else {
		b[l3] = 0x60;
		b[l3 + 6] = 6;
		b[l3 + 7] = 64;
		for (int i = 0; i < 32; i++)
			b[l3 + 8 + i] = (uint8_t)(0x20 + i);
		l4 = l3 + 40;
		put16(b + l3 + 4, (uint16_t)(20 + TCP_OPT + payload));
	}
	put16(b + l4, 5201);
	put16(b + l4 + 2, 40000);
	put32(b + l4 + 4, 0xFFFFF000u);        /* sequence: wraps within the packet */
	put32(b + l4 + 8, 0x12345678u);
	b[l4 + 12] = (20 + TCP_OPT) / 4 << 4;
	b[l4 + 13] = flags;
	put16(b + l4 + 14, 502);
	b[l4 + 20] = 1; b[l4 + 21] = 1; b[l4 + 22] = 8; b[l4 + 23] = 10;
	p->hdr = l4 + 20 + TCP_OPT;
	for (size_t i = 0; i < payload; i++)
		b[p->hdr + i] = (uint8_t)(i * 7 + i / 251);
	p->len = p->hdr + payload;
	sum = v4 ? csum_add(0, b + l3 + 12, 8) : csum_add(0, b + l3 + 8, 32);
	sum += 6 + (uint32_t)(p->len - l4);
	put16(b + l4 + 16, csum_fold(sum));
	p->l3 = l3;
	p->l4 = l4;
	p->v4 = v4;
	p->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	p->vh.gso_type = v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	p->vh.hdr_len = (uint16_t)p->hdr;
	p->vh.gso_size = mss;
	p->vh.csum_start = (uint16_t)l4;
	p->vh.csum_offset = 16;
}

/* Each segment a valid frame of the packet's flow; the payloads in order make the packet's. */
static void check_segments(const struct pkt *p, const struct segs *s, unsigned want)
{
	size_t payload = p->len - p->hdr, off = 0;
	uint8_t flags = p->b[p->l4 + 13];

	assert_int_equal(s->n, want);
	for (unsigned i = 0; i < s->n; i++) {
		uint8_t f[NET_GSO_MAX_HDR + 9000];
		size_t len = s->len[i], plen = len - p->hdr, l4len = len - p->l4;
		bool last = i + 1 == s->n;
		uint32_t sum;

		memcpy(f, s->f[i], len);
		assert_int_equal(s->vh[i].gso_type, VIRTIO_NET_HDR_GSO_NONE);
		assert_int_equal(s->vh[i].flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		assert_int_equal(s->vh[i].csum_start, p->l4);
		assert_int_equal(s->vh[i].csum_offset, 16);
		assert_true(plen <= p->vh.gso_size);
		assert_true(last || plen == p->vh.gso_size);
		/* Everything before the IP header is the packet's. */
		assert_memory_equal(f, p->b, p->l3);
		if (p->v4) {
			assert_int_equal(be16(f + p->l3 + 2), len - p->l3);
			assert_int_equal(be16(f + p->l3 + 4), (uint16_t)(0xFFFE + i));
			assert_int_equal(csum_fold(csum_add(0, f + p->l3, 20)), 0xFFFF);
			sum = csum_add(0, f + p->l3 + 12, 8);
		} else {
			assert_int_equal(be16(f + p->l3 + 4), len - p->l3 - 40);
			sum = csum_add(0, f + p->l3 + 8, 32);
		}
		assert_int_equal(be32(f + p->l4 + 4), 0xFFFFF000u + (uint32_t)off);
		assert_int_equal(f[p->l4 + 13], (uint8_t)(flags & ~(i ? 0x80 : 0) & ~(last ? 0 : 0x09)));
		/* Options and the rest of the TCP header are the packet's. */
		assert_memory_equal(f + p->l4 + 18, p->b + p->l4 + 18, p->hdr - p->l4 - 18);
		csum_complete(f, len, p->l4, 16);
		sum += 6 + (uint32_t)l4len;
		assert_int_equal(csum_fold(csum_add(sum, f + p->l4, l4len)), 0xFFFF);
		assert_memory_equal(f + p->hdr, p->b + p->hdr + off, plen);
		off += plen;
	}
	assert_int_equal(off, payload);
}

static void run(struct pkt *p, unsigned want)
{
	memset(S, 0, sizeof(*S));
	assert_int_equal(net_gso_segment(&p->vh, p->b, p->len, collect, S), (int)want);
	check_segments(p, S, want);
}

static void test_gso_tcpv4(void **state)
{
	struct pkt *p = malloc(sizeof(*p));

	assert_non_null(p);
	/* ACK|PSH|FIN|CWR: CWR on the first segment only, PSH and FIN on the last only. */
	build(p, true, 0, 3 * 1448 + 100, 1448, 0x80 | 0x10 | 0x08 | 0x01);
	run(p, 4);
	build(p, true, 0, 44 * 1448 + 1, 1448, 0x10 | 0x08);   /* a 64 KiB packet: 45 frames */
	run(p, 45);
	build(p, true, 0, 1000, 1448, 0x18);                   /* less than one segment */
	run(p, 1);
	build(p, true, 0, 0, 1448, 0x11);                      /* headers only */
	run(p, 1);
	free(p);
}

static void test_gso_tcpv6_and_vlan(void **state)
{
	struct pkt *p = malloc(sizeof(*p));

	assert_non_null(p);
	build(p, false, 0, 2 * 1428, 1428, 0x10);              /* an exact multiple */
	run(p, 2);
	build(p, true, 1, 5 * 536, 536, 0x18);                 /* 802.1Q */
	run(p, 5);
	build(p, false, 2, 3000, 1000, 0x98);                  /* 802.1ad + 802.1Q, ECN type */
	p->vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	run(p, 3);
	free(p);
}

static void test_gso_ipv6_extension_headers(void **state)
{
	struct pkt *p = malloc(sizeof(*p)), *q = malloc(sizeof(*q));
	size_t ext = 8;   /* a hop-by-hop header: the host's csum_start says where TCP is */

	assert_non_null(p);
	assert_non_null(q);
	build(q, false, 0, 3000, 1400, 0x10);
	memcpy(p, q, sizeof(*p));
	memmove(p->b + q->l4 + ext, q->b + q->l4, q->len - q->l4);
	memset(p->b + q->l4, 0, ext);
	p->b[q->l4] = 6;                       /* next header: TCP */
	p->b[q->l3 + 6] = 0;                   /* hop-by-hop */
	put16(p->b + q->l3 + 4, (uint16_t)(be16(q->b + q->l3 + 4) + ext));
	p->l4 += ext;
	p->hdr += ext;
	p->len += ext;
	p->vh.csum_start = (uint16_t)p->l4;
	p->vh.hdr_len = (uint16_t)p->hdr;
	run(p, 3);
	p->vh.flags = 0;                       /* without NEEDS_CSUM nothing says where TCP is */
	memset(S, 0, sizeof(*S));
	assert_int_equal(net_gso_segment(&p->vh, p->b, p->len, collect, S), -1);
	assert_int_equal(S->n, 0);
	free(p);
	free(q);
}

/* Refused packets: -1 and not one segment emitted. */
static void refuse(const struct pkt *p, size_t len)
{
	memset(S, 0, sizeof(*S));
	assert_int_equal(net_gso_segment(&p->vh, p->b, len, collect, S), -1);
	assert_int_equal(S->n, 0);
}

static void test_gso_refuses(void **state)
{
	struct pkt *p = malloc(sizeof(*p));

	assert_non_null(p);
	build(p, true, 0, 3000, 1448, 0x10);
	/* Every truncation inside the headers. */
	for (size_t len = 0; len < p->hdr; len++)
		refuse(p, len);

	p->vh.gso_type = VIRTIO_NET_HDR_GSO_UDP; refuse(p, p->len);
	p->vh.gso_type = VIRTIO_NET_HDR_GSO_NONE; refuse(p, p->len);
	p->vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6; refuse(p, p->len);   /* an IPv4 packet */
	p->vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	p->vh.gso_size = 0; refuse(p, p->len);
	p->vh.gso_size = 1448;
	p->b[p->l3] = 0x44; refuse(p, p->len);                        /* IHL 4 */
	p->b[p->l3] = 0x65; refuse(p, p->len);                        /* version 6 */
	p->b[p->l3] = 0x45;
	p->b[p->l3 + 9] = 17; refuse(p, p->len);                      /* UDP */
	p->b[p->l3 + 9] = 6;
	put16(p->b + p->l3 + 6, 0x2000); refuse(p, p->len);           /* a fragment (MF) */
	put16(p->b + p->l3 + 6, 0x0001); refuse(p, p->len);           /* a fragment (offset) */
	put16(p->b + p->l3 + 6, 0x4000);
	p->b[p->l4 + 12] = 4 << 4; refuse(p, p->len);                 /* data offset 16 bytes */
	p->b[p->l4 + 12] = 15 << 4; refuse(p, p->l4 + 59);            /* options past the end */
	p->b[p->l4 + 12] = (20 + TCP_OPT) / 4 << 4;
	put16(p->b + 12, 0x0806); refuse(p, p->len);                  /* ARP */
	put16(p->b + 12, 0x0800);
	/* A segment size whose IP length cannot be written. */
	build(p, true, 0, 65500, 65500, 0x10);
	refuse(p, p->len);
	/* Three VLAN tags: more than we look through. */
	build(p, true, 2, 3000, 1448, 0x10);
	memmove(p->b + 16, p->b + 12, p->len - 12);
	put16(p->b + 12, 0x8100);
	put16(p->b + 14, 7);
	refuse(p, p->len + 4);
	/* IPv6 without room for its fixed header, or with a next header that is not TCP. */
	build(p, false, 0, 3000, 1448, 0x10);
	refuse(p, p->l3 + 39);
	p->vh.csum_start = (uint16_t)(p->l3 + 20);
	p->b[p->l3 + 6] = 17; refuse(p, p->len);                      /* csum_start inside IPv6 */
	p->vh.csum_start = NET_GSO_MAX_HDR;                           /* headers too long */
	refuse(p, p->len);
	build(p, true, 0, 3000, 1448, 0x10);
	assert_int_equal(net_gso_segment(NULL, p->b, p->len, collect, S), -1);
	assert_int_equal(net_gso_segment(&p->vh, NULL, p->len, collect, S), -1);
	free(p);
}

/* Random damage to a valid packet: whatever it makes of it, it stays inside the packet
 * (ASan) and every segment it emits is no longer than the packet. */
static void test_gso_random_damage(void **state)
{
	struct pkt *p = malloc(sizeof(*p)), *q = malloc(sizeof(*q));

	assert_non_null(p);
	assert_non_null(q);
	srand(6);
	for (int round = 0; round < 3000; round++) {
		int r;
		size_t len;

		build(q, round & 1, round % 3, (size_t)(rand() % 5000), (uint16_t)(1 + rand() % 1500),
		      (uint8_t)rand());
		memcpy(p, q, sizeof(*p));
		for (int k = rand() % 6; k > 0; k--)
			p->b[rand() % (int)(q->hdr + 4)] = (uint8_t)rand();
		if (rand() % 4 == 0)
			p->vh.csum_start = (uint16_t)rand();
		if (rand() % 8 == 0)
			p->vh.gso_size = (uint16_t)rand();
		len = rand() % 3 ? q->len : (size_t)rand() % (q->len + 1);
		memset(S, 0, sizeof(*S));
		if (len > 0) {
			/* exactly len bytes: a heap copy ASan can fence */
			uint8_t *exact = malloc(len);
			assert_non_null(exact);
			memcpy(exact, p->b, len);
			if (p->vh.gso_size && len / p->vh.gso_size > MAX_SEGS - 2)
				p->vh.gso_size = (uint16_t)(len / (MAX_SEGS - 2) + 1);
			r = net_gso_segment(&p->vh, exact, len, collect, S);
			free(exact);
		} else {
			r = net_gso_segment(&p->vh, p->b, 0, collect, S);
		}
		assert_true(r == -1 || (r > 0 && (unsigned)r == S->n));
		for (unsigned i = 0; r > 0 && i < S->n; i++)
			assert_true(S->len[i] <= len);
	}
	free(p);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gso_tcpv4),
		cmocka_unit_test(test_gso_tcpv6_and_vlan),
		cmocka_unit_test(test_gso_ipv6_extension_headers),
		cmocka_unit_test(test_gso_refuses),
		cmocka_unit_test(test_gso_random_damage),
	};
	int r;

	S = malloc(sizeof(*S));
	if (!S)
		return 1;
	r = cmocka_run_group_tests_name("gso", tests, NULL, NULL);
	free(S);
	return r;
}
