/* hw/acpi_pm.c: the hardware-reduced sleep/reset registers the FADT points
 * at (ACPI 6.4 4.8.3.7 SLEEP_CONTROL_REG: SLP_TYPx bits 4:2, SLP_EN bit 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/acpi_pm.h"
#include "hw/bus.h"
#include "util/event_loop.h"
#include "vm/layout.h"
#include "vm/runstate.h"

static struct bus pio;

static int setup(void **state)
{
	assert_int_equal(el_init(), 0);
	runstate_clear();
	bus_init(&pio, "pio");
	assert_int_equal(acpi_pm_init(&pio), 0);
	return 0;
}

static int teardown(void **state)
{
	runstate_clear();
	el_fini();
	return 0;
}

static void outb(uint16_t port, uint8_t v)
{
	assert_true(bus_access(&pio, port, &v, 1, true));
}

static void test_s5_powers_off(void **state)
{
	assert_false(el_quitting());
	outb(PORT_ACPI_SLEEP_CTL, (5 << 2) | (1 << 5));   /* the DSDT's \_S5 */
	assert_int_equal(runstate_pending(), RUNSTATE_POWEROFF);
	assert_true(el_quitting());
	assert_int_equal(el_run(), 0);   /* quit status 0 */
}

static void test_other_sleep_values_ignored(void **state)
{
	static const uint8_t vals[] = {
		5 << 2,                  /* S5 type without SLP_EN */
		1 << 5,                  /* SLP_EN, type 0 (S0) */
		(1 << 2) | (1 << 5),     /* S1 */
		(3 << 2) | (1 << 5),     /* S3: we never sleep */
		(7 << 2) | (1 << 5),
		0x00, 0xff & ~(1 << 5),
	};
	for (unsigned i = 0; i < sizeof(vals); i++) {
		outb(PORT_ACPI_SLEEP_CTL, vals[i]);
		assert_int_equal(runstate_pending(), RUNSTATE_NONE);
	}
	/* Bits outside SLP_TYP/SLP_EN don't matter. */
	outb(PORT_ACPI_SLEEP_CTL, 0x80 | (5 << 2) | (1 << 5) | 0x03);
	assert_int_equal(runstate_pending(), RUNSTATE_POWEROFF);
	/* The status register and reset register don't power off. */
	runstate_clear();
	outb(PORT_ACPI_SLEEP_STS, (5 << 2) | (1 << 5));
	assert_int_equal(runstate_pending(), RUNSTATE_NONE);
}

static void test_reset_register(void **state)
{
	outb(PORT_ACPI_RESET, 0x02);
	outb(PORT_ACPI_RESET, 0x00);
	outb(PORT_ACPI_RESET, 0xff);
	assert_int_equal(runstate_pending(), RUNSTATE_NONE);
	outb(PORT_ACPI_RESET, ACPI_RESET_VALUE);
	assert_int_equal(runstate_pending(), RUNSTATE_RESET);
	/* First request wins. */
	outb(PORT_ACPI_SLEEP_CTL, (5 << 2) | (1 << 5));
	assert_int_equal(runstate_pending(), RUNSTATE_RESET);
}

static void test_reads_and_ports(void **state)
{
	uint8_t v = 0x55;

	/* SLEEP_STATUS reads 0 (WAK_STS never set). */
	assert_true(bus_access(&pio, PORT_ACPI_SLEEP_STS, &v, 1, false));
	assert_int_equal(v, 0);
	v = 0x55;
	assert_true(bus_access(&pio, PORT_ACPI_SLEEP_CTL, &v, 1, false));
	assert_int_equal(v, 0);
	/* Exactly 0x600..0x602 are claimed. */
	assert_false(bus_access(&pio, PORT_ACPI_SLEEP_CTL - 1, &v, 1, false));
	assert_false(bus_access(&pio, PORT_ACPI_RESET + 1, &v, 1, false));
	/* Registering twice fails. */
	assert_int_equal(acpi_pm_init(&pio), -1);
	assert_int_equal(runstate_pending(), RUNSTATE_NONE);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_s5_powers_off),
		T(test_other_sleep_values_ignored),
		T(test_reset_register),
		T(test_reads_and_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
