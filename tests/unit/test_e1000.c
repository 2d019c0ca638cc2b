/* e1000 (82540EM) device model, driven purely through its BARs on fake
 * guest memory with a recording test backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/e1000.h"
#include "hw/e1000_regs.h"
#include "hw/pci.h"
#include "net/checksum.h"
#include "net/net.h"
#include "util/event_loop.h"
#include "vm/guest_mem.h"
#include "test_log.h"
#include "test_machine.h"  /* fake_ram_init, fake_pci_init */

#define RAM_SIZE   (4u << 20)
#define TX_RING    0x10000u
#define RX_RING    0x20000u
#define TX_BUFS    0x100000u
#define RX_BUFS    0x200000u
#define NDESC      64u
#define MMIO_BASE  0xC0000000u
#define MAX_FRAMES 512

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* ---- harness ------------------------------------------------------- */

struct backend {
	unsigned n;
	uint8_t *frame[MAX_FRAMES];
	size_t len[MAX_FRAMES];
	bool echo;                 /* send a frame back from receive() */
};

static uint8_t *ram;
static struct guest_mem mem;
static struct bus pio, mmio;
static struct pci_bus pbus;
static struct e1000 *dev;
static struct net_client *be_nc;
static struct backend be;
static int irq_level;
static unsigned irq_edges;
static unsigned tx_tail;

static void irq_cb(void *opaque, unsigned gsi, int level)
{
	if (level && !irq_level)
		irq_edges++;
	irq_level = level;
}

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
	if (b->echo) {
		/* Re-entrancy: answer synchronously, like slirp. */
		uint8_t f[60] = { 0 };
		memcpy(f, our_mac, 6);
		f[12] = 0x08;
		b->echo = false;
		net_send_buf(nc, f, sizeof(f));
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

static void wr(uint32_t off, uint32_t v)
{
	uint8_t d[4];
	bus_data_set(d, 4, v);
	e1000_mmio_access(dev, off, d, 4, true);
}

/* A read-only memory window over BAR0 (x-eeprom-page), as KVM would have it: the guest's reads
 * inside it come from the page, its writes still go to the handler. */
static const uint32_t *ro_page;
static uint32_t ro_off;

static uint32_t rd(uint32_t off)
{
	uint8_t d[4];
	if (ro_page && off - ro_off < 4096)
		return ro_page[(off - ro_off) / 4];
	e1000_mmio_access(dev, off, d, 4, false);
	return (uint32_t)bus_data_get(d, 4);
}

/* KVM memory slots over BAR0 (x-rx-page, x-eeprom-page), as the VM's bus hook sees them. */
struct ram_hook {
	int adds, dels;
	uint64_t addr, len;
	uint32_t *page;
	bool on;
	int ro_adds, ro_dels;     /* the read-only window (x-eeprom-page) */
};
static struct ram_hook rh;

static int fake_ram_hook(void *opaque, uint64_t addr, uint64_t len, void *hva, bool add, bool readonly)
{
	struct ram_hook *h = opaque;
	if (readonly) {
		assert_int_equal(len, 4096);
		ro_page = add ? hva : NULL;
		ro_off = (uint32_t)(addr - MMIO_BASE);
		if (add)
			h->ro_adds++;
		else
			h->ro_dels++;
		return 0;
	}
	if (add) {
		h->adds++;
		h->addr = addr;
		h->len = len;
		h->page = hva;
	} else {
		assert_int_equal(addr, h->addr);
		h->dels++;
	}
	h->on = add;
	return 0;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int create_dev(bool vnet, const char *mitigation)
{
	struct nic_config cfg = { .model = "e1000", .slot = -1 };
	struct kv kv = { .key = "mitigation", .value = (char *)mitigation };

	cfg.has_mac = true;
	memcpy(cfg.mac, our_mac, 6);
	cfg.opts.items = &kv;
	cfg.opts.n = 1;
	be_nc = net_client_new(&be_ops, "be0", &be);
	be_nc->has_vnet_hdr = vnet;
	dev = e1000_create(&pbus, &cfg, be_nc);
	if (!dev)
		return -1;
	pci_cfg_write(e1000_pci_dev(dev), PCI_BASE_ADDRESS_0, 4, MMIO_BASE);
	pci_cfg_write(e1000_pci_dev(dev), PCI_COMMAND, 2,
		      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

static int setup_common(bool vnet, const char *mit)
{
	ram = calloc(1, RAM_SIZE);
	fake_ram_init(&mem, ram, RAM_SIZE);
	irq_level = 0;
	irq_edges = 0;
	tx_tail = 0;
	memset(&be, 0, sizeof(be));
	if (fake_pci_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, MMIO_BASE, 0xD0000000u, 0xC000, 0xD000))
		return -1;
	return create_dev(vnet, mit);
}

static int setup(void **state) { return setup_common(false, "off"); }
static int setup_vnet(void **state) { return setup_common(true, "off"); }
static int setup_mit(void **state) { return setup_common(false, "on"); }

static int teardown(void **state)
{
	e1000_destroy(dev);
	net_client_free(be_nc);
	be_clear();
	free(ram);
	dev = NULL;
	return 0;
}

/* Linux-like open: rings, RCTL (BAM, 2048), TCTL EN, IMS. */
static void nic_open(uint32_t rctl_extra)
{
	wr(E1000_TDBAL, TX_RING);
	wr(E1000_TDBAH, 0);
	wr(E1000_TDLEN, NDESC * 16);
	wr(E1000_TDH, 0);
	wr(E1000_TDT, 0);
	wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | 0x0103F0F0);
	wr(E1000_RDBAL, RX_RING);
	wr(E1000_RDBAH, 0);
	wr(E1000_RDLEN, NDESC * 16);
	wr(E1000_RDH, 0);
	for (unsigned i = 0; i < NDESC; i++) {
		uint8_t *d = ram + RX_RING + 16 * i;
		memset(d, 0, 16);
		uint64_t a = RX_BUFS + 0x4000ull * i;
		memcpy(d, &a, 8);
	}
	wr(E1000_RDT, NDESC - 1);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | rctl_extra);
	wr(E1000_IMS, 0x9D);
	(void)rd(E1000_ICR);
}

static void tx_put(uint64_t addr, uint32_t lower, uint32_t upper)
{
	uint8_t *d = ram + TX_RING + 16 * tx_tail;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &lower, 4);
	memcpy(d + 12, &upper, 4);
	tx_tail = (tx_tail + 1) % NDESC;
}

static void tx_kick(void) { wr(E1000_TDT, tx_tail); }

static uint32_t rx_len(unsigned i) { return ram[RX_RING + 16 * i + 8] | ram[RX_RING + 16 * i + 9] << 8; }
static uint8_t rx_sta(unsigned i) { return ram[RX_RING + 16 * i + 12]; }
static uint8_t rx_err(unsigned i) { return ram[RX_RING + 16 * i + 13]; }
static uint16_t rx_special(unsigned i) { return (uint16_t)(ram[RX_RING + 16 * i + 14] | ram[RX_RING + 16 * i + 15] << 8); }
static uint8_t *rx_data(unsigned i) { return ram + RX_BUFS + 0x4000u * i; }

static uint16_t csum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

/* Valid if the folded sum including the checksum field is 0xFFFF. */
static bool l4_csum_ok(const uint8_t *ip)
{
	size_t ihl = (ip[0] & 0xF) * 4, l4 = be16(ip + 2) - ihl;
	uint32_t sum = csum16(ip + 12, 8, 0) + ip[9] + (uint32_t)l4;
	return csum16(ip + ihl, l4, sum) == 0xFFFF;
}

static bool ip_csum_ok(const uint8_t *ip) { return csum16(ip, 20, 0) == 0xFFFF; }

/* Ethernet + IPv4 + TCP (or UDP) frame with `pay` payload bytes. */
static size_t build_ipv4(uint8_t *f, size_t pay, uint8_t proto, const uint8_t *dst)
{
	size_t l4h = proto == 6 ? 20 : 8, len = 14 + 20 + l4h + pay;
	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4h + pay) >> 8);
	ip[3] = (uint8_t)(20 + l4h + pay);
	ip[4] = 0x12; ip[5] = 0x34;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	uint8_t *l4 = ip + 20;
	l4[0] = 0x12; l4[1] = 0x34; l4[2] = 0x00; l4[3] = 0x50;
	if (proto == 6) {
		l4[4] = 0x10; l4[5] = 0x00; l4[6] = 0x00; l4[7] = 0x00; /* seq 0x10000000 */
		l4[12] = 0x50;
		l4[13] = 0x18 | 0x01; /* ACK PSH FIN */
		l4[14] = 0xFF;
	} else {
		l4[4] = (uint8_t)((8 + pay) >> 8);
		l4[5] = (uint8_t)(8 + pay);
	}
	for (size_t i = 0; i < pay; i++)
		f[14 + 20 + l4h + i] = (uint8_t)(i * 7 + 3);
	return len;
}

static void fill_ip_csum(uint8_t *ip) { ip[10] = ip[11] = 0; uint16_t c = (uint16_t)~csum16(ip, 20, 0); ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c; }

static void fill_l4_csum(uint8_t *ip)
{
	size_t l4 = be16(ip + 2) - 20;
	unsigned co = ip[9] == 6 ? 16 : 6;
	ip[20 + co] = ip[20 + co + 1] = 0;
	uint16_t c = (uint16_t)~csum16(ip + 20, l4, csum16(ip + 12, 8, 0) + ip[9] + (uint32_t)l4);
	ip[20 + co] = (uint8_t)(c >> 8);
	ip[20 + co + 1] = (uint8_t)c;
}

/* ---- identity, reset values, register test ------------------------ */

static void test_pci_identity(void **state)
{
	struct pci_dev *p = e1000_pci_dev(dev);
	assert_int_equal(pci_cfg_read(p, PCI_VENDOR_ID, 2), 0x8086);
	assert_int_equal(pci_cfg_read(p, PCI_DEVICE_ID, 2), 0x100E);
	assert_int_equal(pci_cfg_read(p, PCI_REVISION_ID, 1), 3);
	assert_int_equal(pci_cfg_read(p, PCI_REVISION_ID, 4) >> 8, 0x020000);
	assert_int_equal(pci_cfg_read(p, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x8086);
	assert_int_equal(pci_cfg_read(p, PCI_SUBSYSTEM_ID, 2), 0x001E);
	assert_int_equal(pci_cfg_read(p, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(p->bar[0].type, PCI_BAR_MMIO32);
	assert_int_equal(p->bar[0].size, 0x20000);
	assert_int_equal(p->bar[1].type, PCI_BAR_IO);
	assert_int_equal(p->bar[1].size, 0x40);
	/* Reachable through the MMIO bus at the programmed BAR. */
	uint8_t d[4];
	assert_true(bus_access(&mmio, MMIO_BASE + E1000_STATUS, d, 4, false));
	assert_true(bus_data_get(d, 4) & E1000_STATUS_LU);
}

static void test_reset_values(void **state)
{
	assert_int_equal(rd(E1000_CTRL), 0x00140240);
	assert_int_equal(rd(E1000_STATUS) & 0x7FFFFFFF, 0x00080783);
	assert_int_equal(rd(E1000_PBA), 0x00100030);
	assert_int_equal(rd(E1000_LEDCTL), 0x602);
	assert_int_equal(rd(E1000_MANC), 0x00222300);
	assert_int_equal(rd(E1000_VET), 0x8100);
	assert_int_equal(rd(E1000_RA), 0x12005452);
	assert_int_equal(rd(E1000_RA + 4), 0x80005634);
	assert_int_equal(rd(E1000_ICR), 0);
	assert_int_equal(rd(E1000_RCTL), 0);
	assert_int_equal(rd(E1000_EECD) & (E1000_EECD_PRES | E1000_EECD_SIZE), E1000_EECD_PRES);
}

/* e1000_reg_test() of Linux's ethtool (e1000.md 8.2). */
static void test_ethtool_register_test(void **state)
{
	static const struct { uint32_t reg, mask, write; } pat[] = {
		{ E1000_FCAL, 0xFFFFFFFF, 0xFFFFFFFF }, { E1000_FCAH, 0xFFFF, 0xFFFFFFFF },
		{ E1000_FCT, 0xFFFF, 0xFFFFFFFF }, { E1000_VET, 0xFFFF, 0xFFFFFFFF },
		{ E1000_RDTR, 0xFFFF, 0xFFFFFFFF }, { E1000_RDBAH, 0xFFFFFFFF, 0xFFFFFFFF },
		{ E1000_RDLEN, 0x000FFF80, 0x000FFFFF }, { E1000_RDH, 0xFFFF, 0xFFFF },
		{ E1000_RDT, 0xFFFF, 0xFFFF }, { E1000_FCRTH, 0xFFF8, 0xFFF8 },
		{ E1000_FCTTV, 0xFFFF, 0xFFFF }, { E1000_TIPG, 0x3FFFFFFF, 0x3FFFFFFF },
		{ E1000_TDBAH, 0xFFFFFFFF, 0xFFFFFFFF }, { E1000_TDLEN, 0x000FFF80, 0x000FFFFF },
		{ E1000_RDBAL, 0xFFFFFFF0, 0xFFFFFFFF }, { E1000_TXCW, 0xC000FFFF, 0x0000FFFF },
		{ E1000_TDBAL, 0xFFFFFFF0, 0xFFFFFFFF }, { E1000_TIDV, 0xFFFF, 0xFFFF },
	};
	static const uint32_t p[] = { 0x5A5A5A5A, 0xA5A5A5A5, 0, 0xFFFFFFFF };
	uint32_t before = rd(E1000_STATUS);

	wr(E1000_STATUS, before ^ 0xFFFFF833);
	assert_int_equal(rd(E1000_STATUS), before);
	for (size_t i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		for (int j = 0; j < 4; j++) {
			wr(pat[i].reg, pat[i].write & p[j]);
			assert_int_equal(rd(pat[i].reg), pat[i].write & p[j] & pat[i].mask);
		}
	}
	for (int k = 0; k < 15; k++)
		for (int j = 0; j < 4; j++) {
			wr(E1000_RA + 4 + 8 * k, 0x8003FFFF & p[j]);
			assert_int_equal(rd(E1000_RA + 4 + 8 * k), 0x8003FFFF & p[j]);
		}
	for (int k = 0; k < 128; k++)
		for (int j = 0; j < 4; j++) {
			wr(E1000_MTA + 4 * k, p[j]);
			assert_int_equal(rd(E1000_MTA + 4 * k), p[j]);
		}
	wr(E1000_RCTL, 0);
	assert_int_equal(rd(E1000_RCTL), 0);
	wr(E1000_RCTL, 0x003FFFFB);
	assert_int_equal(rd(E1000_RCTL) & 0x06DFB3FE, 0x003FFFFB & 0x06DFB3FE);
	wr(E1000_TCTL, 0);
	assert_int_equal(rd(E1000_TCTL), 0);
	wr(E1000_RCTL, 0xFFFFFFFF);
	assert_int_equal(rd(E1000_RCTL) & 0x06DFB3FE, 0x06DFB3FE);
	/* The patterns left RCTL enabled in loopback with absurd rings:
	 * kicking TX/RX now must be harmless. */
	wr(E1000_TCTL, E1000_TCTL_EN);
	wr(E1000_TDT, 5);
	wr(E1000_RDT, 7);
	assert_int_equal(net_send_buf(be_nc, "\xff\xff\xff\xff\xff\xff", 6) >= 0, 1);
}

/* ---- EEPROM ------------------------------------------------------- */

static void ee_clock(uint32_t *eecd)
{
	*eecd |= E1000_EECD_SK;
	wr(E1000_EECD, *eecd);
	*eecd &= ~E1000_EECD_SK;
	wr(E1000_EECD, *eecd);
}

static void ee_shift_out(uint32_t *eecd, uint32_t data, int count)
{
	for (int i = count - 1; i >= 0; i--) {
		*eecd = (*eecd & ~E1000_EECD_DI) | (((data >> i) & 1) ? E1000_EECD_DI : 0);
		wr(E1000_EECD, *eecd);
		ee_clock(eecd);
	}
	*eecd &= ~E1000_EECD_DI;
	wr(E1000_EECD, *eecd);
}

static void ee_begin(uint32_t *eecd)
{
	*eecd = E1000_EECD_REQ;
	wr(E1000_EECD, *eecd);
	assert_true(rd(E1000_EECD) & E1000_EECD_GNT);
	*eecd |= E1000_EECD_CS;
	wr(E1000_EECD, *eecd);
}

static void ee_end(uint32_t *eecd)
{
	*eecd &= ~(E1000_EECD_CS | E1000_EECD_DI | E1000_EECD_SK);
	wr(E1000_EECD, *eecd);
	wr(E1000_EECD, 0);
}

/* The driver's Microwire read (e1000_read_eeprom, 82540 path). */
static uint16_t ee_read(uint16_t word)
{
	uint32_t eecd;
	uint16_t data = 0;

	ee_begin(&eecd);
	ee_shift_out(&eecd, E1000_UWIRE_READ, 3);
	ee_shift_out(&eecd, word, 6);
	for (int i = 0; i < 16; i++) {
		wr(E1000_EECD, eecd | E1000_EECD_SK);
		uint32_t v = rd(E1000_EECD);
		data = (uint16_t)(data << 1 | ((v & E1000_EECD_DO) ? 1 : 0));
		wr(E1000_EECD, eecd);
	}
	ee_end(&eecd);
	return data;
}

static void test_eeprom_bitbang(void **state)
{
	uint16_t sum = 0, w[64];
	for (int i = 0; i < 64; i++)
		sum += w[i] = ee_read((uint16_t)i);
	assert_int_equal(sum, 0xBABA);
	assert_int_equal(w[0], 0x5452);
	assert_int_equal(w[1], 0x1200);
	assert_int_equal(w[2], 0x5634);
	assert_int_equal(w[0x0D], 0x100E);
	assert_int_equal(w[0x0E], 0x8086);
	assert_int_equal(w[0x24] & 0x0400, 0x0400);
}

/* x-eeprom-page: while the EEPROM is selected and no cause is pending, BAR0's first page is
 * read straight from memory; every value there is what the handler would return. */
static int zones_off, flushes, flush_action;
static void fake_coalesce(void *opaque, bool pio, uint64_t addr, uint64_t len, bool add)
{
	(void)opaque;
	assert_false(pio);
	if (addr < MMIO_BASE + 4096 && MMIO_BASE < addr + len)
		zones_off += add ? -1 : 1;
}
/* The queue's replay, with a write that was waiting in it (flush_action, once). */
static void fake_flush(void *opaque)
{
	(void)opaque;
	flushes++;
	if (flush_action == 1)
		wr(E1000_ICS, E1000_ICR_TXDW);         /* (as an RDT write would let a frame in) */
	else if (flush_action == 2)
		wr(E1000_CTRL, E1000_CTRL_SLU | E1000_CTRL_ASDE | E1000_CTRL_FRCSPD);
	flush_action = 0;
}

static void ee_page_matches_handler(void)
{
	assert_non_null(ro_page);
	for (uint32_t off = 0; off < 4096; off += 4) {
		uint8_t d[4];
		e1000_mmio_access(dev, off, d, 4, false);
		assert_int_equal(ro_page[off / 4], (uint32_t)bus_data_get(d, 4));
	}
}

static void test_eeprom_page(void **state)
{
	uint16_t sum = 0;
	uint32_t eecd;

	memset(&rh, 0, sizeof(rh));
	zones_off = flushes = 0;
	mmio.ram = fake_ram_hook;
	mmio.coalesce = fake_coalesce;
	mmio.flush = fake_flush;
	mmio.hook_opaque = &rh;
	(void)rd(E1000_ICR);                   /* what the driver's reset does */
	for (int i = 0; i < 64; i++)
		sum += ee_read((uint16_t)i);
	assert_int_equal(sum, 0xBABA);         /* read through the page from the first word on */
	assert_int_equal(rh.ro_adds, 1);
	assert_int_equal(rh.ro_dels, 0);
	assert_int_equal(ro_off, 0);
	assert_true(zones_off > 0);            /* its writes exit one by one... */
	assert_int_equal(flushes, 1);          /* ...after what was queued before */
	ee_page_matches_handler();

	/* Mid-read, with CS high and a data bit on DO. */
	ee_begin(&eecd);
	ee_shift_out(&eecd, E1000_UWIRE_READ, 3);
	ee_shift_out(&eecd, 0x0D, 6);
	wr(E1000_EECD, eecd | E1000_EECD_SK);
	ee_page_matches_handler();
	wr(E1000_EECD, eecd);
	ee_end(&eecd);

	/* A cause takes it away before the guest can see it: ICR's read must exit and clear. */
	wr(E1000_ICS, E1000_ICR_TXDW);
	assert_null(ro_page);
	assert_int_equal(rh.ro_dels, 1);
	assert_int_equal(zones_off, 0);
	assert_int_equal(rd(E1000_ICR), E1000_ICR_TXDW);
	/* Not while a cause is pending. */
	wr(E1000_ICS, E1000_ICR_TXDW);
	assert_int_equal(ee_read(0x0E), 0x8086);
	assert_int_equal(rh.ro_adds, 1);
	assert_int_equal(rd(E1000_ICR), E1000_ICR_TXDW);
	assert_int_equal(ee_read(0x0E), 0x8086);
	assert_int_equal(rh.ro_adds, 2);

	/* A link change: LSC, so it goes. */
	net_client_set_link(be_nc, false);
	assert_null(ro_page);
	assert_int_equal(rd(E1000_STATUS) & E1000_STATUS_LU, 0);
	assert_int_equal(rd(E1000_ICR), E1000_ICR_LSC);
	net_client_set_link(be_nc, true);
	(void)rd(E1000_ICR);
	assert_int_equal(ee_read(1), 0x1200);
	assert_non_null(ro_page);
	assert_true(rd(E1000_STATUS) & E1000_STATUS_LU);

	/* The receive page takes BAR0's one window; a MAC reset ends either. */
	nic_open(0);
	ee_page_matches_handler();             /* still exact: every write refreshed it */
	wr(E1000_RDT, 2);
	assert_null(ro_page);
	assert_int_equal(rh.ro_dels, 3);
	assert_true(rh.on);
	assert_int_equal(zones_off, 0);
	wr(E1000_CTRL, E1000_CTRL_RST);
	assert_false(rh.on);
	(void)rd(E1000_ICR);
	assert_int_equal(ee_read(2), 0x5634);
	assert_non_null(ro_page);
	wr(E1000_CTRL, E1000_CTRL_RST);
	assert_null(ro_page);
	assert_int_equal(zones_off, 0);

	/* Writes queued before the page is mapped are delivered first: a cause one of them raises
	 * calls the mapping off, any other shows in the page. */
	(void)rd(E1000_ICR);
	flush_action = 1;
	assert_int_equal(ee_read(0x0D), 0x100E);
	assert_null(ro_page);
	assert_int_equal(zones_off, 0);
	assert_int_equal(rd(E1000_ICR), E1000_ICR_TXDW);
	flush_action = 2;
	assert_int_equal(ee_read(0x0D), 0x100E);
	assert_non_null(ro_page);
	assert_int_equal(rd(E1000_CTRL) & E1000_CTRL_FRCSPD, E1000_CTRL_FRCSPD);
	ee_page_matches_handler();
	wr(E1000_CTRL, E1000_CTRL_RST);
	assert_null(ro_page);
	assert_int_equal(zones_off, 0);
	mmio.ram = NULL;
	mmio.coalesce = NULL;
	mmio.flush = NULL;
}

static void test_eerd(void **state)
{
	wr(E1000_EERD, 1 | (2 << 8));
	uint32_t v = rd(E1000_EERD);
	assert_true(v & E1000_EERD_DONE);
	assert_int_equal(v >> 16, 0x5634);
	wr(E1000_EERD, 1 | (0xFF << 8));
	v = rd(E1000_EERD);
	assert_true(v & E1000_EERD_DONE);
	assert_int_equal(v >> 16, 0);
}

static void ee_cmd(uint32_t op, uint32_t addr, int extra, uint32_t data)
{
	uint32_t eecd;
	ee_begin(&eecd);
	ee_shift_out(&eecd, op, 3);
	ee_shift_out(&eecd, addr, 6);
	if (extra)
		ee_shift_out(&eecd, data, 16);
	ee_end(&eecd);
}

static void test_eeprom_write_and_garbage(void **state)
{
	ee_cmd(E1000_UWIRE_WRITE, 0x30, 1, 0x1234);   /* not enabled: ignored */
	assert_int_equal(ee_read(0x30), 0x0100);
	ee_cmd(E1000_UWIRE_EXT, 0x30, 0, 0);          /* EWEN */
	ee_cmd(E1000_UWIRE_WRITE, 0x30, 1, 0x1234);
	assert_int_equal(ee_read(0x30), 0x1234);
	ee_cmd(E1000_UWIRE_EXT, 0x00, 0, 0);          /* EWDS */
	ee_cmd(E1000_UWIRE_WRITE, 0x30, 1, 0x5678);
	assert_int_equal(ee_read(0x30), 0x1234);
	/* Garbage clocking: random EECD writes never break a later read. */
	srand(1);
	for (int i = 0; i < 5000; i++)
		wr(E1000_EECD, (uint32_t)rand());
	wr(E1000_EECD, 0);
	assert_int_equal(ee_read(0), 0x5452);
}

/* ---- PHY / link ---------------------------------------------------- */

static uint32_t mdic(uint32_t op, uint32_t phy, uint32_t reg, uint32_t data)
{
	wr(E1000_MDIC, op << 26 | phy << 21 | reg << 16 | data);
	uint32_t v = rd(E1000_MDIC);
	assert_true(v & E1000_MDIC_READY);
	return v;
}

static void test_mdic_phy(void **state)
{
	assert_int_equal(mdic(2, 1, PHY_ID1, 0) & 0xFFFF, 0x0141);
	assert_int_equal(mdic(2, 1, PHY_ID2, 0) & 0xFFF0, 0x0C20);
	assert_int_equal(mdic(2, 1, PHY_STATUS, 0) & (MII_SR_LINK_STATUS | MII_SR_AN_COMPLETE),
			 MII_SR_LINK_STATUS | MII_SR_AN_COMPLETE);
	assert_true(mdic(2, 2, PHY_ID1, 0) & E1000_MDIC_ERROR);
	assert_true(mdic(2, 1, 31, 0) & E1000_MDIC_ERROR);
	assert_true(mdic(1, 1, PHY_ID1, 0x1234) & E1000_MDIC_ERROR);
	assert_int_equal(mdic(2, 1, PHY_ID1, 0) & 0xFFFF, 0x0141);
	assert_false(mdic(1, 1, PHY_AUTONEG_ADV, 0x0DE1) & E1000_MDIC_ERROR);
	mdic(1, 1, M88_PHY_SPEC_CTRL, 0x0B60);
	assert_int_equal(mdic(2, 1, M88_PHY_SPEC_CTRL, 0) & 0xFFFF, 0x0B60);
	assert_int_equal(mdic(2, 1, M88_PHY_SPEC_STATUS, 0) & 0xFFFF, 0xAC00);
	/* INT_EN raises MDAC. */
	(void)rd(E1000_ICR);
	wr(E1000_MDIC, E1000_MDIC_INT_EN | 2u << 26 | 1u << 21 | PHY_ID1 << 16);
	assert_true(rd(E1000_ICR) & E1000_ICR_MDAC);
}

static void test_autoneg_lsc_interrupt(void **state)
{
	wr(E1000_IMS, E1000_ICR_LSC);
	(void)rd(E1000_ICR);
	assert_int_equal(irq_level, 0);
	mdic(1, 1, PHY_CTRL, 0x1140 | MII_CR_RESTART_AN);
	assert_int_equal(irq_level, 1);
	assert_int_equal(mdic(2, 1, PHY_CTRL, 0) & 0xFFFF, 0x1140);  /* self-clearing */
	assert_true(mdic(2, 1, PHY_STATUS, 0) & MII_SR_AN_COMPLETE);
	assert_true(mdic(2, 1, PHY_LP_ABILITY, 0) & MII_LPAR_ACK);
	assert_true(rd(E1000_ICR) & E1000_ICR_LSC);
	assert_int_equal(irq_level, 0);
	assert_true(rd(E1000_STATUS) & E1000_STATUS_LU);
}

static void test_link_down_up(void **state)
{
	wr(E1000_IMS, E1000_ICR_LSC);
	(void)rd(E1000_ICR);
	net_client_set_link(be_nc, false);
	assert_false(rd(E1000_STATUS) & E1000_STATUS_LU);
	assert_false(mdic(2, 1, PHY_STATUS, 0) & MII_SR_LINK_STATUS);
	assert_int_equal(irq_level, 1);
	assert_true(rd(E1000_ICR) & E1000_ICR_LSC);
	net_client_set_link(be_nc, true);
	assert_true(rd(E1000_STATUS) & E1000_STATUS_LU);
	assert_true(rd(E1000_ICR) & E1000_ICR_LSC);
}

/* ---- interrupts ---------------------------------------------------- */

static void test_interrupts(void **state)
{
	wr(E1000_IMC, 0xFFFFFFFF);
	(void)rd(E1000_ICR);
	wr(E1000_ICS, E1000_ICR_TXDW);
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(E1000_ICS), E1000_ICR_TXDW);  /* ICS reads mirror, no clear */
	wr(E1000_IMS, E1000_ICR_TXDW);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(E1000_IMS), E1000_ICR_TXDW);
	wr(E1000_IMC, E1000_ICR_TXDW);
	assert_int_equal(irq_level, 0);
	wr(E1000_IMS, E1000_ICR_TXDW);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(E1000_ICR), E1000_ICR_TXDW);
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(E1000_ICR), 0);
	/* W1C on ICR */
	wr(E1000_IMS, 0x3);
	wr(E1000_ICS, 0x3);
	wr(E1000_ICR, 0x1);
	assert_int_equal(irq_level, 1);
	wr(E1000_ICR, 0x2);
	assert_int_equal(irq_level, 0);
	/* Linux's interrupt test: every bit 0..14 settable, exact masking. */
	for (int i = 0; i < 10; i++) {
		uint32_t mask = 1u << i;
		wr(E1000_IMC, 0xFFFFFFFF);
		(void)rd(E1000_ICR);
		wr(E1000_IMC, mask);
		wr(E1000_ICS, mask);
		assert_int_equal(irq_level, 0);
		wr(E1000_IMS, mask);
		wr(E1000_ICS, mask);
		assert_int_equal(irq_level, 1);
		assert_int_equal(rd(E1000_ICR), mask);
		assert_int_equal(irq_level, 0);
		wr(E1000_IMC, ~mask & 0x7FFF);
		wr(E1000_ICS, ~mask & 0x7FFF);
		assert_int_equal(irq_level, 0);
		assert_int_equal(rd(E1000_ICR), ~mask & 0x7FFF);
	}
	/* INTx disable in PCI COMMAND hides the line. */
	wr(E1000_IMS, 1);
	pci_cfg_write(e1000_pci_dev(dev), PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	wr(E1000_ICS, 1);
	assert_int_equal(irq_level, 0);
	pci_cfg_write(e1000_pci_dev(dev), PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(irq_level, 1);
}

static void quit_cb(void *opaque) { el_quit(0); }

static void run_loop_ms(unsigned ms)
{
	struct el_timer *t = el_timer_new(quit_cb, NULL);
	el_timer_mod(t, el_now_ns() + ms * 1000000ull);
	el_run();
	el_timer_free(t);
}

static void test_mitigation(void **state)
{
	assert_int_equal(el_init(), 0);
	wr(E1000_ITR, 195);
	wr(E1000_IMS, E1000_ICR_RXT0);
	(void)rd(E1000_ICR);
	wr(E1000_ICS, E1000_ICR_RXT0);
	assert_int_equal(irq_level, 1);       /* first edge: at once */
	(void)rd(E1000_ICR);
	assert_int_equal(irq_level, 0);       /* ICR read deasserts at once */
	wr(E1000_ICS, E1000_ICR_RXT0);
	assert_int_equal(irq_level, 0);       /* held off (>= 128 us) */
	run_loop_ms(5);
	assert_int_equal(irq_level, 1);       /* delivered by the timer */
	(void)rd(E1000_ICR);
	el_fini();
}

/* ---- CTRL.RST via the I/O BAR, odd accesses ------------------------ */

static void io_wr(uint32_t off, uint32_t v, unsigned len)
{
	uint8_t d[8];
	bus_data_set(d, len, v);
	e1000_io_access(dev, off, d, len, true);
}

static uint32_t io_rd(uint32_t off, unsigned len)
{
	uint8_t d[8];
	e1000_io_access(dev, off, d, len, false);
	return (uint32_t)bus_data_get(d, len);
}

static void test_ctrl_rst_via_io(void **state)
{
	nic_open(0);
	wr(E1000_ICS, E1000_ICR_TXDW);
	assert_int_equal(irq_level, 1);
	io_wr(E1000_IOADDR, E1000_STATUS, 4);
	assert_int_equal(io_rd(E1000_IOADDR, 4), E1000_STATUS);
	assert_true(io_rd(E1000_IODATA, 4) & E1000_STATUS_LU);
	io_wr(E1000_IOADDR, E1000_CTRL, 4);
	io_wr(E1000_IODATA, io_rd(E1000_IODATA, 4) | E1000_CTRL_RST, 4);
	assert_int_equal(rd(E1000_CTRL), 0x00140240);  /* RST self-clears */
	assert_int_equal(rd(E1000_RCTL), 0);
	assert_int_equal(rd(E1000_IMS), 0);
	assert_int_equal(rd(E1000_TDLEN), 0);
	assert_int_equal(rd(E1000_RAH_AV & 0 ? 0 : E1000_RA + 4), 0x80005634);
	assert_int_equal(irq_level, 0);
	/* IOADDR beyond BAR0: selects nothing. */
	io_wr(E1000_IOADDR, 0x7FFFFFF0, 4);
	assert_int_equal(io_rd(E1000_IODATA, 4), 0);
	io_wr(E1000_IODATA, 0xFFFFFFFF, 4);
	assert_int_equal(io_rd(0x20, 4), 0);
	io_wr(0x20, 0xFFFFFFFF, 4);
	/* 8-byte access spanning IOADDR and IODATA, byte access. */
	io_wr(E1000_IOADDR, E1000_VET, 1);
	io_wr(E1000_IOADDR + 1, 0, 1);
	io_wr(E1000_IOADDR + 2, 0, 2);
	assert_int_equal(io_rd(E1000_IODATA, 2), 0x8100);
	uint8_t d[8];
	e1000_io_access(dev, 0, d, 8, false);
	assert_int_equal(bus_data_get(d, 8), (uint64_t)0x8100 << 32 | E1000_VET);
}

static void test_odd_size_access(void **state)
{
	uint8_t d[8];

	wr(E1000_FCAL, 0x11223344);
	e1000_mmio_access(dev, E1000_FCAL + 1, d, 2, false);
	assert_int_equal(bus_data_get(d, 2), 0x2233);
	d[0] = 0xAA;
	e1000_mmio_access(dev, E1000_FCAL + 3, d, 1, true);
	assert_int_equal(rd(E1000_FCAL), 0xAA223344);
	/* 8-byte write = two registers. */
	bus_data_set(d, 8, 0x0000BEEF12345670ull);
	e1000_mmio_access(dev, E1000_RDBAL, d, 8, true);
	assert_int_equal(rd(E1000_RDBAL), 0x12345670);
	assert_int_equal(rd(E1000_RDBAH), 0xBEEF);
	/* Unaligned 4-byte straddling two registers. */
	bus_data_set(d, 4, 0xFFFFFFFF);
	e1000_mmio_access(dev, E1000_FCAH + 2, d, 4, true);
	assert_int_equal(rd(E1000_FCAH), 0);   /* upper half of FCAH is reserved */
	assert_int_equal(rd(E1000_FCT), 0xFFFF);
	/* Partial write of ICR must not clear other causes. */
	wr(E1000_ICS, 0x101);
	d[0] = 0x01;
	e1000_mmio_access(dev, E1000_ICR, d, 1, true);
	assert_int_equal(rd(E1000_ICS), 0x100);
	/* Byte read of ICR reads (and clears) it. */
	e1000_mmio_access(dev, E1000_ICR + 1, d, 1, false);
	assert_int_equal(d[0], 1);
	assert_int_equal(rd(E1000_ICR), 0);
	/* The last bytes of the BAR and beyond. */
	e1000_mmio_access(dev, 0x1FFFE, d, 8, false);
	e1000_mmio_access(dev, 0x1FFFD, d, 8, true);
	e1000_mmio_access(dev, 0x30000, d, 4, false);
	assert_int_equal(bus_data_get(d, 4), 0);
	e1000_mmio_access(dev, 0, d, 0, false);
	e1000_mmio_access(dev, 0, d, 16, false);
	/* Descriptor caches / unknown: zero, no side effects. */
	assert_int_equal(rd(0x6000), 0);
	assert_int_equal(rd(0x7000), 0);
	/* Sweep every dword with reads of all sizes. */
	for (uint32_t off = 0; off < 0x20000; off += 4) {
		if (off == E1000_CTRL)
			continue;
		e1000_mmio_access(dev, off, d, 4, false);
	}
}

/* ---- TX ------------------------------------------------------------ */

static void test_tx_legacy(void **state)
{
	nic_open(0);
	uint8_t *buf = ram + TX_BUFS;
	memset(buf, 0, 100);
	memcpy(buf, "\xff\xff\xff\xff\xff\xff", 6);
	buf[12] = 0x08; buf[13] = 0x06;
	buf[50] = 0x77;
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0);
	/* Multi-descriptor frame: 3 pieces. */
	tx_put(TX_BUFS, 20, 0);
	tx_put(TX_BUFS + 20, 20, 0);
	tx_put(TX_BUFS + 40, 30 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	tx_kick();
	assert_int_equal(rd(E1000_TDH), 4);
	assert_int_equal(be.n, 2);
	assert_int_equal(be.len[0], 60);
	assert_int_equal(be.len[1], 70);
	assert_memory_equal(be.frame[1], buf, 70);
	assert_true(ram[TX_RING + 12] & E1000_TXD_STAT_DD);
	assert_false(ram[TX_RING + 16 + 12] & E1000_TXD_STAT_DD);  /* no RS */
	assert_true(ram[TX_RING + 48 + 12] & E1000_TXD_STAT_DD);
	uint32_t icr = rd(E1000_ICR);
	assert_true(icr & E1000_ICR_TXDW);
	assert_true(icr & E1000_ICR_TXQE);
	assert_int_equal(rd(E1000_GPTC), 2);
	assert_int_equal(rd(E1000_TPT), 2);
	assert_int_equal(rd(E1000_BPTC), 2);
	assert_int_equal(rd(E1000_GOTCL), 138);
	assert_int_equal(rd(E1000_GOTCH), 0);
	assert_int_equal(rd(E1000_GOTCL), 0);   /* the pair cleared on High */
	assert_int_equal(rd(E1000_GPTC), 0);    /* clear-on-read */
	/* TCTL.EN off: descriptors wait; TCTL write kicks. */
	wr(E1000_TCTL, 0);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);
	tx_kick();
	assert_int_equal(be.n, 2);
	wr(E1000_TCTL, E1000_TCTL_EN);
	assert_int_equal(be.n, 3);
	/* Legacy IC: checksum inserted at CSO from CSS. */
	uint8_t f[200];
	size_t len = build_ipv4(f, 40, 17, our_mac);
	fill_ip_csum(f + 14);
	memcpy(ram + TX_BUFS + 0x1000, f, len);
	tx_put(TX_BUFS + 0x1000, (uint32_t)len | (24u << 16) | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC, 14u << 8);
	ram[TX_BUFS + 0x1000 + 24] = ram[TX_BUFS + 0x1000 + 25] = 0;
	tx_kick();
	assert_int_equal(be.n, 4);
	/* Ones-complement sum over CSS..end including the inserted value. */
	assert_int_equal(csum16(be.frame[3] + 14, len - 14, 0), 0xFFFF);
	assert_int_not_equal(be16(be.frame[3] + 24), 0);
}

/* After a TX batch the e1000 polls its peer once (net.h ops->poll): an answer the backend
 * has ready (a tap's host answering inside the write) lands in the RX ring within the same
 * TDT write. No poll when the write moved nothing. */
static unsigned be_polls;
static void be_poll(struct net_client *nc)
{
	uint8_t f[60] = { 0 };

	be_polls++;
	memcpy(f, our_mac, 6);
	f[12] = 0x08;
	net_send_buf(nc, f, sizeof(f));
}
static const struct net_client_ops be_poll_ops = {
	.type = "test-poll", .receive = be_receive, .poll = be_poll,
};

static void test_tx_polls_peer(void **state)
{
	nic_open(0);
	be_nc->ops = &be_poll_ops;
	be_polls = 0;
	memset(ram + TX_BUFS, 0, 60);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	tx_kick();
	assert_int_equal(be.n, 2);
	assert_int_equal(be_polls, 1);
	assert_true(rx_sta(0) & E1000_RXD_STAT_DD);   /* the answer, before the write returned */
	assert_true(rd(E1000_ICR) & E1000_ICR_RXT0);
	tx_kick();                                     /* nothing new: no poll */
	assert_int_equal(be_polls, 1);
	be_nc->ops = &be_ops;
}

/* With an event loop running (the VM), a TDT write only rings the doorbell: the frame goes
 * out when the loop runs, not inside the register write (the vCPU returns to the guest). */
static size_t tx_n_at_write;
static void tdt_from_loop_cb(void *opaque)
{
	tx_kick();
	tx_n_at_write = be.n;
}

/* One 60-byte broadcast frame in the ring, its TDT write made from inside the running loop
 * (as a vCPU thread's write happens while the loop runs); returns the frames the backend had
 * at the end of that write. */
static size_t tx_from_loop(void)
{
	uint8_t *buf = ram + TX_BUFS;
	memset(buf, 0, 60);
	memcpy(buf, "\xff\xff\xff\xff\xff\xff", 6);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	struct el_timer *t = el_timer_new(tdt_from_loop_cb, NULL);
	tx_n_at_write = (size_t)-1;
	el_timer_mod(t, el_now_ns());
	run_loop_ms(5);
	el_timer_free(t);
	return tx_n_at_write;
}

static void test_tx_iothread_doorbell(void **state)
{
	(void)state;
	/* The default device: the write only rings the doorbell. */
	assert_int_equal(el_init(), 0);
	nic_open(0);
	assert_int_equal(tx_from_loop(), 0);    /* not sent inside the register write */
	assert_int_equal(be.n, 1);              /* sent by the loop */
	assert_int_equal(rd(E1000_TDH), 1);
	assert_true(rd(E1000_ICR) & E1000_ICR_TXDW);
	/* Outside a running loop (unit tests, tools) the write transmits at once. */
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);
	tx_kick();
	assert_int_equal(be.n, 2);
	el_fini();
}

static void test_tx_iothread_off(void **state)
{
	(void)state;
	/* SKIFF_TX_IOTHREAD=off (the A/B variable; x-tx-iothread=off alike): the write transmits
	 * on the writing thread even with the loop running. */
	e1000_destroy(dev);
	net_client_free(be_nc);
	setenv("SKIFF_TX_IOTHREAD", "off", 1);
	assert_int_equal(create_dev(false, "off"), 0);
	unsetenv("SKIFF_TX_IOTHREAD");
	assert_int_equal(el_init(), 0);
	nic_open(0);
	assert_int_equal(tx_from_loop(), 1);    /* sent inside the register write */
	assert_int_equal(be.n, 1);
	assert_int_equal(rd(E1000_TDH), 1);
	el_fini();
}

static void ctx_put(uint8_t ipcss, uint8_t ipcso, uint16_t ipcse, uint8_t tucss, uint8_t tucso,
		    uint16_t tucse, uint32_t paylen, uint32_t cmd, uint8_t hdrlen, uint16_t mss)
{
	uint8_t *d = ram + TX_RING + 16 * tx_tail;
	d[0] = ipcss; d[1] = ipcso; d[2] = (uint8_t)ipcse; d[3] = (uint8_t)(ipcse >> 8);
	d[4] = tucss; d[5] = tucso; d[6] = (uint8_t)tucse; d[7] = (uint8_t)(tucse >> 8);
	uint32_t lower = (paylen & 0xFFFFF) | E1000_TXD_CMD_DEXT | cmd;
	memcpy(d + 8, &lower, 4);
	d[12] = 0; d[13] = hdrlen; d[14] = (uint8_t)mss; d[15] = (uint8_t)(mss >> 8);
	tx_tail = (tx_tail + 1) % NDESC;
}

static void data_put(uint64_t addr, uint32_t len, uint32_t cmd, uint8_t popts, uint16_t special)
{
	uint32_t lower = len | E1000_TXD_DTYP_D | E1000_TXD_CMD_DEXT | cmd;
	uint32_t upper = (uint32_t)popts << 8 | (uint32_t)special << 16;
	tx_put(addr, lower, upper);
}

static void test_tx_csum_offload(void **state)
{
	nic_open(0);
	uint8_t f[400];
	size_t len = build_ipv4(f, 300, 17, our_mac);
	memcpy(ram + TX_BUFS, f, len);
	/* Linux CHECKSUM_PARTIAL style: TUCSS/TUCSO, seed = pseudo header. */
	uint8_t *ip = ram + TX_BUFS + 14;
	uint32_t seed = csum16(ip + 12, 8, 0) + 17 + (uint32_t)(len - 34);
	uint16_t s16 = csum16(NULL, 0, seed);
	ip[26] = (uint8_t)(s16 >> 8); ip[27] = (uint8_t)s16;
	ctx_put(14, 24, 33, 34, 40, 0, 0, 0, 0, 0);
	data_put(TX_BUFS, 100, 0, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM, 0);
	data_put(TX_BUFS + 100, (uint32_t)len - 100, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0, 0);
	tx_kick();
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], len);
	assert_true(ip_csum_ok(be.frame[0] + 14));
	assert_true(l4_csum_ok(be.frame[0] + 14));
	/* The TSO context is independent: a later csum context does not
	 * clobber it (checked in the TSO test); bad offsets are ignored. */
	ctx_put(14, 250, 33, 200, 255, 10, 0, 0, 0, 0);   /* TUCSE < TUCSS, offsets past the frame */
	data_put(TX_BUFS, 60, E1000_TXD_CMD_EOP, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM, 0);
	ctx_put(14, 24, 0xFFFF, 34, 40, 0xFFFF, 0, 0, 0, 0); /* CSE past the end */
	data_put(TX_BUFS, (uint32_t)len, E1000_TXD_CMD_EOP, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM, 0);
	tx_kick();
	assert_int_equal(be.n, 3);
	assert_int_equal(be.len[1], 60);
}

/* Linux TSO: tot_len 0, IP check 0, TCP check = pseudo sum with length 0. */
static size_t tso_prepare(uint8_t *dst, size_t pay)
{
	uint8_t f[70000];
	size_t len = build_ipv4(f, pay, 6, our_mac);
	uint8_t *ip = f + 14;
	ip[2] = ip[3] = 0;
	ip[10] = ip[11] = 0;
	uint16_t seed = csum16(ip + 12, 8, 6);
	ip[36] = (uint8_t)(seed >> 8);
	ip[37] = (uint8_t)seed;
	memcpy(dst, f, len);
	return len;
}

static void tso_queue(size_t len, uint16_t mss, uint16_t vlan)
{
	uint32_t vle = vlan ? E1000_TXD_CMD_VLE : 0;
	ctx_put(14, 24, 33, 34, 50, 0, (uint32_t)len - 54,
		E1000_TXD_CMD_TSE | E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP, 54, mss);
	/* Data in 1000-byte pieces (the header split off like Linux does). */
	size_t off = 0;
	while (off < len) {
		size_t n = len - off > 1000 ? 1000 : len - off;
		bool last = off + n == len;
		data_put(TX_BUFS + off, (uint32_t)n,
			 E1000_TXD_CMD_TSE | vle | (last ? E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS : 0),
			 E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM, vlan);
		off += n;
	}
	tx_kick();
}

static void test_tx_tso(void **state)
{
	nic_open(0);
	const uint16_t mss = 1000;
	size_t pay = 3500;
	size_t len = tso_prepare(ram + TX_BUFS, pay);
	/* A checksum context after the TSO context must not clobber it. */
	tso_queue(len, mss, 0);
	assert_int_equal(be.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		size_t seg_pay = i < 3 ? mss : 500;
		const uint8_t *ip = be.frame[i] + 14;
		assert_int_equal(be.len[i], 54 + seg_pay);
		assert_int_equal(be16(ip + 2), 40 + seg_pay);
		assert_int_equal(be16(ip + 4), 0x1234 + i);
		assert_true(ip_csum_ok(ip));
		assert_int_equal(be32(ip + 24), 0x10000000u + i * mss);
		assert_int_equal(ip[33] & 0x09, i == 3 ? 0x09 : 0);
		assert_true(l4_csum_ok(ip));
		assert_memory_equal(be.frame[i] + 54, ram + TX_BUFS + 54 + i * mss, seg_pay);
	}
	assert_int_equal(rd(E1000_TSCTC), 1);
	/* Interleaved: TSO context, then a csum context, then TSO data. */
	be_clear();
	ctx_put(14, 24, 33, 34, 50, 0, (uint32_t)len - 54,
		E1000_TXD_CMD_TSE | E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP, 54, mss);
	ctx_put(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	data_put(TX_BUFS, (uint32_t)len, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP,
		 E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM, 0);
	tx_kick();
	assert_int_equal(be.n, 4);
	assert_true(l4_csum_ok(be.frame[3] + 14));
}

/* A TCP-stack backend (libslirp) gets the TSO packet whole: one IPv4 frame, IP length and
 * checksum and the full TCP checksum filled in; statistics still count the MSS segments. */
static const struct net_client_ops be_stack_ops = {
	.type = "test-stack", .receive = be_receive, .takes_tso_frames = true,
};

static void test_tx_tso_whole_to_stack(void **state)
{
	nic_open(0);
	be_nc->ops = &be_stack_ops;
	size_t len = tso_prepare(ram + TX_BUFS, 3500);
	tso_queue(len, 1000, 0);
	assert_int_equal(be.n, 1);
	const uint8_t *ip = be.frame[0] + 14;
	assert_int_equal(be.len[0], len);
	assert_int_equal(be16(ip + 2), 40 + 3500);
	assert_true(ip_csum_ok(ip));
	assert_true(l4_csum_ok(ip));
	assert_int_equal(ip[33] & 0x09, 0x09);  /* as the last segment: PSH, FIN kept */
	assert_memory_equal(be.frame[0] + 54, ram + TX_BUFS + 54, 3500);
	assert_int_equal(rd(E1000_TSCTC), 1);
	assert_int_equal(rd(E1000_GPTC), 4);
	assert_int_equal(rd(E1000_GOTCL), 3 * (54 + 1000 + 4) + (54 + 500 + 4));
	/* VLAN insertion: segmented as on a wire */
	be_clear();
	wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_VME);
	len = tso_prepare(ram + TX_BUFS, 2500);
	tso_queue(len, 1000, 7);
	assert_int_equal(be.n, 3);
	/* A driver that left a bad seed still gets a correct whole checksum */
	be_clear();
	wr(E1000_CTRL, rd(E1000_CTRL) & ~E1000_CTRL_VME);
	len = tso_prepare(ram + TX_BUFS, 2000);
	ram[TX_BUFS + 50] ^= 0x55;
	tso_queue(len, 1000, 0);
	assert_int_equal(be.n, 1);
	assert_true(l4_csum_ok(be.frame[0] + 14));
	be_nc->ops = &be_ops;
}

static void test_tx_tso_vnet(void **state)
{
	nic_open(0);
	assert_true(e1000_net_client(dev)->using_vnet_hdr);
	size_t len = tso_prepare(ram + TX_BUFS, 3500);
	tso_queue(len, 1000, 0);
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], 10 + len);
	struct virtio_net_hdr vh;
	memcpy(&vh, be.frame[0], sizeof(vh));
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, 1000);
	assert_int_equal(vh.hdr_len, 54);
	assert_int_equal(vh.csum_start, 34);
	assert_int_equal(vh.csum_offset, 16);
	const uint8_t *ip = be.frame[0] + 10 + 14;
	assert_int_equal(be16(ip + 2), len - 14);
	assert_true(ip_csum_ok(ip));
	/* Seed now includes the full L4 length. */
	uint16_t want = csum16(ip + 12, 8, 6 + (uint32_t)(len - 34));
	assert_int_equal(be16(ip + 36), want);
	/* Plain frames carry a zero header. */
	uint8_t *buf = ram + TX_BUFS;
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);
	(void)buf;
	tx_kick();
	assert_int_equal(be.n, 2);
	assert_int_equal(be.len[1], 70);
	static const uint8_t zero[10];
	assert_memory_equal(be.frame[1], zero, 10);
	/* Received frames arrive with a header: stripped; NEEDS_CSUM completed. */
	wr(E1000_RXCSUM, E1000_RXCSUM_TUOFL);
	uint8_t f[10 + 200];
	memset(f, 0, 10);
	size_t l = build_ipv4(f + 10, 50, 17, our_mac);
	fill_ip_csum(f + 10 + 14);
	f[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	f[6] = 34; f[8] = 6;   /* csum_start 34, csum_offset 6 */
	uint8_t *ipr = f + 10 + 14;
	uint16_t seed = csum16(ipr + 12, 8, 17 + 58);
	ipr[26] = (uint8_t)(seed >> 8); ipr[27] = (uint8_t)seed;
	assert_int_equal(net_send_buf(be_nc, f, 10 + l), (ssize_t)(10 + l));
	assert_int_equal(rx_len(0), l + 4);
	assert_true(l4_csum_ok(rx_data(0) + 14));
	assert_true(rx_sta(0) & E1000_RXD_STAT_TCPCS);
	assert_int_equal(rx_err(0), 0);
}

static void test_tx_vlan_insert(void **state)
{
	nic_open(0);
	wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_VME);
	uint8_t *buf = ram + TX_BUFS;
	memset(buf, 0x11, 60);
	buf[12] = 0x08; buf[13] = 0x00;
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_VLE, 0x0123u << 16);
	tx_kick();
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], 64);
	assert_int_equal(be16(be.frame[0] + 12), 0x8100);
	assert_int_equal(be16(be.frame[0] + 14), 0x0123);
	assert_int_equal(be16(be.frame[0] + 16), 0x0800);
	/* TSO with VLAN: every segment tagged. */
	be_clear();
	size_t len = tso_prepare(ram + TX_BUFS, 2500);
	tso_queue(len, 1000, 7);
	assert_int_equal(be.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(be16(be.frame[i] + 14), 7);
		assert_true(l4_csum_ok(be.frame[i] + 18));
	}
}

/* ---- RX ------------------------------------------------------------ */

static ssize_t inject(const uint8_t *f, size_t len) { return net_send_buf(be_nc, f, len); }

static void test_rx_basic(void **state)
{
	nic_open(0);
	uint8_t f[200];
	size_t len = build_ipv4(f, 100, 17, our_mac);
	assert_int_equal(inject(f, len), len);
	assert_int_equal(rd(E1000_RDH), 1);
	assert_int_equal(rx_len(0), len + 4);
	assert_int_equal(rx_sta(0), E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP | E1000_RXD_STAT_IXSM);
	assert_int_equal(rx_err(0), 0);
	assert_memory_equal(rx_data(0), f, len);
	assert_int_equal(irq_level, 1);
	assert_true(rd(E1000_ICR) & E1000_ICR_RXT0);
	assert_int_equal(rd(E1000_GPRC), 1);
	assert_int_equal(rd(E1000_GORCL), len + 4);
	/* Short frames are padded to 60 (1 and 13 bytes). */
	uint8_t tiny[13];
	memcpy(tiny, our_mac, 6);
	memset(tiny + 6, 0, 7);
	assert_int_equal(inject(tiny, 13), 13);
	assert_int_equal(rx_len(1), 64);
	assert_int_equal(inject(tiny, 1), 1);   /* dst can't match: dropped */
	assert_int_equal(rd(E1000_RDH), 2);
	/* SECRC: no FCS in the length. */
	wr(E1000_RCTL, rd(E1000_RCTL) | E1000_RCTL_SECRC);
	inject(f, len);
	assert_int_equal(rx_len(2), len);
	/* RX checksum offload. */
	wr(E1000_RXCSUM, E1000_RXCSUM_TUOFL | E1000_RXCSUM_IPOFL);
	fill_ip_csum(f + 14);
	fill_l4_csum(f + 14);
	inject(f, len);
	assert_int_equal(rx_sta(3) & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_IPCS | E1000_RXD_STAT_IXSM),
			 E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_IPCS);
	assert_int_equal(rx_err(3), 0);
	f[60] ^= 0xFF;
	inject(f, len);
	assert_int_equal(rx_err(4), E1000_RXD_ERR_TCPE);
	f[60] ^= 0xFF;
	len = build_ipv4(f, 100, 6, our_mac);
	fill_ip_csum(f + 14);
	fill_l4_csum(f + 14);
	inject(f, len);
	assert_int_equal(rx_sta(5) & E1000_RXD_STAT_TCPCS, E1000_RXD_STAT_TCPCS);
	assert_int_equal(rx_err(5), 0);
}

/* The stop report (SIGQUIT, net.h ops->report): one line per client; the e1000's holds its
 * interrupt state and ring indices as the guest left them (an interrupt raised and not yet
 * acknowledged, a frame received). */
static void test_stop_report(void **state)
{
	nic_open(0);
	uint8_t f[200];
	size_t len = build_ipv4(f, 100, 17, our_mac);
	char want[200];

	assert_int_equal(inject(f, len), len);
	log_capture_start();
	net_report_all();
	log_capture_stop();
	snprintf(want, sizeof(want), "(e1000): peer be0, link up, 0 queued for it: ICR %x IMS 9d "
		 "line 1 ITR 0 RCTL %x TCTL %x RDH/RDT 1/%u of %u TDH/TDT 0/0 of %u", E1000_ICR_RXT0,
		 E1000_RCTL_EN | E1000_RCTL_BAM, E1000_TCTL_EN | E1000_TCTL_PSP | 0x0103F0F0,
		 NDESC - 1, NDESC, NDESC);
	assert_true(log_has(want));
	assert_true(log_has("be0 (test-be): peer "));
}

/* A backend whose frames come from its own TCP/IP stack (libslirp, net.h sends_valid_csums) is
 * trusted: TCPCS without a verification pass (a frame with a wrong sum shows no TCPE); the
 * FCS after the frame is still the frame's CRC-32. */
static const struct net_client_ops be_trusted_ops = {
	.type = "test-stack", .receive = be_receive, .sends_valid_csums = true,
};

static void test_rx_trusted_backend(void **state)
{
	nic_open(0);
	wr(E1000_RXCSUM, E1000_RXCSUM_TUOFL | E1000_RXCSUM_IPOFL);
	uint8_t f[200];
	size_t len = build_ipv4(f, 100, 6, our_mac);
	fill_ip_csum(f + 14);
	fill_l4_csum(f + 14);
	f[60] ^= 0xFF;
	inject(f, len);
	assert_int_equal(rx_err(0), E1000_RXD_ERR_TCPE);   /* an ordinary backend: verified */
	be_nc->ops = &be_trusted_ops;
	inject(f, len);
	assert_int_equal(rx_sta(1) & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_IPCS),
			 E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_IPCS);
	assert_int_equal(rx_err(1), 0);
	assert_int_equal(rx_len(1), len + 4);
	uint32_t fcs = eth_fcs_zlib(f, len);
	const uint8_t *t = rx_data(1) + len;
	assert_int_equal(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, fcs);
	f[15] ^= 0xFF;                                    /* the IP header is still checked */
	inject(f, len);
	assert_int_equal(rx_err(2), E1000_RXD_ERR_IPE);
	be_nc->ops = &be_ops;
}

static void test_rx_filters(void **state)
{
	nic_open(0);
	uint8_t f[60] = { 0 };
	unsigned n = 0;
#define EXPECT(accepted) do { inject(f, 60); if (accepted) n++; assert_int_equal(rd(E1000_RDH), n); } while (0)
	memcpy(f, "\x02\x11\x22\x33\x44\x55", 6);
	EXPECT(false);                                 /* other unicast */
	memcpy(f, our_mac, 6);
	EXPECT(true);
	memset(f, 0xFF, 6);
	EXPECT(true);                                  /* broadcast + BAM */
	wr(E1000_RCTL, E1000_RCTL_EN);
	EXPECT(false);                                 /* broadcast without BAM */
	memcpy(f, "\x01\x00\x5e\x00\x00\xfb", 6);
	EXPECT(false);
	/* MTA hash, MO = 0: (dst5 << 8 | dst4) >> 4 */
	unsigned h = ((0xfb << 8 | 0x00) >> 4) & 0xFFF;
	wr(E1000_MTA + 4 * (h >> 5), 1u << (h & 31));
	EXPECT(true);
	wr(E1000_RCTL, E1000_RCTL_EN | 3u << E1000_RCTL_MO_SHIFT);  /* MO = 3: other bits */
	EXPECT(false);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_MPE);
	memcpy(f, "\x01\x00\x5e\x00\x00\x01", 6);
	EXPECT(true);
	memcpy(f, "\x02\x11\x22\x33\x44\x55", 6);
	EXPECT(false);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE);
	EXPECT(true);
	wr(E1000_RCTL, E1000_RCTL_EN);
	EXPECT(false);
	wr(E1000_RA + 8, 0x33221102);                  /* RA1 = 02:11:22:33:44:55 */
	wr(E1000_RA + 12, 0x5544);
	EXPECT(false);                                 /* not valid yet */
	wr(E1000_RA + 12, 0x5544 | E1000_RAH_AV);
	EXPECT(true);
	/* RCTL.EN off: dropped (not queued). */
	wr(E1000_RCTL, 0);
	assert_int_equal(inject(f, 60), 60);
	assert_int_equal(rd(E1000_RDH), n);
#undef EXPECT
}

static void test_rx_vlan(void **state)
{
	nic_open(0);
	uint8_t f[64] = { 0 };
	memcpy(f, our_mac, 6);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0x20; f[15] = 0x05;  /* prio 1, vid 5 */
	f[16] = 0x08; f[17] = 0x00; f[18] = 0xAB;
	/* VME off: delivered as is. */
	inject(f, 64);
	assert_int_equal(rx_len(0), 68);
	assert_false(rx_sta(0) & E1000_RXD_STAT_VP);
	/* VME on: stripped, TCI in special. */
	wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_VME);
	inject(f, 64);
	assert_int_equal(rx_len(1), 64);
	assert_true(rx_sta(1) & E1000_RXD_STAT_VP);
	assert_int_equal(rx_special(1), 0x2005);
	assert_int_equal(be16(rx_data(1) + 12), 0x0800);
	assert_int_equal(rx_data(1)[14], 0xAB);
	/* VFE: VID 5 not in VFTA -> dropped; then allowed. */
	wr(E1000_RCTL, rd(E1000_RCTL) | E1000_RCTL_VFE);
	inject(f, 64);
	assert_int_equal(rd(E1000_RDH), 2);
	wr(E1000_VFTA, 1u << 5);
	inject(f, 64);
	assert_int_equal(rd(E1000_RDH), 3);
}

static void test_rx_multi_desc_and_sizes(void **state)
{
	static uint8_t f[20000];
	nic_open(3u << E1000_RCTL_BSIZE_SHIFT);   /* 256-byte buffers */
	memcpy(f, our_mac, 6);
	for (int i = 12; i < 1000; i++)
		f[i] = (uint8_t)i;
	inject(f, 1000);                           /* 1004 with FCS: 4 descriptors */
	assert_int_equal(rd(E1000_RDH), 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(rx_len(i), i < 3 ? 256 : 1004 - 768);
		assert_int_equal(rx_sta(i) & E1000_RXD_STAT_EOP, i == 3 ? E1000_RXD_STAT_EOP : 0);
		assert_true(rx_sta(i) & E1000_RXD_STAT_DD);
		assert_memory_equal(rx_data(i), f + 256 * i, i < 3 ? 256 : 1000 - 768);
	}
	/* Long frames: dropped without LPE (ROC), taken with LPE. */
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BSEX | 3u << E1000_RCTL_BSIZE_SHIFT);  /* 4096 */
	inject(f, 9000);
	assert_int_equal(rd(E1000_RDH), 4);
	assert_int_equal(rd(E1000_ROC), 1);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_LPE | E1000_RCTL_BSEX | 3u << E1000_RCTL_BSIZE_SHIFT);
	inject(f, 9000);
	assert_int_equal(rd(E1000_RDH), 7);
	assert_int_equal(rx_len(4), 4096);
	assert_int_equal(rx_len(6), 9004 - 8192);
	/* > 16380 dropped even with LPE; 16384-byte buffers (BSEX 01). */
	inject(f, 16381);
	assert_int_equal(rd(E1000_RDH), 7);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_LPE | E1000_RCTL_BSEX | 1u << E1000_RCTL_BSIZE_SHIFT);
	inject(f, 16380);
	assert_int_equal(rd(E1000_RDH), 8);
	assert_int_equal(rx_len(7), 16384);   /* 16380 + FCS fills one buffer */
}

static void test_rx_backpressure(void **state)
{
	nic_open(0);
	wr(E1000_RDT, 2);                   /* 2 buffers */
	uint8_t f[60] = { 0 };
	memcpy(f, our_mac, 6);
	for (int i = 0; i < 5; i++) {
		f[20] = (uint8_t)i;
		ssize_t r = inject(f, 60);
		assert_int_equal(r, i < 2 ? 60 : 0);   /* queued, not dropped */
	}
	assert_int_equal(rd(E1000_RDH), 2);
	assert_int_equal(rd(E1000_MPC), 0);
	assert_true(rd(E1000_ICR) & E1000_ICR_RXDMT0);
	wr(E1000_RDT, 10);
	assert_int_equal(rd(E1000_RDH), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(rx_data(i)[20], i);
	assert_int_equal(rd(E1000_GPRC), 5);
	assert_int_equal(rd(E1000_MPC), 0);
	/* Bus master off: queued; on: delivered. */
	pci_cfg_write(e1000_pci_dev(dev), PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(inject(f, 60), 0);
	pci_cfg_write(e1000_pci_dev(dev), PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(rd(E1000_RDH), 6);
}

/* ---- the receive page as guest memory (x-rx-page) ----------------- */


#define PG(off) rh.page[((off) - 0x2000) / 4]   /* the guest's direct view of a register */

static void test_rx_page(void **state)
{
	uint8_t f[60] = { 0 };

	memset(&rh, 0, sizeof(rh));
	mmio.ram = fake_ram_hook;
	mmio.hook_opaque = &rh;
	memcpy(f, our_mac, 6);
	nic_open(0);
	assert_int_equal(rh.adds, 0);          /* RDT before RCTL.EN: still the handler */
	wr(E1000_RDT, 2);
	assert_int_equal(rh.adds, 1);          /* the driver hands buffers to a running receiver */
	assert_true(rh.on);
	assert_int_equal(rh.addr, MMIO_BASE + 0x2000);
	assert_int_equal(rh.len, 4096);
	assert_int_equal((uintptr_t)rh.page & 4095, 0);
	assert_int_equal(PG(E1000_RDT), 2);
	assert_int_equal(PG(E1000_RDBAL), RX_RING);

	/* Two buffers: the third frame waits. */
	for (int i = 0; i < 3; i++) {
		f[20] = (uint8_t)i;
		assert_int_equal(inject(f, 60), i < 2 ? 60 : 0);
	}
	assert_int_equal(PG(E1000_RDH), 2);     /* the guest reads RDH without an exit */
	/* The guest moves RDT in memory: nothing exits, the waiting receive retries on its timer,
	 * brought forward by the guest's next e1000 access. */
	assert_int_equal(el_init(), 0);
	PG(E1000_RDT) = 10;
	(void)rd(E1000_STATUS);
	run_loop_ms(5);
	assert_int_equal(PG(E1000_RDH), 3);
	assert_int_equal(rx_data(2)[20], 2);
	el_fini();

	/* Garbage written straight into the page never takes the ring outside itself. */
	memset(ram + RX_RING + 16 * NDESC, 0xCC, 64);
	PG(E1000_RDT) = 0xFFFFFFFFu;           /* masked to 0xFFFF: beyond the ring */
	assert_int_equal(inject(f, 60), 0);
	PG(E1000_RDT) = 5;
	PG(E1000_RDH) = 0xABCD0000u | 3;       /* masked to 3 */
	PG(E1000_RDLEN) = 0x7F;                /* no descriptors */
	assert_int_equal(inject(f, 60), 0);
	PG(E1000_RDLEN) = NDESC * 16 + 0x7F;   /* low bits ignored */
	PG(E1000_RDBAL) = 0xFFFFFFFFu;
	PG(E1000_RDBAH) = 0xFFFFFFFFu;         /* ring would wrap the address space */
	assert_int_equal(inject(f, 60), 0);
	PG(E1000_RDBAL) = RX_RING | 0xF;       /* low bits ignored */
	PG(E1000_RDBAH) = 0;
	assert_int_equal(inject(f, 60), 0);    /* still queued behind the three above */
	wr(E1000_RDT, 20);                     /* through the handler: kicks the queue */
	assert_int_equal(PG(E1000_RDH), 7);
	for (int i = 0; i < 64; i++)
		assert_int_equal(ram[RX_RING + 16 * NDESC + i], 0xCC);

	/* Receive off: the handler again, with the write masks applied to what the guest left. */
	PG(E1000_RDT) = 0xFFFF0007u;
	PG(0x2F00) = 0x12345678;               /* a reserved register */
	wr(E1000_RCTL, 0);
	assert_int_equal(rh.dels, 1);
	assert_false(rh.on);
	assert_int_equal(rd(E1000_RDBAL), RX_RING);
	assert_int_equal(rd(E1000_RDLEN), NDESC * 16);
	assert_int_equal(rd(E1000_RDT), 7);
	assert_int_equal(rd(E1000_RDH), 7);
	assert_int_equal(rd(0x2F00), 0);

	/* It follows BAR0, and a MAC reset takes it away. */
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
	wr(E1000_RDT, 9);
	assert_int_equal(rh.adds, 2);
	pci_cfg_write(e1000_pci_dev(dev), PCI_BASE_ADDRESS_0, 4, MMIO_BASE + 0x100000);
	assert_int_equal(rh.dels, 2);
	assert_int_equal(rh.adds, 3);
	assert_int_equal(rh.addr, MMIO_BASE + 0x102000);
	assert_true(rh.on);
	wr(E1000_CTRL, E1000_CTRL_RST);
	assert_false(rh.on);
	assert_int_equal(rh.dels, 3);
	mmio.ram = NULL;
}

/* ---- loopback (ethtool -t) ----------------------------------------- */

static void test_loopback_phy(void **state)
{
	nic_open(E1000_RCTL_RDMTS_MASK & 0);
	/* What e1000_integrated_phy_loopback does. */
	mdic(1, 1, M88_PHY_SPEC_CTRL, 0x0808);
	mdic(1, 1, PHY_CTRL, 0x9140);
	mdic(1, 1, PHY_CTRL, 0x8140);
	mdic(1, 1, PHY_CTRL, 0x4140);
	mdic(1, 1, M88_PAGE_SELECT, 2);
	mdic(1, 1, M88_PAGE_DATA, 0x8000);
	net_client_set_link(be_nc, false);             /* loopback ignores the cable */
	for (unsigned i = 0; i < 40; i++) {
		uint8_t *b = ram + TX_BUFS + 2048 * i;
		memset(b, 0xFF, 1024);
		memset(b + 512, 0xAA, 512);
		b[522] = 0xBE;
		b[524] = 0xAF;
		tx_put(TX_BUFS + 2048 * i, 1024 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RPS, 0);
	}
	tx_kick();
	assert_int_equal(be.n, 0);
	assert_int_equal(rd(E1000_RDH), 40);
	for (unsigned i = 0; i < 40; i++) {
		assert_int_equal(rx_data(i)[3], 0xFF);
		assert_int_equal(rx_data(i)[522], 0xBE);
		assert_int_equal(rx_data(i)[524], 0xAF);
	}
	/* Storm: more frames than RX buffers -> dropped and counted, no hang. */
	for (unsigned i = 0; i < NDESC - 1; i++)
		tx_put(TX_BUFS, 1024 | E1000_TXD_CMD_EOP, 0);
	tx_kick();
	assert_int_equal(rd(E1000_RDH), NDESC - 1);
	assert_true(rd(E1000_MPC) > 0);
	assert_true(rd(E1000_ICR) & E1000_ICR_RXO);
	mdic(1, 1, PHY_CTRL, 0x9140);
	assert_false(rd(E1000_STATUS) & E1000_STATUS_LU);
}

static void test_loopback_mac(void **state)
{
	nic_open(1u << 6);   /* RCTL.LBM = MAC loopback */
	uint8_t *b = ram + TX_BUFS;
	memcpy(b, our_mac, 6);
	memset(b + 6, 0x22, 54);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);
	tx_kick();
	assert_int_equal(be.n, 0);
	assert_int_equal(rd(E1000_RDH), 1);
	assert_memory_equal(rx_data(0), b, 60);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);
	tx_kick();
	assert_int_equal(be.n, 1);
}

static void test_reentrant_backend(void **state)
{
	nic_open(0);
	be.echo = true;
	uint8_t *b = ram + TX_BUFS;
	memset(b, 0xFF, 60);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	tx_kick();
	assert_int_equal(be.n, 2);
	assert_int_equal(rd(E1000_RDH), 1);   /* the echo arrived */
	assert_int_equal(rd(E1000_TDH), 2);
}

/* ---- bad input (e1000.md 7) ------------------------------------------ */

static void test_bad_rings(void **state)
{
	nic_open(0);
	uint8_t f[60] = { 0 };
	memcpy(f, our_mac, 6);
	/* Zero-length rings with head != tail. */
	wr(E1000_TDLEN, 0);
	wr(E1000_TDT, 5);
	assert_int_equal(rd(E1000_TDH), 0);
	wr(E1000_RDLEN, 0);
	wr(E1000_RDT, 5);
	inject(f, 60);
	/* Heads/tails past the ring. */
	wr(E1000_TDLEN, 128);           /* 8 descriptors */
	wr(E1000_TDH, 100);
	wr(E1000_TDT, 3);
	wr(E1000_TDH, 3);
	wr(E1000_TDT, 0xFFFF);
	wr(E1000_RDLEN, 128);
	wr(E1000_RDH, 200);
	wr(E1000_RDT, 3);
	inject(f, 60);
	wr(E1000_RDH, 0);
	wr(E1000_RDT, 0xFFFF);
	inject(f, 60);
	/* Rings outside RAM, at our own MMIO, straddling the end, wrapping. */
	static const uint64_t bases[] = { RAM_SIZE, RAM_SIZE - 64, MMIO_BASE,
					  0xFFFFFFFFFFFFFF80ull, 0xFFFFFFFF00000000ull };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		wr(E1000_TDBAL, (uint32_t)bases[i]);
		wr(E1000_TDBAH, (uint32_t)(bases[i] >> 32));
		wr(E1000_TDLEN, 0xFFF80);
		wr(E1000_TDH, 0);
		wr(E1000_TDT, 0xFFFF);
		wr(E1000_RDBAL, (uint32_t)bases[i]);
		wr(E1000_RDBAH, (uint32_t)(bases[i] >> 32));
		wr(E1000_RDLEN, 0xFFF80);
		wr(E1000_RDH, 0);
		wr(E1000_RDT, 0xFFFF);
		inject(f, 60);
	}
	/* Ring queue must have drained without crashing; restore. */
	be_clear();
}

static void test_bad_buffers(void **state)
{
	nic_open(0);
	/* TX buffers outside RAM / at MMIO / wrapping: packet dropped. */
	static const uint64_t addrs[] = { RAM_SIZE - 10, MMIO_BASE, 0xFFFFFFFFFFFFFFF0ull, 0 };
	for (size_t i = 0; i < 4; i++)
		tx_put(addrs[i], 60 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	/* Zero-length descriptors, and a packet without EOP that wraps. */
	tx_put(TX_BUFS, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	tx_kick();
	assert_int_equal(be.n, 1);       /* only addr 0 (valid RAM) */
	assert_int_equal(rd(E1000_TDH), 5);
	for (unsigned i = 0; i < NDESC - 1; i++)
		tx_put(TX_BUFS, 100, 0);
	tx_kick();
	assert_int_equal(be.n, 1);
	/* > 64 KiB packet: 20 x 4000 bytes, dropped. */
	wr(E1000_TDH, 0); wr(E1000_TDT, 0); tx_tail = 0;
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);  /* flushes the pending partial packet */
	be_clear();
	for (unsigned i = 0; i < 20; i++)
		data_put(TX_BUFS, 4000, i == 19 ? E1000_TXD_CMD_EOP : 0, 0, 0);
	data_put(TX_BUFS, 0xFFFFF, E1000_TXD_CMD_EOP, 0, 0);   /* DTALEN 1 MiB */
	tx_kick();
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], 63 * 100 + 60);   /* the pending packet went on */
	/* RX: NULL buffers skipped but consumed; buffers outside RAM. */
	uint8_t *d = ram + RX_RING;
	memset(d, 0, 16);
	uint64_t bad = 0xFFFFFFFFFFFFFF00ull;
	memcpy(d + 16, &bad, 8);
	uint8_t f[60] = { 0 };
	memcpy(f, our_mac, 6);
	inject(f, 60);
	inject(f, 60);
	assert_int_equal(rd(E1000_RDH), 2);
	assert_true(rx_sta(0) & E1000_RXD_STAT_DD);
	assert_true(rx_sta(1) & E1000_RXD_STAT_DD);
}

static void test_bad_tso(void **state)
{
	nic_open(0);
	size_t len = tso_prepare(ram + TX_BUFS, 3000);
	struct { uint8_t hdr; uint16_t mss; uint8_t tucss, tucso, ipcss; } c[] = {
		{ 54, 0, 34, 50, 14 },       /* MSS 0 */
		{ 0, 1000, 34, 50, 14 },     /* HDRLEN 0 */
		{ 255, 1000, 34, 50, 14 },   /* HDRLEN > first descriptor */
		{ 54, 1, 34, 50, 14 },       /* MSS 1: 2946 tiny segments */
		{ 54, 65535, 34, 50, 14 },   /* HDRLEN + MSS > 64 KiB */
		{ 54, 1000, 250, 255, 240 }, /* offsets beyond the header */
		{ 54, 1000, 50, 34, 14 },    /* TUCSO < TUCSS */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		be_clear();
		ctx_put(c[i].ipcss, 24, 33, c[i].tucss, c[i].tucso, 0, 3000,
			E1000_TXD_CMD_TSE | E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP, c[i].hdr, c[i].mss);
		data_put(TX_BUFS, (uint32_t)len, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP,
			 E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM, 0);
		tx_kick();
	}
	/* HDRLEN > packet: header-only frame. */
	be_clear();
	ctx_put(14, 24, 33, 34, 50, 0, 0, E1000_TXD_CMD_TSE | E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP, 200, 100);
	data_put(TX_BUFS, 60, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP, E1000_TXD_POPTS_TXSM, 0);
	tx_kick();
	assert_int_equal(be.n, 1);
	/* TSE data without any TSO context after reset. */
	wr(E1000_CTRL, E1000_CTRL_RST);
	nic_open(0);
	tx_tail = 0;
	be_clear();
	data_put(TX_BUFS, 100, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP, E1000_TXD_POPTS_TXSM, 0);
	tx_kick();
	assert_int_equal(be.n, 0);
	/* CTRL.RST in the middle of a packet: state cleared. */
	data_put(TX_BUFS, 100, 0, 0, 0);
	tx_kick();
	wr(E1000_CTRL, E1000_CTRL_RST);
	nic_open(0);
	tx_tail = 0;
	tx_put(TX_BUFS, 60 | E1000_TXD_CMD_EOP, 0);
	tx_kick();
	assert_int_equal(be.n, 1);
	assert_int_equal(be.len[0], 60);
	/* Short frame with VLE. */
	wr(E1000_CTRL, rd(E1000_CTRL) | E1000_CTRL_VME);
	tx_put(TX_BUFS, 5 | E1000_TXD_CMD_EOP | E1000_TXD_CMD_VLE, 1u << 16);
	tx_kick();
	assert_int_equal(be.n, 1);
}

static void test_statistics_no_double_count(void **state)
{
	nic_open(0);
	wr(E1000_RDT, 1);
	uint8_t f[60] = { 0 };
	memcpy(f, our_mac, 6);
	inject(f, 60);
	assert_int_equal(inject(f, 60), 0);   /* waits: neither missed nor dropped */
	assert_int_equal(rd(E1000_MPC), 0);
	assert_int_equal(rd(E1000_GPRC), 1);
	assert_int_equal(rd(E1000_GPRC), 0);
	assert_int_equal(rd(E1000_PRC64), 1);
	assert_int_equal(rd(E1000_TPR), 1);
	assert_int_equal(rd(E1000_TORL), 64);
	assert_int_equal(rd(E1000_TORH), 0);
	assert_int_equal(rd(E1000_TORL), 0);
	/* Statistics are read-only. */
	wr(E1000_GPRC, 5);
	assert_int_equal(rd(E1000_GPRC), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_pci_identity),
		T(test_reset_values),
		T(test_ethtool_register_test),
		T(test_eeprom_bitbang),
		T(test_eeprom_page),
		T(test_eerd),
		T(test_eeprom_write_and_garbage),
		T(test_mdic_phy),
		T(test_autoneg_lsc_interrupt),
		T(test_link_down_up),
		T(test_interrupts),
		cmocka_unit_test_setup_teardown(test_mitigation, setup_mit, teardown),
		T(test_tx_iothread_doorbell),
		T(test_tx_iothread_off),
		T(test_ctrl_rst_via_io),
		T(test_odd_size_access),
		T(test_tx_legacy),
		T(test_tx_polls_peer),
		T(test_tx_csum_offload),
		T(test_tx_tso),
		T(test_tx_tso_whole_to_stack),
		cmocka_unit_test_setup_teardown(test_tx_tso_vnet, setup_vnet, teardown),
		T(test_tx_vlan_insert),
		T(test_rx_basic),
		T(test_stop_report),
		T(test_rx_trusted_backend),
		T(test_rx_filters),
		T(test_rx_vlan),
		T(test_rx_multi_desc_and_sizes),
		T(test_rx_backpressure),
		T(test_rx_page),
		T(test_loopback_phy),
		T(test_loopback_mac),
		T(test_reentrant_backend),
		T(test_bad_rings),
		T(test_bad_buffers),
		T(test_bad_tso),
		T(test_statistics_no_double_count),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
