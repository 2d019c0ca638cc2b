/* Fake machine pieces for the device and loader tests: guest RAM at GPA 0,
 * and the pio/mmio buses with a PCI bus over them. The test owns every
 * object; these only set them up. Header-only: every test_*.c is its own
 * binary. */
#ifndef TEST_MACHINE_H
#define TEST_MACHINE_H

#include <stddef.h>
#include <string.h>

#include "hw/bus.h"
#include "hw/pci.h"
#include "vm/guest_mem.h"

/* mem = one slot: size bytes of ram at GPA 0. guest_mem_add()'s result. */
static inline int fake_ram_init(struct guest_mem *mem, void *ram, size_t size)
{
	memset(mem, 0, sizeof(*mem));
	return guest_mem_add(mem, 0, size, ram);
}

/* Fresh pio and mmio buses and a PCI bus over them (DMA into mem, the given
 * BAR windows). pci_bus_init()'s result. */
static inline int fake_pci_init(struct pci_bus *pbus, struct bus *pio, struct bus *mmio,
				struct guest_mem *mem, pci_irq_fn irq, void *opaque,
				uint32_t mmio_start, uint32_t mmio_end,
				uint32_t io_start, uint32_t io_end)
{
	bus_init(pio, "pio");
	bus_init(mmio, "mmio");
	return pci_bus_init(pbus, pio, mmio, mem, irq, opaque, mmio_start, mmio_end,
			    io_start, io_end);
}

#endif
