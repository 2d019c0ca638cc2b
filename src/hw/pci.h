/* Conventional PCI: bus 0 only, config mechanism #1 (ports 0xCF8/0xCFC),
 * type-0 headers, BARs that move through the bus tables, INTx lines.
 *
 * A device embeds struct pci_dev, fills identity with pci_dev_init(), adds
 * BARs with pci_dev_add_bar() and is plugged with pci_bus_add(). It raises
 * and lowers its INTx line with pci_set_irq(); it reaches guest RAM only
 * through pci_dma_read()/pci_dma_write(), which bounds-check every access and
 * honour the COMMAND register's bus-master bit.
 *
 * MSI-X (PCI 3.0 6.8.2): pci_msix_init() gives a device a capability and a
 * BAR of its own holding the vector table and the pending bit array; the
 * device signals a vector with pci_msix_notify(). While MSI-X is enabled the
 * INTx line is held deasserted. Messages go out through the bus's signal_msi
 * hook (pci_bus_set_msi()), only to the local APIC range 0xFEExxxxx. */
#ifndef SKIFF_HW_PCI_H
#define SKIFF_HW_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/bus.h"
#include "vm/guest_mem.h"

/* Config space offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define  PCI_COMMAND_IO      0x0001
#define  PCI_COMMAND_MEMORY  0x0002
#define  PCI_COMMAND_MASTER  0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS           0x06
#define  PCI_STATUS_INTERRUPT 0x0008
#define  PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_CLASS_DEVICE     0x0a
#define PCI_CACHE_LINE_SIZE  0x0c
#define PCI_LATENCY_TIMER    0x0d
#define PCI_HEADER_TYPE      0x0e
#define PCI_BASE_ADDRESS_0   0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID     0x2e
#define PCI_ROM_ADDRESS      0x30
#define PCI_CAPABILITY_LIST  0x34
#define PCI_INTERRUPT_LINE   0x3c
#define PCI_INTERRUPT_PIN    0x3d

/* Capability IDs and the MSI-X capability (PCI 3.0 6.8.2). */
#define PCI_CAP_ID_MSIX      0x11
#define PCI_MSIX_FLAGS       2      /* message control, from the capability */
#define  PCI_MSIX_FLAGS_QSIZE   0x07ff  /* table size - 1 */
#define  PCI_MSIX_FLAGS_MASKALL 0x4000  /* function mask */
#define  PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_TABLE       4      /* table offset | BIR */
#define PCI_MSIX_PBA         8      /* PBA offset | BIR */
#define  PCI_MSIX_BIR_MASK      7
#define PCI_MSIX_CAP_LEN     12
#define PCI_MSIX_ENTRY_SIZE  16
#define PCI_MSIX_ENTRY_ADDR_LO 0
#define PCI_MSIX_ENTRY_ADDR_HI 4
#define PCI_MSIX_ENTRY_DATA    8
#define PCI_MSIX_ENTRY_CTRL    12
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT 1
#define PCI_MSIX_MAX_VECTORS 64     /* ours; the PBA is one qword */
#define PCI_MSI_ADDR_BASE    0xfee00000u   /* local APIC message window */
#define PCI_MSI_ADDR_MASK    0xfff00000u

#define PCI_NUM_BARS 6
#define PCI_MAX_SLOTS 32

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_MMIO32, PCI_BAR_IO };

#define PCI_BAR_MAX_COALESCED 12

struct pci_bar {
	enum pci_bar_type type;
	uint32_t size;         /* power of two; 0 = unused */
	uint32_t addr;         /* current address (base), as programmed */
	bool mapped;           /* currently registered on a bus */
	bus_access_fn fn;
	void *opaque;
	/* Coalesced write zones, offsets into the BAR (hw/bus.h); they follow the BAR. */
	struct { uint32_t off, len; } coalesced[PCI_BAR_MAX_COALESCED];
	unsigned nr_coalesced;
	/* One window of the BAR the guest may access as plain memory (pci_bar_set_ram). */
	struct { uint32_t off, len; void *hva; bool on, mapped, readonly; } ram;
};

struct pci_bus;
struct pci_dev;

/* Called after the guest writes config space (for device-specific side
 * effects); off/len describe the write, the new bytes are already in cfg[]. */
typedef void (*pci_cfg_write_fn)(struct pci_dev *dev, unsigned off, unsigned len);

/* MSI-X state; nvec == 0 means the device has no MSI-X capability. */
struct pci_msix {
	unsigned nvec;
	unsigned cap;             /* capability offset in config space */
	int bar;
	uint32_t table_off, pba_off;
	uint8_t table[PCI_MSIX_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint64_t pba;             /* pending bits, bit n = vector n */
};

struct pci_dev {
	uint8_t cfg[256];
	uint8_t wmask[256];       /* bits the guest may write */
	struct pci_bar bar[PCI_NUM_BARS];
	struct pci_bus *bus;
	int slot;                 /* device number on bus 0, -1 until plugged */
	unsigned gsi;             /* IOAPIC input the INTA# line is wired to */
	bool irq_level;           /* current INTx level as the device drives it */
	bool intx_out;            /* what reached the line: the level unless disabled */
	pci_cfg_write_fn cfg_write;
	const char *name;
	struct pci_msix msix;
};

typedef void (*pci_irq_fn)(void *opaque, unsigned gsi, int level);
/* Deliver one MSI (address, data); 0 or -1. */
typedef int (*pci_msi_fn)(void *opaque, uint64_t address, uint32_t data);

struct pci_bus {
	struct bus *pio;
	struct bus *mmio;
	const struct guest_mem *mem;
	pci_irq_fn set_irq;
	void *irq_opaque;
	bool intx_edge;           /* pci_bus_set_intx_edge() */
	pci_msi_fn signal_msi;    /* NULL: MSIs are dropped */
	void *msi_opaque;
	uint32_t config_address;  /* 0xCF8 latch */
	struct pci_dev *slot[PCI_MAX_SLOTS];
	uint32_t next_mmio;       /* BAR allocators (layout.h windows) */
	uint32_t mmio_end;
	uint32_t next_io;
	uint32_t io_end;
};

/* Create the bus and claim 0xCF8..0xCFF on pio. mmio/io windows are where
 * BARs get pre-assigned. */
int pci_bus_init(struct pci_bus *pbus, struct bus *pio, struct bus *mmio,
		 const struct guest_mem *mem, pci_irq_fn set_irq, void *irq_opaque,
		 uint32_t mmio_start, uint32_t mmio_end, uint32_t io_start, uint32_t io_end);

/* INTx as edges (the ACPI tables then say edge-triggered, vm/acpi.c): each rise of a
 * function's INTx output is one 0 -> 1 -> 0 pulse on its GSI, a fall sends nothing. Off: the
 * output is the GSI's level (PCI 3.0 2.2.6). */
void pci_bus_set_intx_edge(struct pci_bus *pbus, bool edge);

/* Where MSI messages go (vm_create sets KVM_SIGNAL_MSI). */
void pci_bus_set_msi(struct pci_bus *pbus, pci_msi_fn fn, void *opaque);

/* INTA# of slot s is wired to this GSI (also what the ACPI _PRT says). */
unsigned pci_slot_gsi(int slot);

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint8_t revision, uint32_t class_code /* class<<16|subclass<<8|progif */,
		  uint16_t subsys_vendor, uint16_t subsys_id, bool intx);
/* size must be a power of two (>= 16 for MMIO, >= 4 for I/O). */
int pci_dev_add_bar(struct pci_dev *dev, int idx, enum pci_bar_type type, uint32_t size,
		    bus_access_fn fn, void *opaque);
/* Mark [off, off + len) of BAR idx as coalesced writes (hw/bus.h): only registers whose
 * writes take effect unobserved until the guest's next exiting access. 0, or -1 when the
 * range is outside the BAR or the table is full. */
int pci_bar_add_coalesced(struct pci_dev *dev, int idx, uint32_t off, uint32_t len);
/* Turn the BAR's memory window [off, off + len) -> hva on or off (hw/bus.h bus_set_ram); it
 * follows the BAR when the guest moves or disables it. A readonly window serves the guest's
 * reads from hva while its writes still reach the handler, one by one: the BAR's coalesced
 * zones overlapping it are suspended while it is mapped (a queued write would leave hva
 * stale). Returns whether the guest now reaches hva directly (false without KVM, or while
 * the BAR is not placed). */
bool pci_bar_set_ram(struct pci_dev *dev, int idx, uint32_t off, uint32_t len, void *hva, bool on,
		     bool readonly);
/* Plug into slot (or the first free one if slot < 0); assigns BAR addresses.
 * Returns the slot or -1 with a message. */
int pci_bus_add(struct pci_bus *pbus, struct pci_dev *dev, int slot);

/* Drive the INTx line (the device's level; honours COMMAND.INTX_DISABLE; an edge per rise
 * on an edge bus). */
void pci_set_irq(struct pci_dev *dev, bool level);

/* Give dev an MSI-X capability at config offset cap (dword aligned, in
 * 0x40..0xf4, not overlapping others: the caller lays out its capabilities)
 * with nvec vectors (1..PCI_MSIX_MAX_VECTORS), and a 32-bit memory BAR bar of
 * bar_size bytes holding the table at table_off (8-aligned) and the PBA at
 * pba_off (8-aligned). The capability goes first in the list. Before
 * pci_bus_add(). 0, or -1 if the layout is invalid. */
int pci_msix_init(struct pci_dev *dev, unsigned nvec, unsigned cap, int bar, uint32_t bar_size,
		  uint32_t table_off, uint32_t pba_off);
/* MSI-X enabled in the capability (function mask or not). */
bool pci_msix_enabled(const struct pci_dev *dev);
/* Signal vector: sent if enabled and unmasked; pending if masked; nothing
 * if MSI-X is disabled or the vector does not exist. */
void pci_msix_notify(struct pci_dev *dev, unsigned vector);
/* Function-level reset: table masked and zero, no pending bits, disabled. */
void pci_msix_reset(struct pci_dev *dev);
/* The MSI-X BAR handler (opaque = the pci_dev), for tests and fuzzers. */
void pci_msix_bar_access(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);

/* DMA into guest RAM: 0, or -1 if bus mastering is off or the range is not
 * wholly guest RAM (then nothing is transferred). */
int pci_dma_read(struct pci_dev *dev, uint64_t gpa, void *buf, size_t len);
int pci_dma_write(struct pci_dev *dev, uint64_t gpa, const void *buf, size_t len);
/* Direct pointer (same checks), for zero-copy paths. NULL on failure. */
void *pci_dma_ptr(struct pci_dev *dev, uint64_t gpa, size_t len);

/* Config space access as the guest sees it (used by the 0xCFC handler and tests). */
uint32_t pci_cfg_read(struct pci_dev *dev, unsigned off, unsigned len);
void pci_cfg_write(struct pci_dev *dev, unsigned off, unsigned len, uint32_t val);

#endif
