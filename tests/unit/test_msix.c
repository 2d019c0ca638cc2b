/* hw/pci.c MSI-X (PCI 3.0 6.8.2) on a bare test function: the capability
 * in config space, the table and PBA through the BAR (on the MMIO bus and
 * through the handler), enable / function mask / vector mask, pending bits,
 * INTx off while enabled, and the hardening: odd accesses, vector bounds,
 * messages only into the APIC window, bus mastering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/bus.h"
#include "hw/pci.h"
#include "util/log.h"
#include "vm/guest_mem.h"
#include "vm/layout.h"
#include "test_machine.h"  /* fake_ram_init, fake_pci_init */
#include "test_log.h"     /* log capture */

#define RAM_SIZE 0x10000u
#define NVEC     4
#define CAP      0x50
#define MBAR     2
#define MBAR_SIZE 0x1000u
#define PBA_OFF  0x800u

static struct bus pio, mmio;
static struct pci_bus pbus;
static struct guest_mem mem;
static uint8_t ram[RAM_SIZE];
static struct pci_dev dev;

static unsigned irq_calls;
static int irq_level;

#define MAX_MSI 32
static unsigned nmsi;
static uint64_t msi_addr[MAX_MSI];
static uint32_t msi_data[MAX_MSI];

static void irq_cb(void *opaque, unsigned gsi, int level)
{
	irq_calls++;
	irq_level = level;
}

static int msi_cb(void *opaque, uint64_t address, uint32_t data)
{
	assert_ptr_equal(opaque, &pbus);
	if (nmsi < MAX_MSI) {
		msi_addr[nmsi] = address;
		msi_data[nmsi] = data;
	}
	nmsi++;
	return 0;
}

static void dummy_bar(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write) {}

static int setup(void **state)
{
	assert_int_equal(fake_ram_init(&mem, ram, RAM_SIZE), 0);
	assert_int_equal(fake_pci_init(&pbus, &pio, &mmio, &mem, irq_cb, &pbus,
				       LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END,
				       LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END), 0);
	pci_bus_set_msi(&pbus, msi_cb, &pbus);
	pci_dev_init(&dev, "msix-test", 0x1234, 0x5678, 1, 0xff0000, 0, 0, true);
	assert_int_equal(pci_dev_add_bar(&dev, 0, PCI_BAR_MMIO32, 0x100, dummy_bar, NULL), 0);
	assert_int_equal(pci_msix_init(&dev, NVEC, CAP, MBAR, MBAR_SIZE, 0, PBA_OFF), 0);
	assert_true(pci_bus_add(&pbus, &dev, 3) == 3);
	pci_cfg_write(&dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	irq_calls = 0;
	irq_level = -1;
	nmsi = 0;
	memset(msi_addr, 0, sizeof(msi_addr));
	memset(msi_data, 0, sizeof(msi_data));
	log_capture_start();
	return 0;
}

static int teardown(void **state)
{
	log_capture_stop();
	return 0;
}

/* ---- helpers -------------------------------------------------------- */

static uint32_t bar_addr(void)
{
	return pci_cfg_read(&dev, PCI_BASE_ADDRESS_0 + 4 * MBAR, 4) & ~0xfu;
}

/* Through the MMIO bus, as a vCPU would. */
static void tw(uint32_t off, unsigned len, uint64_t v)
{
	uint8_t d[8];
	bus_data_set(d, len, v);
	assert_true(bus_access(&mmio, bar_addr() + off, d, len, true));
}

static uint64_t tr(uint32_t off, unsigned len)
{
	uint8_t d[8];
	memset(d, 0xff, sizeof(d));
	assert_true(bus_access(&mmio, bar_addr() + off, d, len, false));
	return bus_data_get(d, len);
}

static uint16_t mctl(void) { return (uint16_t)pci_cfg_read(&dev, CAP + PCI_MSIX_FLAGS, 2); }
static void set_mctl(uint16_t v) { pci_cfg_write(&dev, CAP + PCI_MSIX_FLAGS, 2, v); }

static void program(unsigned v, uint32_t addr, uint32_t data, bool masked)
{
	uint32_t e = v * PCI_MSIX_ENTRY_SIZE;
	tw(e + PCI_MSIX_ENTRY_ADDR_LO, 4, addr);
	tw(e + PCI_MSIX_ENTRY_ADDR_HI, 4, 0);
	tw(e + PCI_MSIX_ENTRY_DATA, 4, data);
	tw(e + PCI_MSIX_ENTRY_CTRL, 4, masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

static uint64_t pba(void) { return tr(PBA_OFF, 8); }

/* ---- tests ---------------------------------------------------------- */

static void test_cap_layout(void **state)
{
	unsigned ptr;

	assert_true(pci_cfg_read(&dev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	ptr = pci_cfg_read(&dev, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(ptr, CAP);
	assert_int_equal(pci_cfg_read(&dev, ptr, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(pci_cfg_read(&dev, ptr + 1, 1), 0);             /* last */
	assert_int_equal(mctl(), NVEC - 1);                               /* table size N-1, off */
	assert_int_equal(pci_cfg_read(&dev, ptr + PCI_MSIX_TABLE, 4), 0 | MBAR);
	assert_int_equal(pci_cfg_read(&dev, ptr + PCI_MSIX_PBA, 4), PBA_OFF | MBAR);
	/* The BAR: 32-bit memory, sized 4 KiB, placed by pci_bus_add. */
	assert_int_equal(pci_cfg_read(&dev, PCI_BASE_ADDRESS_0 + 4 * MBAR, 4) & 0xf, 0);
	assert_int_not_equal(bar_addr(), 0);
	assert_int_equal(bar_addr() % MBAR_SIZE, 0);
	pci_cfg_write(&dev, PCI_BASE_ADDRESS_0 + 4 * MBAR, 4, 0xffffffffu);
	assert_int_equal(pci_cfg_read(&dev, PCI_BASE_ADDRESS_0 + 4 * MBAR, 4), ~(MBAR_SIZE - 1));
	pci_cfg_write(&dev, PCI_BASE_ADDRESS_0 + 4 * MBAR, 4, 0xe0001000u);
	assert_int_equal(bar_addr(), 0xe0001000u);
	assert_int_equal(tr(PCI_MSIX_ENTRY_CTRL, 4), 1);                  /* reachable at the new place */
	/* Read-only: ID, next, table size, BIR/offsets; only enable and mask are writable. */
	pci_cfg_write(&dev, CAP, 4, 0);
	pci_cfg_write(&dev, CAP + 4, 4, 0xffffffffu);
	pci_cfg_write(&dev, CAP + 8, 4, 0xffffffffu);
	assert_int_equal(pci_cfg_read(&dev, CAP, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(pci_cfg_read(&dev, CAP + PCI_MSIX_TABLE, 4), MBAR);
	assert_int_equal(pci_cfg_read(&dev, CAP + PCI_MSIX_PBA, 4), PBA_OFF | MBAR);
	set_mctl(0xffff);
	assert_int_equal(mctl(), PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | (NVEC - 1));
	/* Byte write to the upper half of message control (Linux writes words; others may not). */
	pci_cfg_write(&dev, CAP + 3, 1, 0);
	assert_int_equal(mctl(), NVEC - 1);
	assert_false(pci_msix_enabled(&dev));
}

static void test_second_cap_chained(void **state)
{
	struct pci_dev d2;

	pci_dev_init(&d2, "two", 1, 2, 0, 0, 0, 0, false);
	d2.cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d2.cfg[PCI_CAPABILITY_LIST] = 0x40;
	d2.cfg[0x40] = 0x09;   /* an existing vendor capability */
	assert_int_equal(pci_msix_init(&d2, 1, 0x60, 1, 0x100, 0x80, 0x00), 0);
	assert_int_equal(d2.cfg[PCI_CAPABILITY_LIST], 0x60);
	assert_int_equal(d2.cfg[0x61], 0x40);
	assert_int_equal(pci_cfg_read(&d2, 0x60 + PCI_MSIX_FLAGS, 2), 0);   /* 1 vector */
}

static void test_init_errors(void **state)
{
	struct pci_dev d2;

	pci_dev_init(&d2, "bad", 1, 2, 0, 0, 0, 0, true);
	assert_int_equal(pci_msix_init(&d2, 0, 0x40, 1, 0x1000, 0, 0x800), -1);
	assert_int_equal(pci_msix_init(&d2, PCI_MSIX_MAX_VECTORS + 1, 0x40, 1, 0x1000, 0, 0x800), -1);
	assert_int_equal(pci_msix_init(&d2, 4, 0x42, 1, 0x1000, 0, 0x800), -1);     /* unaligned cap */
	assert_int_equal(pci_msix_init(&d2, 4, 0x20, 1, 0x1000, 0, 0x800), -1);     /* in the header */
	assert_int_equal(pci_msix_init(&d2, 4, 0xf8, 1, 0x1000, 0, 0x800), -1);     /* past the end */
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 6, 0x1000, 0, 0x800), -1);     /* no BAR 6 */
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 1, 0x1000, 4, 0x800), -1);     /* table unaligned */
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 1, 0x1000, 0, 0x20), -1);      /* PBA in the table */
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 1, 0x1000, 0xff8, 0), -1);     /* table too big */
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 1, 0x1000, 0, 0x1000), -1);    /* PBA outside */
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 1, 0x1001, 0, 0x800), -1);     /* BAR size */
	assert_int_equal(pci_dev_add_bar(&d2, 1, PCI_BAR_MMIO32, 0x1000, dummy_bar, NULL), 0);
	assert_int_equal(pci_msix_init(&d2, 4, 0x40, 1, 0x1000, 0, 0x800), -1);     /* BAR in use */
	assert_int_equal(d2.msix.nvec, 0);
	assert_int_equal(d2.cfg[PCI_CAPABILITY_LIST], 0);
	/* Already plugged. */
	assert_int_equal(pci_msix_init(&dev, 2, 0x60, 3, 0x1000, 0, 0x800), -1);
	/* 64 vectors fill a 1 KiB table exactly, PBA right after. */
	assert_int_equal(pci_msix_init(&d2, 64, 0x40, 2, 0x1000, 0, 0x400), 0);
	assert_int_equal(pci_cfg_read(&d2, 0x40 + PCI_MSIX_FLAGS, 2), 63);
}

static void test_reset_state(void **state)
{
	for (unsigned v = 0; v < NVEC; v++) {
		assert_int_equal(tr(v * 16 + PCI_MSIX_ENTRY_ADDR_LO, 4), 0);
		assert_int_equal(tr(v * 16 + PCI_MSIX_ENTRY_ADDR_HI, 4), 0);
		assert_int_equal(tr(v * 16 + PCI_MSIX_ENTRY_DATA, 4), 0);
		assert_int_equal(tr(v * 16 + PCI_MSIX_ENTRY_CTRL, 4), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}
	assert_int_equal(pba(), 0);
	assert_false(pci_msix_enabled(&dev));
}

static void test_table_rw(void **state)
{
	program(2, 0xfee01000u, 0x4031, false);
	assert_int_equal(tr(2 * 16, 4), 0xfee01000u);
	assert_int_equal(tr(2 * 16 + 8, 4), 0x4031);
	assert_int_equal(tr(2 * 16 + 12, 4), 0);
	/* Qword accesses: address, and data + control. */
	tw(3 * 16, 8, 0x00000000fee02000ull);
	tw(3 * 16 + 8, 8, 0x0000000100004032ull);
	assert_int_equal(tr(3 * 16, 8), 0xfee02000ull);
	assert_int_equal(tr(3 * 16 + 8, 8), 0x0000000100004032ull);
	/* Vector control: reserved bits read as zero. */
	tw(3 * 16 + 12, 4, 0xfffffffeu);
	assert_int_equal(tr(3 * 16 + 12, 4), 0);
	tw(3 * 16 + 12, 4, 0xffffffffu);
	assert_int_equal(tr(3 * 16 + 12, 4), 1);
	/* Past the table and between table and PBA: reads 0, writes dropped. */
	tw(NVEC * 16, 4, 0x12345678);
	assert_int_equal(tr(NVEC * 16, 4), 0);
	assert_int_equal(tr(0x7f8, 8), 0);
	assert_int_equal(tr(PBA_OFF + 8, 4), 0);
	assert_int_equal(tr(MBAR_SIZE - 4, 4), 0);
}

static void test_enable_deliver(void **state)
{
	program(1, 0xfee00000u, 0x4041, false);
	/* Disabled: nothing sent, nothing pending (the device uses INTx). */
	pci_msix_notify(&dev, 1);
	assert_int_equal(nmsi, 0);
	assert_int_equal(pba(), 0);
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	assert_true(pci_msix_enabled(&dev));
	pci_msix_notify(&dev, 1);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr[0], 0xfee00000u);
	assert_int_equal(msi_data[0], 0x4041);
	/* Still masked vectors (reset state) only pend. */
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 1);
	assert_int_equal(pba(), 1);
	/* Rewriting address/data of a masked vector does not send it. */
	program(0, 0xfee00000u, 0x4022, true);
	assert_int_equal(nmsi, 1);
	/* Unmask: the pending one goes out with the current message, bit clears. */
	tw(PCI_MSIX_ENTRY_CTRL, 4, 0);
	assert_int_equal(nmsi, 2);
	assert_int_equal(msi_data[1], 0x4022);
	assert_int_equal(pba(), 0);
	/* Unmasking again sends nothing more. */
	tw(PCI_MSIX_ENTRY_CTRL, 4, 0);
	assert_int_equal(nmsi, 2);
}

static void test_function_mask(void **state)
{
	program(0, 0xfee00000u, 0x30, false);
	program(3, 0xfee00000u, 0x33, false);
	set_mctl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_notify(&dev, 3);
	pci_msix_notify(&dev, 0);
	pci_msix_notify(&dev, 3);   /* one pending bit, one message later */
	assert_int_equal(nmsi, 0);
	assert_int_equal(pba(), 0x9);
	assert_int_equal(tr(PBA_OFF, 4), 0x9);
	/* PBA is read-only. */
	tw(PBA_OFF, 4, 0);
	tw(PBA_OFF, 8, 0);
	assert_int_equal(pba(), 0x9);
	/* A vector masked on its own stays pending when the function mask lifts. */
	tw(3 * 16 + PCI_MSIX_ENTRY_CTRL, 4, 1);
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_data[0], 0x30);
	assert_int_equal(pba(), 0x8);
	tw(3 * 16 + PCI_MSIX_ENTRY_CTRL, 4, 0);
	assert_int_equal(nmsi, 2);
	assert_int_equal(msi_data[1], 0x33);
	assert_int_equal(pba(), 0);
	/* Pending survives disable; enabling again delivers it. */
	set_mctl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_notify(&dev, 0);
	set_mctl(0);
	assert_int_equal(pba(), 1);
	assert_int_equal(nmsi, 2);
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(nmsi, 3);
	assert_int_equal(pba(), 0);
}

static void test_intx_off_while_enabled(void **state)
{
	pci_set_irq(&dev, true);
	assert_int_equal(irq_level, 1);
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(irq_level, 0);           /* line dropped on enable */
	pci_set_irq(&dev, true);
	assert_int_equal(irq_level, 0);
	/* Function mask does not bring INTx back. */
	set_mctl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_set_irq(&dev, true);
	assert_int_equal(irq_level, 0);
	/* Disabled: back to INTx with the device's level. */
	set_mctl(0);
	assert_int_equal(irq_level, 1);
	pci_set_irq(&dev, false);
	assert_int_equal(irq_level, 0);
	pci_set_irq(&dev, true);
	assert_int_equal(irq_level, 1);
	/* Reset with MSI-X on also releases INTx correctly. */
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(irq_level, 0);
	pci_msix_reset(&dev);
	assert_false(pci_msix_enabled(&dev));
	assert_int_equal(irq_level, 1);
}

static void test_bad_vectors(void **state)
{
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	pci_msix_notify(&dev, NVEC);
	pci_msix_notify(&dev, 63);
	pci_msix_notify(&dev, 64);
	pci_msix_notify(&dev, 100000);
	pci_msix_notify(&dev, ~0u);
	assert_int_equal(nmsi, 0);
	assert_int_equal(pba(), 0);
	/* A device without MSI-X ignores it all. */
	{
		struct pci_dev d2;
		pci_dev_init(&d2, "plain", 1, 2, 0, 0, 0, 0, true);
		assert_false(pci_msix_enabled(&d2));
		pci_msix_notify(&d2, 0);
		pci_msix_reset(&d2);
		assert_int_equal(nmsi, 0);
	}
}

static void test_address_check(void **state)
{
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	/* Anywhere but the APIC window is dropped (an MSI is a DMA write). */
	program(0, 0x00001000u, 0xdead, false);
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 0);
	assert_true(log_has("not in the APIC range"));
	program(0, 0xfef00000u, 0x41, false);
	pci_msix_notify(&dev, 0);
	program(0, 0xfed00000u, 0x41, false);
	pci_msix_notify(&dev, 0);
	/* 0xFEExxxxx but with a high dword: not the APIC window either. */
	program(0, 0xfee00000u, 0x41, false);
	tw(PCI_MSIX_ENTRY_ADDR_HI, 4, 1);
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 0);
	assert_int_equal(pba(), 0);
	/* Top of the window is fine (destination/redirection bits). */
	tw(PCI_MSIX_ENTRY_ADDR_HI, 4, 0);
	tw(PCI_MSIX_ENTRY_ADDR_LO, 4, 0xfeeff00cu);
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr[0], 0xfeeff00cu);
}

static void test_bus_master_off(void **state)
{
	program(0, 0xfee00000u, 0x41, false);
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	pci_cfg_write(&dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 0);
	assert_true(log_has("bus mastering off"));
	pci_cfg_write(&dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 1);
	/* No hook on the bus: dropped quietly. */
	pci_bus_set_msi(&pbus, NULL, NULL);
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 1);
}

static void test_memory_decode_off(void **state)
{
	uint8_t d[4] = { 0 };

	pci_cfg_write(&dev, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_false(bus_access(&mmio, bar_addr() + PCI_MSIX_ENTRY_CTRL, d, 4, true));
	pci_cfg_write(&dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(tr(PCI_MSIX_ENTRY_CTRL, 4), 1);
}

static void test_odd_accesses(void **state)
{
	uint8_t d[16];

	program(0, 0xfee00000u, 0x41, true);
	/* Byte/word and misaligned accesses: read as 0, not written. */
	assert_int_equal(tr(0, 1), 0);
	assert_int_equal(tr(0, 2), 0);
	assert_int_equal(tr(2, 4), 0);
	assert_int_equal(tr(4, 8), 0);
	tw(PCI_MSIX_ENTRY_CTRL, 1, 0);
	tw(PCI_MSIX_ENTRY_CTRL, 2, 0);
	tw(PCI_MSIX_ENTRY_CTRL - 2, 4, 0);
	tw(PCI_MSIX_ENTRY_CTRL - 4, 8, 0);   /* aligned qword: data + ctrl: allowed */
	assert_int_equal(tr(PCI_MSIX_ENTRY_CTRL, 4), 0);
	tw(PCI_MSIX_ENTRY_CTRL, 4, 1);
	tw(PCI_MSIX_ENTRY_CTRL + 2, 8, 0);   /* misaligned qword: ignored */
	assert_int_equal(tr(PCI_MSIX_ENTRY_CTRL, 4), 1);
	/* Every offset and size through the handler, in and past the BAR. */
	for (uint64_t off = 0; off < MBAR_SIZE + 16; off++)
		for (unsigned len = 1; len <= 8; len++) {
			memset(d, 0xa5, sizeof(d));
			pci_msix_bar_access(&dev, off, d, len, false);
			if (len != 4 && len != 8)
				for (unsigned i = 0; i < len; i++)
					assert_int_equal(d[i], 0);
			memset(d, 0xff, sizeof(d));
			if (off >= PBA_OFF || off % 16 < 12)   /* keep vectors masked */
				pci_msix_bar_access(&dev, off, d, len, true);
		}
	assert_int_equal(pba(), 0);
	assert_int_equal(nmsi, 0);
	/* Zero length does nothing. */
	pci_msix_bar_access(&dev, 0, d, 0, false);
	pci_msix_bar_access(&dev, 0, d, 0, true);
}

static void test_reset(void **state)
{
	program(1, 0xfee00000u, 0x41, false);
	set_mctl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_notify(&dev, 1);
	assert_int_equal(pba(), 2);
	pci_msix_reset(&dev);
	assert_int_equal(mctl(), NVEC - 1);
	assert_int_equal(pba(), 0);
	assert_int_equal(tr(16, 4), 0);
	assert_int_equal(tr(16 + PCI_MSIX_ENTRY_CTRL, 4), 1);
	set_mctl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(nmsi, 0);
}

/* Config cycles through 0xCF8/0xCFC, as Linux's pci_msix_clear_and_set_ctrl does. */
static void test_enable_via_config_ports(void **state)
{
	uint8_t d[4];
	uint32_t addr = 0x80000000u | 3u << 11 | CAP;

	program(0, 0xfee00000u, 0x51, false);
	bus_data_set(d, 4, addr);
	assert_true(bus_access(&pio, 0xcf8, d, 4, true));
	assert_true(bus_access(&pio, 0xcfc, d, 4, false));
	assert_int_equal(bus_data_get(d, 4), PCI_CAP_ID_MSIX | (NVEC - 1) << 16);
	bus_data_set(d, 2, PCI_MSIX_FLAGS_ENABLE | (NVEC - 1));
	assert_true(bus_access(&pio, 0xcfe, d, 2, true));
	assert_true(pci_msix_enabled(&dev));
	pci_msix_notify(&dev, 0);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_data[0], 0x51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cap_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_cap_chained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_off_while_enabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_master_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_decode_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_via_config_ports, setup, teardown),
	};

	setenv("SKIFF_DEBUG", "1", 1);   /* the drop messages are debug lines */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
