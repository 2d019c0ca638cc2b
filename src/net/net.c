/* Net core: clients, peers, and frame delivery with bounded queueing.
 * See net.h for the contract. Everything runs under the VMM big lock. */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct net_packet {
	struct net_packet *next;
	size_t len;
	uint8_t data[];
};

static struct net_client *net_clients;
static unsigned net_name_counter;
static unsigned net_mac_index;

static void *net_xalloc(size_t n)
{
	void *p = calloc(1, n);
	if (!p)
		die("out of memory");
	return p;
}

static char *net_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		die("out of memory");
	return p;
}

struct net_client *net_client_new(const struct net_client_ops *ops, const char *name,
				  void *opaque)
{
	struct net_client *nc = net_xalloc(sizeof(*nc));
	char buf[32];

	nc->ops = ops;
	nc->opaque = opaque;
	if (!name) {
		snprintf(buf, sizeof(buf), "#net%03u", net_name_counter++);
		name = buf;
	}
	nc->name = net_xstrdup(name);
	/* Append so iteration follows creation order (as QEMU's net_clients). */
	struct net_client **pp = &net_clients;
	while (*pp)
		pp = &(*pp)->next;
	*pp = nc;
	return nc;
}

void net_client_set_info(struct net_client *nc, const char *info)
{
	free(nc->info);
	nc->info = info ? net_xstrdup(info) : NULL;
}

static void net_queue_purge(struct net_client *nc)
{
	while (nc->queue_head) {
		struct net_packet *p = nc->queue_head;
		nc->queue_head = p->next;
		free(p);
	}
	nc->queue_tail = NULL;
	nc->queue_len = 0;
	nc->queue_bytes = 0;
}

/* The sender waiting on nc's queue may go on now. */
static void net_release_sender(struct net_client *nc)
{
	bool always = nc->peer && nc->peer->ops->drain_always;

	if (!nc->sender_blocked && !always)
		return;
	nc->sender_blocked = false;
	if (nc->peer && nc->peer->ops->on_drained)
		nc->peer->ops->on_drained(nc->peer);
}

void net_client_free(struct net_client *nc)
{
	if (!nc)
		return;
	for (struct net_client **pp = &net_clients; *pp; pp = &(*pp)->next) {
		if (*pp == nc) {
			*pp = nc->next;
			break;
		}
	}
	if (nc->peer) {
		struct net_client *peer = nc->peer;
		/* Frames nc sent that wait at the peer are still valid copies,
		 * but nobody waits for them to drain any more. */
		peer->sender_blocked = false;
		peer->peer = NULL;
		nc->peer = NULL;
	}
	net_queue_purge(nc);
	if (nc->ops && nc->ops->cleanup)
		nc->ops->cleanup(nc);
	free(nc->name);
	free(nc->info);
	free(nc);
}

void net_client_free_all(void)
{
	/* Backends first: a NIC's device state may still be referenced by its
	 * owner, who frees the client through net_client_free() itself. */
	while (net_clients)
		net_client_free(net_clients);
	net_name_counter = 0;
	net_mac_index = 0;
}

struct net_client *net_client_find(const char *name)
{
	if (!name)
		return NULL;
	for (struct net_client *nc = net_clients; nc; nc = nc->next)
		if (!strcmp(nc->name, name))
			return nc;
	return NULL;
}

struct net_client *net_client_first(void)
{
	return net_clients;
}

void net_report_all(void)
{
	for (struct net_client *nc = net_clients; nc; nc = nc->next) {
		char own[256] = "";

		if (nc->ops->report)
			nc->ops->report(nc, own, sizeof(own));
		info_report("net: %s (%s): peer %s, link %s, %u queued for it%s%s%s", nc->name,
			    nc->ops->type, nc->peer ? nc->peer->name : "none",
			    nc->link_down ? "down" : "up", nc->queue_len,
			    nc->sender_blocked ? ", its sender waits" : "", own[0] ? ": " : "", own);
	}
}

int net_client_connect(struct net_client *a, struct net_client *b)
{
	if (!a || !b || a == b || a->peer || b->peer)
		return -1;
	a->peer = b;
	b->peer = a;
	/* A NIC plugged into a backend whose link is down sees it down too. */
	if (b->link_down && a->ops->is_nic)
		a->link_down = true;
	if (a->link_down && b->ops->is_nic)
		b->link_down = true;
	return 0;
}

static size_t net_iov_size(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

static bool net_client_can_receive(struct net_client *nc)
{
	if (nc->delivering || nc->queue_head)
		return false;
	return !nc->ops->can_receive || nc->ops->can_receive(nc);
}

bool net_can_send(struct net_client *nc)
{
	struct net_client *peer = nc->peer;
	if (!peer || peer->link_down)
		return true;
	if (peer->queue_len >= NET_QUEUE_LIMIT)
		return false;
	return !peer->ops->can_receive || peer->ops->can_receive(peer);
}

static ssize_t net_deliver(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	ssize_t r;

	nc->delivering = true;
	r = nc->ops->receive(nc, iov, iovcnt);
	nc->delivering = false;
	return r;
}

static void net_enqueue(struct net_client *nc, const struct iovec *iov, int iovcnt, size_t len)
{
	struct net_packet *p = net_xalloc(sizeof(*p) + len);
	size_t off = 0;

	for (int i = 0; i < iovcnt; i++) {
		memcpy(p->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	p->len = len;
	if (nc->queue_tail)
		nc->queue_tail->next = p;
	else
		nc->queue_head = p;
	nc->queue_tail = p;
	nc->queue_len++;
	nc->queue_bytes += len;
}

ssize_t net_send(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct net_client *peer = nc->peer;
	size_t len = net_iov_size(iov, iovcnt);
	ssize_t r;

	if (!peer || nc->link_down || peer->link_down)
		return (ssize_t)len;
	if (len == 0 || len > NET_MAX_FRAME) {
		debug_report("net: %s: dropping %zu-byte frame", nc->name, len);
		return (ssize_t)len;
	}
	if (net_client_can_receive(peer)) {
		r = net_deliver(peer, iov, iovcnt);
		if (r != 0) {
			/* The receiver may have sent frames back to us while we
			 * were inside receive(); those were queued: deliver now. */
			if (peer->queue_head)
				net_client_flush(peer);
			return (ssize_t)len;
		}
	}
	if (peer->queue_len >= NET_QUEUE_LIMIT) {
		debug_report("net: %s: queue full, dropping %zu-byte frame", peer->name, len);
		return (ssize_t)len;
	}
	net_enqueue(peer, iov, iovcnt, len);
	peer->sender_blocked = true;
	return 0;
}

ssize_t net_send_buf(struct net_client *nc, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	return net_send(nc, &iov, 1);
}

void net_client_poll_peer(struct net_client *nc)
{
	struct net_client *p = nc ? nc->peer : NULL;

	if (p && !p->link_down && !nc->link_down && p->ops->poll)
		p->ops->poll(p);
}

bool net_peer_answers_inline(const struct net_client *nc)
{
	struct net_client *p = nc ? nc->peer : NULL;

	if (!p)
		return false;
	return p->ops->answers_inline || (p->ops->forwards_inline && p->ops->forwards_inline(p));
}

void net_client_flush(struct net_client *nc)
{
	if (!nc || nc->delivering)
		return;
	if (nc->link_down) {
		net_queue_purge(nc);
		net_release_sender(nc);
		return;
	}
	while (nc->queue_head) {
		struct net_packet *p = nc->queue_head;
		struct iovec iov = { .iov_base = p->data, .iov_len = p->len };

		if (nc->ops->can_receive && !nc->ops->can_receive(nc))
			return;
		if (net_deliver(nc, &iov, 1) == 0)
			return;
		/* receive() may have flushed or purged (link change) already. */
		if (nc->queue_head != p)
			continue;
		nc->queue_head = p->next;
		if (!nc->queue_head)
			nc->queue_tail = NULL;
		nc->queue_len--;
		nc->queue_bytes -= p->len;
		free(p);
	}
	net_release_sender(nc);
}

static void net_link_changed(struct net_client *nc, bool up)
{
	if (nc->link_down == !up)
		return;
	nc->link_down = !up;
	if (!up) {
		/* Frames for a dead link are dropped (QEMU drops at delivery). */
		net_queue_purge(nc);
		net_release_sender(nc);
	}
	if (nc->ops->link_status_changed)
		nc->ops->link_status_changed(nc);
}

void net_client_set_link(struct net_client *nc, bool up)
{
	net_link_changed(nc, up);
	/* As QEMU: a backend's link state is mirrored to the NIC (the guest
	 * sees the cable pulled); a NIC's own state stays its own. */
	if (nc->peer && nc->peer->ops->is_nic)
		net_link_changed(nc->peer, up);
}

bool net_client_set_vnet_hdr(struct net_client *nc, bool enable)
{
	struct net_client *peer = nc->peer;
	bool on = enable && nc->has_vnet_hdr && peer && peer->has_vnet_hdr;

	nc->using_vnet_hdr = on;
	if (peer)
		peer->using_vnet_hdr = on;
	return on;
}

void net_default_mac(uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = 0x12;
	mac[4] = 0x34;
	mac[5] = (uint8_t)(0x56 + net_mac_index++);
}
