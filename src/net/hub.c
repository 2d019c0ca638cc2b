/* Hubs (QEMU's net/hub.c semantics): a flooding repeater. A frame received
 * on one port goes out of every other port; no learning, no VLANs. */
#include "net/hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct hub_port;

struct hub {
	int id;
	struct hub_port *ports;
	unsigned nr_ports;        /* for hub<id>port<n> names; never reused */
	struct hub *next;
};

struct hub_port {
	struct hub *hub;
	struct net_client *nc;
	struct hub_port *next;
};

static struct hub *hubs;

static struct hub *hub_get(int id, bool create)
{
	struct hub *h;

	for (h = hubs; h; h = h->next)
		if (h->id == id)
			return h;
	if (!create)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		die("out of memory");
	h->id = id;
	/* Keep hubs in creation order for the start-up checks. */
	struct hub **pp = &hubs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = h;
	return h;
}

static ssize_t hub_port_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct hub_port *src = nc->opaque;
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	/* A copy that cannot be delivered waits in (or is dropped from) that
	 * port's peer's own queue, as in QEMU: one slow port does not stall
	 * the others. */
	for (struct hub_port *p = src->hub->ports; p; p = p->next)
		if (p != src)
			net_send(p->nc, iov, iovcnt);
	return (ssize_t)len;
}

/* QEMU: true when any other port could pass a frame on right now. */
static bool hub_port_can_receive(struct net_client *nc)
{
	struct hub_port *src = nc->opaque;

	for (struct hub_port *p = src->hub->ports; p; p = p->next)
		if (p != src && net_can_send(p->nc))
			return true;
	return false;
}

/* Something behind this port drained: frames that waited to enter the hub
 * through the other ports may now go (QEMU's net_hub_flush). */
static void hub_port_on_drained(struct net_client *nc)
{
	struct hub_port *src = nc->opaque;

	for (struct hub_port *p = src->hub->ports; p; p = p->next)
		if (p != src && p->nc->queue_head)
			net_client_flush(p->nc);
}

static void hub_port_cleanup(struct net_client *nc)
{
	struct hub_port *port = nc->opaque;
	struct hub *h = port->hub;

	for (struct hub_port **pp = &h->ports; *pp; pp = &(*pp)->next) {
		if (*pp == port) {
			*pp = port->next;
			break;
		}
	}
	free(port);
	if (!h->ports) {
		for (struct hub **pp = &hubs; *pp; pp = &(*pp)->next) {
			if (*pp == h) {
				*pp = h->next;
				break;
			}
		}
		free(h);
	}
}

/* A frame in through this port reaches every other port's peer: if one of them answers inside
 * its receive() (libslirp), the answer comes back inside this port's receive() too. One level
 * only (a hub port's peer is a NIC or a backend, not another hub's port). */
static bool hub_port_forwards_inline(struct net_client *nc)
{
	struct hub_port *src = nc->opaque;

	for (struct hub_port *p = src->hub->ports; p; p = p->next)
		if (p != src && p->nc->peer && p->nc->peer->ops->answers_inline)
			return true;
	return false;
}

static const struct net_client_ops hub_port_ops = {
	.type = "hubport",
	.receive = hub_port_receive,
	.can_receive = hub_port_can_receive,
	.on_drained = hub_port_on_drained,
	.drain_always = true,
	.forwards_inline = hub_port_forwards_inline,
	.cleanup = hub_port_cleanup,
};

struct net_client *hub_add_port(int hub_id, const char *name)
{
	struct hub *h = hub_get(hub_id, true);
	struct hub_port *port = calloc(1, sizeof(*port));
	char buf[64], info[96];
	struct net_client *nc;

	if (!port)
		die("out of memory");
	if (!name) {
		snprintf(buf, sizeof(buf), "hub%dport%u", hub_id, h->nr_ports);
		name = buf;
	}
	h->nr_ports++;
	nc = net_client_new(&hub_port_ops, name, port);
	port->hub = h;
	port->nc = nc;
	struct hub_port **pp = &h->ports;
	while (*pp)
		pp = &(*pp)->next;
	*pp = port;
	snprintf(info, sizeof(info), "hub %d port", hub_id);
	net_client_set_info(nc, info);
	return nc;
}

bool hub_is_port(const struct net_client *nc)
{
	return nc && nc->ops == &hub_port_ops;
}

int hub_port_id(const struct net_client *nc)
{
	if (!hub_is_port(nc))
		return -1;
	return ((struct hub_port *)nc->opaque)->hub->id;
}

/* QEMU's net_hub_check_clients(): warnings only, never fatal. */
void hub_check_clients(void)
{
	for (struct hub *h = hubs; h; h = h->next) {
		bool has_nic = false, has_host = false;

		for (struct hub_port *p = h->ports; p; p = p->next) {
			struct net_client *peer = p->nc->peer;
			if (!peer) {
				warn_report("hub port %s has no peer", p->nc->name);
				continue;
			}
			if (peer->ops->is_nic)
				has_nic = true;
			else
				has_host = true;
		}
		if (has_host && !has_nic)
			warn_report("hub %d with no nics", h->id);
		if (has_nic && !has_host)
			warn_report("hub %d is not connected to host network", h->id);
	}
}
