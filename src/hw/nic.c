#include "hw/nic.h"

#include <stdlib.h>
#include <string.h>

#include "hw/e1000.h"
#include "hw/virtio_net.h"
#include "net/net.h"
#include "util/log.h"
#include "vm/layout.h"

#define NIC_MAX 32

static struct e1000 *e1000s[NIC_MAX];
static int nr_e1000;
static struct virtio_net *virtio_nets[NIC_MAX];
static int nr_virtio_net;

/* NICs without addr= go to the first free slot from 00:03.0 up, as on
 * QEMU's pc machine (00:02.0 is where its VGA sits). */
static int nic_pick_slot(struct pci_bus *pbus)
{
	for (int s = PCI_SLOT_FIRST_NIC; s < PCI_MAX_SLOTS; s++)
		if (!pbus->slot[s])
			return s;
	for (int s = 0; s < PCI_SLOT_FIRST_NIC; s++)
		if (!pbus->slot[s])
			return s;
	return -1;
}

int nic_pick_mac(const struct nic_config *cfg, const char *model, uint8_t mac[6])
{
	if (cfg->has_mac)
		memcpy(mac, cfg->mac, 6);
	else
		net_default_mac(mac);
	if (mac[0] & 1) {
		error_report("Property '%s.mac' doesn't take a multicast address", model);
		return -1;
	}
	return 0;
}

struct net_client *nic_client_new(const struct net_client_ops *ops, const struct nic_config *cfg,
				  const char *model, void *opaque, struct net_client *peer)
{
	struct net_client *nc = net_client_new(ops, cfg->id, opaque);

	if (!nc)
		return NULL;
	nc->has_vnet_hdr = true;
	if (peer && net_client_connect(nc, peer) < 0) {
		error_report("Property '%s.netdev' can't take value '%s', it's in use", model,
			     peer->name ? peer->name : "?");
		nic_client_free(&nc);
		return NULL;
	}
	return nc;
}

void nic_client_free(struct net_client **ncp)
{
	struct net_client *nc = *ncp;

	if (!nc)
		return;
	nc->opaque = NULL;   /* frames still queued must not reach a freed device */
	*ncp = NULL;
	net_client_free(nc);
}

/* Properties every PCI NIC takes in QEMU, handled once here; the devices
 * validate only their own (and reject what is left unused). */
static int nic_common_props(const struct nic_config *nic)
{
	for (size_t i = 0; i < nic->opts.n; i++) {
		struct kv *kv = &nic->opts.items[i];

		if (!strcmp(kv->key, "romfile")) {
			/* No firmware runs option ROMs here (direct kernel boot). */
			kv->used = true;
			if (kv->value && *kv->value)
				warn_report("-device %s,romfile=%s: ignored: skiff boots the kernel "
					    "directly and runs no option ROM", nic->model, kv->value);
		} else if (!strcmp(kv->key, "bus")) {
			kv->used = true;
			if (!kv->value || strcmp(kv->value, "pci.0")) {
				error_report("-device %s,bus=%s: Bus '%s' not found (the only bus is pci.0)",
					     nic->model, kv->value ? kv->value : "",
					     kv->value ? kv->value : "");
				return -1;
			}
		}
	}
	return 0;
}

int nic_create_all(struct pci_bus *pbus, struct skiff_config *cfg)
{
	for (size_t i = 0; i < cfg->nr_nics; i++) {
		struct nic_config nic = cfg->nics[i];
		struct net_client *peer = NULL;

		if (nic.netdev) {
			peer = net_client_find(nic.netdev);
			if (!peer) {
				error_report("-device %s,netdev=%s: Property '%s.netdev' can't find value '%s'",
					     nic.model, nic.netdev, nic.model, nic.netdev);
				return -1;
			}
			if (peer->peer) {
				error_report("-device %s,netdev=%s: Property '%s.netdev' can't take value "
					     "'%s', it's in use", nic.model, nic.netdev, nic.model, nic.netdev);
				return -1;
			}
		}
		if (nic_common_props(&nic) < 0)
			return -1;
		if (nic.slot < 0)
			nic.slot = nic_pick_slot(pbus);
		if (!strcmp(nic.model, "e1000")) {
			struct e1000 *e;
			if (nr_e1000 >= NIC_MAX) {
				error_report("too many NICs (at most %d)", NIC_MAX);
				return -1;
			}
			e = e1000_create(pbus, &nic, peer);
			if (!e)
				return -1;
			e1000s[nr_e1000++] = e;
		} else if (!strcmp(nic.model, "virtio-net-pci")) {
			struct virtio_net *v;
			if (nr_virtio_net >= NIC_MAX) {
				error_report("too many NICs (at most %d)", NIC_MAX);
				return -1;
			}
			v = virtio_net_create(pbus, &nic, peer);
			if (!v)
				return -1;
			virtio_nets[nr_virtio_net++] = v;
		} else {
			error_report("-device %s: this NIC model is not available yet in skiff; "
				     "use -device e1000 or virtio-net-pci", nic.model);
			return -1;
		}
	}
	return 0;
}

void nic_destroy_all(void)
{
	while (nr_e1000 > 0)
		e1000_destroy(e1000s[--nr_e1000]);
	while (nr_virtio_net > 0)
		virtio_net_destroy(virtio_nets[--nr_virtio_net]);
}
