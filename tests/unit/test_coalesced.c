/* Coalesced register writes (hw/bus.h): replaying KVM's ring (vm/coalesced.c), zones that
 * follow a PCI BAR as it moves (hw/pci.c), the PCI address port, and the e1000's zone map
 * (every register but those with immediate side effects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/bus.h"
#include "hw/e1000.h"
#include "hw/e1000_regs.h"
#include "hw/nic.h"
#include "hw/pci.h"
#include "net/net.h"
#include "util/log.h"
#include "vm/coalesced.h"
#include "vm/layout.h"
#include "test_log.h"      /* log capture: tests/unit/test_log.h */
#include "test_machine.h"  /* fake_ram_init, fake_pci_init */

/* ---- a fake ring page ------------------------------------------------- */

static union {
	struct kvm_coalesced_mmio_ring ring;
	uint8_t page[4096];
} rp;
#define RING_MAX ((unsigned)((sizeof(rp.page) - sizeof(struct kvm_coalesced_mmio_ring)) / \
			     sizeof(struct kvm_coalesced_mmio)))

struct rec { unsigned n; uint64_t off[16]; unsigned len[16]; uint64_t val[16]; bool wr[16]; };
static struct rec rec_pio, rec_mmio;

static void rec_fn(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct rec *r = opaque;
	if (r->n < 16) {
		r->off[r->n] = off;
		r->len[r->n] = len;
		r->val[r->n] = bus_data_get(data, len);
		r->wr[r->n] = is_write;
	}
	r->n++;
}

static struct bus pio, mmio;

static int setup_ring(void **state)
{
	memset(&rp, 0, sizeof(rp));
	memset(&rec_pio, 0, sizeof(rec_pio));
	memset(&rec_mmio, 0, sizeof(rec_mmio));
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	assert_int_equal(bus_register(&pio, 0xcf8, 4, rec_fn, &rec_pio, "p"), 0);
	assert_int_equal(bus_register(&mmio, 0xc0000000, 0x20000, rec_fn, &rec_mmio, "m"), 0);
	log_capture_start();
	return 0;
}

static int teardown(void **state)
{
	log_capture_stop();
	return 0;
}

static void ring_put(uint64_t addr, uint32_t len, bool is_pio, uint64_t val)
{
	struct kvm_coalesced_mmio *e = &rp.ring.coalesced_mmio[rp.ring.last];
	e->phys_addr = addr;
	e->len = len;
	e->pio = is_pio;
	memcpy(e->data, &val, 8);
	rp.ring.last = (rp.ring.last + 1) % RING_MAX;
}

static void test_drain_in_order(void **state)
{
	ring_put(0xcf8, 4, true, 0x80001800);
	ring_put(0xc0002818, 4, false, 17);
	ring_put(0xc0002818, 4, false, 18);
	assert_int_equal(coalesced_drain(&rp.ring, RING_MAX, &pio, &mmio), 3);
	assert_int_equal(rp.ring.first, rp.ring.last);
	assert_int_equal(rec_pio.n, 1);
	assert_int_equal(rec_pio.val[0], 0x80001800);
	assert_true(rec_pio.wr[0]);
	assert_int_equal(rec_mmio.n, 2);
	assert_int_equal(rec_mmio.off[0], 0x2818);
	assert_int_equal(rec_mmio.val[0], 17);
	assert_int_equal(rec_mmio.val[1], 18);
	/* empty ring: nothing */
	assert_int_equal(coalesced_drain(&rp.ring, RING_MAX, &pio, &mmio), 0);
	assert_int_equal(coalesced_drain(NULL, RING_MAX, &pio, &mmio), 0);
}

static void test_drain_wraps(void **state)
{
	rp.ring.first = rp.ring.last = RING_MAX - 1;
	ring_put(0xc0000010, 4, false, 1);
	ring_put(0xc0000014, 4, false, 2);
	assert_int_equal(rp.ring.last, 1);
	assert_int_equal(coalesced_drain(&rp.ring, RING_MAX, &pio, &mmio), 2);
	assert_int_equal(rp.ring.first, 1);
	assert_int_equal(rec_mmio.off[1], 0x14);
}

static void test_drain_hostile_ring(void **state)
{
	/* indices past the ring: dropped, not followed */
	rp.ring.first = RING_MAX + 5;
	rp.ring.last = 3;
	assert_int_equal(coalesced_drain(&rp.ring, RING_MAX, &pio, &mmio), 0);
	assert_int_equal(rp.ring.first, 3);
	assert_int_equal(rec_mmio.n + rec_pio.n, 0);
	rp.ring.first = 0;
	rp.ring.last = 0xFFFFFFFFu;
	assert_int_equal(coalesced_drain(&rp.ring, RING_MAX, &pio, &mmio), 0);
	assert_int_equal(rp.ring.first, 0);
	/* a length over 8 is cut to 8; an unclaimed address is dropped by the bus */
	rp.ring.first = rp.ring.last = 0;
	ring_put(0xc0000020, 4096, false, 0x1122334455667788ull);
	ring_put(0x1000, 4, false, 5);
	assert_int_equal(coalesced_drain(&rp.ring, RING_MAX, &pio, &mmio), 2);
	assert_int_equal(rec_mmio.n, 1);
	assert_int_equal(rec_mmio.len[0], 8);
	assert_int_equal(rec_mmio.val[0], 0x1122334455667788ull);
}

/* ---- zones on the buses ---------------------------------------------- */

struct zone { bool pio; uint64_t addr, len; };
static struct zone zones[64];
static unsigned nzones, zone_adds, zone_removes, flushes;

static void zone_hook(void *opaque, bool is_pio, uint64_t addr, uint64_t len, bool add)
{
	if (add) {
		assert_true(nzones < 64);
		zones[nzones++] = (struct zone){ is_pio, addr, len };
		zone_adds++;
		return;
	}
	zone_removes++;
	for (unsigned i = 0; i < nzones; i++) {
		if (zones[i].pio == is_pio && zones[i].addr == addr && zones[i].len == len) {
			zones[i] = zones[--nzones];
			return;
		}
	}
	fail_msg("removing a zone that was never added: 0x%llx+0x%llx", (unsigned long long)addr,
		 (unsigned long long)len);
}

static void flush_hook(void *opaque) { flushes++; }

static bool zoned(bool is_pio, uint64_t addr, unsigned len)
{
	for (unsigned i = 0; i < nzones; i++)
		if (zones[i].pio == is_pio && addr >= zones[i].addr &&
		    addr + len <= zones[i].addr + zones[i].len)
			return true;
	return false;
}

static struct pci_bus pbus;
static struct guest_mem mem;
static uint8_t ram[0x10000];

static void irq_cb(void *opaque, unsigned gsi, int level) { }

static int setup_pci(void **state)
{
	nzones = zone_adds = zone_removes = flushes = 0;
	assert_int_equal(fake_ram_init(&mem, ram, sizeof(ram)), 0);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	pio.coalesce = mmio.coalesce = zone_hook;
	pio.flush = mmio.flush = flush_hook;
	assert_int_equal(pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, LAYOUT_PCI_MMIO_START,
				      LAYOUT_PCI_MMIO_END, LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END), 0);
	log_capture_start();
	return 0;
}

static void test_pci_address_port_coalesced(void **state)
{
	/* 0xCF8 (the latch) is, 0xCFC (the data port) is not. */
	assert_true(zoned(true, 0xcf8, 4));
	assert_false(zoned(true, 0xcfc, 4));
	assert_false(zoned(false, 0xcf8, 4));
	/* without the VM's hooks nothing is registered and nothing breaks */
	struct bus p2, m2;
	struct pci_bus pb2;
	unsigned before = zone_adds;
	bus_init(&p2, "pio");
	bus_init(&m2, "mmio");
	assert_true(p2.is_pio);
	assert_false(m2.is_pio);
	assert_int_equal(pci_bus_init(&pb2, &p2, &m2, &mem, irq_cb, NULL, LAYOUT_PCI_MMIO_START,
				      LAYOUT_PCI_MMIO_END, LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END), 0);
	assert_int_equal(zone_adds, before);
	bus_flush_coalesced(&m2);
	bus_flush_coalesced(&mmio);
	assert_int_equal(flushes, 1);
}

static void test_bar_zones_follow_moves(void **state)
{
	static struct pci_dev dev;
	static struct rec r;

	memset(&dev, 0, sizeof(dev));
	pci_dev_init(&dev, "zdev", 0x8086, 0x100e, 0, 0x020000, 0, 0, true);
	assert_int_equal(pci_dev_add_bar(&dev, 0, PCI_BAR_MMIO32, 0x20000, rec_fn, &r), 0);
	/* validation: outside the BAR, empty, no such BAR */
	assert_int_equal(pci_bar_add_coalesced(&dev, 0, 0x20000, 4), -1);
	assert_int_equal(pci_bar_add_coalesced(&dev, 0, 0x1fffc, 8), -1);
	assert_int_equal(pci_bar_add_coalesced(&dev, 0, 0, 0), -1);
	assert_int_equal(pci_bar_add_coalesced(&dev, 2, 0, 4), -1);
	assert_int_equal(pci_bar_add_coalesced(&dev, -1, 0, 4), -1);
	assert_int_equal(pci_bar_add_coalesced(&dev, 0, 0x100, 0x10), 0);
	assert_int_equal(pci_bus_add(&pbus, &dev, 3), 3);
	uint32_t base = dev.bar[0].addr;
	assert_true(dev.bar[0].mapped);
	assert_true(zoned(false, base + 0x100, 4));
	assert_false(zoned(false, base + 0x110, 4));
	/* moved: the zone moves with it */
	pci_cfg_write(&dev, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	assert_false(zoned(false, base + 0x100, 4));
	assert_true(zoned(false, 0xd0000100, 4));
	/* decoding off: gone; on again: back */
	pci_cfg_write(&dev, PCI_COMMAND, 2, 0);
	assert_false(zoned(false, 0xd0000100, 4));
	pci_cfg_write(&dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(zoned(false, 0xd0000100, 4));
	assert_int_equal(zone_adds - zone_removes, nzones);
	/* the table is bounded */
	for (unsigned i = 1; i < PCI_BAR_MAX_COALESCED; i++)
		assert_int_equal(pci_bar_add_coalesced(&dev, 0, 0x1000 + 8 * i, 4), 0);
	assert_int_equal(pci_bar_add_coalesced(&dev, 0, 0x2000, 4), -1);
}

static ssize_t be_receive(struct net_client *nc, const struct iovec *iov, int n)
{
	size_t t = 0;
	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return (ssize_t)t;
}
static const struct net_client_ops be_ops = { .type = "test", .receive = be_receive };

static void test_e1000_zone_map(void **state)
{
	struct nic_config cfg = { .model = "e1000", .slot = -1 };
	struct net_client *be = net_client_new(&be_ops, "be0", NULL);
	struct e1000 *s = e1000_create(&pbus, &cfg, be);
	uint32_t base;

	assert_non_null(s);
	pci_cfg_write(e1000_pci_dev(s), PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	base = e1000_pci_dev(s)->bar[0].addr;
	/* immediate side effects: exit every time */
	static const uint32_t hot[] = { E1000_MDIC, E1000_ICR, E1000_ICS, E1000_IMS, E1000_IMC,
					E1000_TCTL, E1000_TDT };
	for (unsigned i = 0; i < sizeof(hot) / sizeof(hot[0]); i++)
		assert_false(zoned(false, base + hot[i], 4));
	/* the busy ones that only matter at the next exit: coalesced */
	assert_true(zoned(false, base + E1000_RDT, 4));
	assert_true(zoned(false, base + E1000_ITR, 4));
	assert_true(zoned(false, base + E1000_EECD, 4));
	assert_true(zoned(false, base + E1000_CTRL, 4));
	assert_true(zoned(false, base + 0x1fffc, 4));
	/* an access straddling a hot register is not coalesced (KVM checks the whole range) */
	assert_false(zoned(false, base + E1000_TDT - 4, 8));
	/* the I/O BAR (IOADDR/IODATA) never is */
	assert_false(zoned(true, e1000_pci_dev(s)->bar[1].addr, 4));
	e1000_destroy(s);
	net_client_free(be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drain_in_order, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_drain_wraps, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_drain_hostile_ring, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_pci_address_port_coalesced, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_bar_zones_follow_moves, setup_pci, teardown),
		cmocka_unit_test_setup_teardown(test_e1000_zone_map, setup_pci, teardown),
	};
	return cmocka_run_group_tests_name("coalesced", tests, NULL, NULL);
}
