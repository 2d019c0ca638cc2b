/* hw/i8042.c: the PS/2 controller as Linux's i8042/atkbd drivers probe it
 * (drivers/input/serio/i8042.h command and status bits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/bus.h"
#include "hw/i8042.h"
#include "util/event_loop.h"
#include "vm/layout.h"
#include "vm/runstate.h"

#define STR_OBF     0x01
#define STR_SYSFLAG 0x04
#define STR_CMDDAT  0x08
#define STR_KEYLOCK 0x10
#define STR_AUXDATA 0x20

static struct bus pio;
static struct i8042 *k;
static int irq1, irq12;
static unsigned irq_calls;

static void irq_cb(void *opaque, unsigned irq, int level)
{
	assert_ptr_equal(opaque, &pio);
	irq_calls++;
	if (irq == 1)
		irq1 = level;
	else if (irq == 12)
		irq12 = level;
	else
		fail_msg("unexpected irq %u", irq);
}

static void outb(uint16_t port, uint8_t v)
{
	assert_true(bus_access(&pio, port, &v, 1, true));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;
	assert_true(bus_access(&pio, port, &v, 1, false));
	return v;
}

static uint8_t status(void) { return inb(PORT_I8042_CMD); }
static uint8_t data(void) { return inb(PORT_I8042_DATA); }
static void cmd(uint8_t c) { outb(PORT_I8042_CMD, c); }
static void dat(uint8_t d) { outb(PORT_I8042_DATA, d); }

static int setup(void **state)
{
	assert_int_equal(el_init(), 0);
	runstate_clear();
	bus_init(&pio, "pio");
	k = i8042_create(&pio, irq_cb, &pio);
	assert_non_null(k);
	irq1 = irq12 = 0;
	irq_calls = 0;
	return 0;
}

static int teardown(void **state)
{
	i8042_destroy(k);
	k = NULL;
	runstate_clear();
	el_fini();
	return 0;
}

static void test_initial_state(void **state)
{
	assert_int_equal(status(), STR_KEYLOCK);
	assert_int_equal(data(), 0);          /* empty: 0, OBF stays clear */
	assert_int_equal(status() & STR_OBF, 0);
	assert_int_equal(irq_calls, 0);
	/* 0x61..0x63 are part of the region but ignored (KVM's PIT has 0x61). */
	uint8_t v = 0x33;
	assert_true(bus_access(&pio, 0x61, &v, 1, false));
	assert_int_equal(v, 0xff);
	assert_false(bus_access(&pio, 0x65, &v, 1, false));
}

static void test_self_test(void **state)
{
	cmd(0xaa);
	/* OBF, SYSFLAG (self-test passed), CMDDAT (last write was a command). */
	assert_int_equal(status(), STR_OBF | STR_SYSFLAG | STR_CMDDAT | STR_KEYLOCK);
	assert_int_equal(irq1, 1);            /* CTR.KBDINT is on at reset */
	assert_int_equal(data(), 0x55);
	assert_int_equal(status() & STR_OBF, 0);
	assert_int_equal(irq1, 0);
	assert_int_equal(irq12, 0);
	/* Interface tests: keyboard OK (0x00), aux clock stuck low (0x01). */
	cmd(0xab);
	assert_int_equal(data(), 0x00);
	cmd(0xa9);
	assert_int_equal(data(), 0x01);
}

static void test_ctr(void **state)
{
	cmd(0x20);
	/* KBDINT | SYSFLAG | AUXDIS | XLATE */
	assert_int_equal(data(), 0x65);
	cmd(0x60);
	dat(0x44);                            /* XLATE | SYSFLAG, no interrupts */
	assert_int_equal(status() & STR_CMDDAT, 0);
	assert_int_equal(status() & STR_SYSFLAG, STR_SYSFLAG);
	irq_calls = 0;
	cmd(0x20);
	assert_int_equal(status() & STR_OBF, STR_OBF);
	assert_int_equal(irq_calls, 0);       /* KBDINT off: no IRQ 1 */
	assert_int_equal(data(), 0x44);
	/* Enabling KBDINT with a byte waiting raises IRQ 1 right away. */
	cmd(0x20);
	cmd(0x60);
	dat(0x45);
	assert_int_equal(irq1, 1);
	assert_int_equal(data(), 0x44);
	assert_int_equal(irq1, 0);
	/* Port enable/disable commands flip CTR bits 4 and 5. */
	cmd(0xa8);
	cmd(0xad);
	cmd(0x20);
	assert_int_equal(data(), 0x55);       /* 0x45 - AUXDIS(0x20)... + KBDDIS(0x10) */
	cmd(0xa7);
	cmd(0xae);
	cmd(0x20);
	assert_int_equal(data(), 0x65);
}

static void test_keyboard_commands(void **state)
{
	/* GET_ID with translation: ACK, 0xAB, 0x41 (MF2 as translated). */
	dat(0xf2);
	assert_int_equal(data(), 0xfa);
	assert_int_equal(data(), 0xab);
	assert_int_equal(data(), 0x41);
	assert_int_equal(status() & STR_OBF, 0);
	/* Without translation: 0xAB 0x83. */
	cmd(0x60);
	dat(0x05);
	dat(0xf2);
	assert_int_equal(data(), 0xfa);
	assert_int_equal(data(), 0xab);
	assert_int_equal(data(), 0x83);
	/* Reset: ACK + BAT passed. */
	dat(0xff);
	assert_int_equal(data(), 0xfa);
	assert_int_equal(data(), 0xaa);
	/* Echo. */
	dat(0xee);
	assert_int_equal(data(), 0xee);
	/* Commands with an argument: two ACKs, the argument isn't a command. */
	dat(0xed);
	dat(0xff);                            /* LED bits, not "reset" */
	assert_int_equal(data(), 0xfa);
	assert_int_equal(data(), 0xfa);
	assert_int_equal(status() & STR_OBF, 0);
	dat(0xf3);
	dat(0xf2);                            /* rate byte, not GET_ID */
	assert_int_equal(data(), 0xfa);
	assert_int_equal(data(), 0xfa);
	assert_int_equal(status() & STR_OBF, 0);
	/* Anything else: ACK. */
	dat(0xf4);
	assert_int_equal(data(), 0xfa);
}

static void test_aux_loop_without_auxdata(void **state)
{
	/* Linux's i8042_check_aux(): AUX_LOOP 0x5A must come back with
	 * STR_AUXDATA for a mouse to exist; we answer at once without it. */
	cmd(0xd3);
	dat(0x5a);
	uint8_t st = status();
	assert_int_equal(st & STR_OBF, STR_OBF);
	assert_int_equal(st & STR_AUXDATA, 0);
	assert_int_equal(irq12, 0);
	assert_int_equal(data(), 0x5a);
	/* KBD loop. */
	cmd(0xd2);
	dat(0x99);
	assert_int_equal(data(), 0x99);
	/* AUX_SEND swallows the byte (no mouse): no reply, no keyboard command. */
	cmd(0xd4);
	dat(0xf2);
	assert_int_equal(status() & STR_OBF, 0);
}

static void test_outport_and_reset(void **state)
{
	cmd(0xd0);
	assert_int_equal(data(), 0x03);       /* reset line high, A20 on */
	assert_int_equal(runstate_pending(), RUNSTATE_NONE);

	/* Output port write with bit 0 set: no reset. */
	cmd(0xd1);
	dat(0x03);
	assert_int_equal(runstate_pending(), RUNSTATE_NONE);
	assert_false(el_quitting());
	/* Bit 0 clear: reset. */
	cmd(0xd1);
	dat(0x02);
	assert_int_equal(runstate_pending(), RUNSTATE_RESET);
	assert_true(el_quitting());
	cmd(0xd0);
	assert_int_equal(data(), 0x02);
	runstate_clear();

	/* Pulse reset line (Linux reboot=k). */
	cmd(0xfe);
	assert_int_equal(runstate_pending(), RUNSTATE_RESET);
	runstate_clear();
	/* Other pulse commands (0xF0..0xFD) do nothing. */
	cmd(0xf0);
	cmd(0xfd);
	assert_int_equal(runstate_pending(), RUNSTATE_NONE);
	assert_int_equal(status() & STR_OBF, 0);
}

static void test_queue_overflow(void **state)
{
	/* 16 bytes queue; further replies are dropped, none corrupted. */
	for (int i = 0; i < 20; i++)
		dat(0xee);
	for (int i = 0; i < 16; i++)
		assert_int_equal(data(), 0xee);
	assert_int_equal(status() & STR_OBF, 0);
	assert_int_equal(irq1, 0);
}

static void test_create_conflict(void **state)
{
	/* The ports are taken: a second controller is refused. */
	assert_null(i8042_create(&pio, NULL, NULL));
	/* Without a bus (tests) it works and can be driven directly. */
	struct i8042 *k2 = i8042_create(NULL, NULL, NULL);
	uint8_t v = 0xaa;
	assert_non_null(k2);
	i8042_io(k2, 4, &v, 1, true);
	i8042_io(k2, 0, &v, 1, false);
	assert_int_equal(v, 0x55);
	i8042_destroy(k2);
	i8042_destroy(NULL);
	/* Destroy unregisters. */
	i8042_destroy(k);
	k = NULL;
	assert_int_equal(pio.nr_regions, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_initial_state),
		T(test_self_test),
		T(test_ctr),
		T(test_keyboard_commands),
		T(test_aux_loop_without_auxdata),
		T(test_outport_and_reset),
		T(test_queue_overflow),
		T(test_create_conflict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
