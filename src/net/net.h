/* The one interface between NIC frontends (e1000, virtio-net) and network
 * backends (user/slirp, tap, socket, stream, dgram, hubport), modelled on
 * QEMU's net/: every endpoint is a struct net_client; two clients are peers;
 * a frame sent by one is handed to the other's receive().
 *
 * Back-pressure: receive() returns 0 when the client cannot take the frame
 * now; net core then queues it (bounded) and stops asking until the receiver
 * calls net_client_flush() (e.g. when the guest posts new RX buffers). The
 * sender learns of this from net_send()'s return value 0 and may stop
 * producing (a tap backend stops reading its fd) until its on_drained()
 * callback runs.
 *
 * Offload header: a client that set has_vnet_hdr sends and receives frames
 * preceded by a struct virtio_net_hdr_v1 (10 bytes here: no num_buffers) when
 * both peers have using_vnet_hdr set; net core negotiates that with
 * net_client_set_vnet_hdr(). Otherwise frames are plain Ethernet without FCS.
 *
 * Threading: all calls happen with the VMM big lock held (util/event_loop.h).
 * Re-entrancy: a receive() may call net_send() back (loopback, slirp answering
 * synchronously); clients must tolerate that. */
#ifndef SKIFF_NET_NET_H
#define SKIFF_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NET_MAX_FRAME (65536 + 64)  /* largest frame incl. vnet header we accept */
#define NET_QUEUE_LIMIT 1024        /* frames queued per receiver before dropping */

struct net_client;

struct net_client_ops {
	const char *type;          /* "e1000", "user", "tap", "hubport", ... */
	bool is_nic;
	/* Deliver one frame. Return its length when taken (or dropped on
	 * purpose), 0 when it cannot be taken now (it will be queued). */
	ssize_t (*receive)(struct net_client *nc, const struct iovec *iov, int iovcnt);
	/* Optional: false makes net core queue without calling receive(). */
	bool (*can_receive)(struct net_client *nc);
	/* Optional: the peer's queue for us drained (back-pressure released). */
	void (*on_drained)(struct net_client *nc);
	/* Call on_drained after every net_client_flush() of the peer, even
	 * when nothing of ours was waiting (hubs: another port may now pass). */
	bool drain_always;
	/* The backend is a TCP/IP stack (libslirp), not a wire: it takes a NIC's TCP segmentation
	 * offload packet as one IPv4 frame larger than the MTU (checksums complete), which saves
	 * it a segment-by-segment walk and one socket write per MSS. */
	bool takes_tso_frames;
	/* The backend answers inside receive() (libslirp: an ACK from the guest makes it send the
	 * next data at once): a NIC transmits on the vCPU then, so those answers reach the guest
	 * without waiting for the other thread (measured: user-net host->guest 121 vs 84 Mbit/s). */
	bool answers_inline;
	/* Optional, for clients that pass frames on (a hub port): whether what they pass them to
	 * answers inline (`-net nic -net user` puts a hub between the NIC and libslirp). */
	bool (*forwards_inline)(struct net_client *nc);
	/* Every frame the backend sends was built by its own TCP/IP stack (libslirp: no frame
	 * passes through it from elsewhere), with complete checksums: a NIC reporting checksum
	 * offload need not verify them, as for a tap frame marked DATA_VALID. */
	bool sends_valid_csums;
	/* Optional: the peer NIC just transmitted on this thread (every NIC calls
	 * net_client_poll_peer() at the end of each transmit batch); take what is ready now. A tap's
	 * host answers inside the write (an ICMP echo reply, a TCP ACK: the lab host's stack runs
	 * in the writer's system call), so the answer reaches the guest at once (when the vCPU
	 * thread transmitted, before it resumes: no wake-up of the event loop thread, no kick of
	 * the vCPU). A stream backend writes the batch's frames here, together (sock_util.c). */
	void (*poll)(struct net_client *nc);
	/* Optional: nc->link_down changed (by monitor or backend). */
	void (*link_status_changed)(struct net_client *nc);
	/* Optional: the client's own state in a few words, for a stop report (SIGQUIT, main.c:
	 * the registers and ring indices of a NIC whose guest went silent). */
	void (*report)(struct net_client *nc, char *buf, size_t len);
	/* Optional: free backend state (net core frees the client itself). */
	void (*cleanup)(struct net_client *nc);
};

struct net_packet;

struct net_client {
	const struct net_client_ops *ops;
	char *name;                /* the id= (or a generated one) */
	char *info;                /* one-line description for "info network"-style output */
	struct net_client *peer;
	bool link_down;
	bool has_vnet_hdr;         /* can speak virtio-net headers */
	bool using_vnet_hdr;       /* negotiated: frames carry the header */
	/* Frames waiting for this client to be able to receive. */
	struct net_packet *queue_head, *queue_tail;
	unsigned queue_len;
	size_t queue_bytes;        /* the frames' bytes in that queue */
	bool sender_blocked;       /* a net_send() to us returned 0: call peer's on_drained later */
	bool delivering;           /* re-entrancy guard for flush */
	void *opaque;              /* the backend's or device's state */
	struct net_client *next;   /* all clients, for lookup and cleanup */
};

/* Create a client and register it. name may be NULL (a "#netN" name is made). */
struct net_client *net_client_new(const struct net_client_ops *ops, const char *name,
				  void *opaque);
void net_client_free(struct net_client *nc);
void net_client_free_all(void);
struct net_client *net_client_find(const char *name);
struct net_client *net_client_first(void);

/* Replace nc->info (copied; NULL clears). */
void net_client_set_info(struct net_client *nc, const char *info);

/* Join two clients. -1 if either already has a peer. */
int net_client_connect(struct net_client *a, struct net_client *b);

/* Send a frame from nc to its peer. Returns the length when delivered or
 * dropped (no peer, link down, queue full), 0 when it was queued because the
 * peer cannot receive now (the sender should pause; ops->on_drained follows). */
ssize_t net_send(struct net_client *nc, const struct iovec *iov, int iovcnt);
ssize_t net_send_buf(struct net_client *nc, const void *buf, size_t len);

/* Would a frame sent by nc now reach its peer without being queued?
 * (True without a peer or with the link down: such frames are dropped.) */
bool net_can_send(struct net_client *nc);

/* The receiver can take frames again: deliver what is queued for it. */
void net_client_flush(struct net_client *nc);
/* A NIC transmitted: let its peer deliver what it has ready now (ops->poll). */
void net_client_poll_peer(struct net_client *nc);
/* Does nc's peer answer inside receive() (ops->answers_inline), itself or behind a hub? */
bool net_peer_answers_inline(const struct net_client *nc);

/* One line per client: type, peer, link, frames queued for it, a blocked sender, and what
 * ops->report adds (the SIGQUIT stop report, main.c). */
void net_report_all(void);

/* Link state (both ends see it: a NIC's link_down is what the guest sees). */
void net_client_set_link(struct net_client *nc, bool up);

/* Offload header negotiation: true when both ends can and now use it. */
bool net_client_set_vnet_hdr(struct net_client *nc, bool enable);

/* virtio-net header (virtio spec 1.1, 5.1.6), as used with tap IFF_VNET_HDR. */
struct virtio_net_hdr {
	uint8_t flags;
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
	uint8_t gso_type;
#define VIRTIO_NET_HDR_GSO_NONE  0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP   3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN   0x80
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
} __attribute__((packed));

/* QEMU's default MACs: 52:54:00:12:34:56, then :57, ... in creation order. */
void net_default_mac(uint8_t mac[6]);

#endif
