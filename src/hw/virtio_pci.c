/* Virtio PCI transport (virtio 1.1, 4.1): transitional device with the legacy
 * I/O block in BAR0 and the modern capabilities pointing into BAR4.
 * Register accesses of any size/alignment are safe: reads are composed byte
 * by byte, writes must match a field's natural width (others are ignored). */
#include "hw/virtio_pci.h"

#include <string.h>

#include "util/log.h"

#define LEGACY_BAR_SIZE 0x40   /* 0x18 + device config, power of two */
#define CAP_BASE        0x40
#define MSIX_CAP        0x84   /* after the virtio capabilities */

static inline void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static struct vq_stage *stage_of(struct virtio_pci *vp, unsigned q)
{
	return &vp->stage[q];
}

bool virtio_pci_has_feature(const struct virtio_pci *vp, unsigned bit)
{
	return bit < 64 && (vp->guest_features >> bit) & 1;
}

bool virtio_pci_driver_ok(const struct virtio_pci *vp)
{
	return (vp->status & VIRTIO_STATUS_DRIVER_OK) && !(vp->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void update_irq(struct virtio_pci *vp)
{
	pci_set_irq(&vp->pci, vp->isr != 0);
}

static bool msix_on(const struct virtio_pci *vp)
{
	return vp->nvectors && pci_msix_enabled(&vp->pci);
}

void virtio_pci_notify(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->nvqs || !vq_should_notify(&vp->vq[q]))
		return;
	if (msix_on(vp)) {
		/* The queue's own message; ISR is not used (virtio 1.1, 4.1.4.5). */
		if (vp->queue_vector[q] != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&vp->pci, vp->queue_vector[q]);
		return;
	}
	vp->isr |= VIRTIO_PCI_ISR_QUEUE;
	update_irq(vp);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->config_gen++;
	if (!(vp->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	/* ISR bit 1 in both modes (4.1.4.5.1); the line stays off under MSI-X. */
	vp->isr |= VIRTIO_PCI_ISR_CONFIG;
	update_irq(vp);
	if (msix_on(vp) && vp->config_vector != VIRTIO_MSI_NO_VECTOR)
		pci_msix_notify(&vp->pci, vp->config_vector);
}

/* A vector the driver assigns: one we have, or NO_VECTOR (which the driver
 * reads back to learn the assignment failed). */
static uint16_t check_vector(const struct virtio_pci *vp, uint32_t v)
{
	return v < vp->nvectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (virtio_pci_has_feature(vp, VIRTIO_F_VERSION_1))
		virtio_pci_config_changed(vp);
}

static void apply_features(struct virtio_pci *vp)
{
	for (unsigned q = 0; q < vp->nvqs; q++) {
		vp->vq[q].indirect = virtio_pci_has_feature(vp, VIRTIO_RING_F_INDIRECT_DESC);
		vp->vq[q].event_idx = false;   /* not offered */
	}
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	vp->guest_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_sel = 0;
	vp->status = 0;
	vp->isr = 0;
	vp->modern = false;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (unsigned q = 0; q < vp->nvqs; q++) {
		vp->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
		vq_reset(&vp->vq[q]);
		memset(stage_of(vp, q), 0, sizeof(struct vq_stage));
	}
	update_irq(vp);
}

static void set_status(struct virtio_pci *vp, uint8_t val)
{
	if (val == 0) {
		virtio_pci_reset(vp);
		if (vp->ops->status_changed)
			vp->ops->status_changed(vp->opaque, 0);
		return;
	}
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* Modern negotiation: a subset of ours, VERSION_1 included. */
		if ((vp->guest_features & ~vp->host_features) ||
		    !virtio_pci_has_feature(vp, VIRTIO_F_VERSION_1))
			val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		else
			apply_features(vp);
	}
	vp->status = val | (vp->status & VIRTIO_STATUS_NEEDS_RESET);
	if (vp->ops->status_changed)
		vp->ops->status_changed(vp->opaque, vp->status);
}

static void queue_notify(struct virtio_pci *vp, unsigned q)
{
	if (q < vp->nvqs && vp->ops->queue_notify)
		vp->ops->queue_notify(vp->opaque, q);
}

static uint8_t read_isr(struct virtio_pci *vp)
{
	uint8_t v = vp->isr;
	vp->isr = 0;
	update_irq(vp);
	return v;
}

/* ------------------------------------------------------------------ */
/* Legacy I/O BAR                                                        */

/* Where the legacy device config starts: after the MSI-X vector registers
 * while MSI-X is enabled (4.1.4.8). */
static unsigned legacy_config_off(const struct virtio_pci *vp)
{
	return msix_on(vp) ? VIRTIO_PCI_CONFIG_MSIX : VIRTIO_PCI_CONFIG;
}

static void legacy_regs(struct virtio_pci *vp, uint8_t *r)
{
	struct virtqueue *vq = vp->queue_sel < vp->nvqs ? &vp->vq[vp->queue_sel] : NULL;

	memset(r, 0, VIRTIO_PCI_CONFIG_MSIX);
	put_le32(r + VIRTIO_PCI_HOST_FEATURES, (uint32_t)vp->host_features);
	put_le32(r + VIRTIO_PCI_GUEST_FEATURES, (uint32_t)vp->guest_features);
	if (vq) {
		put_le32(r + VIRTIO_PCI_QUEUE_PFN, vq->ready ? (uint32_t)(vq->desc / VIRTIO_LEGACY_ALIGN) : 0);
		put_le16(r + VIRTIO_PCI_QUEUE_NUM, vq->max);
	}
	put_le16(r + VIRTIO_PCI_QUEUE_SEL, vp->queue_sel);
	r[VIRTIO_PCI_STATUS] = vp->status;
	r[VIRTIO_PCI_ISR] = vp->isr;
	put_le16(r + VIRTIO_MSI_CONFIG_VECTOR, vp->config_vector);
	put_le16(r + VIRTIO_MSI_QUEUE_VECTOR, vq ? vp->queue_vector[vp->queue_sel] : VIRTIO_MSI_NO_VECTOR);
}

static void legacy_write(struct virtio_pci *vp, unsigned off, unsigned len, uint32_t v)
{
	struct virtqueue *vq;

	switch (off) {
	case VIRTIO_PCI_GUEST_FEATURES:
		if (len != 4)
			return;
		/* Legacy drivers see the low 32 bits only (no VERSION_1). */
		vp->guest_features = v & vp->host_features & 0xffffffffu;
		vp->modern = false;
		apply_features(vp);
		return;
	case VIRTIO_PCI_QUEUE_PFN:
		if (len != 4 || vp->queue_sel >= vp->nvqs)
			return;
		vq = &vp->vq[vp->queue_sel];
		if (v == 0) {
			bool ind = vq->indirect;
			vq_reset(vq);
			vq->indirect = ind;
			return;
		}
		vq->num = vq->max;   /* legacy queues have the device's size */
		if (vq_set_legacy_pfn(vq, v) < 0) {
			debug_report("%s: bad legacy queue PFN 0x%x", vp->pci.name, v);
			virtio_pci_set_needs_reset(vp);
		}
		return;
	case VIRTIO_PCI_QUEUE_SEL:
		if (len == 2)
			vp->queue_sel = (uint16_t)v;
		return;
	case VIRTIO_PCI_QUEUE_NOTIFY:
		if (len == 2)
			queue_notify(vp, (uint16_t)v);
		return;
	case VIRTIO_PCI_STATUS:
		if (len == 1) {
			vp->modern = false;
			set_status(vp, (uint8_t)v);
		}
		return;
	case VIRTIO_MSI_CONFIG_VECTOR:   /* only reached with MSI-X enabled */
		if (len == 2)
			vp->config_vector = check_vector(vp, v);
		return;
	case VIRTIO_MSI_QUEUE_VECTOR:
		if (len == 2 && vp->queue_sel < vp->nvqs)
			vp->queue_vector[vp->queue_sel] = check_vector(vp, v);
		return;
	default:
		return;
	}
}

void virtio_pci_legacy_access(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	unsigned cfg_off = legacy_config_off(vp);
	uint8_t r[VIRTIO_PCI_CONFIG_MSIX];

	if (len == 0 || len > 4 || off >= LEGACY_BAR_SIZE || off + len > LEGACY_BAR_SIZE)
		return;
	if (is_write) {
		if (off >= cfg_off) {
			unsigned c = (unsigned)off - cfg_off;
			if (vp->ops->config_write && c < vp->config_len && len <= vp->config_len - c)
				vp->ops->config_write(vp->opaque, c, data, len);
			return;
		}
		legacy_write(vp, (unsigned)off, len, (uint32_t)bus_data_get(data, len));
		return;
	}
	legacy_regs(vp, r);
	for (unsigned i = 0; i < len; i++) {
		unsigned o = (unsigned)off + i;
		if (o < cfg_off) {
			data[i] = r[o];
		} else {
			unsigned c = o - cfg_off;
			data[i] = 0;
			if (c < vp->config_len && vp->ops->config_read)
				vp->ops->config_read(vp->opaque, c, &data[i], 1);
		}
	}
	if (off <= VIRTIO_PCI_ISR && off + len > VIRTIO_PCI_ISR)
		(void)read_isr(vp);
}

/* ------------------------------------------------------------------ */
/* Modern MMIO BAR                                                       */

static void common_regs(struct virtio_pci *vp, uint8_t *r)
{
	struct virtqueue *vq = vp->queue_sel < vp->nvqs ? &vp->vq[vp->queue_sel] : NULL;

	memset(r, 0, VIRTIO_PCI_COMMON_SIZE);
	put_le32(r + VIRTIO_PCI_COMMON_DFSELECT, vp->dfselect);
	if (vp->dfselect < 2)
		put_le32(r + VIRTIO_PCI_COMMON_DF, (uint32_t)(vp->host_features >> (32 * vp->dfselect)));
	put_le32(r + VIRTIO_PCI_COMMON_GFSELECT, vp->gfselect);
	if (vp->gfselect < 2)
		put_le32(r + VIRTIO_PCI_COMMON_GF, (uint32_t)(vp->guest_features >> (32 * vp->gfselect)));
	put_le16(r + VIRTIO_PCI_COMMON_MSIX, vp->config_vector);
	put_le16(r + VIRTIO_PCI_COMMON_NUMQ, (uint16_t)vp->nvqs);
	r[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	r[VIRTIO_PCI_COMMON_CFGGEN] = vp->config_gen;
	put_le16(r + VIRTIO_PCI_COMMON_Q_SELECT, vp->queue_sel);
	put_le16(r + VIRTIO_PCI_COMMON_Q_MSIX, vq ? vp->queue_vector[vp->queue_sel] : VIRTIO_MSI_NO_VECTOR);
	if (vq) {
		struct vq_stage *st = stage_of(vp, vp->queue_sel);
		put_le16(r + VIRTIO_PCI_COMMON_Q_SIZE, vq->num);
		put_le16(r + VIRTIO_PCI_COMMON_Q_ENABLE, vq->ready);
		put_le16(r + VIRTIO_PCI_COMMON_Q_NOFF, vp->queue_sel);
		put_le32(r + VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)st->desc);
		put_le32(r + VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(st->desc >> 32));
		put_le32(r + VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)st->avail);
		put_le32(r + VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(st->avail >> 32));
		put_le32(r + VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)st->used);
		put_le32(r + VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(st->used >> 32));
	}
}

static void set_half(uint64_t *p, bool hi, uint32_t v)
{
	if (hi)
		*p = (*p & 0xffffffffull) | (uint64_t)v << 32;
	else
		*p = (*p & ~0xffffffffull) | v;
}

static void common_write(struct virtio_pci *vp, unsigned off, unsigned len, uint32_t v)
{
	struct virtqueue *vq = vp->queue_sel < vp->nvqs ? &vp->vq[vp->queue_sel] : NULL;
	struct vq_stage *st = vq ? stage_of(vp, vp->queue_sel) : NULL;
	unsigned want = off == VIRTIO_PCI_COMMON_STATUS ? 1 : off < VIRTIO_PCI_COMMON_MSIX ? 4 :
			off >= VIRTIO_PCI_COMMON_Q_DESCLO ? 4 : 2;

	if (len != want)
		return;
	vp->modern = true;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = v;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = v;
		return;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->gfselect >= 2 || (vp->status & VIRTIO_STATUS_FEATURES_OK))
			return;
		set_half(&vp->guest_features, vp->gfselect == 1, v);
		vp->guest_features &= vp->host_features;
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		set_status(vp, (uint8_t)v);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_sel = (uint16_t)v;
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->config_vector = check_vector(vp, v);
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (vq)
			vp->queue_vector[vp->queue_sel] = check_vector(vp, v);
		return;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		/* Split rings: a power of two no larger than ours. */
		if (vq && !vq->ready && v && v <= vq->max && !(v & (v - 1)))
			vq->num = (uint16_t)v;
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (!vq || vq->ready || v != 1)
			return;
		if (vq_set_rings(vq, st->desc, st->avail, st->used) < 0) {
			debug_report("%s: queue %u: bad ring addresses", vp->pci.name, vp->queue_sel);
			virtio_pci_set_needs_reset(vp);
		}
		return;
	case VIRTIO_PCI_COMMON_Q_DESCLO: case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (vq && !vq->ready)
			set_half(&st->desc, off == VIRTIO_PCI_COMMON_Q_DESCHI, v);
		return;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (vq && !vq->ready)
			set_half(&st->avail, off == VIRTIO_PCI_COMMON_Q_AVAILHI, v);
		return;
	case VIRTIO_PCI_COMMON_Q_USEDLO: case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (vq && !vq->ready)
			set_half(&st->used, off == VIRTIO_PCI_COMMON_Q_USEDHI, v);
		return;
	default:
		return;   /* read-only fields */
	}
}

void virtio_pci_modern_access(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (len == 0 || len > 8 || off >= VIRTIO_PCI_MODERN_SIZE || off + len > VIRTIO_PCI_MODERN_SIZE)
		return;
	if (off < VIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_REGION_SIZE) {
		uint8_t r[VIRTIO_PCI_COMMON_SIZE];
		if (off + len > VIRTIO_PCI_COMMON_SIZE) {
			if (!is_write)
				memset(data, 0, len);
			return;
		}
		if (is_write) {
			if (len <= 4)
				common_write(vp, (unsigned)off, len, (uint32_t)bus_data_get(data, len));
			return;
		}
		common_regs(vp, r);
		memcpy(data, r + off, len);
	} else if (off < VIRTIO_PCI_ISR_OFF + VIRTIO_PCI_REGION_SIZE) {
		if (is_write)
			return;
		memset(data, 0, len);
		if (off == VIRTIO_PCI_ISR_OFF)
			data[0] = read_isr(vp);
	} else if (off < VIRTIO_PCI_DEVICE_OFF + VIRTIO_PCI_REGION_SIZE) {
		unsigned c = (unsigned)off - VIRTIO_PCI_DEVICE_OFF;
		bool in = c < vp->config_len && len <= vp->config_len - c;
		if (is_write) {
			if (in && vp->ops->config_write)
				vp->ops->config_write(vp->opaque, c, data, len);
			return;
		}
		memset(data, 0, len);
		if (in && vp->ops->config_read)
			vp->ops->config_read(vp->opaque, c, data, len);
	} else {
		unsigned n = (unsigned)off - VIRTIO_PCI_NOTIFY_OFF;
		if (!is_write) {
			memset(data, 0, len);
			return;
		}
		if (n % VIRTIO_PCI_NOTIFY_MULT == 0)
			queue_notify(vp, n / VIRTIO_PCI_NOTIFY_MULT);
	}
}

/* ------------------------------------------------------------------ */
/* Setup                                                                 */

static void vp_cfg_write(struct pci_dev *dev, unsigned off, unsigned len)
{
	struct virtio_pci *vp = (struct virtio_pci *)dev;

	if (off <= PCI_COMMAND && off + len > PCI_COMMAND && (dev->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER) &&
	    vp->ops->dma_enabled)
		vp->ops->dma_enabled(vp->opaque);
}

static unsigned add_cap(struct virtio_pci *vp, unsigned at, unsigned next, uint8_t type,
			uint32_t offset, uint32_t length, unsigned cap_len)
{
	uint8_t *c = vp->pci.cfg + at;

	c[0] = 0x09;                       /* vendor-specific */
	c[1] = (uint8_t)next;
	c[2] = (uint8_t)cap_len;
	c[3] = type;
	c[4] = VIRTIO_PCI_MODERN_BAR;
	put_le32(c + 8, offset);
	put_le32(c + 12, length);
	return at + cap_len;
}

int virtio_pci_init(struct virtio_pci *vp, const char *name, uint16_t pci_device_id,
		    uint16_t virtio_type, uint32_t class_code, uint64_t dev_features,
		    unsigned config_len, unsigned nvqs, uint16_t queue_size,
		    const struct virtio_dev_ops *ops, void *opaque)
{
	if (nvqs == 0 || nvqs > VIRTIO_PCI_MAX_VQS || queue_size == 0 || queue_size > VQ_MAX_SIZE ||
	    (queue_size & (queue_size - 1)) || config_len > LEGACY_BAR_SIZE - VIRTIO_PCI_CONFIG_MSIX)
		return -1;
	vp->ops = ops;
	vp->opaque = opaque;
	vp->config_len = config_len;
	vp->nvqs = nvqs;
	vp->nvectors = 0;
	vp->host_features = dev_features | 1ull << VIRTIO_RING_F_INDIRECT_DESC |
			    1ull << VIRTIO_F_VERSION_1;
	pci_dev_init(&vp->pci, name, VIRTIO_PCI_VENDOR, pci_device_id, 0, class_code,
		     VIRTIO_PCI_VENDOR, virtio_type, true);
	vp->pci.cfg_write = vp_cfg_write;
	for (unsigned q = 0; q < nvqs; q++)
		vq_init(&vp->vq[q], &vp->pci, queue_size);
	if (pci_dev_add_bar(&vp->pci, 0, PCI_BAR_IO, LEGACY_BAR_SIZE, virtio_pci_legacy_access, vp) < 0 ||
	    pci_dev_add_bar(&vp->pci, VIRTIO_PCI_MODERN_BAR, PCI_BAR_MMIO32, VIRTIO_PCI_MODERN_SIZE,
			    virtio_pci_modern_access, vp) < 0)
		return -1;
	/* Capabilities: common, ISR, device, notify (4.1.4). */
	vp->pci.cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	vp->pci.cfg[PCI_CAPABILITY_LIST] = CAP_BASE;
	add_cap(vp, CAP_BASE, CAP_BASE + 16, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		VIRTIO_PCI_REGION_SIZE, 16);
	add_cap(vp, CAP_BASE + 16, CAP_BASE + 32, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF,
		VIRTIO_PCI_REGION_SIZE, 16);
	add_cap(vp, CAP_BASE + 32, CAP_BASE + 48, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
		VIRTIO_PCI_REGION_SIZE, 16);
	add_cap(vp, CAP_BASE + 48, 0, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		VIRTIO_PCI_REGION_SIZE, 20);
	put_le32(vp->pci.cfg + CAP_BASE + 48 + 16, VIRTIO_PCI_NOTIFY_MULT);
	virtio_pci_reset(vp);
	return 0;
}

int virtio_pci_init_msix(struct virtio_pci *vp, unsigned nvectors)
{
	if (nvectors == 0)
		return 0;
	if (nvectors > PCI_MSIX_MAX_VECTORS ||
	    pci_msix_init(&vp->pci, nvectors, MSIX_CAP, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_BAR_SIZE,
			  VIRTIO_PCI_MSIX_TABLE, VIRTIO_PCI_MSIX_PBA) < 0)
		return -1;
	vp->nvectors = nvectors;
	virtio_pci_reset(vp);
	return 0;
}
