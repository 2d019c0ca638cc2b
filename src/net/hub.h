/* Hubs: -netdev hubport,id=,hubid=[,netdev=] and the legacy -net hub 0. */
#ifndef SKIFF_NET_HUB_H
#define SKIFF_NET_HUB_H

#include <stdbool.h>

#include "net/net.h"

/* Add a port to hub hub_id (created on first use). name NULL gives
 * "hub<id>port<n>". The port is a net_client; connect its peer as usual. */
struct net_client *hub_add_port(int hub_id, const char *name);
bool hub_is_port(const struct net_client *nc);
int hub_port_id(const struct net_client *nc);   /* -1 if not a hub port */
/* Start-up warnings: "hub port X has no peer", "hub N with no nics",
 * "hub N is not connected to host network". */
void hub_check_clients(void);

#endif
