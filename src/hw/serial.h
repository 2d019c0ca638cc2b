/* 16550A UART (COM1 at 0x3F8, IRQ 4): the -nographic console. */
#ifndef SKIFF_HW_SERIAL_H
#define SKIFF_HW_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "char/chardev.h"
#include "hw/bus.h"

struct serial;
typedef void (*serial_irq_fn)(void *opaque, int level);

struct serial *serial_create(struct bus *pio, uint16_t base, struct chardev *chr,
			     serial_irq_fn set_irq, void *irq_opaque);
void serial_destroy(struct serial *s);
/* Register access (offset 0..7), as the bus calls it; exposed for tests. */
void serial_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);
/* Registers, line and output state in one line (the SIGQUIT stop report, main.c). */
void serial_report(const struct serial *s);
/* Input path (also used by tests). */
size_t serial_can_receive(void *opaque);
void serial_receive(void *opaque, const uint8_t *buf, size_t len);

#endif
