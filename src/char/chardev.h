/* Character backends for the serial console: stdio (with QEMU's Ctrl-A
 * escape keys, "mon:stdio"), a file, a unix socket server, or nothing.
 * A frontend (the UART) registers can_receive/receive; input is read on the
 * I/O thread only while the frontend has room, so nothing typed is lost. */
#ifndef SKIFF_CHAR_CHARDEV_H
#define SKIFF_CHAR_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"

struct chardev;

typedef size_t (*chr_can_receive_fn)(void *opaque);
typedef void (*chr_receive_fn)(void *opaque, const uint8_t *buf, size_t len);

/* Open the backend the config asks for; NULL after an error message. */
struct chardev *chardev_open(const struct serial_config *cfg);
void chardev_close(struct chardev *chr);

void chardev_set_frontend(struct chardev *chr, chr_can_receive_fn can_receive,
			  chr_receive_fn receive, void *opaque);
/* Output from the guest. Never fails visibly: a backend that cannot take it drops it. While
 * the event loop runs, output is written at each line end, within 2 ms after its last byte
 * otherwise, at chardev_close() and at exit. */
void chardev_write(struct chardev *chr, const uint8_t *buf, size_t len);
/* Write out what chardev_write() holds now. */
void chardev_flush(struct chardev *chr);
/* The frontend has room again: resume reading input. */
void chardev_accept_input(struct chardev *chr);

/* The escape-key state machine of -nographic / mon:stdio (exposed for tests).
 * Feeds one input byte; returns the byte to pass to the guest, or -1 if the
 * byte was consumed as (part of) a command. */
int chardev_mux_filter(struct chardev *chr, uint8_t c);

/* Restore the terminal (called on every exit path, signals included). */
void chardev_restore_terminal(void);

#endif
