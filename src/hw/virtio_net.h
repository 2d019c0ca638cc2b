/* virtio-net over PCI ("virtio-net-pci"), transitional (legacy + modern),
 * as driven by Linux's virtio_pci + virtio_net: an RX and a TX queue of 256
 * entries, no control queue; MSI-X (config + one vector per queue) where the
 * machine can deliver MSIs, else INTx.
 *
 * Features offered: MAC, STATUS, MRG_RXBUF, RING_INDIRECT_DESC, VERSION_1;
 * with a backend that speaks virtio-net headers (tap vnet_hdr) also CSUM,
 * GUEST_CSUM, HOST_TSO4, HOST_TSO6 (headers pass straight through).
 *
 * Device properties accepted in cfg->opts: mrg_rxbuf=on|off (default on),
 * vectors=N (MSI-X vectors, default 3; 0 = no MSI-X capability, INTx),
 * romfile= (empty only: no option ROM), bus=pci.0. */
#ifndef SKIFF_HW_VIRTIO_NET_H
#define SKIFF_HW_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/config.h"
#include "hw/pci.h"
#include "net/net.h"

#define VIRTIO_NET_PCI_DEVICE_ID 0x1000   /* transitional network device */
#define VIRTIO_ID_NET            1

/* Feature bits (virtio 1.1, 5.1.3). */
#define VIRTIO_NET_F_CSUM        0
#define VIRTIO_NET_F_GUEST_CSUM  1
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_GUEST_TSO4  7
#define VIRTIO_NET_F_GUEST_TSO6  8
#define VIRTIO_NET_F_GUEST_ECN   9
#define VIRTIO_NET_F_GUEST_UFO   10
#define VIRTIO_NET_F_HOST_TSO4   11
#define VIRTIO_NET_F_HOST_TSO6   12
#define VIRTIO_NET_F_HOST_ECN    13
#define VIRTIO_NET_F_MRG_RXBUF   15
#define VIRTIO_NET_F_STATUS      16
#define VIRTIO_NET_F_CTRL_VQ     17

#define VIRTIO_NET_S_LINK_UP     1

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_CONFIG_LEN 8     /* mac[6], status */
#define VIRTIO_NET_DEFAULT_VECTORS 3   /* config, RX, TX (QEMU: 2 * queues + 1 here) */

struct virtio_net;

struct virtio_net *virtio_net_create(struct pci_bus *pbus, const struct nic_config *cfg,
				     struct net_client *peer);
void virtio_net_destroy(struct virtio_net *s);
/* Power-on reset (VM reboot): as if the driver wrote status 0. */
void virtio_net_reset(struct virtio_net *s);

struct pci_dev *virtio_net_pci_dev(struct virtio_net *s);
struct net_client *virtio_net_client(struct virtio_net *s);
struct virtio_pci *virtio_net_transport(struct virtio_net *s);
void virtio_net_get_mac(const struct virtio_net *s, uint8_t mac[6]);

#endif
