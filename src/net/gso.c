/* Host GSO packets cut into wire-sized frames (gso.h). Every offset comes from the packet
 * itself and is checked against len before it is used; the per-segment headers are built in a
 * local copy, the payload is never copied here. */
#include "net/gso.h"

#include <string.h>

#include "net/checksum.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88A8
#define IPPROTO_TCP_NUM 6
#define TCP_OFF_SEQ 4
#define TCP_OFF_FLAGS 13
#define TCP_OFF_CSUM 16
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct gso_layout {
	size_t l3, l4, hdr;   /* offsets of the IP header, the TCP header, the payload */
	bool v4;
};

/* Where the headers are, or false when they are not TCP over the IP version vh names. */
static bool gso_parse(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
		      struct gso_layout *g)
{
	unsigned type = vh->gso_type & (unsigned)~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t et;
	size_t l3 = ETH_HLEN, doff;

	if ((type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6) || !vh->gso_size)
		return false;
	if (len < ETH_HLEN)
		return false;
	et = rd16(pkt + 12);
	/* At most two VLAN tags (802.1ad outer, 802.1Q inner). */
	for (int tags = 0; (et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ) && tags < 2; tags++) {
		if (l3 + 4 > len)
			return false;
		et = rd16(pkt + l3 + 2);
		l3 += 4;
	}
	g->l3 = l3;
	g->v4 = type == VIRTIO_NET_HDR_GSO_TCPV4;
	if (g->v4) {
		size_t ihl;

		if (et != ETHERTYPE_IPV4 || l3 + 20 > len || (pkt[l3] >> 4) != 4)
			return false;
		ihl = (size_t)(pkt[l3] & 0xF) * 4;
		if (ihl < 20 || pkt[l3 + 9] != IPPROTO_TCP_NUM || (rd16(pkt + l3 + 6) & 0x3FFF))
			return false;    /* not TCP, or a fragment */
		g->l4 = l3 + ihl;
	} else {
		if (et != ETHERTYPE_IPV6 || l3 + 40 > len || (pkt[l3] >> 4) != 6)
			return false;
		if (pkt[l3 + 6] == IPPROTO_TCP_NUM)
			g->l4 = l3 + 40;
		else if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && vh->csum_start >= l3 + 40 &&
			 vh->csum_offset == TCP_OFF_CSUM)
			g->l4 = vh->csum_start;   /* extension headers: the host says where TCP is */
		else
			return false;
	}
	if (g->l4 + 20 > len)
		return false;
	doff = (size_t)(pkt[g->l4 + 12] >> 4) * 4;
	if (doff < 20 || g->l4 + doff > len)
		return false;
	g->hdr = g->l4 + doff;
	return g->hdr <= NET_GSO_MAX_HDR;
}

int net_gso_segment(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
		    net_gso_emit_fn emit, void *opaque)
{
	struct gso_layout g;
	uint8_t h[NET_GSO_MAX_HDR];
	size_t payload, off = 0;
	uint32_t seq;
	uint16_t id = 0;
	int n = 0;

	if (!vh || !pkt || !emit || !gso_parse(vh, pkt, len, &g))
		return -1;
	payload = len - g.hdr;
	if (g.hdr + (payload < vh->gso_size ? payload : vh->gso_size) > 0xFFFF)
		return -1;   /* a segment whose IP length cannot be written */
	seq = rd32(pkt + g.l4 + TCP_OFF_SEQ);
	if (g.v4)
		id = rd16(pkt + g.l3 + 4);
	do {
		size_t plen = payload - off < vh->gso_size ? payload - off : vh->gso_size;
		bool last = off + plen >= payload;
		size_t l4len = g.hdr - g.l4 + plen;
		struct virtio_net_hdr ov = {
			.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			.gso_type = VIRTIO_NET_HDR_GSO_NONE,
			.csum_start = (uint16_t)g.l4,
			.csum_offset = TCP_OFF_CSUM,
		};
		struct iovec iov[3] = {
			{ &ov, sizeof(ov) },
			{ h, g.hdr },
			{ (void *)(pkt + g.hdr + off), plen },
		};
		uint32_t sum;

		memcpy(h, pkt, g.hdr);
		if (g.v4) {
			uint8_t *ip = h + g.l3;
			size_t ihl = g.l4 - g.l3;

			/* RFC 791 total length; IDs go up by one per segment, as Linux's TSO. */
			wr16(ip + 2, (uint16_t)(g.hdr - g.l3 + plen));
			wr16(ip + 4, (uint16_t)(id + n));
			wr16(ip + 10, 0);
			wr16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, ihl)));
			sum = csum_add(0, ip + 12, 8);            /* RFC 793 pseudo-header */
		} else {
			/* RFC 8200: payload length counts extension headers, not the fixed 40. */
			wr16(h + g.l3 + 4, (uint16_t)(g.hdr - g.l3 - 40 + plen));
			sum = csum_add(0, h + g.l3 + 8, 32);      /* RFC 8200 8.1 pseudo-header */
		}
		wr32(h + g.l4 + TCP_OFF_SEQ, seq + (uint32_t)off);
		if (n)
			h[g.l4 + TCP_OFF_FLAGS] &= (uint8_t)~TCP_CWR;   /* RFC 3168 6.1.2: first only */
		if (!last)
			h[g.l4 + TCP_OFF_FLAGS] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		sum += IPPROTO_TCP_NUM + (uint32_t)l4len;
		wr16(h + g.l4 + TCP_OFF_CSUM, csum_fold(sum));
		emit(opaque, iov, plen ? 3 : 2);
		off += plen;
		n++;
	} while (off < payload);
	return n;
}
