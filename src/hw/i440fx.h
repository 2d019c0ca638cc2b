/* The PC chipset's PCI identity, as on QEMU's "pc" machine: the i440FX host
 * bridge at 00:00.0 (Linux's conf1 sanity check wants a host bridge on bus 0)
 * and the PIIX3 ISA bridge at 00:01.0. Config space only for now; PAM and
 * SMRAM registers come with firmware boot (research/firmware.md). */
#ifndef SKIFF_HW_I440FX_H
#define SKIFF_HW_I440FX_H

#include "hw/pci.h"

int i440fx_init(struct pci_bus *pbus);

#endif
