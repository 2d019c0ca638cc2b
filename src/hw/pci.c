/* Conventional PCI on bus 0: config mechanism #1, BAR sizing/moves, INTx,
 * MSI-X. PCI Local Bus Specification 3.0 is cited as "PCI 3.0". */
#include "hw/pci.h"

#include <string.h>

#include "util/log.h"

#define CONFIG_ADDRESS_PORT 0xcf8
#define CONFIG_DATA_PORT    0xcfc

static inline void cfg_set16(uint8_t *cfg, unsigned off, uint16_t v)
{
	cfg[off] = (uint8_t)v;
	cfg[off + 1] = (uint8_t)(v >> 8);
}

static inline void cfg_set32(uint8_t *cfg, unsigned off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t cfg_get16(const uint8_t *cfg, unsigned off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static inline uint32_t cfg_get32(const uint8_t *cfg, unsigned off)
{
	return cfg[off] | cfg[off + 1] << 8 | cfg[off + 2] << 16 | (uint32_t)cfg[off + 3] << 24;
}

/* Interrupt routing: INTA# of slot s goes to GSI 16 + (s % 8) — IOAPIC
 * inputs 16..23 are free of ISA devices and level-triggered (vmm.md §10).
 * The DSDT's _PRT (vm/dsdt.asl) states the same mapping. */
unsigned pci_slot_gsi(int slot)
{
	return 16 + ((unsigned)slot & 7);
}

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint8_t revision, uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys_id,
		  bool intx)
{
	memset(dev->cfg, 0, sizeof(dev->cfg));
	memset(dev->wmask, 0, sizeof(dev->wmask));
	memset(dev->bar, 0, sizeof(dev->bar));
	dev->name = name;
	dev->slot = -1;
	dev->gsi = 0;
	dev->cfg_write = NULL;
	dev->bus = NULL;
	dev->irq_level = false;
	dev->intx_out = false;
	memset(&dev->msix, 0, sizeof(dev->msix));
	cfg_set16(dev->cfg, PCI_VENDOR_ID, vendor);
	cfg_set16(dev->cfg, PCI_DEVICE_ID, device);
	dev->cfg[PCI_REVISION_ID] = revision;
	dev->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	dev->cfg[PCI_CLASS_DEVICE] = (uint8_t)(class_code >> 8);
	dev->cfg[PCI_CLASS_DEVICE + 1] = (uint8_t)(class_code >> 16);
	cfg_set16(dev->cfg, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	cfg_set16(dev->cfg, PCI_SUBSYSTEM_ID, subsys_id);
	/* Writable: COMMAND (IO, MEM, MASTER, PARITY, SERR, INTX_DISABLE), cache line, latency, line. */
	cfg_set16(dev->wmask, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  0x0040 | 0x0100 | PCI_COMMAND_INTX_DISABLE);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	if (intx)
		dev->cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
}

int pci_dev_add_bar(struct pci_dev *dev, int idx, enum pci_bar_type type, uint32_t size,
		    bus_access_fn fn, void *opaque)
{
	if (idx < 0 || idx >= PCI_NUM_BARS || type == PCI_BAR_NONE || size == 0 ||
	    (size & (size - 1)) || (type == PCI_BAR_MMIO32 && size < 16) ||
	    (type == PCI_BAR_IO && (size < 4 || size > 256)))
		return -1;
	dev->bar[idx] = (struct pci_bar){ .type = type, .size = size, .fn = fn, .opaque = opaque };
	/* Address bits above the size are writable; type bits are read-only (PCI 3.0 6.2.5.1). */
	cfg_set32(dev->wmask, PCI_BASE_ADDRESS_0 + 4 * idx, ~(size - 1));
	cfg_set32(dev->cfg, PCI_BASE_ADDRESS_0 + 4 * idx, type == PCI_BAR_IO ? 1 : 0);
	return 0;
}

static bool pci_bar_enabled(const struct pci_dev *dev, const struct pci_bar *bar)
{
	uint16_t cmd = dev->cfg[PCI_COMMAND] | dev->cfg[PCI_COMMAND + 1] << 8;
	return bar->type == PCI_BAR_IO ? (cmd & PCI_COMMAND_IO) : (cmd & PCI_COMMAND_MEMORY);
}

/* The BAR's coalesced zones overlapping [off, off + len) on or off: a read-only window's are
 * off while it is mapped. */
static void pci_bar_zones_set(struct pci_bar *bar, struct bus *bus, uint32_t off, uint32_t len, bool add)
{
	for (unsigned z = 0; z < bar->nr_coalesced; z++) {
		uint32_t zo = bar->coalesced[z].off, zl = bar->coalesced[z].len;
		if (zo < off + len && off < zo + zl)
			bus_set_coalesced(bus, bar->addr + zo, zl, add);
	}
}

/* The window onto a placed BAR, when it is on. A read-only one: its zones go first, then what
 * they queued is delivered (hva must show every write before the first direct read). That
 * replay may re-enter the device, which may turn the window off or replace it: then nothing
 * is mapped and the zones come back. */
static void pci_bar_ram_map(struct pci_bar *bar, struct bus *bus)
{
	uint32_t off = bar->ram.off, len = bar->ram.len;

	if (!bar->ram.on || bar->ram.mapped)
		return;
	if (bar->ram.readonly) {
		pci_bar_zones_set(bar, bus, off, len, false);
		bus_flush_coalesced(bus);
		if (!bar->ram.on || bar->ram.mapped || !bar->ram.readonly || bar->ram.off != off ||
		    bar->ram.len != len) {
			pci_bar_zones_set(bar, bus, off, len, true);
			return;
		}
	}
	bar->ram.mapped = bus_set_ram(bus, bar->addr + off, len, bar->ram.hva, true, bar->ram.readonly) == 0;
	if (!bar->ram.mapped && bar->ram.readonly)
		pci_bar_zones_set(bar, bus, off, len, true);
}

static void pci_bar_ram_unmap(struct pci_bar *bar, struct bus *bus)
{
	if (!bar->ram.mapped)
		return;
	bus_set_ram(bus, bar->addr + bar->ram.off, bar->ram.len, bar->ram.hva, false, bar->ram.readonly);
	bar->ram.mapped = false;
	if (bar->ram.readonly)
		pci_bar_zones_set(bar, bus, bar->ram.off, bar->ram.len, true);
}

/* Bring the bus registration of every BAR in line with config space. */
static void pci_update_mappings(struct pci_dev *dev)
{
	if (!dev->bus)
		return;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bar[i];
		struct bus *bus;
		uint32_t raw, addr;
		bool want;

		if (bar->type == PCI_BAR_NONE)
			continue;
		bus = bar->type == PCI_BAR_IO ? dev->bus->pio : dev->bus->mmio;
		raw = cfg_get32(dev->cfg, PCI_BASE_ADDRESS_0 + 4 * i);
		addr = raw & ~(bar->size - 1) & (bar->type == PCI_BAR_IO ? ~3u : ~15u);
		/* Address 0 or the all-ones sizing pattern means "not placed". */
		want = pci_bar_enabled(dev, bar) && addr != 0 && addr != (uint32_t)~(bar->size - 1);
		if (bar->mapped && (!want || addr != bar->addr)) {
			pci_bar_ram_unmap(bar, bus);
			for (unsigned z = 0; z < bar->nr_coalesced; z++)
				bus_set_coalesced(bus, bar->addr + bar->coalesced[z].off,
						  bar->coalesced[z].len, false);
			bus_unregister(bus, bar->addr, bar->opaque);
			bar->mapped = false;
		}
		if (want && !bar->mapped) {
			if (bus_register(bus, addr, bar->size, bar->fn, bar->opaque, dev->name) == 0) {
				bar->addr = addr;
				bar->mapped = true;
				for (unsigned z = 0; z < bar->nr_coalesced; z++)
					bus_set_coalesced(bus, addr + bar->coalesced[z].off,
							  bar->coalesced[z].len, true);
				pci_bar_ram_map(bar, bus);
			} else {
				/* Overlap with another region: leave it unmapped, as real
				 * decoders would conflict; Linux never does this. */
				debug_report("%s: BAR%d at 0x%x overlaps, not mapped", dev->name, i, addr);
			}
		}
	}
}

int pci_bar_add_coalesced(struct pci_dev *dev, int idx, uint32_t off, uint32_t len)
{
	struct pci_bar *bar;

	if (idx < 0 || idx >= PCI_NUM_BARS)
		return -1;
	bar = &dev->bar[idx];
	if (bar->type == PCI_BAR_NONE || len == 0 || off >= bar->size || len > bar->size - off ||
	    bar->nr_coalesced >= PCI_BAR_MAX_COALESCED)
		return -1;
	bar->coalesced[bar->nr_coalesced].off = off;
	bar->coalesced[bar->nr_coalesced].len = len;
	bar->nr_coalesced++;
	return 0;
}

bool pci_bar_set_ram(struct pci_dev *dev, int idx, uint32_t off, uint32_t len, void *hva, bool on,
		     bool readonly)
{
	struct pci_bar *bar;
	struct bus *bus;

	if (idx < 0 || idx >= PCI_NUM_BARS)
		return false;
	bar = &dev->bar[idx];
	if (bar->type == PCI_BAR_NONE || bar->type == PCI_BAR_IO || len == 0 || off >= bar->size ||
	    len > bar->size - off)
		return false;
	bus = dev->bus ? dev->bus->mmio : NULL;
	if (bus)
		pci_bar_ram_unmap(bar, bus);
	bar->ram.mapped = false;
	bar->ram.off = off;
	bar->ram.len = len;
	bar->ram.hva = hva;
	bar->ram.on = on;
	bar->ram.readonly = readonly;
	if (bar->mapped && bus)
		pci_bar_ram_map(bar, bus);
	return bar->ram.mapped;
}

uint32_t pci_cfg_read(struct pci_dev *dev, unsigned off, unsigned len)
{
	uint32_t v = 0;

	if (off >= sizeof(dev->cfg) || len > 4 || len > sizeof(dev->cfg) - off)
		return ~0u;
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

static void pci_update_irq(struct pci_dev *dev);
static void msix_control_written(struct pci_dev *dev, uint16_t old);

void pci_cfg_write(struct pci_dev *dev, unsigned off, unsigned len, uint32_t val)
{
	unsigned mctl = dev->msix.cap + PCI_MSIX_FLAGS;
	uint16_t old_mctl;

	if (off >= sizeof(dev->cfg) || len > 4 || len > sizeof(dev->cfg) - off)
		return;
	old_mctl = dev->msix.nvec ? cfg_get16(dev->cfg, mctl) : 0;
	for (unsigned i = 0; i < len; i++) {
		uint8_t m = dev->wmask[off + i];
		uint8_t b = (uint8_t)(val >> (8 * i));
		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (b & m);
	}
	if ((off < PCI_BASE_ADDRESS_0 + 24 && off + len > PCI_BASE_ADDRESS_0) ||
	    (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND))
		pci_update_mappings(dev);
	if (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND)
		pci_update_irq(dev);
	if (dev->msix.nvec && off < mctl + 2 && off + len > mctl)
		msix_control_written(dev, old_mctl);
	if (dev->cfg_write)
		dev->cfg_write(dev, off, len);
}

static struct pci_dev *pci_bus_lookup(struct pci_bus *pbus, uint32_t addr)
{
	unsigned busno = (addr >> 16) & 0xff, slot = (addr >> 11) & 0x1f, fn = (addr >> 8) & 7;

	if (!(addr & 0x80000000u) || busno != 0 || fn != 0)
		return NULL;
	return pbus->slot[slot];
}

/* 0xCF8: the address latch reads back as written, including byte/word
 * writes into it (Linux's pci_check_type1() writes one byte to 0xCFB first). */
static void pci_config_address_io(void *opaque, uint64_t off, uint8_t *data, unsigned len,
				  bool is_write)
{
	struct pci_bus *pbus = opaque;

	if (off + len > 4)
		return;
	if (is_write) {
		for (unsigned i = 0; i < len; i++) {
			unsigned sh = 8 * (unsigned)(off + i);
			pbus->config_address = (pbus->config_address & ~(0xffu << sh)) |
					       ((uint32_t)data[i] << sh);
		}
	} else {
		bus_data_set(data, len, pbus->config_address >> (8 * off));
	}
}

static void pci_config_data_io(void *opaque, uint64_t off, uint8_t *data, unsigned len,
			       bool is_write)
{
	struct pci_bus *pbus = opaque;
	struct pci_dev *dev = pci_bus_lookup(pbus, pbus->config_address);
	unsigned reg = (pbus->config_address & 0xfc) + (unsigned)off;

	/* No dword-crossing accesses; absent functions float high. */
	if (!dev || off + len > 4)
		return;
	if (is_write)
		pci_cfg_write(dev, reg, len, (uint32_t)bus_data_get(data, len));
	else
		bus_data_set(data, len, pci_cfg_read(dev, reg, len));
}

int pci_bus_init(struct pci_bus *pbus, struct bus *pio, struct bus *mmio,
		 const struct guest_mem *mem, pci_irq_fn set_irq, void *irq_opaque,
		 uint32_t mmio_start, uint32_t mmio_end, uint32_t io_start, uint32_t io_end)
{
	memset(pbus, 0, sizeof(*pbus));
	pbus->pio = pio;
	pbus->mmio = mmio;
	pbus->mem = mem;
	pbus->set_irq = set_irq;
	pbus->irq_opaque = irq_opaque;
	pbus->next_mmio = mmio_start;
	pbus->mmio_end = mmio_end;
	pbus->next_io = io_start;
	pbus->io_end = io_end;
	pbus->signal_msi = NULL;
	pbus->msi_opaque = NULL;
	if (bus_register(pio, CONFIG_ADDRESS_PORT, 4, pci_config_address_io, pbus, "pci-config-address") ||
	    bus_register(pio, CONFIG_DATA_PORT, 4, pci_config_data_io, pbus, "pci-config-data"))
		return -1;
	/* Writing the address latch does nothing until 0xCFC is accessed (or the latch read back),
	 * both of which exit: coalesce it, one exit per config access instead of two. Linux scans
	 * 256 buses for an AGP bridge at boot on family-0Fh AMD models (qemu64): 8192 accesses. */
	bus_set_coalesced(pio, CONFIG_ADDRESS_PORT, 4, true);
	return 0;
}

void pci_bus_set_msi(struct pci_bus *pbus, pci_msi_fn fn, void *opaque)
{
	pbus->signal_msi = fn;
	pbus->msi_opaque = opaque;
}

static int pci_alloc(uint32_t *next, uint32_t end, uint32_t size, uint32_t *out)
{
	uint64_t base = ((uint64_t)*next + size - 1) & ~((uint64_t)size - 1);
	if (base + size > end)
		return -1;
	*out = (uint32_t)base;
	*next = (uint32_t)(base + size);
	return 0;
}

int pci_bus_add(struct pci_bus *pbus, struct pci_dev *dev, int slot)
{
	if (slot < 0) {
		for (slot = 0; slot < PCI_MAX_SLOTS && pbus->slot[slot]; slot++)
			;
		if (slot == PCI_MAX_SLOTS) {
			error_report("%s: no free PCI slot (all %d are in use)", dev->name, PCI_MAX_SLOTS);
			return -1;
		}
	} else if (slot >= PCI_MAX_SLOTS) {
		error_report("%s: PCI slot %d does not exist (slots are 0..%d)", dev->name, slot,
			     PCI_MAX_SLOTS - 1);
		return -1;
	} else if (pbus->slot[slot]) {
		error_report("PCI: slot %d function 0 not available for %s, in use by %s", slot,
			     dev->name, pbus->slot[slot]->name);
		return -1;
	}
	/* Pre-assign BARs (as firmware would); Linux keeps valid assignments. */
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *bar = &dev->bar[i];
		uint32_t addr;
		int rc;

		if (bar->type == PCI_BAR_NONE)
			continue;
		if (bar->type == PCI_BAR_IO)
			rc = pci_alloc(&pbus->next_io, pbus->io_end, bar->size, &addr);
		else
			rc = pci_alloc(&pbus->next_mmio, pbus->mmio_end, bar->size, &addr);
		if (rc) {
			error_report("%s: out of PCI %s space for BAR%d", dev->name,
				     bar->type == PCI_BAR_IO ? "I/O" : "memory", i);
			return -1;
		}
		cfg_set32(dev->cfg, PCI_BASE_ADDRESS_0 + 4 * i,
			  addr | (bar->type == PCI_BAR_IO ? 1 : 0));
	}
	dev->bus = pbus;
	dev->slot = slot;
	dev->gsi = pci_slot_gsi(slot);
	if (dev->cfg[PCI_INTERRUPT_PIN])
		dev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)dev->gsi;
	pbus->slot[slot] = dev;
	/* Memory and I/O decoding on, as the firmware leaves it. */
	cfg_set16(dev->cfg, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	pci_update_mappings(dev);
	return slot;
}

static void pci_update_irq(struct pci_dev *dev)
{
	uint16_t cmd = dev->cfg[PCI_COMMAND] | dev->cfg[PCI_COMMAND + 1] << 8;
	/* With MSI-X enabled the function must not use INTx (PCI 3.0 6.8.2). */
	bool out = dev->irq_level && !(cmd & PCI_COMMAND_INTX_DISABLE) && !pci_msix_enabled(dev);

	/* STATUS.INTERRUPT reflects the device's internal state (PCI 3.0 6.2.3). */
	if (dev->irq_level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	/* Only changes reach the line: a device that raises it again while it is up (virtio's
	 * ISR on every notification) costs no KVM_IRQ_LINE. */
	if (!dev->bus || !dev->bus->set_irq || !dev->cfg[PCI_INTERRUPT_PIN] || out == dev->intx_out)
		return;
	dev->intx_out = out;
	if (!dev->bus->intx_edge) {
		dev->bus->set_irq(dev->bus->irq_opaque, dev->gsi, out);
	} else if (out) {
		/* The guest's handler reads the cause (clearing it: the output falls) before
		 * another rise can come, as with MSI; a rise while the guest still services the
		 * last one waits in the IOAPIC's and LAPIC's IRR, it is not lost. */
		dev->bus->set_irq(dev->bus->irq_opaque, dev->gsi, 1);
		dev->bus->set_irq(dev->bus->irq_opaque, dev->gsi, 0);
	}
}

void pci_bus_set_intx_edge(struct pci_bus *pbus, bool edge)
{
	pbus->intx_edge = edge;
}

void pci_set_irq(struct pci_dev *dev, bool level)
{
	dev->irq_level = level;
	pci_update_irq(dev);
}

static bool pci_master(const struct pci_dev *dev)
{
	return dev->bus && dev->bus->mem && (dev->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER);
}

void *pci_dma_ptr(struct pci_dev *dev, uint64_t gpa, size_t len)
{
	if (!pci_master(dev))
		return NULL;
	return guest_mem_ptr(dev->bus->mem, gpa, len);
}

int pci_dma_read(struct pci_dev *dev, uint64_t gpa, void *buf, size_t len)
{
	if (!pci_master(dev))
		return -1;
	return guest_mem_read(dev->bus->mem, gpa, buf, len);
}

int pci_dma_write(struct pci_dev *dev, uint64_t gpa, const void *buf, size_t len)
{
	if (!pci_master(dev))
		return -1;
	return guest_mem_write(dev->bus->mem, gpa, buf, len);
}

/* ------------------------------------------------------------------ */
/* MSI-X (PCI 3.0 6.8.2)                                                 */

static inline uint32_t le32_at(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t msix_control(const struct pci_dev *dev)
{
	return cfg_get16(dev->cfg, dev->msix.cap + PCI_MSIX_FLAGS);
}

bool pci_msix_enabled(const struct pci_dev *dev)
{
	return dev->msix.nvec && (msix_control(dev) & PCI_MSIX_FLAGS_ENABLE);
}

static bool msix_masked(const struct pci_dev *dev, unsigned v)
{
	return (msix_control(dev) & PCI_MSIX_FLAGS_MASKALL) ||
	       (dev->msix.table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* Send vector v's message. An MSI is a memory write by the function: it
 * needs bus mastering, and we only let it reach the local APICs. */
static void msix_send(struct pci_dev *dev, unsigned v)
{
	const uint8_t *e = dev->msix.table + v * PCI_MSIX_ENTRY_SIZE;
	uint32_t lo = le32_at(e + PCI_MSIX_ENTRY_ADDR_LO), hi = le32_at(e + PCI_MSIX_ENTRY_ADDR_HI);
	uint32_t data = le32_at(e + PCI_MSIX_ENTRY_DATA);
	uint64_t addr = (uint64_t)hi << 32 | lo;

	if (!(dev->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
		debug_report("%s: MSI-X vector %u with bus mastering off, dropped", dev->name, v);
		return;
	}
	if (hi != 0 || (lo & PCI_MSI_ADDR_MASK) != PCI_MSI_ADDR_BASE) {
		debug_report("%s: MSI-X vector %u: address 0x%llx is not in the APIC range "
			     "0xfee00000-0xfeefffff, dropped", dev->name, v, (unsigned long long)addr);
		return;
	}
	if (dev->bus && dev->bus->signal_msi)
		dev->bus->signal_msi(dev->bus->msi_opaque, addr, data);
}

/* Deliver pending vectors that are no longer masked. */
static void msix_flush_pending(struct pci_dev *dev)
{
	struct pci_msix *m = &dev->msix;

	if (!pci_msix_enabled(dev))
		return;
	for (unsigned v = 0; v < m->nvec && m->pba; v++) {
		if (!(m->pba >> v & 1) || msix_masked(dev, v))
			continue;
		m->pba &= ~(1ull << v);
		msix_send(dev, v);
	}
}

void pci_msix_notify(struct pci_dev *dev, unsigned vector)
{
	struct pci_msix *m = &dev->msix;

	if (vector >= m->nvec || !pci_msix_enabled(dev))
		return;
	if (msix_masked(dev, vector)) {
		m->pba |= 1ull << vector;
		return;
	}
	msix_send(dev, vector);
}

static void msix_control_written(struct pci_dev *dev, uint16_t old)
{
	uint16_t now = msix_control(dev);

	if ((now ^ old) & PCI_MSIX_FLAGS_ENABLE)
		pci_update_irq(dev);   /* INTx off while enabled, back when disabled */
	if ((now ^ old) & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL))
		msix_flush_pending(dev);
}

void pci_msix_reset(struct pci_dev *dev)
{
	struct pci_msix *m = &dev->msix;
	uint16_t old;

	if (!m->nvec)
		return;
	old = msix_control(dev);
	memset(m->table, 0, sizeof(m->table));
	for (unsigned v = 0; v < m->nvec; v++)
		m->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	m->pba = 0;
	cfg_set16(dev->cfg, m->cap + PCI_MSIX_FLAGS, (uint16_t)(m->nvec - 1));
	if (old & PCI_MSIX_FLAGS_ENABLE)
		pci_update_irq(dev);
}

/* Only naturally aligned dword and qword accesses are defined (PCI 3.0
 * 6.8.2.9); others read as 0 and are not written. */
void pci_msix_bar_access(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct pci_dev *dev = opaque;
	struct pci_msix *m = &dev->msix;
	uint64_t tsize = (uint64_t)m->nvec * PCI_MSIX_ENTRY_SIZE;

	if (!is_write && len <= 8)
		memset(data, 0, len);
	if ((len != 4 && len != 8) || (off & (len - 1)) || !m->nvec)
		return;
	if (off >= m->table_off && off - m->table_off < tsize) {
		unsigned t = (unsigned)(off - m->table_off);
		unsigned v = t / PCI_MSIX_ENTRY_SIZE;
		uint8_t *e = m->table + v * PCI_MSIX_ENTRY_SIZE;
		bool was_masked;

		if (!is_write) {
			memcpy(data, m->table + t, len);
			return;
		}
		was_masked = msix_masked(dev, v);
		memcpy(m->table + t, data, len);
		/* Vector control: only the mask bit is implemented; the rest is reserved. */
		e[PCI_MSIX_ENTRY_CTRL] &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
		e[PCI_MSIX_ENTRY_CTRL + 1] = e[PCI_MSIX_ENTRY_CTRL + 2] = e[PCI_MSIX_ENTRY_CTRL + 3] = 0;
		if (was_masked && !msix_masked(dev, v))
			msix_flush_pending(dev);
	} else if (off >= m->pba_off && off - m->pba_off < 8) {
		/* The PBA is read-only. */
		if (!is_write)
			bus_data_set(data, len, m->pba >> (8 * (off - m->pba_off)));
	}
}

int pci_msix_init(struct pci_dev *dev, unsigned nvec, unsigned cap, int bar, uint32_t bar_size,
		  uint32_t table_off, uint32_t pba_off)
{
	uint64_t tsize = (uint64_t)nvec * PCI_MSIX_ENTRY_SIZE;
	struct pci_msix *m = &dev->msix;

	if (nvec == 0 || nvec > PCI_MSIX_MAX_VECTORS || (cap & 3) || cap < 0x40 ||
	    cap + PCI_MSIX_CAP_LEN > sizeof(dev->cfg) || bar < 0 || bar >= PCI_NUM_BARS ||
	    dev->bar[bar].type != PCI_BAR_NONE || (table_off & 7) || (pba_off & 7) ||
	    table_off + tsize > bar_size || (uint64_t)pba_off + 8 > bar_size ||
	    (pba_off < table_off + tsize && table_off < (uint64_t)pba_off + 8) ||
	    dev->cfg[cap] != 0 || dev->slot >= 0)
		return -1;
	if (pci_dev_add_bar(dev, bar, PCI_BAR_MMIO32, bar_size, pci_msix_bar_access, dev) < 0)
		return -1;
	m->nvec = nvec;
	m->cap = cap;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	dev->cfg[cap] = PCI_CAP_ID_MSIX;
	dev->cfg[cap + 1] = dev->cfg[PCI_CAPABILITY_LIST];
	dev->cfg[PCI_CAPABILITY_LIST] = (uint8_t)cap;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	cfg_set32(dev->cfg, cap + PCI_MSIX_TABLE, table_off | (uint32_t)bar);
	cfg_set32(dev->cfg, cap + PCI_MSIX_PBA, pba_off | (uint32_t)bar);
	/* Enable and function mask are the guest's; the table size is not. */
	cfg_set16(dev->wmask, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_reset(dev);
	return 0;
}
