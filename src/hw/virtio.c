/* Split virtqueue core (virtio 1.1, 2.6). Every index, address and length
 * that comes from the ring is checked; all guest memory goes through
 * pci_dma_read()/pci_dma_write() (bounds-checked, honours bus mastering). */
#include "hw/virtio.h"

#include <string.h>

#include "util/log.h"

/* Ring layout: desc[num] (16 B each); avail: flags, idx, ring[num], used_event;
 * used: flags, idx, ring[num] {id u32, len u32}, avail_event. */
#define DESC_SIZE 16u

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static inline void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static size_t avail_size(uint16_t num) { return 6 + 2u * num; }
static size_t used_size(uint16_t num) { return 6 + 8u * num; }

void vq_init(struct virtqueue *vq, struct pci_dev *dev, uint16_t max)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->max = max;
	vq->num = max;
}

void vq_reset(struct virtqueue *vq)
{
	vq_init(vq, vq->dev, vq->max);
}

void vq_set_broken(struct virtqueue *vq)
{
	if (!vq->broken)
		debug_report("%s: virtqueue error, queue stopped until reset",
			     vq->dev && vq->dev->name ? vq->dev->name : "virtio");
	vq->broken = true;
}

int vq_set_rings(struct virtqueue *vq, uint64_t desc, uint64_t avail, uint64_t used)
{
	uint16_t n = vq->num;

	vq->ready = false;
	if (n == 0 || n > vq->max || (n & (n - 1)))
		return -1;
	/* Alignment (2.6: 16, 2, 4) and that every ring is wholly guest RAM. */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -1;
	if (!pci_dma_ptr(vq->dev, desc, (size_t)DESC_SIZE * n) ||
	    !pci_dma_ptr(vq->dev, avail, avail_size(n)) || !pci_dma_ptr(vq->dev, used, used_size(n)))
		return -1;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->last_avail_idx = 0;
	vq->used_idx = 0;
	vq->pending = 0;
	vq->signalled_used_valid = false;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

int vq_set_legacy_pfn(struct virtqueue *vq, uint32_t pfn)
{
	uint64_t desc = (uint64_t)pfn * VIRTIO_LEGACY_ALIGN;
	uint64_t avail = desc + (uint64_t)DESC_SIZE * vq->num;
	uint64_t used = (avail + avail_size(vq->num) + VIRTIO_LEGACY_ALIGN - 1) &
			~(uint64_t)(VIRTIO_LEGACY_ALIGN - 1);

	return vq_set_rings(vq, desc, avail, used);
}

static int read16(struct virtqueue *vq, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];
	if (pci_dma_read(vq->dev, gpa, b, 2) < 0)
		return -1;
	*v = le16(b);
	return 0;
}

static int write16(struct virtqueue *vq, uint64_t gpa, uint16_t v)
{
	uint8_t b[2];
	put_le16(b, v);
	return pci_dma_write(vq->dev, gpa, b, 2);
}

int vq_avail_count(struct virtqueue *vq)
{
	uint16_t idx, n;

	if (!vq->ready || vq->broken)
		return vq->broken ? -1 : 0;
	if (read16(vq, vq->avail + 2, &idx) < 0) {
		vq_set_broken(vq);
		return -1;
	}
	n = (uint16_t)(idx - vq->last_avail_idx);
	if (n > vq->num) {
		/* The driver claims more chains than the ring holds. */
		vq_set_broken(vq);
		return -1;
	}
	/* Read ring entries only after the index (pairs with the driver's wmb). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return n;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static int read_desc(struct virtqueue *vq, uint64_t table, unsigned i, struct desc *d)
{
	uint8_t b[DESC_SIZE];
	if (pci_dma_read(vq->dev, table + (uint64_t)DESC_SIZE * i, b, sizeof(b)) < 0)
		return -1;
	d->addr = le64(b);
	d->len = le32(b + 8);
	d->flags = le16(b + 12);
	d->next = le16(b + 14);
	return 0;
}

/* Walk one chain in table[0..size) from index i. */
static int walk_chain(struct virtqueue *vq, struct vq_elem *e, uint64_t table, unsigned size,
		      unsigned i, bool indirect_table)
{
	for (unsigned count = 0;; count++) {
		struct desc d;

		if (i >= size || count >= size)   /* out of range, or a loop */
			return -1;
		if (read_desc(vq, table, i, &d) < 0)
			return -1;
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -1;                 /* only at the head, never nested */
		/* The whole buffer must be guest RAM; totals stay far below SIZE_MAX. */
		if (d.len && !pci_dma_ptr(vq->dev, d.addr, d.len))
			return -1;
		if (d.flags & VRING_DESC_F_WRITE) {
			if (e->in_num >= VQ_MAX_SIZE)
				return -1;
			e->in[e->in_num++] = (struct vq_sg){ d.addr, d.len };
			e->in_len += d.len;
		} else {
			if (e->in_num || e->out_num >= VQ_MAX_SIZE)
				return -1;         /* readable after writable */
			e->out[e->out_num++] = (struct vq_sg){ d.addr, d.len };
			e->out_len += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
	(void)indirect_table;
}

int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	int avail = vq_avail_count(vq);
	uint16_t head;
	struct desc d;
	int rc;

	if (avail <= 0)
		return avail;
	if (read16(vq, vq->avail + 4 + 2u * (vq->last_avail_idx & (vq->num - 1)), &head) < 0)
		goto bad;
	if (head >= vq->num)
		goto bad;
	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	if (read_desc(vq, vq->desc, head, &d) < 0)
		goto bad;
	if (d.flags & VRING_DESC_F_INDIRECT) {
		if (!vq->indirect || (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
		    d.len % DESC_SIZE || d.len / DESC_SIZE > VQ_MAX_SIZE ||
		    !pci_dma_ptr(vq->dev, d.addr, d.len))
			goto bad;
		rc = walk_chain(vq, e, d.addr, d.len / DESC_SIZE, 0, true);
	} else {
		rc = walk_chain(vq, e, vq->desc, vq->num, head, false);
	}
	if (rc < 0)
		goto bad;
	vq->last_avail_idx++;
	return 1;
bad:
	vq_set_broken(vq);
	return -1;
}

void vq_unpop(struct virtqueue *vq, unsigned n)
{
	vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - n);
}

int vq_fill(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	uint8_t b[8];
	uint16_t slot;

	if (!vq->ready || vq->broken)
		return -1;
	slot = (uint16_t)(vq->used_idx + vq->pending) & (vq->num - 1);
	put_le32(b, head);
	put_le32(b + 4, len);
	if (pci_dma_write(vq->dev, vq->used + 4 + 8u * slot, b, sizeof(b)) < 0) {
		vq_set_broken(vq);
		return -1;
	}
	vq->pending++;
	return 0;
}

int vq_flush(struct virtqueue *vq)
{
	uint16_t idx;

	if (!vq->pending)
		return 0;
	if (!vq->ready || vq->broken) {
		vq->pending = 0;
		return -1;
	}
	idx = (uint16_t)(vq->used_idx + vq->pending);
	/* Entries before the index (pairs with the driver's rmb). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (write16(vq, vq->used + 2, idx) < 0) {
		vq->pending = 0;
		vq_set_broken(vq);
		return -1;
	}
	vq->used_idx = idx;
	vq->pending = 0;
	return 0;
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t v;

	if (!vq->ready || vq->broken)
		return false;
	/* The used idx store must be visible before we read the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		uint16_t old = vq->signalled_used, new = vq->used_idx;
		bool valid = vq->signalled_used_valid;
		if (read16(vq, vq->avail + 4 + 2u * vq->num, &v) < 0)
			return true;
		vq->signalled_used = new;
		vq->signalled_used_valid = true;
		/* vring_need_event(): new_idx - event_idx - 1 < new_idx - old */
		return !valid || (uint16_t)(new - v - 1) < (uint16_t)(new - old);
	}
	if (read16(vq, vq->avail, &v) < 0)
		return true;
	return !(v & VRING_AVAIL_F_NO_INTERRUPT);
}

static long elem_copy(struct virtqueue *vq, const struct vq_sg *sg, unsigned n, size_t off,
		      void *buf, size_t len, bool to_guest)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t chunk;
		if (off >= sg[i].len) {
			off -= sg[i].len;
			continue;
		}
		chunk = sg[i].len - off;
		if (chunk > len - done)
			chunk = len - done;
		if (to_guest ? pci_dma_write(vq->dev, sg[i].addr + off, (uint8_t *)buf + done, chunk)
			     : pci_dma_read(vq->dev, sg[i].addr + off, (uint8_t *)buf + done, chunk))
			return -1;
		done += chunk;
		off = 0;
	}
	return (long)done;
}

long vq_elem_read(struct virtqueue *vq, const struct vq_elem *e, size_t off, void *buf, size_t len)
{
	return elem_copy(vq, e->out, e->out_num, off, buf, len, false);
}

long vq_elem_write(struct virtqueue *vq, const struct vq_elem *e, size_t off, const void *buf,
		   size_t len)
{
	return elem_copy(vq, e->in, e->in_num, off, (void *)buf, len, true);
}
