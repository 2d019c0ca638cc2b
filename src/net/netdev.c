/* Creating every -netdev (and the netdevs -nic/-net expand to) from the
 * parsed command line, in QEMU's order, with QEMU's messages. */
#include "net/netdev.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/hub.h"
#include "net/net.h"
#include "net/slirp.h"
#include "net/sock_util.h"
#include "net/tap.h"
#include "util/log.h"

static int net_init_hubport(const char *id, struct kvlist *opts)
{
	const char *hubid = kvlist_get(opts, "hubid");
	const char *netdev = kvlist_get(opts, "netdev");
	struct net_client *peer = NULL, *port;
	char *end;
	long long v;

	if (!hubid) {
		error_report("Parameter 'hubid' is missing");
		return -1;
	}
	errno = 0;
	v = strtoll(hubid, &end, 0);
	if (!*hubid || *end || errno) {
		error_report("Parameter 'hubid' expects an int64 value");
		return -1;
	}
	if (v < INT32_MIN || v > INT32_MAX) {
		error_report("Parameter 'hubid' expects int32_t");
		return -1;
	}
	if (kvlist_check_unused(opts) < 0)
		return -1;
	if (netdev) {
		peer = net_client_find(netdev);
		if (!peer) {
			error_report("netdev '%s' not found", netdev);
			return -1;
		}
		if (peer->peer) {
			error_report("netdev '%s' is already in use "
				     "(a backend can be plugged into one NIC or hub port only)",
				     netdev);
			return -1;
		}
	}
	port = hub_add_port((int)v, id);
	if (peer)
		net_client_connect(port, peer);
	return 0;
}

static int net_init_user_nd(const char *id, struct kvlist *opts)
{
	if (net_init_user(id, opts) < 0)
		return -1;
	return 0;
}

/* Backends by type; NULL init = known to QEMU, not (yet) built into skiff. */
static const struct {
	const char *type;
	int (*init)(const char *id, struct kvlist *opts);
} net_backends[] = {
	{ "user", net_init_user_nd },
	{ "hubport", net_init_hubport },
	{ "tap", net_init_tap },
	{ "bridge", net_init_bridge },
	{ "socket", net_init_socket },
	{ "stream", net_init_stream },
	{ "dgram", net_init_dgram },
	{ "vde", NULL },
	{ "l2tpv3", NULL },
	{ "vhost-user", NULL },
	{ "vhost-vdpa", NULL },
	{ "netmap", NULL },
	{ "af-xdp", NULL },
	{ "passt", NULL },
};

/* "-netdev user,id=n0,hostfwd=..." for messages, as QEMU's location prefix. */
static void net_describe(const struct netdev_config *nd, char *buf, size_t len)
{
	size_t off = 0;

#define PUT(...) do { \
		int n_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
		if (n_ > 0) off += (size_t)n_; \
	} while (0)
	PUT("-netdev %s", nd->type ? nd->type : "");
	if (nd->id)
		PUT(",id=%s", nd->id);
	for (size_t i = 0; i < nd->opts.n; i++) {
		PUT(",%s=", nd->opts.items[i].key);
		for (const char *c = nd->opts.items[i].value ? nd->opts.items[i].value : ""; *c; c++)
			PUT(*c == ',' ? ",," : "%c", *c);
	}
#undef PUT
	if (off >= len && len > 4)
		strcpy(buf + len - 4, "...");
}

int net_init_netdev(struct netdev_config *nd)
{
	char ctx[1024];
	int r = -1;
	size_t i;

	net_describe(nd, ctx, sizeof(ctx));
	log_set_context(ctx);
	if (!nd->type) {
		error_report("Parameter 'type' is missing");
		goto out;
	}
	if (!nd->id) {
		error_report("Parameter 'id' is missing");
		goto out;
	}
	for (i = 0; i < sizeof(net_backends) / sizeof(net_backends[0]); i++)
		if (!strcmp(net_backends[i].type, nd->type))
			break;
	if (i == sizeof(net_backends) / sizeof(net_backends[0])) {
		error_report("Parameter 'type' does not accept value '%s'", nd->type);
		goto out;
	}
	if (!net_backends[i].init) {
		error_report("network backend '%s' is not compiled into this binary "
			     "(skiff has user, tap, bridge, socket, stream, dgram and hubport)", nd->type);
		goto out;
	}
	if (net_client_find(nd->id)) {
		error_report("Duplicate ID '%s' for netdev", nd->id);
		goto out;
	}
	r = net_backends[i].init(nd->id, &nd->opts);
out:
	log_set_context(NULL);
	return r;
}

int net_init_clients(struct skiff_config *cfg)
{
	for (size_t i = 0; i < cfg->nr_netdevs; i++)
		if (net_init_netdev(&cfg->netdevs[i]) < 0)
			return -1;
	return 0;
}

void net_check_peers(void)
{
	hub_check_clients();
	for (struct net_client *nc = net_client_first(); nc; nc = nc->next) {
		if (nc->peer || hub_is_port(nc))
			continue;
		warn_report("%s %s has no peer", nc->ops->is_nic ? "nic" : "netdev", nc->name);
	}
}

void net_cleanup(void)
{
	struct net_client *nc = net_client_first();

	/* NIC clients belong to their devices, which free them; only unplug. */
	while (nc) {
		struct net_client *next = nc->next;
		if (!nc->ops->is_nic)
			net_client_free(nc);
		nc = next;
	}
}
