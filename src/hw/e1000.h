/* Intel 82540EM ("e1000") PCI network controller, as driven by Linux's
 * e1000.ko: BAR0 128 KiB MMIO registers, BAR1 IOADDR/IODATA window, INTA#.
 *
 * The device is a net_client (ops->is_nic) joined to a backend peer. All
 * calls run under the VMM big lock. Every guest-controlled value (rings,
 * heads/tails, descriptor addresses/lengths, offload offsets) is checked;
 * guest memory is reached only through pci_dma_*().
 *
 * Device properties accepted in cfg->opts: mitigation=on|off (interrupt
 * mitigation, default on, as QEMU's e1000). */
#ifndef SKIFF_HW_E1000_H
#define SKIFF_HW_E1000_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/config.h"
#include "hw/pci.h"
#include "net/net.h"

#define E1000_VENDOR_ID    0x8086
#define E1000_DEVICE_ID    0x100E  /* 82540EM desktop */
#define E1000_REVISION     0x03
#define E1000_SUBSYS_VENDOR 0x8086
#define E1000_SUBSYS_ID    0x001E

struct e1000;

/* Create, plug into pbus (cfg->slot or the first free slot) and connect to
 * peer (may be NULL: an unconnected NIC with the link up). MAC: cfg->mac or
 * net_default_mac(). NULL after an error_report(). */
struct e1000 *e1000_create(struct pci_bus *pbus, const struct nic_config *cfg,
			   struct net_client *peer);
/* Free everything. The PCI bus must not dispatch to the device afterwards. */
void e1000_destroy(struct e1000 *s);
/* Power-on reset of MAC, PHY and EEPROM state machine (VM reboot). */
void e1000_reset(struct e1000 *s);

/* Accessors for the VMM and tests. */
struct pci_dev *e1000_pci_dev(struct e1000 *s);
struct net_client *e1000_net_client(struct e1000 *s);
void e1000_get_mac(const struct e1000 *s, uint8_t mac[6]);

/* BAR handlers (bus_access_fn), exposed so tests and fuzzers can drive the
 * device without a CPU. */
void e1000_mmio_access(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void e1000_io_access(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

#endif
