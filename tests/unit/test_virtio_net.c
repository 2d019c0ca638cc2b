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

static int setup_common(bool vnet, bool mrg)
{
	struct nic_config cfg = { .model = "virtio-net-pci", .slot = -1, .has_mac = true };
	struct kv kv = { .key = "mrg_rxbuf", .value = mrg ? "on" : "off" };

	ram = calloc(1, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	guest_mem_add(&mem, 0, RAM_SIZE, ram);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	irq_level = 0;
	memset(&be, 0, sizeof(be));
	if (pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, 0xC0000000u, 0xD0000000u, 0xC000, 0xD000))
		return -1;
	memcpy(cfg.mac, our_mac, 6);
	cfg.opts.items = &kv;
	cfg.opts.n = 1;
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

static int setup(void **state) { return setup_common(false, true); }
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
