/* libFuzzer harness for virtio-net-pci (hw/virtio_net.c, hw/virtio.c,
 * hw/virtio_pci.c). The input is a config byte followed by a program:
 * legacy (BAR0) and modern (BAR4) register accesses of any size/offset,
 * raw guest-memory pokes, "driver" macros that initialise the device and
 * post descriptor chains (direct or indirect) on the rings the device
 * currently uses, queue kicks, backend frames (any length, with or without
 * a vnet header), link flips, back-pressure, PCI config writes and resets.
 * Sanitizers catch any access outside guest RAM or device state; the step
 * count and the device's own per-kick budgets bound the run time.
 *
 * Input: [cfg] then ops. cfg bit0 mrg_rxbuf=on, bit1 backend has_vnet_hdr,
 * bit2 no backend (NIC unconnected), bit3 bus mastering left off, bits 4-5
 * MSI-X: 0 default vectors (3), 1 vectors=0 (INTx), 2 vectors=<next byte %
 * 80> (above 64 must be refused cleanly), 3 default but no MSI delivery on
 * the bus (INTx fallback). MSIs must only ever target the APIC window.
 * Op byte: low 4 bits select, high 4 bits are per-op parameters. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/pci.h"
#include "hw/virtio.h"
#include "hw/virtio_net.h"
#include "hw/virtio_pci.h"
#include "net/net.h"
#include "util/log.h"
#include "vm/guest_mem.h"

#define RAM_SIZE  (512u << 10)
#define RXQ_PFN   0x10u           /* legacy rings: 0x10000 (RX), 0x20000 (TX) */
#define TXQ_PFN   0x20u
#define BUF_BASE  0x30000u        /* packet buffers live from here ... */
#define IND_BASE  0x7e000u        /* ... indirect tables here (8 KiB) */
#define MAX_FRAME (65536 + 80)

static uint8_t ram[RAM_SIZE];
static uint8_t frame[MAX_FRAME];

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		if (!in->n)
			break;
		v |= (uint64_t)*in->p << (8 * i);
		in->p++;
		in->n--;
	}
	return v;
}

static bool echo, blocked;
static unsigned be_frames;   /* frames the backend took (for VN_TRACE) */

static ssize_t be_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (blocked)
		return 0;
	be_frames++;
	if (echo) {
		/* Answer from inside receive() (slirp does): re-entrancy into RX. */
		uint8_t f[80] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 2, 0, 0, 0, 0, 1, 8, 0 };
		echo = false;
		net_send_buf(nc, f, nc->using_vnet_hdr ? sizeof(f) : 64);
	}
	return (ssize_t)len;
}

static const struct net_client_ops be_ops = { .type = "fuzz-be", .receive = be_receive };

static void irq_cb(void *opaque, unsigned gsi, int level) { (void)opaque; (void)gsi; (void)level; }

static int msi_cb(void *opaque, uint64_t address, uint32_t data)
{
	(void)opaque;
	(void)data;
	if ((address & PCI_MSI_ADDR_MASK) != PCI_MSI_ADDR_BASE)
		abort();   /* pci.h: messages only go to the local APIC range */
	return 0;
}
static void quiet(const char *line) { (void)line; }

static void lw(struct virtio_pci *vp, unsigned off, unsigned len, uint32_t v)
{
	uint8_t d[8];
	bus_data_set(d, 8, v);
	virtio_pci_legacy_access(vp, off, d, len, true);
}

static void mw(struct virtio_pci *vp, unsigned off, unsigned len, uint32_t v)
{
	uint8_t d[8];
	bus_data_set(d, 8, v);
	virtio_pci_modern_access(vp, off, d, len, true);
}

static void p16(uint64_t a, uint16_t v)
{
	if (a + 2 <= RAM_SIZE) {
		ram[a] = (uint8_t)v;
		ram[a + 1] = (uint8_t)(v >> 8);
	}
}

static uint16_t g16(uint64_t a) { return a + 2 <= RAM_SIZE ? (uint16_t)(ram[a] | ram[a + 1] << 8) : 0; }

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint64_t d = table + 16ull * i;
	uint8_t b[16];
	for (int k = 0; k < 8; k++)
		b[k] = (uint8_t)(addr >> (8 * k));
	for (int k = 0; k < 4; k++)
		b[8 + k] = (uint8_t)(len >> (8 * k));
	b[12] = (uint8_t)flags;
	b[13] = (uint8_t)(flags >> 8);
	b[14] = (uint8_t)next;
	b[15] = (uint8_t)(next >> 8);
	if (d + 16 <= RAM_SIZE)
		memcpy(ram + d, b, 16);
}

/* The driver's side of one queue: next free descriptor. */
static uint16_t next_desc[VIRTIO_PCI_MAX_VQS];

/* Post one chain on queue q, using the rings the device has now. */
static void post_chain(struct virtio_pci *vp, struct in *in, unsigned q, uint8_t op)
{
	struct virtqueue *vq = &vp->vq[q];
	unsigned n = 1 + (take(in, 1) & 7);
	bool indirect = op & 0x40, write = q == VIRTIO_NET_RXQ;
	uint16_t num, head, idx;

	if (!vq->ready || !vq->num || vq->desc >= RAM_SIZE || vq->avail >= RAM_SIZE)
		return;
	num = vq->num;
	head = next_desc[q] % num;
	for (unsigned i = 0; i < n; i++) {
		uint32_t sel = (uint32_t)take(in, 2);
		uint32_t len = (uint32_t)take(in, 2);
		uint8_t fl = (uint8_t)take(in, 1);
		uint64_t addr = BUF_BASE + (uint64_t)(sel & 0x7fff) * 8;
		uint16_t flags = (write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		if (fl & 0x80)                    /* raw flags: anything goes */
			flags = fl & 7;
		if (fl & 0x40)
			len |= (uint32_t)take(in, 2) << 16;
		if (sel & 0x8000)
			addr = take(in, 4) | (uint64_t)(fl & 0x20 ? take(in, 4) : 0) << 32;
		if (indirect)
			put_desc(IND_BASE, i, addr, len, flags, (uint16_t)(i + 1));
		else
			put_desc(vq->desc, (head + i) % num, addr, len, flags, (uint16_t)((head + i + 1) % num));
	}
	if (indirect) {
		put_desc(vq->desc, head, IND_BASE, 16u * n, VRING_DESC_F_INDIRECT, 0);
		next_desc[q] = (uint16_t)(head + 1);
	} else {
		next_desc[q] = (uint16_t)(head + n);
	}
	idx = g16(vq->avail + 2);
	p16(vq->avail + 4 + 2u * (idx % num), head);
	p16(vq->avail + 2, (uint16_t)(idx + 1));
	if (op & 0x80)                            /* and kick */
		virtio_pci_legacy_access(vp, VIRTIO_PCI_QUEUE_NOTIFY, (uint8_t[2]){ (uint8_t)q, 0 }, 2, true);
}

/* A driver's initialisation, legacy or modern, with rings at fixed places. */
static void driver_init(struct virtio_pci *vp, struct in *in, uint8_t op)
{
	uint32_t feat = (uint32_t)take(in, 4);

	memset(next_desc, 0, sizeof(next_desc));
	if (!(op & 0x10)) {
		lw(vp, VIRTIO_PCI_STATUS, 1, 0);
		lw(vp, VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		lw(vp, VIRTIO_PCI_GUEST_FEATURES, 4, feat);
		for (unsigned q = 0; q < 2; q++) {
			memset(ram + (q ? TXQ_PFN : RXQ_PFN) * 4096u, 0, 0x10000);
			lw(vp, VIRTIO_PCI_QUEUE_SEL, 2, q);
			lw(vp, VIRTIO_PCI_QUEUE_PFN, 4, q ? TXQ_PFN : RXQ_PFN);
		}
		lw(vp, VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		   VIRTIO_STATUS_DRIVER_OK);
		return;
	}
	uint8_t qsz = (uint8_t)take(in, 1);
	mw(vp, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	mw(vp, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	mw(vp, VIRTIO_PCI_COMMON_GF, 4, feat);
	mw(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	mw(vp, VIRTIO_PCI_COMMON_GF, 4, (op & 0x20) ? 0 : 1);   /* VERSION_1 */
	mw(vp, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		uint64_t base = (q ? TXQ_PFN : RXQ_PFN) * 4096u;
		unsigned size = 1u << ((q ? qsz >> 4 : qsz) & 0xf);
		memset(ram + base, 0, 0x10000);
		mw(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		mw(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
		mw(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)base);
		mw(vp, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
		mw(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)base + 0x4000);
		mw(vp, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
		mw(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)base + 0x8000);
		mw(vp, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
		mw(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	mw(vp, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem;
	static struct bus pio, mmio;
	static struct pci_bus pbus;
	struct in in = { data, size };
	struct nic_config cfg = { .model = "virtio-net-pci", .slot = -1, .has_mac = true,
				  .mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
	struct kv kv[2] = { { .key = "mrg_rxbuf" }, { .key = "vectors" } };
	char vecs[8];
	struct net_client *be = NULL, *nic;
	struct virtio_net *s;
	struct virtio_pci *vp;
	struct pci_dev *pd;
	uint8_t c;

	log_set_sink(quiet);
	memset(ram, 0, sizeof(ram));
	memset(&mem, 0, sizeof(mem));
	memset(next_desc, 0, sizeof(next_desc));
	echo = blocked = false;
	be_frames = 0;
	guest_mem_add(&mem, 0, RAM_SIZE, ram);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	if (pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, 0xC0000000u, 0xD0000000u, 0xC000, 0xD000))
		abort();

	c = (uint8_t)take(&in, 1);
	kv[0].value = (c & 1) ? "on" : "off";
	cfg.opts.items = kv;
	cfg.opts.n = 1;
	switch ((c >> 4) & 3) {
	case 1:
		kv[1].value = "0";
		cfg.opts.n = 2;
		break;
	case 2:
		snprintf(vecs, sizeof(vecs), "%u", (unsigned)take(&in, 1) % 80);
		kv[1].value = vecs;
		cfg.opts.n = 2;
		break;
	}
	if (((c >> 4) & 3) != 3)
		pci_bus_set_msi(&pbus, msi_cb, NULL);
	if (!(c & 4)) {
		be = net_client_new(&be_ops, "fuzz-be", NULL);
		be->has_vnet_hdr = c & 2;
	}
	s = virtio_net_create(&pbus, &cfg, be);
	if (!s) {
		/* Only a bad vectors= may fail, and cleanly. */
		if (((c >> 4) & 3) != 2 || atoi(vecs) <= PCI_MSIX_MAX_VECTORS)
			abort();
		net_client_free(be);
		return 0;
	}
	vp = virtio_net_transport(s);
	pd = virtio_net_pci_dev(s);
	nic = virtio_net_client(s);
	if (!(c & 8))
		pci_cfg_write(pd, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	for (unsigned steps = 0; in.n && steps < 2048; steps++) {
		uint8_t op = (uint8_t)take(&in, 1);
		unsigned len = 1u << ((op >> 6) & 3);          /* 1, 2, 4, 8 */
		uint8_t d[8];
		uint32_t off;

		switch (op & 0x0F) {
		case 0: /* legacy write, any offset/size */
			off = (uint32_t)take(&in, 1) & 0x7f;
			bus_data_set(d, 8, take(&in, len));
			virtio_pci_legacy_access(vp, off, d, len, true);
			break;
		case 1: /* legacy read */
			off = (uint32_t)take(&in, 1) & 0x7f;
			memset(d, 0xff, sizeof(d));
			virtio_pci_legacy_access(vp, off, d, len, false);
			break;
		case 2: /* modern write: common cfg (biased) or anywhere in the BAR */
			off = (op & 0x10) ? (uint32_t)take(&in, 1) % 0x40 : (uint32_t)take(&in, 2) & 0x7fff;
			bus_data_set(d, 8, take(&in, len));
			virtio_pci_modern_access(vp, off, d, len, true);
			break;
		case 3: /* modern read */
			off = (op & 0x10) ? (uint32_t)take(&in, 1) % 0x40 : (uint32_t)take(&in, 2) & 0x7fff;
			memset(d, 0xff, sizeof(d));
			virtio_pci_modern_access(vp, off, d, len, false);
			break;
		case 4: { /* backend frame: length, then as many bytes as the input has (rest zero) */
			size_t n = (size_t)take(&in, (op & 0x10) ? 3 : 2) % sizeof(frame);
			size_t have = n < in.n ? n : in.n;
			memcpy(frame, in.p, have);
			memset(frame + have, 0, n - have);
			in.p += have;
			in.n -= have;
			if (be)
				net_send_buf(be, frame, n);
			else if (op & 0x20)
				net_send_buf(nic, frame, n);   /* unconnected NIC sends: dropped */
			break;
		}
		case 5: { /* poke guest memory */
			uint32_t a = (uint32_t)take(&in, 3) % RAM_SIZE;
			size_t n = (size_t)take(&in, 1) + 1;
			if (n > in.n)
				n = in.n;
			if (n > RAM_SIZE - a)
				n = RAM_SIZE - a;
			memcpy(ram + a, in.p, n);
			in.p += n;
			in.n -= n;
			break;
		}
		case 6: /* post a chain on RX (bit4 = 0) or TX */
			post_chain(vp, &in, (op >> 4) & 1, op);
			break;
		case 7: /* kick a queue (any index), legacy or modern notify */
			off = (uint32_t)take(&in, 1) % 4;
			if (op & 0x10)
				mw(vp, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * off, 2, 0);
			else
				lw(vp, VIRTIO_PCI_QUEUE_NOTIFY, 2, off);
			break;
		case 8: /* link flips: either end */
			net_client_set_link((op & 0x20) && be ? be : nic, op & 0x10);
			break;
		case 9: /* resets */
			if (op & 0x10)
				virtio_net_reset(s);
			else if (op & 0x20)
				mw(vp, VIRTIO_PCI_COMMON_STATUS, 1, 0);
			else
				lw(vp, VIRTIO_PCI_STATUS, 1, 0);
			memset(next_desc, 0, sizeof(next_desc));
			break;
		case 10: /* PCI config space (COMMAND: bus master, INTx; BARs) */
			off = (uint32_t)take(&in, 1);
			pci_cfg_write(pd, off, len > 4 ? 4 : len, (uint32_t)take(&in, 4));
			break;
		case 11: /* backend behaviour */
			if (op & 0x10)
				echo = true;
			if (op & 0x20)
				blocked = !blocked;
			if ((op & 0x40) && be)
				net_client_flush(be);         /* releases the NIC's TX */
			if (op & 0x80)
				net_client_flush(nic);        /* queued RX frames */
			break;
		case 12:
			driver_init(vp, &in, op);
			break;
		case 13: /* through the buses at the BARs' current addresses; MSI-X */
			off = (uint32_t)take(&in, 2);
			bus_data_set(d, 8, take(&in, len));
			switch ((op >> 4) & 3) {
			case 0:
				bus_access(&pio, pd->bar[0].addr + (off & 0x7f), d, len, off & 0x8000);
				break;
			case 1:
				bus_access(&mmio, pd->bar[VIRTIO_PCI_MODERN_BAR].addr + (off & 0x3fff), d, len,
					   off & 0x8000);
				break;
			case 2: /* MSI-X table/PBA, mostly aligned dword writes */
				pci_msix_bar_access(pd, off & 0xfff, d, len, !(off & 0x8000));
				break;
			default: /* MSI-X message control: enable, function mask */
				if (pd->msix.nvec)
					pci_cfg_write(pd, pd->msix.cap + PCI_MSIX_FLAGS, 2, (uint32_t)bus_data_get(d, 2));
				break;
			}
			break;
		case 14: { /* status write, legacy or modern */
			uint8_t v = (uint8_t)take(&in, 1);
			if (op & 0x10)
				mw(vp, VIRTIO_PCI_COMMON_STATUS, 1, v);
			else
				lw(vp, VIRTIO_PCI_STATUS, 1, v);
			break;
		}
		default: /* select a queue, both interfaces */
			off = (uint32_t)take(&in, 2);
			if (op & 0x10)
				mw(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, off);
			else
				lw(vp, VIRTIO_PCI_QUEUE_SEL, 2, off);
			break;
		}
	}
#ifdef VN_TRACE
	fprintf(stderr, "status %#x rx used %u broken %d tx used %u broken %d be frames %u\n", vp->status,
		vp->vq[0].used_idx, vp->vq[0].broken, vp->vq[1].used_idx, vp->vq[1].broken, be_frames);
#endif
	echo = blocked = false;
	virtio_net_destroy(s);
	net_client_free(be);
	return 0;
}
