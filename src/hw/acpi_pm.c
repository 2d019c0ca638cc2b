#include "hw/acpi_pm.h"

#include <stddef.h>

#include "util/log.h"
#include "vm/layout.h"
#include "vm/runstate.h"

/* ACPI 6.4 4.8.3.7: SLEEP_CONTROL_REG bits [4:2] SLP_TYPx, bit 5 SLP_EN. */
#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK  (7u << SLP_TYP_SHIFT)
#define SLP_EN        (1u << 5)
#define SLP_TYP_S5    5   /* the DSDT's \_S5 package */

void acpi_pm_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	(void)opaque;
	if (!is_write) {
		data[0] = 0;   /* SLEEP_STATUS: WAK_STS never set, we never sleep */
		return;
	}
	debug_report("acpi-pm: write 0x%02x to port 0x%llx", data[0],
		     (unsigned long long)(PORT_ACPI_SLEEP_CTL + off));
	switch (PORT_ACPI_SLEEP_CTL + off) {
	case PORT_ACPI_SLEEP_CTL:
		if ((data[0] & SLP_EN) && ((data[0] & SLP_TYP_MASK) >> SLP_TYP_SHIFT) == SLP_TYP_S5)
			runstate_request(RUNSTATE_POWEROFF);
		break;
	case PORT_ACPI_RESET:
		if (data[0] == ACPI_RESET_VALUE)
			runstate_request(RUNSTATE_RESET);
		break;
	}
}

int acpi_pm_init(struct bus *pio)
{
	return bus_register(pio, PORT_ACPI_SLEEP_CTL, PORT_ACPI_RESET - PORT_ACPI_SLEEP_CTL + 1,
			    acpi_pm_io, NULL, "acpi-pm");
}
