/* Segmentation of a host GSO packet for a NIC that takes wire-sized frames only.
 *
 * A tap with TUN_F_TSO4/TSO6 hands us the host stack's TCP packets whole (up to 64 KiB, a
 * virtio-net header saying GSO_TCPV4/TCPV6 and the segment size) instead of cutting them into
 * MSS-sized frames itself, one trip through its transmit path and one read() per frame. The
 * e1000 has no large receive (82540: frames up to the MTU) and skiff's virtio-net offers no
 * GUEST_TSO, so the cut happens here, on headers only: each segment is the packet's headers
 * (copied and fixed up) and a slice of its payload, and its TCP checksum is left to the
 * receiver as NEEDS_CSUM with the segment's pseudo-header sum in the field, as Linux's own
 * tcp_gso_segment leaves it for a device with checksum offload (the NIC completes it while
 * it copies the frame anyway). */
#ifndef SKIFF_NET_GSO_H
#define SKIFF_NET_GSO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net/net.h"

/* Longest header run (Ethernet + up to two VLAN tags + IP with options or IPv6 extension
 * headers + TCP with options) a packet may have to be cut here. */
#define NET_GSO_MAX_HDR 256

/* One segment: iov[0] its virtio-net header (NEEDS_CSUM, GSO_NONE), iov[1] its headers,
 * iov[2] its payload (absent for a packet without payload). */
typedef void (*net_gso_emit_fn)(void *opaque, const struct iovec *iov, int iovcnt);

/* Cut pkt (an Ethernet frame without FCS, len bytes, described by vh) into segments of at most
 * vh->gso_size payload bytes each and hand each to emit, in order. Returns the number of
 * segments, or -1 with nothing emitted when the packet is not one this can cut: a GSO type
 * other than TCP over IPv4/IPv6, a zero segment size, headers that do not parse, that
 * disagree with the GSO type or do not fit in len or NET_GSO_MAX_HDR. */
int net_gso_segment(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
		    net_gso_emit_fn emit, void *opaque);

#endif
