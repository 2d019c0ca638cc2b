/* libFuzzer harness for the PC devices behind port I/O and PCI config space:
 * 16550A UART (hw/serial.c), i8042 (hw/i8042.c), CMOS RTC (hw/rtc.c), ACPI
 * PM registers (hw/acpi_pm.c) and conventional PCI (hw/pci.c: config
 * mechanism #1 at 0xCF8/0xCFC, BAR sizing and moves, COMMAND decode bits,
 * MSI-X capability) with an e1000 and a virtio-net-pci plugged in. Every
 * access goes through one port-I/O struct bus (and the MMIO bus for the
 * BARs), as vCPU exits do, with random ports, sizes (1, 2, 4, 8), values
 * and directions; plus UART input.
 *
 * Oracles: the sanitizers, and after every step the bus tables must agree
 * with the devices' BAR state (a BAR marked mapped is registered at its
 * address for its handler; regions are sorted and disjoint), and MSIs may
 * only target the local APIC window.
 *
 * Input: ops, each an op byte and its operands (see the switch). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi_pm.h"
#include "hw/e1000.h"
#include "hw/i8042.h"
#include "hw/pci.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "hw/virtio_net.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "vm/guest_mem.h"
#include "vm/runstate.h"

#define RAM_SIZE (64u << 10)

static uint8_t ram[RAM_SIZE];

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

/* Ports the devices decode (plus PCI's); ops pick one and add a small offset. */
static const uint16_t hot_ports[] = {
	0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,   /* COM1 */
	0x60, 0x64,                                                 /* i8042 */
	0x70, 0x71,                                                 /* RTC */
	0x600, 0x601, 0x602,                                        /* ACPI PM */
	0xcf8, 0xcf9, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff,     /* PCI */
};

static time_t fixed_clock(void) { return 1700000000; }
static void irq_cb(void *opaque, unsigned gsi, int level) { (void)opaque; (void)gsi; (void)level; }
static void serial_irq(void *opaque, int level) { (void)opaque; (void)level; }
static void kbd_irq(void *opaque, unsigned irq, int level) { (void)opaque; (void)irq; (void)level; }
static void quiet(const char *line) { (void)line; }

static int msi_cb(void *opaque, uint64_t address, uint32_t data)
{
	(void)opaque;
	(void)data;
	if ((address & PCI_MSI_ADDR_MASK) != PCI_MSI_ADDR_BASE)
		abort();
	return 0;
}

static void check_bus(const struct bus *b)
{
	for (int i = 0; i < b->nr_regions; i++) {
		const struct bus_region *r = &b->region[i];
		if (!r->len || r->base + r->len < r->base)
			abort();
		if (i && b->region[i - 1].base + b->region[i - 1].len > r->base)
			abort();      /* unsorted or overlapping */
	}
}

static void check_bars(struct pci_dev *d, struct bus *pio, struct bus *mmio)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *bar = &d->bar[i];
		const struct bus_region *r;
		if (bar->type == PCI_BAR_NONE || !bar->mapped)
			continue;
		r = bus_find(bar->type == PCI_BAR_IO ? pio : mmio, bar->addr);
		if (!r || r->base != bar->addr || r->len != bar->size || r->fn != bar->fn ||
		    r->opaque != bar->opaque)
			abort();      /* a mapped BAR must be registered where it says */
	}
}

/* Config mechanism #1 through the port bus. */
static void cf8(struct bus *pio, uint32_t v)
{
	uint8_t d[4];
	bus_data_set(d, 4, v);
	bus_access(pio, 0xcf8, d, 4, true);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_sink(quiet);
	if (el_init() < 0)   /* runstate_request() calls el_quit() */
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem;
	static struct bus pio, mmio;
	static struct pci_bus pbus;
	struct in in = { data, size };
	struct nic_config ecfg = { .model = "e1000", .slot = -1, .has_mac = true,
				   .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
	struct nic_config vcfg = { .model = "virtio-net-pci", .slot = -1, .has_mac = true,
				   .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x57 } };
	struct serial *uart;
	struct i8042 *kbd;
	struct rtc *rtc;
	struct e1000 *e;
	struct virtio_net *v;
	struct pci_dev *devs[2];

	memset(ram, 0, sizeof(ram));
	memset(&mem, 0, sizeof(mem));
	guest_mem_add(&mem, 0, RAM_SIZE, ram);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	runstate_clear();
	if (pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, 0xC0000000u, 0xD0000000u, 0xC000, 0xD000))
		abort();
	pci_bus_set_msi(&pbus, msi_cb, NULL);
	uart = serial_create(&pio, 0x3f8, NULL, serial_irq, NULL);
	kbd = i8042_create(&pio, kbd_irq, NULL);
	rtc = rtc_create(&pio);
	if (!uart || !kbd || !rtc || acpi_pm_init(&pio) < 0)
		abort();
	rtc_set_clock(rtc, fixed_clock);
	e = e1000_create(&pbus, &ecfg, NULL);
	v = virtio_net_create(&pbus, &vcfg, NULL);
	if (!e || !v)
		abort();
	devs[0] = e1000_pci_dev(e);
	devs[1] = virtio_net_pci_dev(v);

	for (unsigned steps = 0; in.n && steps < 4096; steps++) {
		uint8_t op = (uint8_t)take(&in, 1);
		unsigned len = 1u << ((op >> 6) & 3);          /* 1, 2, 4, 8 */
		bool wr = op & 0x20;
		uint8_t d[8];
		uint64_t port;

		memset(d, 0, sizeof(d));
		switch (op & 7) {
		case 0: case 1: /* a decoded port (+0..3), any size, either way */
			port = hot_ports[take(&in, 1) % (sizeof(hot_ports) / sizeof(hot_ports[0]))];
			if (op & 0x10)
				port += take(&in, 1) & 3;
			bus_data_set(d, 8, take(&in, wr ? len : 0));
			bus_access(&pio, port, d, len, wr);
			break;
		case 2: /* any 16-bit port (BAR-mapped I/O included) */
			port = take(&in, 2);
			bus_data_set(d, 8, take(&in, wr ? len : 0));
			bus_access(&pio, port, d, len, wr);
			break;
		case 3: { /* config mechanism #1: address latch, then data (any slot/fn/bus bits) */
			uint32_t addr;
			uint8_t sel = (uint8_t)take(&in, 1);
			unsigned reg = (unsigned)take(&in, 1);
			if (sel & 0x80)
				addr = (uint32_t)take(&in, 4);            /* raw latch value */
			else
				addr = 0x80000000u | (uint32_t)devs[sel & 1]->slot << 11 | (reg & 0xfc);
			cf8(&pio, addr);
			bus_data_set(d, 8, take(&in, wr ? len : 0));
			bus_access(&pio, 0xcfc + (reg & 3), d, len, wr);
			break;
		}
		case 4: { /* BAR sizing and moves, as firmware and Linux do them */
			struct pci_dev *pd = devs[op & 0x08 ? 1 : 0];
			unsigned bar = (unsigned)take(&in, 1) % 7;     /* 6 = the ROM BAR */
			unsigned reg = bar == 6 ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * bar;
			uint32_t val = (uint32_t)take(&in, 4);
			cf8(&pio, 0x80000000u | (uint32_t)pd->slot << 11 | reg);
			if (op & 0x10) {                              /* size it */
				bus_data_set(d, 4, 0xffffffffu);
				bus_access(&pio, 0xcfc, d, 4, true);
				bus_access(&pio, 0xcfc, d, 4, false);
			}
			if (op & 0x20) {                              /* decode off around the move */
				cf8(&pio, 0x80000000u | (uint32_t)pd->slot << 11 | PCI_COMMAND);
				bus_data_set(d, 2, 0);
				bus_access(&pio, 0xcfc, d, 2, true);
				cf8(&pio, 0x80000000u | (uint32_t)pd->slot << 11 | reg);
			}
			bus_data_set(d, 4, val);
			bus_access(&pio, 0xcfc, d, 4, true);
			if (op & 0x20) {
				cf8(&pio, 0x80000000u | (uint32_t)pd->slot << 11 | PCI_COMMAND);
				bus_data_set(d, 2, take(&in, 2));
				bus_access(&pio, 0xcfc, d, 2, true);
			}
			break;
		}
		case 5: { /* MMIO at (or near) a device's BAR, wherever it is now */
			struct pci_dev *pd = devs[op & 0x08 ? 1 : 0];
			const struct pci_bar *b = &pd->bar[take(&in, 1) % PCI_NUM_BARS];
			uint32_t off = (uint32_t)take(&in, 2);
			uint64_t addr = (op & 0x10) ? 0xC0000000u + ((uint64_t)off << 4) : b->addr + off;
			bus_data_set(d, 8, take(&in, wr ? len : 0));
			bus_access(b->type == PCI_BAR_IO && !(op & 0x10) ? &pio : &mmio, addr, d, len, wr);
			break;
		}
		case 6: { /* UART input (the chardev side) */
			size_t n = (size_t)take(&in, 1) % 32;
			uint8_t buf[32];
			size_t room = serial_can_receive(uart);
			if (n > in.n)
				n = in.n;
			memcpy(buf, in.p, n);
			in.p += n;
			in.n -= n;
			if (n > room && !(op & 0x10))
				n = room;       /* as the chardev does; bit 4 overfeeds on purpose */
			if (n)
				serial_receive(uart, buf, n);
			break;
		}
		default: /* direct config writes/reads (any offset/len), MSI-X control */
			if (op & 0x10) {
				struct pci_dev *pd = devs[1];
				if (pd->msix.nvec)
					pci_cfg_write(pd, pd->msix.cap + PCI_MSIX_FLAGS, 2, (uint32_t)take(&in, 2));
			} else {
				struct pci_dev *pd = devs[op & 0x08 ? 1 : 0];
				unsigned off = (unsigned)take(&in, 2) & 0x1ff;
				/* The 0xCFC path never passes more than 4 bytes and
				 * pci_cfg_*() build a uint32_t: stay within that contract. */
				if (len > 4)
					len = 4;
				if (wr)
					pci_cfg_write(pd, off, len, (uint32_t)take(&in, 4));
				else
					(void)pci_cfg_read(pd, off, len);
			}
			break;
		}
		check_bus(&pio);
		check_bus(&mmio);
		check_bars(devs[0], &pio, &mmio);
		check_bars(devs[1], &pio, &mmio);
	}

	virtio_net_destroy(v);
	e1000_destroy(e);
	rtc_destroy(rtc);
	i8042_destroy(kbd);
	serial_destroy(uart);
	runstate_clear();
	return 0;
}
