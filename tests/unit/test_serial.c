/* hw/serial.c: 16550A registers per the NS PC16550D datasheet, driven
 * through serial_io() as the bus would; output to a file chardev. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "char/chardev.h"
#include "hw/bus.h"
#include "hw/serial.h"
#include "util/log.h"
#include "vm/layout.h"
#include "test_log.h"     /* log capture: tests/unit/test_log.h */

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

static struct serial *s;
static int irq_level;
static unsigned irq_calls;

static void irq_cb(void *opaque, int level)
{
	assert_ptr_equal(opaque, &irq_level);
	irq_level = level;
	irq_calls++;
}

static void wr(unsigned off, uint8_t v)
{
	serial_io(s, off, &v, 1, true);
}

static uint8_t rd(unsigned off)
{
	uint8_t v = 0x5a;
	serial_io(s, off, &v, 1, false);
	return v;
}

static int setup(void **state)
{
	irq_level = 0;
	irq_calls = 0;
	s = serial_create(NULL, PORT_COM1, NULL, irq_cb, &irq_level);
	assert_non_null(s);
	return 0;
}

static int teardown(void **state)
{
	serial_destroy(s);
	s = NULL;
	return 0;
}

static void test_reset_values(void **state)
{
	assert_int_equal(rd(IER), 0x00);
	assert_int_equal(rd(IIR), 0x01);          /* no interrupt, FIFOs off */
	assert_int_equal(rd(LCR), 0x00);
	assert_int_equal(rd(MCR), 0x08);          /* OUT2, as QEMU resets it */
	assert_int_equal(rd(LSR), 0x60);          /* THRE | TEMT */
	assert_int_equal(rd(MSR), 0xb0);          /* DCD | DSR | CTS, no deltas */
	assert_int_equal(rd(MSR), 0xb0);
	assert_int_equal(rd(SCR), 0x00);
	/* FIFO enable: IIR[7:6] = 11. */
	wr(FCR, 0x07);
	assert_int_equal(rd(IIR), 0xc1);
	/* Trigger level bits are kept (0xc9 mask), IIR still 0xC1. */
	wr(FCR, 0xc7);
	assert_int_equal(rd(IIR), 0xc1);
	wr(FCR, 0x00);
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(irq_calls, 0);
	/* Offsets past the 8 registers are ignored. */
	uint8_t v = 0x77;
	serial_io(s, 8, &v, 1, false);
	assert_int_equal(v, 0x77);
}

static void test_scratch(void **state)
{
	for (unsigned v = 0; v < 256; v += 0x55) {
		wr(SCR, (uint8_t)v);
		assert_int_equal(rd(SCR), v);
	}
	/* LSR and MSR writes are ignored. */
	wr(LSR, 0x00);
	assert_int_equal(rd(LSR), 0x60);
	wr(MSR, 0x00);
	assert_int_equal(rd(MSR), 0xb0);
}

static void test_divisor_latch(void **state)
{
	wr(IER, 0x05);
	wr(LCR, 0x83);                            /* DLAB, 8N1 */
	assert_int_equal(rd(DLL), 0x0c);          /* reset divisor 12 = 9600 baud */
	assert_int_equal(rd(DLM), 0x00);
	wr(DLL, 0x01);                            /* 115200 baud */
	wr(DLM, 0x02);
	assert_int_equal(rd(DLL), 0x01);
	assert_int_equal(rd(DLM), 0x02);
	assert_int_equal(rd(LCR), 0x83);
	wr(LCR, 0x03);
	assert_int_equal(rd(IER), 0x05);          /* IER untouched by DLM writes */
	assert_int_equal(rd(LCR), 0x03);
	/* The latch survives leaving DLAB. */
	wr(LCR, 0x83);
	assert_int_equal(rd(DLL), 0x01);
	assert_int_equal(rd(DLM), 0x02);
	wr(LCR, 0x03);
	/* IER only has 4 bits. */
	wr(IER, 0xff);
	assert_int_equal(rd(IER), 0x0f);
}

static void test_loopback(void **state)
{
	/* MCR LOOP: THR feeds RBR, nothing goes out. */
	wr(MCR, 0x10);
	assert_int_equal(serial_can_receive(s), 0);   /* outside input ignored */
	wr(THR, 'A');
	wr(THR, 'B');
	assert_int_equal(rd(LSR) & 0x01, 0x01);
	assert_int_equal(rd(RBR), 'A');
	assert_int_equal(rd(RBR), 'B');
	assert_int_equal(rd(LSR), 0x60);
	/* With DLAB set, THR writes go to DLL instead. */
	wr(LCR, 0x80);
	wr(THR, 0x03);
	wr(LCR, 0x00);
	assert_int_equal(rd(LSR) & 0x01, 0);

	/* MSR mirrors MCR: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	(void)rd(MSR);                            /* clear deltas from entering loop */
	wr(MCR, 0x10);
	assert_int_equal(rd(MSR), 0x00);
	wr(MCR, 0x11);
	assert_int_equal(rd(MSR), 0x20 | 0x02);   /* DSR + DDSR */
	assert_int_equal(rd(MSR), 0x20);          /* deltas clear on read */
	wr(MCR, 0x12);
	assert_int_equal(rd(MSR), 0x10 | 0x01 | 0x02);   /* CTS + DCTS, DSR fell: DDSR */
	wr(MCR, 0x18);
	assert_int_equal(rd(MSR), 0x80 | 0x08 | 0x01);   /* DCD + DDCD, CTS fell: DCTS */
	/* RI: TERI only on the trailing edge. */
	wr(MCR, 0x14);
	assert_int_equal(rd(MSR), 0x40 | 0x08);          /* RI, DCD fell: DDCD; no TERI */
	wr(MCR, 0x10);
	assert_int_equal(rd(MSR), 0x04);                 /* TERI */
	wr(MCR, 0x1f);
	assert_int_equal(rd(MSR) & 0xf0, 0xf0);
	assert_int_equal(rd(MCR), 0x1f);
	/* Leaving loopback: lines are "present" again, input accepted. */
	wr(MCR, 0x0b);
	assert_int_equal(rd(MSR) & 0xf0, 0xb0);
	assert_int_equal(serial_can_receive(s), 16);
	/* Only 5 MCR bits exist. */
	wr(MCR, 0xff);
	assert_int_equal(rd(MCR), 0x1f);
}

static void test_msr_interrupt(void **state)
{
	wr(MCR, 0x18);                 /* loop, OUT2: sets delta bits */
	(void)rd(MSR);
	wr(IER, 0x08);                 /* modem status interrupt */
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(irq_level, 0);
	wr(MCR, 0x19);                 /* DTR -> DSR changes: DDSR */
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(IIR), 0x00);          /* modem status, lowest priority */
	(void)rd(MSR);
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(irq_level, 0);
}

static void test_thre_interrupt(void **state)
{
	wr(FCR, 0x01);
	assert_int_equal(irq_level, 0);
	/* Enabling THRI with THR empty interrupts at once. */
	wr(IER, 0x02);
	assert_int_equal(irq_level, 1);
	assert_int_equal(irq_calls, 1);
	/* IIR reports THRE; reading it acknowledges. */
	assert_int_equal(rd(IIR), 0xc2);
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(IIR), 0xc1);
	/* A THR write re-arms it (transmission is instantaneous). */
	wr(THR, 'x');
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(IIR), 0xc2);
	assert_int_equal(irq_level, 0);
	/* Rewriting IER with THRI still set does not re-arm ... */
	wr(IER, 0x02);
	assert_int_equal(rd(IIR), 0xc1);
	/* ... toggling it does (Linux's 8250 THRE test, QEMU, Bochs). */
	wr(IER, 0x00);
	assert_int_equal(rd(IIR), 0xc1);
	wr(IER, 0x02);
	assert_int_equal(rd(IIR), 0xc2);
	/* Disabling THRI while pending drops the interrupt. */
	wr(THR, 'y');
	assert_int_equal(irq_level, 1);
	wr(IER, 0x00);
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(IIR), 0xc1);
	/* A THR write with THRI disabled doesn't interrupt. */
	wr(THR, 'z');
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(LSR), 0x60);
}

/* The stop report (SIGQUIT) shows a raised THR-empty interrupt the guest has not taken. */
static void test_stop_report(void **state)
{
	wr(IER, 0x02);
	log_capture_start();
	serial_report(s);
	log_capture_stop();
	assert_true(log_has("serial 0x3f8: IER 2 IIR 2 LSR 60 MCR 8, line 1, 0 bytes in, "
			    "THR empty interrupt pending"));
}

static void test_rx_path(void **state)
{
	static const uint8_t in[] = "hi";

	wr(FCR, 0x07);
	assert_int_equal(serial_can_receive(s), 16);
	serial_receive(s, in, 2);
	assert_int_equal(serial_can_receive(s), 14);
	assert_int_equal(rd(LSR), 0x61);          /* DR */
	assert_int_equal(irq_level, 0);           /* RDI not enabled */
	wr(IER, 0x01);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(IIR), 0xc4);
	assert_int_equal(rd(IIR), 0xc4);          /* reading IIR doesn't clear RDA */
	assert_int_equal(rd(RBR), 'h');
	assert_int_equal(irq_level, 1);
	assert_int_equal(serial_can_receive(s), 15);
	assert_int_equal(rd(RBR), 'i');
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(serial_can_receive(s), 16);
	/* Reading an empty RBR returns 0 and keeps DR clear. */
	assert_int_equal(rd(RBR), 0);
	assert_int_equal(rd(LSR), 0x60);
	/* Receiving with RDI already enabled raises the line at once. */
	serial_receive(s, (const uint8_t *)"z", 1);
	assert_int_equal(irq_level, 1);
	/* FCR "clear receive FIFO" empties it. */
	wr(FCR, 0x03);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(irq_level, 0);
	assert_int_equal(serial_can_receive(s), 16);
}

static void test_rda_priority_over_thre(void **state)
{
	wr(FCR, 0x01);
	wr(IER, 0x03);                            /* RDI | THRI */
	assert_int_equal(rd(IIR), 0xc2);          /* only THRE: acknowledged */
	wr(THR, '1');                             /* THRE pending again */
	serial_receive(s, (const uint8_t *)"ab", 2);
	assert_int_equal(rd(IIR), 0xc4);          /* RDA wins */
	assert_int_equal(rd(IIR), 0xc4);          /* and THRE isn't acknowledged by it */
	(void)rd(RBR);
	(void)rd(RBR);
	assert_int_equal(rd(IIR), 0xc2);          /* THRE still pending underneath */
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(irq_level, 0);
}

static void test_overrun(void **state)
{
	uint8_t in[20];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('a' + i);
	wr(FCR, 0x01);
	serial_receive(s, in, 16);
	assert_int_equal(serial_can_receive(s), 0);
	assert_int_equal(rd(LSR), 0x61);          /* full but no overrun yet */
	serial_receive(s, in + 16, 4);            /* more than fits */
	wr(IER, 0x05);                            /* RLSI | RDI */
	assert_int_equal(rd(IIR), 0xc6);          /* line status, highest priority */
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(LSR), 0x63);          /* DR | OE | THRE | TEMT */
	assert_int_equal(rd(LSR), 0x61);          /* OE cleared by the read */
	assert_int_equal(rd(IIR), 0xc4);          /* now RDA */
	/* The first 16 bytes are intact, the rest were dropped. */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(rd(RBR), 'a' + i);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(irq_level, 0);
}

static void test_output_to_file_chardev(void **state)
{
	char path[] = "/tmp/skiff-test-serial-XXXXXX";
	int fd = mkstemp(path);
	struct serial_config cfg = { .kind = SERIAL_FILE, .path = path };
	struct chardev *chr;
	struct serial *s2;
	char buf[64] = { 0 };
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	chr = chardev_open(&cfg);
	assert_non_null(chr);
	s2 = serial_create(NULL, PORT_COM1, chr, NULL, NULL);
	assert_non_null(s2);
	for (const char *p = "hello\r\n"; *p; p++) {
		uint8_t c = (uint8_t)*p;
		serial_io(s2, THR, &c, 1, true);
	}
	/* Loopback output does not reach the backend. */
	uint8_t v = 0x10;
	serial_io(s2, MCR, &v, 1, true);
	v = 'L';
	serial_io(s2, THR, &v, 1, true);
	/* No irq callback set: nothing crashes when an interrupt is due. */
	v = 0x02;
	serial_io(s2, IER, &v, 1, true);
	serial_destroy(s2);
	chardev_close(chr);

	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 7);
	fclose(f);
	assert_string_equal(buf, "hello\r\n");
	unlink(path);
}

static void test_bus_registration(void **state)
{
	struct bus pio;
	struct serial *a, *b;
	uint8_t v;

	bus_init(&pio, "pio");
	a = serial_create(&pio, PORT_COM1, NULL, NULL, NULL);
	assert_non_null(a);
	/* 8 ports at 0x3f8..0x3ff, offsets as registers. */
	v = 0x42;
	assert_true(bus_access(&pio, PORT_COM1 + SCR, &v, 1, true));
	v = 0;
	assert_true(bus_access(&pio, PORT_COM1 + SCR, &v, 1, false));
	assert_int_equal(v, 0x42);
	assert_true(bus_access(&pio, PORT_COM1 + LSR, &v, 1, false));
	assert_int_equal(v, 0x60);
	assert_false(bus_access(&pio, PORT_COM1 + 8, &v, 1, false));

	/* A second UART on the same ports is refused with a message. */
	log_capture_start();
	b = serial_create(&pio, PORT_COM1 + 4, NULL, NULL, NULL);
	log_capture_stop();
	assert_null(b);
	assert_string_equal(last_msg, "skiff: serial: I/O ports 0x3fc-0x403 are already in use");

	serial_destroy(a);
	assert_int_equal(pio.nr_regions, 0);
	assert_false(bus_access(&pio, PORT_COM1, &v, 1, false));
	serial_destroy(NULL);
}

/* With the VM's coalescing hook, THR (and only THR) is a coalesced port: KVM queues the
 * guest's transmit bytes without an exit; the zone goes with the UART. */
static uint64_t zone_addr, zone_len;
static int zones;
static void fake_coalesce(void *opaque, bool pio, uint64_t addr, uint64_t len, bool add)
{
	(void)opaque;
	assert_true(pio);
	zone_addr = addr;
	zone_len = len;
	zones += add ? 1 : -1;
}

static void test_thr_coalesced(void **state)
{
	struct bus pio;
	struct serial *a;
	uint8_t v;

	bus_init(&pio, "pio");
	pio.coalesce = fake_coalesce;
	a = serial_create(&pio, PORT_COM1, NULL, NULL, NULL);
	assert_non_null(a);
	assert_int_equal(zones, 1);
	assert_int_equal(zone_addr, PORT_COM1);
	assert_int_equal(zone_len, 1);
	/* Replayed writes behave as direct ones: the byte goes out, THRE interrupts. */
	v = 0x02;
	bus_access(&pio, PORT_COM1 + IER, &v, 1, true);
	v = 'x';
	bus_access(&pio, PORT_COM1, &v, 1, true);
	bus_access(&pio, PORT_COM1 + IIR, &v, 1, false);
	assert_int_equal(v & 0x0f, 0x02);
	serial_destroy(a);
	assert_int_equal(zones, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reset_values),
		T(test_scratch),
		T(test_divisor_latch),
		T(test_loopback),
		T(test_msr_interrupt),
		T(test_thre_interrupt),
		T(test_stop_report),
		T(test_rx_path),
		T(test_rda_priority_over_thre),
		T(test_overrun),
		T(test_output_to_file_chardev),
		T(test_bus_registration),
		T(test_thr_coalesced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
