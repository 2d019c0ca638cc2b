#include "hw/i440fx.h"

#include "vm/layout.h"

static struct pci_dev host_bridge, isa_bridge;

int i440fx_init(struct pci_bus *pbus)
{
	/* 8086:1237 rev 2, class 06/00/00 (host bridge); subsystem as QEMU (1af4:1100). */
	pci_dev_init(&host_bridge, "i440FX", 0x8086, 0x1237, 0x02, 0x060000, 0x1af4, 0x1100, false);
	/* 8086:7000, class 06/01/00 (ISA bridge). */
	pci_dev_init(&isa_bridge, "PIIX3", 0x8086, 0x7000, 0x00, 0x060100, 0x1af4, 0x1100, false);
	if (pci_bus_add(pbus, &host_bridge, PCI_SLOT_HOST_BRIDGE) < 0 ||
	    pci_bus_add(pbus, &isa_bridge, PCI_SLOT_ISA_BRIDGE) < 0)
		return -1;
	return 0;
}
