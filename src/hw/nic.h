/* Creating the NICs the command line asks for (-device, -nic, -net nic) and
 * joining each to its backend. */
#ifndef SKIFF_HW_NIC_H
#define SKIFF_HW_NIC_H

#include "cli/config.h"
#include "hw/pci.h"

int nic_create_all(struct pci_bus *pbus, struct skiff_config *cfg);

/* For the NIC devices themselves. */
struct net_client;
struct net_client_ops;
/* The MAC from mac=, or QEMU's next default; a multicast MAC is refused. 0 or -1. */
int nic_pick_mac(const struct nic_config *cfg, const char *model, uint8_t mac[6]);
/* The device's net client (offload headers possible), joined to peer if
 * any. NULL after a message. */
struct net_client *nic_client_new(const struct net_client_ops *ops, const struct nic_config *cfg,
				  const char *model, void *opaque, struct net_client *peer);
/* Unhook and free a device's net client; *ncp becomes NULL. */
void nic_client_free(struct net_client **ncp);
void nic_destroy_all(void);

#endif
