/* Split virtqueues (virtio 1.1, 2.6) for device models: descriptor chains
 * (direct and indirect) are walked with every guest-controlled value checked
 * and guest memory reached only through pci_dma_*().
 *
 * A device pops elements (the buffer addresses of one descriptor chain),
 * reads/writes them with vq_elem_read()/vq_elem_write(), then fills used
 * entries with vq_fill() and publishes them with vq_flush(). vq_unpop()
 * returns popped but unfilled elements to the ring.
 *
 * Errors in the ring (bad addresses, loops, out-of-range indices, avail idx
 * jumps) make the queue "broken": it stops processing until reset, and the
 * transport reports DEVICE_NEEDS_RESET. */
#ifndef SKIFF_HW_VIRTIO_H
#define SKIFF_HW_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/pci.h"

/* Feature bits (virtio 1.1, 6). */
#define VIRTIO_F_NOTIFY_ON_EMPTY     24
#define VIRTIO_F_ANY_LAYOUT          27
#define VIRTIO_RING_F_INDIRECT_DESC  28
#define VIRTIO_RING_F_EVENT_IDX      29
#define VIRTIO_F_VERSION_1           32

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE    1
#define VIRTIO_STATUS_DRIVER         2
#define VIRTIO_STATUS_DRIVER_OK      4
#define VIRTIO_STATUS_FEATURES_OK    8
#define VIRTIO_STATUS_NEEDS_RESET    0x40
#define VIRTIO_STATUS_FAILED         0x80

/* Descriptor flags (2.6.5). */
#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

#define VQ_MAX_SIZE 1024          /* largest queue (and chain) we accept */

struct vq_sg {
	uint64_t addr;
	uint32_t len;
};

struct vq_elem {
	uint16_t head;                /* descriptor index to return in the used ring */
	unsigned out_num, in_num;     /* device-readable, then device-writable buffers */
	size_t out_len, in_len;       /* total bytes of each */
	struct vq_sg out[VQ_MAX_SIZE];
	struct vq_sg in[VQ_MAX_SIZE];
};

struct virtqueue {
	struct pci_dev *dev;          /* for DMA */
	uint16_t num;                 /* size (power of two), 0 = not configured */
	uint16_t max;                 /* largest size the device offers */
	bool ready;                   /* addresses set and checked */
	bool broken;                  /* ring error: stop until reset */
	bool indirect;                /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool event_idx;               /* VIRTIO_RING_F_EVENT_IDX negotiated */
	uint64_t desc, avail, used;   /* guest-physical ring addresses */
	uint16_t last_avail_idx;      /* next avail entry to pop */
	uint16_t used_idx;            /* our copy of used->idx */
	uint16_t pending;             /* filled but not yet flushed */
	uint16_t signalled_used;      /* used idx at the last interrupt (event idx) */
	bool signalled_used_valid;
};

/* Size = max, nothing configured. */
void vq_init(struct virtqueue *vq, struct pci_dev *dev, uint16_t max);
void vq_reset(struct virtqueue *vq);
/* Check and take the ring addresses for the current vq->num (a power of two
 * <= max): alignment and that each ring lies wholly in guest RAM. Returns 0,
 * or -1 (queue left not ready). */
int vq_set_rings(struct virtqueue *vq, uint64_t desc, uint64_t avail, uint64_t used);
/* The legacy layout from a page frame number (4 KiB alignment). */
int vq_set_legacy_pfn(struct virtqueue *vq, uint32_t pfn);

/* Number of available, unpopped chains; -1 if the ring is broken (the avail
 * index moved by more than the queue size, or cannot be read). */
int vq_avail_count(struct virtqueue *vq);
/* Pop one chain: 1 with *e filled, 0 if none is available, -1 on a ring
 * error (then the queue is broken). */
int vq_pop(struct virtqueue *vq, struct vq_elem *e);
/* Give back the last n popped, unfilled chains. */
void vq_unpop(struct virtqueue *vq, unsigned n);
/* Record a used entry (chain head, bytes written); the idx += in vq_flush(). */
int vq_fill(struct virtqueue *vq, uint16_t head, uint32_t len);
int vq_flush(struct virtqueue *vq);
/* After a flush: does the driver want an interrupt? */
bool vq_should_notify(struct virtqueue *vq);
/* Mark the queue broken (e.g. a device-level protocol error). */
void vq_set_broken(struct virtqueue *vq);

/* Copy between the element's buffers (from offset off) and buf. Return the
 * bytes copied (short if the element is shorter), or -1 on a DMA error. */
long vq_elem_read(struct virtqueue *vq, const struct vq_elem *e, size_t off, void *buf, size_t len);
long vq_elem_write(struct virtqueue *vq, const struct vq_elem *e, size_t off, const void *buf,
		   size_t len);

/* Legacy ring layout sizes (2.6.2). */
#define VIRTIO_LEGACY_ALIGN 4096

#endif
