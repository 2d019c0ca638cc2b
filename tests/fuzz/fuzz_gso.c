/* libFuzzer harness for the host GSO segmenter (net/gso.c): what a tap with TUN_F_TSO4/6
 * hands skiff, cut into frames for a NIC.
 *
 * Input: a virtio-net header (10 bytes) then the packet. The packet is copied into a buffer
 * of exactly its length, so ASan fences every byte past it.
 *
 * Oracles: the sanitizers; the return value equals the number of segments emitted, -1 emits
 * none; every segment is the header iovec (10 bytes, GSO_NONE, NEEDS_CSUM, csum_start inside
 * the segment with room for the checksum) plus headers and payload no longer than the packet;
 * the payload slices, in order, tile the packet's payload without gap or overlap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/checksum.h"
#include "net/gso.h"

struct run {
	const uint8_t *pkt;
	size_t len;
	unsigned n;
	const uint8_t *next;   /* where the next payload slice must start */
};

static void emit(void *opaque, const struct iovec *iov, int iovcnt)
{
	struct run *r = opaque;
	const struct virtio_net_hdr *vh = iov[0].iov_base;
	uint8_t f[NET_GSO_MAX_HDR + 65536];
	size_t len = 0;

	if (iovcnt < 2 || iovcnt > 3 || iov[0].iov_len != sizeof(*vh) || iov[1].iov_len > NET_GSO_MAX_HDR ||
	    vh->gso_type != VIRTIO_NET_HDR_GSO_NONE || vh->flags != VIRTIO_NET_HDR_F_NEEDS_CSUM)
		abort();
	for (int i = 1; i < iovcnt; i++) {
		memcpy(f + len, iov[i].iov_base, iov[i].iov_len);   /* touches every byte */
		len += iov[i].iov_len;
	}
	if (len > r->len || (size_t)vh->csum_start + vh->csum_offset + 2 > len)
		abort();
	if (iovcnt == 3) {
		const uint8_t *p = iov[2].iov_base;
		if (r->next && p != r->next)
			abort();
		if (p < r->pkt || p + iov[2].iov_len > r->pkt + r->len)
			abort();
		r->next = p + iov[2].iov_len;
	}
	csum_complete(f, len, vh->csum_start, vh->csum_offset);
	r->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr vh;
	struct run r = { 0 };
	uint8_t *pkt;
	int n;

	if (size < sizeof(vh))
		return 0;
	memcpy(&vh, data, sizeof(vh));
	size -= sizeof(vh);
	pkt = malloc(size ? size : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + sizeof(vh), size);
	r.pkt = pkt;
	r.len = size;
	n = net_gso_segment(&vh, pkt, size, emit, &r);
	if ((n < 0 && r.n) || (n >= 0 && (unsigned)n != r.n) || n == 0)
		abort();
	if (n > 0 && r.next && r.next != pkt + size)
		abort();   /* the slices end where the packet ends */
	free(pkt);
	return 0;
}
