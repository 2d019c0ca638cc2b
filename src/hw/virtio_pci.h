/* Virtio over PCI (virtio 1.1, 4.1), transitional like QEMU's devices:
 *   BAR0: legacy I/O register block (4.1.4.8), device config from 0x14;
 *   BAR4: modern MMIO (32-bit) with common cfg at 0x0000, ISR at 0x1000,
 *         device cfg at 0x2000, notifications at 0x3000 (multiplier 4),
 *         described by vendor-specific capabilities in config space.
 * Interrupts: INTx (reading ISR clears it and lowers the line), or MSI-X
 * with virtio_pci_init_msix(): table and PBA in BAR1 (as QEMU), one vector
 * for config changes and one per queue as the driver assigns them (common
 * cfg msix_config/queue_msix_vector, legacy 0x14/0x16, which move the legacy
 * device config to 0x18 while MSI-X is enabled). The device supplies its features, config space and a
 * queue notification hook; the transport adds VERSION_1 and
 * RING_INDIRECT_DESC, handles feature negotiation, status, queue setup and
 * reset. */
#ifndef SKIFF_HW_VIRTIO_PCI_H
#define SKIFF_HW_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/pci.h"
#include "hw/virtio.h"

#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_MAX_VQS      3

/* Legacy I/O register offsets (4.1.4.8). */
#define VIRTIO_PCI_HOST_FEATURES  0x00
#define VIRTIO_PCI_GUEST_FEATURES 0x04
#define VIRTIO_PCI_QUEUE_PFN      0x08
#define VIRTIO_PCI_QUEUE_NUM      0x0c
#define VIRTIO_PCI_QUEUE_SEL      0x0e
#define VIRTIO_PCI_QUEUE_NOTIFY   0x10
#define VIRTIO_PCI_STATUS         0x12
#define VIRTIO_PCI_ISR            0x13
#define VIRTIO_PCI_CONFIG         0x14   /* device config, MSI-X disabled */
#define VIRTIO_MSI_CONFIG_VECTOR  0x14   /* with MSI-X enabled: */
#define VIRTIO_MSI_QUEUE_VECTOR   0x16
#define VIRTIO_PCI_CONFIG_MSIX    0x18   /* device config, MSI-X enabled */

/* MSI-X: BAR1, 4 KiB, table at 0, PBA at 0x800 (QEMU's layout). */
#define VIRTIO_PCI_MSIX_BAR       1
#define VIRTIO_PCI_MSIX_BAR_SIZE  0x1000
#define VIRTIO_PCI_MSIX_TABLE     0x000
#define VIRTIO_PCI_MSIX_PBA       0x800

/* Modern layout in the memory BAR. */
#define VIRTIO_PCI_MODERN_BAR     4
#define VIRTIO_PCI_MODERN_SIZE    0x4000
#define VIRTIO_PCI_COMMON_OFF     0x0000
#define VIRTIO_PCI_ISR_OFF        0x1000
#define VIRTIO_PCI_DEVICE_OFF     0x2000
#define VIRTIO_PCI_NOTIFY_OFF     0x3000
#define VIRTIO_PCI_NOTIFY_MULT    4
#define VIRTIO_PCI_REGION_SIZE    0x1000

/* Common configuration structure (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT  0x00
#define VIRTIO_PCI_COMMON_DF        0x04
#define VIRTIO_PCI_COMMON_GFSELECT  0x08
#define VIRTIO_PCI_COMMON_GF        0x0c
#define VIRTIO_PCI_COMMON_MSIX      0x10
#define VIRTIO_PCI_COMMON_NUMQ      0x12
#define VIRTIO_PCI_COMMON_STATUS    0x14
#define VIRTIO_PCI_COMMON_CFGGEN    0x15
#define VIRTIO_PCI_COMMON_Q_SELECT  0x16
#define VIRTIO_PCI_COMMON_Q_SIZE    0x18
#define VIRTIO_PCI_COMMON_Q_MSIX    0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE  0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF    0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO  0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI  0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO  0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI  0x34
#define VIRTIO_PCI_COMMON_SIZE      0x38

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

#define VIRTIO_PCI_ISR_QUEUE  1
#define VIRTIO_PCI_ISR_CONFIG 2
#define VIRTIO_MSI_NO_VECTOR  0xffff

struct virtio_pci;

/* Modern queue addresses as written, before queue_enable takes them. */
struct vq_stage {
	uint64_t desc, avail, used;
};

struct virtio_dev_ops {
	/* Device config space (little-endian bytes), len bytes from off. */
	void (*config_read)(void *opaque, unsigned off, uint8_t *data, unsigned len);
	void (*config_write)(void *opaque, unsigned off, const uint8_t *data, unsigned len);
	/* The driver kicked queue q. */
	void (*queue_notify)(void *opaque, unsigned q);
	/* Status changed (after the transport applied it); 0 = device reset. */
	void (*status_changed)(void *opaque, uint8_t status);
	/* Bus mastering was switched on (queued work may proceed). */
	void (*dma_enabled)(void *opaque);
};

struct virtio_pci {
	struct pci_dev pci;           /* first: the pci_dev callbacks cast back */
	const struct virtio_dev_ops *ops;
	void *opaque;
	unsigned config_len;
	uint64_t host_features;       /* offered (device + transport bits) */
	uint64_t guest_features;      /* accepted by the driver */
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint8_t status;
	uint8_t isr;
	uint8_t config_gen;
	bool modern;                  /* the driver uses the modern interface */
	uint8_t status_seen;          /* for the device: status at its last status_changed() */
	unsigned nvqs;
	unsigned nvectors;            /* MSI-X vectors, 0 = no MSI-X */
	uint16_t config_vector;       /* VIRTIO_MSI_NO_VECTOR or < nvectors */
	uint16_t queue_vector[VIRTIO_PCI_MAX_VQS];
	struct virtqueue vq[VIRTIO_PCI_MAX_VQS];
	struct vq_stage stage[VIRTIO_PCI_MAX_VQS];
};

/* Identity: vendor 1af4, device 0x1000 + (type - 1)... as given, subsystem
 * vendor 1af4, subsystem id = virtio device type, revision 0. Adds BARs and
 * capabilities; the caller plugs vp->pci with pci_bus_add(). */
int virtio_pci_init(struct virtio_pci *vp, const char *name, uint16_t pci_device_id,
		    uint16_t virtio_type, uint32_t class_code, uint64_t dev_features,
		    unsigned config_len, unsigned nvqs, uint16_t queue_size,
		    const struct virtio_dev_ops *ops, void *opaque);

/* Add MSI-X with nvectors vectors (0 = none: INTx only). After
 * virtio_pci_init(), before pci_bus_add(). -1 if nvectors is more than
 * PCI_MSIX_MAX_VECTORS. */
int virtio_pci_init_msix(struct virtio_pci *vp, unsigned nvectors);

bool virtio_pci_has_feature(const struct virtio_pci *vp, unsigned bit);
bool virtio_pci_driver_ok(const struct virtio_pci *vp);
/* After vq_flush(): interrupt the driver if it wants one. */
void virtio_pci_notify(struct virtio_pci *vp, unsigned q);
/* Device config changed (e.g. link status): ISR bit 1 and an interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* A queue broke: set DEVICE_NEEDS_RESET and tell the driver. */
void virtio_pci_set_needs_reset(struct virtio_pci *vp);
/* Device reset (status 0): queues, features, ISR, interrupt line, MSI-X
 * vector assignments (not the MSI-X table: that is the PCI function's). */
void virtio_pci_reset(struct virtio_pci *vp);

/* BAR handlers (bus_access_fn), for tests and fuzzers. */
void virtio_pci_legacy_access(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);
void virtio_pci_modern_access(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);

#endif
