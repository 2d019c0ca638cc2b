/* PS/2 controller (i8042) at ports 0x60/0x64 with a keyboard that answers
 * the probe, so Linux's driver finds it without timeouts; and the reset line
 * (command 0xFE) that "reboot=k" pulls. */
#ifndef SKIFF_HW_I8042_H
#define SKIFF_HW_I8042_H

#include "hw/bus.h"

struct i8042;
typedef void (*i8042_irq_fn)(void *opaque, unsigned irq, int level);

struct i8042 *i8042_create(struct bus *pio, i8042_irq_fn set_irq, void *irq_opaque);
void i8042_destroy(struct i8042 *k);
void i8042_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);

#endif
