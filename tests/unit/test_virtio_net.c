/* virtio-net-pci (legacy and modern transport, split virtqueues) driven
 * through its BAR handlers on fake guest memory with a recording backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/pci.h"
#include "hw/virtio.h"
#include "hw/virtio_net.h"
#include "hw/virtio_pci.h"
#include "net/net.h"
#include "vm/guest_mem.h"

#define RAM_SIZE   (4u << 20)
#define RXQ_PFN    0x10u          /* legacy rings at 0x10000 and 0x20000 */
#define TXQ_PFN    0x20u
#define RX_BUFS    0x100000u
#define TX_BUFS    0x200000u
#define IND_TABLE  0x300000u
#define MAX_FRAMES 64
#define QN         VIRTIO_NET_QUEUE_SIZE

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct backend {
	unsigned n;
	uint8_t *frame[MAX_FRAMES];
	size_t len[MAX_FRAMES];
};

static uint8_t *ram;
static struct guest_mem mem;
static struct bus pio, mmio;
static struct pci_bus pbus;
static struct virtio_net *dev;
static struct virtio_pci *vp;
static struct net_client *be_nc;
static struct backend be;
static int irq_level;

/* A guest-side view of one split ring. */
struct gq {
	uint64_t desc, avail, used;
	uint16_t num, avail_idx, next;
};
static struct gq grx, gtx;

static void irq_cb(void *opaque, unsigned gsi, int level) { irq_level = level; }

static ssize_t be_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct backend *b = nc->opaque;
	size_t len = 0, off = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (b->n < MAX_FRAMES) {
		b->frame[b->n] = malloc(len ? len : 1);
		for (int i = 0; i < iovcnt; i++) {
			memcpy(b->frame[b->n] + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		b->len[b->n++] = len;
	}
	return (ssize_t)len;
}

static const struct net_client_ops be_ops = { .type = "test-be", .receive = be_receive };

static void be_clear(void)
{
	for (unsigned i = 0; i < be.n; i++)
		free(be.frame[i]);
	be.n = 0;
}

/* ---- register access ----------------------------------------------- */

static void lw(unsigned off, unsigned len, uint32_t v)
{
	uint8_t d[8];
	bus_data_set(d, len, v);
	virtio_pci_legacy_access(vp, off, d, len, true);
}

static uint32_t lr(unsigned off, unsigned len)
{
	uint8_t d[8];
	memset(d, 0xff, sizeof(d));
	virtio_pci_legacy_access(vp, off, d, len, false);
	return (uint32_t)bus_data_get(d, len);
}

static void mw(unsigned off, unsigned len, uint32_t v)
{
	uint8_t d[8];
	bus_data_set(d, len, v);
	virtio_pci_modern_access(vp, off, d, len, true);
}

static uint32_t mr(unsigned off, unsigned len)
{
	uint8_t d[8];
	memset(d, 0xff, sizeof(d));
	virtio_pci_modern_access(vp, off, d, len, false);
	return (uint32_t)bus_data_get(d, len);
}

static uint16_t g16(uint64_t a) { return (uint16_t)(ram[a] | ram[a + 1] << 8); }
static uint32_t g32(uint64_t a) { return g16(a) | (uint32_t)g16(a + 2) << 16; }
static void p16(uint64_t a, uint16_t v) { ram[a] = (uint8_t)v; ram[a + 1] = (uint8_t)(v >> 8); }
static void p32(uint64_t a, uint32_t v) { p16(a, (uint16_t)v); p16(a + 2, (uint16_t)(v >> 16)); }
static void p64(uint64_t a, uint64_t v) { p32(a, (uint32_t)v); p32(a + 4, (uint32_t)(v >> 32)); }

/* ---- guest ring helpers -------------------------------------------- */

static void gq_legacy(struct gq *q, uint32_t pfn)
{
	q->num = QN;
	q->desc = (uint64_t)pfn << 12;
	q->avail = q->desc + 16u * QN;
	q->used = (q->avail + 6 + 2u * QN + 4095) & ~4095ull;
	q->avail_idx = q->next = 0;
	memset(ram + q->desc, 0, q->used + 6 + 8u * QN - q->desc);   /* fresh rings */
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint64_t d = table + 16ull * i;
	p64(d, addr);
	p32(d + 8, len);
	p16(d + 12, flags);
	p16(d + 14, next);
}

/* Post one chain of n buffers (write = device-writable); returns the head. */
static uint16_t gq_post(struct gq *q, unsigned n, const uint64_t *addr, const uint32_t *len, bool write)
{
	uint16_t head = q->next;
	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((q->next + i) % q->num);
		uint16_t nx = (uint16_t)((idx + 1) % q->num);
		put_desc(q->desc, idx, addr[i], len[i],
			 (uint16_t)((write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0)), nx);
	}
	q->next = (uint16_t)((q->next + n) % q->num);
	p16(q->avail + 4 + 2u * (q->avail_idx % q->num), head);
	q->avail_idx++;
	p16(q->avail + 2, q->avail_idx);
	return head;
}

static uint16_t used_idx(const struct gq *q) { return g16(q->used + 2); }
static uint32_t used_id(const struct gq *q, unsigned i) { return g32(q->used + 4 + 8u * (i % q->num)); }
static uint32_t used_len(const struct gq *q, unsigned i) { return g32(q->used + 8 + 8u * (i % q->num)); }

/* ---- setup ---------------------------------------------------------- */

/* MSI recorder: the machine's signal_msi hook (KVM_SIGNAL_MSI in vm.c). */
#define MAX_MSI 64
static unsigned nmsi;
static uint64_t msi_addr[MAX_MSI];
static uint32_t msi_data[MAX_MSI];

static int msi_cb(void *opaque, uint64_t address, uint32_t data)
{
	if (nmsi < MAX_MSI) {
		msi_addr[nmsi] = address;
		msi_data[nmsi] = data;
	}
	nmsi++;
	return 0;
}

/* vectors: NULL = the device default; msi: the bus can deliver MSIs. */
static int setup_full(bool vnet, bool mrg, bool msi, char *vectors)
{
	struct nic_config cfg = { .model = "virtio-net-pci", .slot = -1, .has_mac = true };
	struct kv kv[2] = { { .key = "mrg_rxbuf", .value = mrg ? "on" : "off" },
			    { .key = "vectors", .value = vectors } };

	ram = calloc(1, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	guest_mem_add(&mem, 0, RAM_SIZE, ram);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	irq_level = 0;
	memset(&be, 0, sizeof(be));
	nmsi = 0;
	memset(msi_addr, 0, sizeof(msi_addr));
	memset(msi_data, 0, sizeof(msi_data));
	if (pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, 0xC0000000u, 0xD0000000u, 0xC000, 0xD000))
		return -1;
	if (msi)
		pci_bus_set_msi(&pbus, msi_cb, NULL);
	memcpy(cfg.mac, our_mac, 6);
	cfg.opts.items = kv;
	cfg.opts.n = vectors ? 2 : 1;
	be_nc = net_client_new(&be_ops, "be0", &be);
	be_nc->has_vnet_hdr = vnet;
	dev = virtio_net_create(&pbus, &cfg, be_nc);
	if (!dev)
		return -1;
	vp = virtio_net_transport(dev);
	pci_cfg_write(virtio_net_pci_dev(dev), PCI_COMMAND, 2,
		      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

static int setup_common(bool vnet, bool mrg) { return setup_full(vnet, mrg, false, NULL); }
static int setup(void **state) { return setup_common(false, true); }
static int setup_msix(void **state) { return setup_full(false, true, true, NULL); }
static int setup_msix0(void **state) { return setup_full(false, true, true, "0"); }
static int setup_vnet(void **state) { return setup_common(true, true); }
static int setup_nomrg(void **state) { return setup_common(false, false); }

static int teardown(void **state)
{
	virtio_net_destroy(dev);
	net_client_free(be_nc);
	be_clear();
	free(ram);
	dev = NULL;
	return 0;
}

#define F(b) (1u << (b))

/* Linux's legacy probe: ack, driver, features, queues, DRIVER_OK. */
static void legacy_open(uint32_t features)
{
	lw(VIRTIO_PCI_STATUS, 1, 0);
	lw(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	lw(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	lw(VIRTIO_PCI_GUEST_FEATURES, 4, features & lr(VIRTIO_PCI_HOST_FEATURES, 4));
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	assert_int_equal(lr(VIRTIO_PCI_QUEUE_NUM, 2), QN);
	lw(VIRTIO_PCI_QUEUE_PFN, 4, RXQ_PFN);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 1);
	lw(VIRTIO_PCI_QUEUE_PFN, 4, TXQ_PFN);
	gq_legacy(&grx, RXQ_PFN);
	gq_legacy(&gtx, TXQ_PFN);
	lw(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
}

static void modern_queue(unsigned q, struct gq *g, uint64_t base, uint16_t num)
{
	g->num = num;
	g->desc = base;
	g->avail = base + 16u * num;
	g->used = (g->avail + 6 + 2u * num + 3) & ~3ull;
	g->avail_idx = g->next = 0;
	memset(ram + g->desc, 0, g->used + 6 + 8u * num - g->desc);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	mw(VIRTIO_PCI_COMMON_Q_SIZE, 2, num);
	mw(VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)g->desc);
	mw(VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
	mw(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)g->avail);
	mw(VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
	mw(VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)g->used);
	mw(VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	mw(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

static int modern_open(uint64_t features)
{
	mw(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	mw(VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	mw(VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	mw(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	mw(VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
	mw(VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK);
	if (!(mr(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK))
		return -1;
	modern_queue(0, &grx, 0x10000, 128);
	modern_queue(1, &gtx, 0x20000, 256);
	mw(VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
	memset(f, 0xff, 6);
	memcpy(f + 6, our_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
}

/* Guest transmits hdr (hlen zero bytes, or given) + frame as two buffers. */
static void tx_frame(const uint8_t *hdr, unsigned hlen, const uint8_t *f, size_t len)
{
	uint64_t a[2] = { TX_BUFS, TX_BUFS + 0x100 };
	uint32_t l[2] = { hlen, (uint32_t)len };
	memset(ram + TX_BUFS, 0, hlen);
	if (hdr)
		memcpy(ram + TX_BUFS, hdr, hlen);
	memcpy(ram + TX_BUFS + 0x100, f, len);
	gq_post(&gtx, 2, a, l, false);
}

static void post_rx(unsigned n, uint32_t size)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = RX_BUFS + 0x10000ull * (grx.avail_idx % 16);
		gq_post(&grx, 1, &a, &size, true);
	}
}

static uint8_t *desc_buf(const struct gq *q, unsigned id)
{
	uint64_t a = g32(q->desc + 16u * id) | (uint64_t)g32(q->desc + 16u * id + 4) << 32;
	return ram + a;
}

/* ---- tests ---------------------------------------------------------- */

static void test_identity(void **state)
{
	struct pci_dev *pd = virtio_net_pci_dev(dev);
	unsigned types = 0, ptr;

	assert_int_equal(pci_cfg_read(pd, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(pci_cfg_read(pd, PCI_DEVICE_ID, 2), 0x1000);
	assert_int_equal(pci_cfg_read(pd, PCI_REVISION_ID, 1), 0);
	assert_int_equal(pci_cfg_read(pd, PCI_REVISION_ID, 4) >> 8, 0x020000);
	assert_int_equal(pci_cfg_read(pd, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(pci_cfg_read(pd, PCI_SUBSYSTEM_ID, 2), 1);
	assert_int_equal(pci_cfg_read(pd, PCI_INTERRUPT_PIN, 1), 1);
	assert_true(pci_cfg_read(pd, PCI_BASE_ADDRESS_0, 4) & 1);          /* I/O */
	assert_int_equal(pci_cfg_read(pd, PCI_BASE_ADDRESS_0 + 16, 4) & 1, 0); /* BAR4 memory */
	assert_true(pci_cfg_read(pd, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (ptr = pci_cfg_read(pd, PCI_CAPABILITY_LIST, 1); ptr; ptr = pci_cfg_read(pd, ptr + 1, 1)) {
		assert_int_equal(pci_cfg_read(pd, ptr, 1), 0x09);
		assert_int_equal(pci_cfg_read(pd, ptr + 4, 1), VIRTIO_PCI_MODERN_BAR);
		types |= 1u << pci_cfg_read(pd, ptr + 3, 1);
		if (pci_cfg_read(pd, ptr + 3, 1) == VIRTIO_PCI_CAP_NOTIFY_CFG)
			assert_int_equal(pci_cfg_read(pd, ptr + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
	}
	assert_int_equal(types, 0x1e);   /* common, notify, isr, device */
	/* Capabilities are read-only. */
	pci_cfg_write(pd, 0x40, 4, 0);
	assert_int_equal(pci_cfg_read(pd, 0x40, 1), 0x09);
}

static void test_legacy_features_config(void **state)
{
	uint32_t hf = lr(VIRTIO_PCI_HOST_FEATURES, 4);

	assert_true(hf & F(VIRTIO_NET_F_MAC));
	assert_true(hf & F(VIRTIO_NET_F_STATUS));
	assert_true(hf & F(VIRTIO_NET_F_MRG_RXBUF));
	assert_true(hf & F(VIRTIO_RING_F_INDIRECT_DESC));
	/* No vnet-hdr backend: no offloads. */
	assert_false(hf & (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4)));
	assert_false(hf & F(VIRTIO_RING_F_EVENT_IDX));
	for (int i = 0; i < 6; i++)
		assert_int_equal(lr(VIRTIO_PCI_CONFIG + i, 1), our_mac[i]);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
	/* Guest features are masked to what we offer. */
	lw(VIRTIO_PCI_GUEST_FEATURES, 4, 0xffffffffu);
	assert_int_equal(lr(VIRTIO_PCI_GUEST_FEATURES, 4), hf);
	/* MAC writes are ignored. */
	lw(VIRTIO_PCI_CONFIG, 1, 0x00);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG, 1), our_mac[0]);
}

static void test_vnet_features(void **state)
{
	uint32_t hf = lr(VIRTIO_PCI_HOST_FEATURES, 4);
	assert_true(hf & F(VIRTIO_NET_F_CSUM));
	assert_true(hf & F(VIRTIO_NET_F_GUEST_CSUM));
	assert_true(hf & F(VIRTIO_NET_F_HOST_TSO4));
	assert_true(hf & F(VIRTIO_NET_F_HOST_TSO6));
	assert_true(be_nc->using_vnet_hdr);
}

static void test_legacy_tx(void **state)
{
	uint8_t f[100];

	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF));
	make_frame(f, sizeof(f), 1);
	tx_frame(NULL, 12, f, sizeof(f));
	assert_int_equal(irq_level, 0);
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], sizeof(f));
	assert_memory_equal(be.frame[0], f, sizeof(f));
	assert_int_equal(used_idx(&gtx), 1);
	assert_int_equal(used_id(&gtx, 0), 0);
	/* INTx up, ISR bit 0; reading ISR clears both. */
	assert_int_equal(irq_level, 1);
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(irq_level, 0);
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), 0);
	/* NO_INTERRUPT suppresses the interrupt. */
	p16(gtx.avail, VRING_AVAIL_F_NO_INTERRUPT);
	tx_frame(NULL, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 2);
	assert_int_equal(used_idx(&gtx), 2);
	assert_int_equal(irq_level, 0);
}

static void test_legacy_tx_no_mrg(void **state)
{
	uint8_t f[60];

	legacy_open(F(VIRTIO_NET_F_MAC));
	make_frame(f, sizeof(f), 2);
	tx_frame(NULL, 10, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], sizeof(f));
	assert_memory_equal(be.frame[0], f, sizeof(f));
}

static void test_tx_vnet_hdr(void **state)
{
	uint8_t f[80], h[12] = { VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0, 34, 0, 16, 0, 0, 0 };

	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM));
	make_frame(f, sizeof(f), 3);
	tx_frame(h, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], 10 + sizeof(f));
	assert_memory_equal(be.frame[0], h, 10);
	assert_memory_equal(be.frame[0] + 10, f, sizeof(f));
}

static void test_tx_sw_csum(void **state)
{
	/* A checksum request without a vnet-hdr backend is completed in software. */
	uint8_t f[64], h[12] = { VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0, 20, 0, 4, 0, 0, 0 };
	uint32_t sum = 0;

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	memset(f, 0, sizeof(f));
	f[20] = 0x12; f[21] = 0x34; f[22] = 0x56; f[23] = 0x78;
	tx_frame(h, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 1);
	for (size_t i = 20; i < sizeof(f); i += 2)
		sum += (uint32_t)(be.frame[0][i] << 8 | be.frame[0][i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
}

static void test_tx_gso_dropped_without_vnet(void **state)
{
	uint8_t f[64], h[12] = { 0, VIRTIO_NET_HDR_GSO_TCPV4, 54, 0, 0x5a, 0x05, 0, 0, 0, 0, 0, 0 };

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	make_frame(f, sizeof(f), 4);
	tx_frame(h, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 0);
	assert_int_equal(used_idx(&gtx), 1);   /* still completed */
}

static void test_tx_indirect(void **state)
{
	uint8_t f[70];

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_INDIRECT_DESC));
	make_frame(f, sizeof(f), 5);
	memset(ram + TX_BUFS, 0, 12);
	memcpy(ram + TX_BUFS + 0x100, f, sizeof(f));
	put_desc(IND_TABLE, 0, TX_BUFS, 12, VRING_DESC_F_NEXT, 1);
	put_desc(IND_TABLE, 1, TX_BUFS + 0x100, 30, VRING_DESC_F_NEXT, 2);
	put_desc(IND_TABLE, 2, TX_BUFS + 0x100 + 30, sizeof(f) - 30, 0, 0);
	put_desc(gtx.desc, 0, IND_TABLE, 48, VRING_DESC_F_INDIRECT, 0);
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 1);
	assert_memory_equal(be.frame[0], f, sizeof(f));
	assert_int_equal(used_idx(&gtx), 1);
}

static void test_legacy_rx(void **state)
{
	uint8_t f[200];
	uint8_t *b;

	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(4, 2048);
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
	make_frame(f, sizeof(f), 6);
	assert_int_equal(net_send_buf(be_nc, f, sizeof(f)), sizeof(f));
	assert_int_equal(used_idx(&grx), 1);
	assert_int_equal(used_len(&grx, 0), 12 + sizeof(f));
	b = desc_buf(&grx, used_id(&grx, 0));
	assert_int_equal(b[0], 0);                       /* flags */
	assert_int_equal(b[10] | b[11] << 8, 1);          /* num_buffers */
	assert_memory_equal(b + 12, f, sizeof(f));
	assert_int_equal(irq_level, 1);
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), 1);
	assert_int_equal(irq_level, 0);
}

static void test_rx_no_mrg(void **state)
{
	uint8_t f[300];
	uint8_t *b;

	legacy_open(F(VIRTIO_NET_F_MAC));
	post_rx(2, 1600);
	make_frame(f, sizeof(f), 7);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 1);
	assert_int_equal(used_len(&grx, 0), 10 + sizeof(f));
	b = desc_buf(&grx, used_id(&grx, 0));
	assert_memory_equal(b + 10, f, sizeof(f));
	/* Too big for one buffer: dropped, buffer not consumed. */
	{
		static uint8_t big[3000];
		make_frame(big, sizeof(big), 8);
		assert_int_equal(net_send_buf(be_nc, big, sizeof(big)), sizeof(big));
		assert_int_equal(used_idx(&grx), 1);
	}
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 2);
}

static void test_rx_mergeable(void **state)
{
	static uint8_t f[1000];
	uint8_t got[1012];
	unsigned off = 0;

	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(8, 256);
	make_frame(f, sizeof(f), 9);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 4);       /* 1012 bytes in 256-byte buffers */
	for (unsigned i = 0; i < 4; i++) {
		uint32_t l = used_len(&grx, i);
		memcpy(got + off, desc_buf(&grx, used_id(&grx, i)), l);
		off += l;
	}
	assert_int_equal(off, sizeof(got));
	assert_int_equal(got[10] | got[11] << 8, 4);
	assert_memory_equal(got + 12, f, sizeof(f));
}

static void test_rx_backpressure(void **state)
{
	uint8_t f[100];

	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF));
	make_frame(f, sizeof(f), 10);
	/* No buffers: queued by net core. */
	assert_int_equal(net_send_buf(be_nc, f, sizeof(f)), 0);
	f[20] ^= 1;
	assert_int_equal(net_send_buf(be_nc, f, sizeof(f)), 0);
	assert_int_equal(used_idx(&grx), 0);
	/* Not enough room for a mergeable frame: nothing consumed either. */
	post_rx(1, 64);
	assert_int_equal(used_idx(&grx), 0);
	post_rx(3, 2048);
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
	assert_int_equal(used_idx(&grx), 3);   /* 64 + 48 bytes, then the second frame */
	assert_int_equal(used_len(&grx, 0), 64);
	assert_int_equal(used_len(&grx, 1), 112 - 64);
	assert_int_equal(desc_buf(&grx, used_id(&grx, 0))[10], 2);
	assert_int_equal(desc_buf(&grx, used_id(&grx, 2))[12 + 20], f[20]);
}

static void test_rx_before_driver_ok_dropped(void **state)
{
	uint8_t f[60];
	make_frame(f, sizeof(f), 11);
	assert_int_equal(net_send_buf(be_nc, f, sizeof(f)), sizeof(f));
	assert_int_equal(be_nc->peer->queue_len, 0);
}

static void test_rx_vnet_csum(void **state)
{
	/* NEEDS_CSUM from the backend: passed through with GUEST_CSUM, done in
	 * software without it. */
	uint8_t pkt[10 + 64] = { VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0, 20, 0, 4, 0 };
	uint8_t *b;
	uint32_t sum = 0;

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_GUEST_CSUM));
	post_rx(2, 2048);
	pkt[10 + 20] = 0xab;
	net_send_buf(be_nc, pkt, sizeof(pkt));
	b = desc_buf(&grx, used_id(&grx, 0));
	assert_int_equal(b[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(b[6], 20);
	assert_int_equal(b[8], 4);

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(2, 2048);
	net_send_buf(be_nc, pkt, sizeof(pkt));
	b = desc_buf(&grx, used_id(&grx, 0));
	assert_int_equal(b[0], 0);
	for (size_t i = 12 + 20; i < 12 + 64; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	/* GSO from the backend is never delivered (not offered). */
	pkt[1] = VIRTIO_NET_HDR_GSO_TCPV4;
	net_send_buf(be_nc, pkt, sizeof(pkt));
	assert_int_equal(used_idx(&grx), 1);
}

static void test_link_status(void **state)
{
	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS));
	net_client_set_link(virtio_net_client(dev), false);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG + 6, 2), 0);
	assert_int_equal(irq_level, 1);
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(irq_level, 0);
	net_client_set_link(virtio_net_client(dev), true);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), VIRTIO_PCI_ISR_CONFIG);
	/* Modern view of the same config. */
	assert_int_equal(mr(VIRTIO_PCI_DEVICE_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(mr(VIRTIO_PCI_DEVICE_OFF + 0, 4), 0x12005452);
}

static void test_reset(void **state)
{
	uint8_t f[60];

	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MRG_RXBUF));
	make_frame(f, sizeof(f), 12);
	tx_frame(NULL, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(irq_level, 1);
	lw(VIRTIO_PCI_STATUS, 1, 0);
	assert_int_equal(irq_level, 0);
	assert_int_equal(lr(VIRTIO_PCI_STATUS, 1), 0);
	assert_int_equal(lr(VIRTIO_PCI_GUEST_FEATURES, 4), 0);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 1);
	assert_int_equal(lr(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	/* After reset a kick does nothing. */
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 1);
	/* And the device works again after re-init. */
	memset(ram, 0, 0x40000);
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	tx_frame(NULL, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 2);
	virtio_net_reset(dev);
	assert_int_equal(lr(VIRTIO_PCI_STATUS, 1), 0);
}

static void test_modern(void **state)
{
	uint64_t feat = 1ull << VIRTIO_F_VERSION_1 | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
			F(VIRTIO_RING_F_INDIRECT_DESC);
	uint8_t f[120];
	uint8_t *b;

	mw(VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_DF, 4), 1);   /* VERSION_1 */
	mw(VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	assert_true(mr(VIRTIO_PCI_COMMON_DF, 4) & F(VIRTIO_NET_F_MAC));
	assert_false(mr(VIRTIO_PCI_COMMON_DF, 4) & F(VIRTIO_NET_F_MRG_RXBUF));   /* mrg_rxbuf=off */
	assert_int_equal(mr(VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_SIZE, 2), QN);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	assert_int_equal(modern_open(feat), 0);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_SIZE, 2), 128);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x10000);

	/* TX: 12-byte header with VERSION_1 even without MRG_RXBUF. */
	make_frame(f, sizeof(f), 13);
	tx_frame(NULL, 12, f, sizeof(f));
	mw(VIRTIO_PCI_NOTIFY_OFF + 1 * VIRTIO_PCI_NOTIFY_MULT, 2, 1);
	assert_int_equal(be.n, 1);
	assert_memory_equal(be.frame[0], f, sizeof(f));
	assert_int_equal(irq_level, 1);
	assert_int_equal(mr(VIRTIO_PCI_ISR_OFF, 1), 1);
	assert_int_equal(irq_level, 0);

	/* RX */
	post_rx(2, 1526);
	mw(VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 1);
	assert_int_equal(used_len(&grx, 0), 12 + sizeof(f));
	b = desc_buf(&grx, used_id(&grx, 0));
	assert_int_equal(b[10], 1);
	assert_memory_equal(b + 12, f, sizeof(f));
	assert_int_equal(mr(VIRTIO_PCI_ISR_OFF, 1), 1);

	/* Queue addresses are frozen while enabled. */
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	mw(VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x50000);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x10000);
	/* Link change: config generation moves, ISR bit 1. */
	{
		uint8_t gen = (uint8_t)mr(VIRTIO_PCI_COMMON_CFGGEN, 1);
		net_client_set_link(virtio_net_client(dev), false);
		assert_int_not_equal(mr(VIRTIO_PCI_COMMON_CFGGEN, 1), gen);
		assert_int_equal(mr(VIRTIO_PCI_ISR_OFF, 4), 2);
	}
	/* Reset through common cfg. */
	mw(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_STATUS, 1), 0);
}

static void test_modern_needs_version1(void **state)
{
	assert_int_equal(modern_open(F(VIRTIO_NET_F_MAC)), -1);
	/* Features outside ours are masked, not accepted. */
	mw(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	mw(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	mw(VIRTIO_PCI_COMMON_GF, 4, 0xffffffffu);
	assert_false(mr(VIRTIO_PCI_COMMON_GF, 4) & F(VIRTIO_NET_F_CTRL_VQ));
}

static void test_modern_bad_queue(void **state)
{
	mw(VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	/* Not a power of two / too big: ignored. */
	mw(VIRTIO_PCI_COMMON_Q_SIZE, 2, 100);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_SIZE, 2), QN);
	mw(VIRTIO_PCI_COMMON_Q_SIZE, 2, 512);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_SIZE, 2), QN);
	/* Rings outside RAM: not enabled, NEEDS_RESET. */
	mw(VIRTIO_PCI_COMMON_Q_DESCLO, 4, RAM_SIZE - 16);
	mw(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x1000);
	mw(VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x2000);
	mw(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_true(mr(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* Misaligned used ring. */
	mw(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	mw(VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x10000);
	mw(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x11000);
	mw(VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x12002);
	mw(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* High address bits beyond RAM. */
	mw(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	mw(VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x10000);
	mw(VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0xffffffffu);
	mw(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x11000);
	mw(VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x12000);
	mw(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* Invalid queue index selects nothing. */
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 7);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	mw(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	mw(VIRTIO_PCI_NOTIFY_OFF + 7 * 4, 2, 7);
}

static void test_bad_legacy_pfn(void **state)
{
	lw(VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	lw(VIRTIO_PCI_QUEUE_PFN, 4, RAM_SIZE / 4096 - 1);   /* rings run past RAM */
	assert_int_equal(lr(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	assert_true(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	lw(VIRTIO_PCI_QUEUE_PFN, 4, 0xffffffffu);
	assert_int_equal(lr(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 5);
	lw(VIRTIO_PCI_QUEUE_PFN, 4, RXQ_PFN);
	assert_int_equal(lr(VIRTIO_PCI_QUEUE_NUM, 2), 0);
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 5);
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 0xffff);
}

static void expect_broken_tx(void)
{
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 0);
	assert_int_equal(used_idx(&gtx), 0);
	assert_true(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_hostile_loop(void **state)
{
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	put_desc(gtx.desc, 0, TX_BUFS, 12, VRING_DESC_F_NEXT, 1);
	put_desc(gtx.desc, 1, TX_BUFS + 0x100, 60, VRING_DESC_F_NEXT, 0);   /* back to 0 */
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
}

static void test_hostile_index(void **state)
{
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	/* next out of range */
	put_desc(gtx.desc, 0, TX_BUFS, 12, VRING_DESC_F_NEXT, QN);
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
	/* head out of range */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	put_desc(gtx.desc, 0, TX_BUFS, 72, 0, 0);
	p16(gtx.used + 2, 0);
	p16(gtx.avail + 4, 0xffff);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
}

static void test_hostile_avail_jump(void **state)
{
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	p16(gtx.avail + 2, QN + 1);
	expect_broken_tx();
	/* RX side: a jumped avail idx drops the frame, no hang. */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	p16(grx.avail + 2, 0x8000);
	{
		uint8_t f[60];
		make_frame(f, sizeof(f), 14);
		net_send_buf(be_nc, f, sizeof(f));
	}
	assert_true(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* After a reset the device recovers. */
	memset(ram, 0, 0x40000);
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	assert_false(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_hostile_lengths(void **state)
{
	uint64_t a[2] = { TX_BUFS, RAM_SIZE - 8 };
	uint32_t l[2] = { 12, 64 };   /* runs past the end of RAM */

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	gq_post(&gtx, 2, a, l, false);
	expect_broken_tx();
	/* A huge but in-RAM frame is dropped, the chain completed. */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	p16(gtx.used + 2, 0);
	{
		uint64_t b[2] = { TX_BUFS, 0x100000 };
		uint32_t m[2] = { 12, 0x200000 };
		gq_post(&gtx, 2, b, m, false);
	}
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	assert_int_equal(be.n, 0);
	assert_int_equal(used_idx(&gtx), 1);
	assert_false(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* Length wrapping: addr + len overflows 64 bits. */
	{
		uint64_t c[1] = { 0xfffffffffffff000ull };
		uint32_t n[1] = { 0x2000 };
		gq_post(&gtx, 1, c, n, false);
		lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
		assert_int_equal(used_idx(&gtx), 1);
		assert_true(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	}
}

static void test_hostile_indirect(void **state)
{
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_INDIRECT_DESC));
	/* Nested indirect */
	put_desc(IND_TABLE, 0, IND_TABLE + 0x100, 32, VRING_DESC_F_INDIRECT, 0);
	put_desc(gtx.desc, 0, IND_TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
	/* Loop inside an indirect table */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_INDIRECT_DESC));
	p16(gtx.used + 2, 0);
	put_desc(IND_TABLE, 0, TX_BUFS, 12, VRING_DESC_F_NEXT, 1);
	put_desc(IND_TABLE, 1, TX_BUFS, 12, VRING_DESC_F_NEXT, 0);
	put_desc(gtx.desc, 0, IND_TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
	/* Bad table length; and indirect when not negotiated */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_INDIRECT_DESC));
	p16(gtx.used + 2, 0);
	put_desc(gtx.desc, 0, IND_TABLE, 17, VRING_DESC_F_INDIRECT, 0);
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	p16(gtx.used + 2, 0);
	put_desc(IND_TABLE, 0, TX_BUFS, 72, 0, 0);
	put_desc(gtx.desc, 0, IND_TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	p16(gtx.avail + 4, 0);
	p16(gtx.avail + 2, 1);
	expect_broken_tx();
}

static void test_hostile_rx_chains(void **state)
{
	uint8_t f[100];
	uint64_t a = RX_BUFS;
	uint32_t l = 4;   /* smaller than the header */

	make_frame(f, sizeof(f), 15);
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	gq_post(&grx, 1, &a, &l, true);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 0);
	assert_true(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* Device-readable buffer on the RX queue */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	l = 2048;
	gq_post(&grx, 1, &a, &l, false);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 0);
	assert_true(lr(VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* Writable buffers on the TX queue */
	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	gq_post(&gtx, 1, &a, &l, true);
	expect_broken_tx();
}

static void test_no_bus_master(void **state)
{
	uint8_t f[60];

	legacy_open(F(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(2, 2048);
	pci_cfg_write(virtio_net_pci_dev(dev), PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	make_frame(f, sizeof(f), 16);
	tx_frame(NULL, 12, f, sizeof(f));
	lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(be.n, 0);
	assert_int_equal(used_idx(&grx), 0);
	assert_int_equal(used_idx(&gtx), 0);
}

static void test_odd_accesses(void **state)
{
	/* Sub-word reads compose; odd-size/misaligned writes are ignored. */
	uint32_t hf = lr(VIRTIO_PCI_HOST_FEATURES, 4);
	assert_int_equal(lr(VIRTIO_PCI_HOST_FEATURES + 1, 2), (hf >> 8) & 0xffff);
	assert_int_equal(lr(VIRTIO_PCI_HOST_FEATURES + 1, 3), (hf >> 8) & 0xffffff);
	lw(VIRTIO_PCI_GUEST_FEATURES + 1, 2, 0xffff);
	lw(VIRTIO_PCI_GUEST_FEATURES, 2, 0xffff);
	assert_int_equal(lr(VIRTIO_PCI_GUEST_FEATURES, 4), 0);
	lw(VIRTIO_PCI_STATUS, 2, 0x0f0f);
	assert_int_equal(lr(VIRTIO_PCI_STATUS, 1), 0);
	lw(VIRTIO_PCI_QUEUE_PFN, 2, RXQ_PFN);
	assert_int_equal(lr(VIRTIO_PCI_QUEUE_PFN, 4), 0);
	for (unsigned off = 0; off < 0x48; off++)
		for (unsigned len = 1; len <= 8; len++) {
			(void)lr(off, len);
			lw(off, len, 0);   /* status 0 = reset: harmless */
		}
	for (unsigned off = 0; off < VIRTIO_PCI_MODERN_SIZE + 8; off += 1) {
		unsigned len = 1u << (off % 4);
		(void)mr(off, len);
		if (off < VIRTIO_PCI_COMMON_SIZE || off >= VIRTIO_PCI_NOTIFY_OFF)
			mw(off, len, 0);
	}
	mw(VIRTIO_PCI_COMMON_DFSELECT, 8, 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_DF + 1, 1), (hf >> 8) & 0xff);
	mw(VIRTIO_PCI_COMMON_DFSELECT, 4, 99);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_DF, 4), 0);
	assert_int_equal(mr(VIRTIO_PCI_DEVICE_OFF + 100, 4), 0);
}

static void test_create_errors(void **state)
{
	struct nic_config cfg = { .model = "virtio-net-pci", .slot = -1, .has_mac = true };
	struct kv kv = { .key = "bogus", .value = "1" };
	struct kv kv2 = { .key = "mrg_rxbuf", .value = "maybe" };
	struct virtio_net *v;

	cfg.mac[0] = 1;   /* multicast */
	assert_null(virtio_net_create(&pbus, &cfg, NULL));
	cfg.mac[0] = 2;
	cfg.opts.items = &kv;
	cfg.opts.n = 1;
	assert_null(virtio_net_create(&pbus, &cfg, NULL));
	cfg.opts.items = &kv2;
	assert_null(virtio_net_create(&pbus, &cfg, NULL));
	/* romfile= and bus= are the NIC layer's (hw/nic.c), not the device's. */
	kv2.key = "vectors";
	kv2.value = "x";
	assert_null(virtio_net_create(&pbus, &cfg, NULL));
	kv2.value = "0";
	v = virtio_net_create(&pbus, &cfg, NULL);
	assert_non_null(v);
	virtio_net_destroy(v);
	cfg.opts.n = 0;
	cfg.has_mac = false;
	v = virtio_net_create(&pbus, &cfg, NULL);   /* unconnected, default MAC */
	assert_non_null(v);
	assert_int_equal(virtio_net_pci_dev(v)->slot, 2);   /* slots stay taken after destroy (no unplug) */
	virtio_net_destroy(v);
}

/* ---- MSI-X ------------------------------------------------------------ */

static struct pci_dev *pdev(void) { return virtio_net_pci_dev(dev); }

/* Offset of the MSI-X capability, or 0; the others must be virtio's. */
static unsigned msix_cap(void)
{
	unsigned at = 0, types = 0;

	for (unsigned p = pci_cfg_read(pdev(), PCI_CAPABILITY_LIST, 1); p; p = pci_cfg_read(pdev(), p + 1, 1)) {
		assert_int_equal(p & 3, 0);
		if (pci_cfg_read(pdev(), p, 1) == PCI_CAP_ID_MSIX) {
			assert_int_equal(at, 0);   /* only one */
			at = p;
			continue;
		}
		assert_int_equal(pci_cfg_read(pdev(), p, 1), 0x09);
		types |= 1u << pci_cfg_read(pdev(), p + 3, 1);
	}
	assert_int_equal(types, 0x1e);
	return at;
}

static void xw(unsigned off, unsigned len, uint64_t v)
{
	uint8_t d[8];
	bus_data_set(d, len, v);
	pci_msix_bar_access(pdev(), off, d, len, true);
}

static uint64_t xr(unsigned off, unsigned len)
{
	uint8_t d[8];
	pci_msix_bar_access(pdev(), off, d, len, false);
	return bus_data_get(d, len);
}

static void msix_ctl(uint16_t v) { pci_cfg_write(pdev(), msix_cap() + PCI_MSIX_FLAGS, 2, v); }

/* Vector v -> APIC message with data 0x40 + v (Linux: vector number in data). */
static void msix_entry(unsigned v, bool masked)
{
	xw(v * 16 + PCI_MSIX_ENTRY_ADDR_LO, 4, 0xfee00000u);
	xw(v * 16 + PCI_MSIX_ENTRY_ADDR_HI, 4, 0);
	xw(v * 16 + PCI_MSIX_ENTRY_DATA, 4, 0x40 + v);
	xw(v * 16 + PCI_MSIX_ENTRY_CTRL, 4, masked ? 1 : 0);
}

/* Linux's pci_alloc_irq_vectors(): enable with the function masked, fill the
 * table, unmask the function. */
static void msix_setup(void)
{
	msix_ctl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned v = 0; v < 3; v++)
		msix_entry(v, false);
	msix_ctl(PCI_MSIX_FLAGS_ENABLE);
}

static void modern_vectors(uint16_t cfgv, uint16_t rxv, uint16_t txv)
{
	mw(VIRTIO_PCI_COMMON_MSIX, 2, cfgv);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	mw(VIRTIO_PCI_COMMON_Q_MSIX, 2, rxv);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	mw(VIRTIO_PCI_COMMON_Q_MSIX, 2, txv);
}

static void tx_one_frame(uint8_t seed, bool legacy)
{
	uint8_t f[80];
	make_frame(f, sizeof(f), seed);
	tx_frame(NULL, 12, f, sizeof(f));
	if (legacy)
		lw(VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);
	else
		mw(VIRTIO_PCI_NOTIFY_OFF + 1 * VIRTIO_PCI_NOTIFY_MULT, 2, 1);
}

static void test_msix_identity(void **state)
{
	unsigned cap = msix_cap();

	assert_int_equal(cap, 0x84);
	assert_int_equal(pci_cfg_read(pdev(), PCI_CAPABILITY_LIST, 1), cap);   /* first */
	assert_int_equal(pci_cfg_read(pdev(), cap + PCI_MSIX_FLAGS, 2), 3 - 1);  /* vectors=3 */
	assert_int_equal(pci_cfg_read(pdev(), cap + PCI_MSIX_TABLE, 4),
			 VIRTIO_PCI_MSIX_TABLE | VIRTIO_PCI_MSIX_BAR);
	assert_int_equal(pci_cfg_read(pdev(), cap + PCI_MSIX_PBA, 4),
			 VIRTIO_PCI_MSIX_PBA | VIRTIO_PCI_MSIX_BAR);
	/* BAR1: 4 KiB of 32-bit memory. */
	pci_cfg_write(pdev(), PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffffu);
	assert_int_equal(pci_cfg_read(pdev(), PCI_BASE_ADDRESS_0 + 4, 4),
			 (uint32_t)~(VIRTIO_PCI_MSIX_BAR_SIZE - 1));
	assert_int_equal(pci_cfg_read(pdev(), PCI_INTERRUPT_PIN, 1), 1);   /* INTx still there */
	assert_false(pci_msix_enabled(pdev()));
	assert_int_equal(vp->nvectors, 3);
	/* Vectors read NO_VECTOR until assigned. */
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
}

static void test_msix_modern(void **state)
{
	uint64_t feat = 1ull << VIRTIO_F_VERSION_1 | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
			F(VIRTIO_NET_F_MRG_RXBUF);
	uint8_t f[100];

	pci_set_irq(pdev(), false);
	msix_setup();
	assert_int_equal(modern_open(feat), 0);
	modern_vectors(0, 1, 2);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), 0);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_MSIX, 2), 2);

	/* TX completion: the TX vector's message, no INTx, no ISR. */
	tx_one_frame(1, false);
	assert_int_equal(be.n, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr[0], 0xfee00000u);
	assert_int_equal(msi_data[0], 0x42);
	assert_int_equal(irq_level, 0);
	assert_int_equal(mr(VIRTIO_PCI_ISR_OFF, 1), 0);

	/* RX delivery: the RX vector. */
	post_rx(2, 1526);
	mw(VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	make_frame(f, sizeof(f), 2);
	net_send_buf(be_nc, f, sizeof(f));
	assert_int_equal(used_idx(&grx), 1);
	assert_int_equal(nmsi, 2);
	assert_int_equal(msi_data[1], 0x41);
	assert_int_equal(irq_level, 0);

	/* Config change: the config vector; ISR bit 1 is set as well, the line stays low. */
	net_client_set_link(virtio_net_client(dev), false);
	assert_int_equal(nmsi, 3);
	assert_int_equal(msi_data[2], 0x40);
	assert_int_equal(irq_level, 0);
	assert_int_equal(mr(VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	net_client_set_link(virtio_net_client(dev), true);
	assert_int_equal(nmsi, 4);
	assert_int_equal(msi_data[3], 0x40);

	/* The driver suppressing interrupts (NO_INTERRUPT) suppresses messages too. */
	p16(gtx.avail, VRING_AVAIL_F_NO_INTERRUPT);
	tx_one_frame(3, false);
	assert_int_equal(be.n, 2);
	assert_int_equal(nmsi, 4);
}

static void test_msix_vector_checks(void **state)
{
	msix_setup();
	assert_int_equal(modern_open(1ull << VIRTIO_F_VERSION_1), 0);
	/* Vectors we do not have read back as NO_VECTOR (how Linux learns it failed). */
	mw(VIRTIO_PCI_COMMON_MSIX, 2, 3);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	mw(VIRTIO_PCI_COMMON_MSIX, 2, 2);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), 2);
	mw(VIRTIO_PCI_COMMON_MSIX, 2, 0xfffe);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	mw(VIRTIO_PCI_COMMON_MSIX, 4, 1);   /* wrong width: ignored */
	mw(VIRTIO_PCI_COMMON_MSIX, 1, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	/* A queue that does not exist has no vector to set. */
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 7);
	mw(VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0xffff);
	mw(VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	/* No vector on TX: completion without any interrupt. */
	modern_vectors(0, 1, VIRTIO_MSI_NO_VECTOR);
	tx_one_frame(4, false);
	assert_int_equal(be.n, 1);
	assert_int_equal(used_idx(&gtx), 1);
	assert_int_equal(nmsi, 0);
	assert_int_equal(irq_level, 0);
	/* Two queues may share a vector. */
	modern_vectors(0, 1, 1);
	tx_one_frame(5, false);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_data[0], 0x41);
}

static void test_msix_masked_pending(void **state)
{
	msix_setup();
	assert_int_equal(modern_open(1ull << VIRTIO_F_VERSION_1), 0);
	modern_vectors(0, 1, 2);
	xw(2 * 16 + PCI_MSIX_ENTRY_CTRL, 4, 1);          /* mask TX's vector */
	tx_one_frame(6, false);
	tx_one_frame(7, false);
	assert_int_equal(be.n, 2);
	assert_int_equal(nmsi, 0);
	assert_int_equal(xr(VIRTIO_PCI_MSIX_PBA, 8), 1u << 2);
	assert_int_equal(irq_level, 0);
	xw(2 * 16 + PCI_MSIX_ENTRY_CTRL, 4, 0);          /* unmask: one message */
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_data[0], 0x42);
	assert_int_equal(xr(VIRTIO_PCI_MSIX_PBA, 8), 0);
	/* Function mask: same, for RX. */
	msix_ctl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	post_rx(1, 1526);
	{
		uint8_t f[64];
		make_frame(f, sizeof(f), 8);
		net_send_buf(be_nc, f, sizeof(f));
	}
	assert_int_equal(used_idx(&grx), 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(xr(VIRTIO_PCI_MSIX_PBA, 4), 1u << 1);
	msix_ctl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(nmsi, 2);
	assert_int_equal(msi_data[1], 0x41);
}

/* Legacy interface: vector registers at 0x14/0x16, device config moves to 0x18. */
static void test_msix_legacy(void **state)
{
	legacy_open(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MRG_RXBUF));
	/* MSI-X off: config at 0x14 as before. */
	assert_int_equal(lr(VIRTIO_PCI_CONFIG, 1), our_mac[0]);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
	lw(VIRTIO_MSI_CONFIG_VECTOR, 2, 0);   /* a config write (ignored: MAC is read-only) */
	assert_int_equal(vp->config_vector, VIRTIO_MSI_NO_VECTOR);
	msix_setup();
	assert_int_equal(lr(VIRTIO_MSI_CONFIG_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(lr(VIRTIO_MSI_QUEUE_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	for (int i = 0; i < 6; i++)
		assert_int_equal(lr(VIRTIO_PCI_CONFIG_MSIX + i, 1), our_mac[i]);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG_MSIX + 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG_MSIX + 8, 4), 0);   /* past the config */
	/* Assign: config 0, RX 1, TX 2 (per queue_sel), read back. */
	lw(VIRTIO_MSI_CONFIG_VECTOR, 2, 0);
	assert_int_equal(lr(VIRTIO_MSI_CONFIG_VECTOR, 2), 0);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	lw(VIRTIO_MSI_QUEUE_VECTOR, 2, 1);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 1);
	lw(VIRTIO_MSI_QUEUE_VECTOR, 2, 2);
	assert_int_equal(lr(VIRTIO_MSI_QUEUE_VECTOR, 2), 2);
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 0);
	assert_int_equal(lr(VIRTIO_MSI_QUEUE_VECTOR, 2), 1);
	assert_int_equal(lr(VIRTIO_MSI_CONFIG_VECTOR, 4), 0x00010000u);
	/* Out of range: NO_VECTOR; wrong width: ignored. */
	lw(VIRTIO_PCI_QUEUE_SEL, 2, 5);
	lw(VIRTIO_MSI_QUEUE_VECTOR, 2, 0);
	assert_int_equal(lr(VIRTIO_MSI_QUEUE_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	lw(VIRTIO_MSI_CONFIG_VECTOR, 2, 9);
	assert_int_equal(lr(VIRTIO_MSI_CONFIG_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	lw(VIRTIO_MSI_CONFIG_VECTOR, 1, 0);
	lw(VIRTIO_MSI_CONFIG_VECTOR, 4, 0);
	assert_int_equal(lr(VIRTIO_MSI_CONFIG_VECTOR, 2), VIRTIO_MSI_NO_VECTOR);
	lw(VIRTIO_MSI_CONFIG_VECTOR, 2, 0);
	/* TX with the legacy interface: message on vector 2. */
	tx_one_frame(9, true);
	assert_int_equal(be.n, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_data[0], 0x42);
	assert_int_equal(irq_level, 0);
	/* Link change: config vector. */
	net_client_set_link(virtio_net_client(dev), false);
	assert_int_equal(nmsi, 2);
	assert_int_equal(msi_data[1], 0x40);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG_MSIX + 6, 2), 0);
	net_client_set_link(virtio_net_client(dev), true);
	assert_int_equal(nmsi, 3);
	/* MSI-X off again: config back at 0x14, interrupts by INTx + ISR. */
	msix_ctl(0);
	assert_int_equal(lr(VIRTIO_PCI_CONFIG, 1), our_mac[0]);
	assert_int_equal(irq_level, 1);                      /* the pending config ISR bit */
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(irq_level, 0);
	tx_one_frame(10, true);
	assert_int_equal(be.n, 2);
	assert_int_equal(nmsi, 3);
	assert_int_equal(irq_level, 1);
	assert_int_equal(lr(VIRTIO_PCI_ISR, 1), VIRTIO_PCI_ISR_QUEUE);
}

static void test_msix_reset(void **state)
{
	msix_setup();
	assert_int_equal(modern_open(1ull << VIRTIO_F_VERSION_1), 0);
	modern_vectors(0, 1, 2);
	/* Device reset forgets the vector assignments but not the PCI function's MSI-X. */
	mw(VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	mw(VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_true(pci_msix_enabled(pdev()));
	assert_int_equal(xr(16 + PCI_MSIX_ENTRY_DATA, 4), 0x41);
	/* Power-on reset (VM reboot) resets MSI-X too. */
	virtio_net_reset(dev);
	assert_false(pci_msix_enabled(pdev()));
	assert_int_equal(xr(16 + PCI_MSIX_ENTRY_DATA, 4), 0);
	assert_int_equal(xr(16 + PCI_MSIX_ENTRY_CTRL, 4), 1);
}

/* Guest-controlled accesses to the MSI-X BAR and vector registers cannot
 * send messages anywhere but the APIC window. */
static void test_msix_hostile(void **state)
{
	msix_setup();
	assert_int_equal(modern_open(1ull << VIRTIO_F_VERSION_1), 0);
	modern_vectors(0, 1, 2);
	xw(2 * 16 + PCI_MSIX_ENTRY_ADDR_LO, 4, 0x00100000u);   /* guest RAM */
	tx_one_frame(11, false);
	assert_int_equal(be.n, 1);
	assert_int_equal(nmsi, 0);
	for (unsigned i = 0; i < 0x100; i++)
		assert_int_equal(ram[0x100000 + i], 0);
	xw(2 * 16 + PCI_MSIX_ENTRY_ADDR_LO, 8, 0x00000001fee00000ull);   /* above 4 GiB */
	tx_one_frame(12, false);
	assert_int_equal(nmsi, 0);
	/* Odd accesses over the whole BAR do not crash or unmask. */
	for (unsigned off = 0; off < VIRTIO_PCI_MSIX_BAR_SIZE; off += 3)
		for (unsigned len = 1; len <= 8; len <<= 1) {
			(void)xr(off, len);
			if (off % 16 < 12 || len < 4 || (off & (len - 1)))
				xw(off, len, 0);
		}
	assert_int_equal(xr(0 * 16 + PCI_MSIX_ENTRY_CTRL, 4), 0);
}

/* vectors=0: no MSI-X capability, no BAR1, INTx as before. */
static void test_msix_vectors0(void **state)
{
	assert_int_equal(msix_cap(), 0);
	assert_int_equal(vp->nvectors, 0);
	assert_int_equal(pci_cfg_read(pdev(), PCI_BASE_ADDRESS_0 + 4, 4), 0);
	pci_cfg_write(pdev(), PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffffu);
	assert_int_equal(pci_cfg_read(pdev(), PCI_BASE_ADDRESS_0 + 4, 4), 0);
	assert_int_equal(modern_open(1ull << VIRTIO_F_VERSION_1), 0);
	modern_vectors(0, 1, 2);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(mr(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	tx_one_frame(13, false);
	assert_int_equal(be.n, 1);
	assert_int_equal(nmsi, 0);
	assert_int_equal(irq_level, 1);
	assert_int_equal(mr(VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(irq_level, 0);
	/* Legacy config stays at 0x14. */
	assert_int_equal(lr(VIRTIO_PCI_CONFIG, 1), our_mac[0]);
}

static void test_msix_vectors_opt(void **state)
{
	struct nic_config cfg = { .model = "virtio-net-pci", .slot = -1, .has_mac = true };
	struct kv kv = { .key = "vectors", .value = "65" };
	struct virtio_net *v;

	cfg.mac[0] = 2;
	cfg.opts.items = &kv;
	cfg.opts.n = 1;
	assert_null(virtio_net_create(&pbus, &cfg, NULL));
	kv.value = "-1";
	assert_null(virtio_net_create(&pbus, &cfg, NULL));
	kv.used = false;
	kv.value = "64";
	v = virtio_net_create(&pbus, &cfg, NULL);
	assert_non_null(v);
	assert_int_equal(virtio_net_transport(v)->nvectors, 64);
	assert_int_equal(pci_cfg_read(virtio_net_pci_dev(v), 0x84 + PCI_MSIX_FLAGS, 2), 63);
	virtio_net_destroy(v);
	kv.used = false;
	kv.value = "1";   /* config + queues share one vector if the driver wants */
	v = virtio_net_create(&pbus, &cfg, NULL);
	assert_non_null(v);
	assert_int_equal(virtio_net_transport(v)->nvectors, 1);
	virtio_net_destroy(v);
	/* No MSI delivery on the bus: INTx only, whatever vectors says. */
	pci_bus_set_msi(&pbus, NULL, NULL);
	kv.used = false;
	kv.value = "3";
	v = virtio_net_create(&pbus, &cfg, NULL);
	assert_non_null(v);
	assert_int_equal(virtio_net_transport(v)->nvectors, 0);
	assert_int_not_equal(pci_cfg_read(virtio_net_pci_dev(v), 0x84, 1), PCI_CAP_ID_MSIX);
	virtio_net_destroy(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_features_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vnet_features, setup_vnet, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_tx_no_mrg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_vnet_hdr, setup_vnet, teardown),
		cmocka_unit_test_setup_teardown(test_tx_sw_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso_dropped_without_vnet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_mrg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_before_driver_ok_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_vnet_csum, setup_vnet, teardown),
		cmocka_unit_test_setup_teardown(test_link_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modern, setup_nomrg, teardown),
		cmocka_unit_test_setup_teardown(test_modern_needs_version1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modern_bad_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_legacy_pfn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_avail_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_rx_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_identity, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_modern, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_vector_checks, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_masked_pending, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_legacy, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_reset, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_hostile, setup_msix, teardown),
		cmocka_unit_test_setup_teardown(test_msix_vectors0, setup_msix0, teardown),
		cmocka_unit_test_setup_teardown(test_msix_vectors_opt, setup_msix, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
