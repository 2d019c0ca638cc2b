/* The ACPI hardware-reduced power registers the FADT points at
 * (vm/acpi.c): SLEEP_CONTROL (S5 = power off), SLEEP_STATUS, RESET_REG. */
#ifndef SKIFF_HW_ACPI_PM_H
#define SKIFF_HW_ACPI_PM_H

#include "hw/bus.h"

int acpi_pm_init(struct bus *pio);
void acpi_pm_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);

#endif
