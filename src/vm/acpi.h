/* ACPI tables for direct kernel boot (hardware-reduced profile, as
 * Firecracker and cloud-hypervisor do): RSDP -> XSDT -> FADT (-> DSDT), MADT.
 * Linux needs them for a clean "poweroff" (S5 through SLEEP_CONTROL_REG) and
 * takes CPUs and the IOAPIC from the MADT, PCI INTx routing from the DSDT. */
#ifndef SKIFF_VM_ACPI_H
#define SKIFF_VM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Build all tables into buf, which the guest sees at guest address gpa. PCI INTx lines
 * are described edge-triggered, active high (pci_intx_edge: hw/pci.c sends edges), else
 * level-triggered, active low, shared. Returns the RSDP's guest address (== gpa), or 0 if
 * buf is too small. */
uint64_t acpi_build(uint8_t *buf, size_t size, uint64_t gpa, unsigned nr_cpus,
		    bool pci_intx_edge);

/* Sum of bytes; a valid table sums to 0. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
