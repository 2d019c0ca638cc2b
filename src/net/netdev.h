/* Bringing the network backends up and down (called by the VM setup). */
#ifndef SKIFF_NET_NETDEV_H
#define SKIFF_NET_NETDEV_H

#include "cli/config.h"

/* Create every cfg->netdevs[] backend in order (-netdev, then -nic's, then
 * -net's hub ports). 0, or -1 after reporting in QEMU's words (exit 1).
 * Then create the NICs: net_client_find(nic->netdev) + net_client_connect(). */
int net_init_clients(struct skiff_config *cfg);
/* One netdev (also for hot-add later). */
int net_init_netdev(struct netdev_config *nd);
/* After NICs exist: "warning: netdev ID has no peer", hub warnings. */
void net_check_peers(void);
/* Free every backend (NIC clients are left to their devices, unplugged). */
void net_cleanup(void);

#endif
