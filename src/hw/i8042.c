/* i8042 keyboard controller. Command and status bits as in the IBM PC/AT
 * technical reference and Linux's drivers/input/serio/i8042.h. The bus
 * registers us at 0x60 for 5 ports so offset 0 is data and offset 4 is
 * command/status; 0x61..0x63 (speaker, handled by KVM's PIT) never reach us. */
#include "hw/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vm/layout.h"
#include "vm/runstate.h"

#define STR_OBF      0x01   /* output buffer full */
#define STR_SYSFLAG  0x04   /* self-test passed */
#define STR_CMDDAT   0x08   /* last write was a command */
#define STR_KEYLOCK  0x10   /* keyboard not inhibited */
#define STR_AUXDATA  0x20   /* output byte comes from the aux port */

#define CTR_KBDINT   0x01
#define CTR_AUXINT   0x02
#define CTR_SYSFLAG  0x04
#define CTR_KBDDIS   0x10
#define CTR_AUXDIS   0x20
#define CTR_XLATE    0x40

#define CMD_CTL_RCTR 0x20
#define CMD_CTL_WCTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE  0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_CTL_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE  0xae
#define CMD_READ_OUTPORT  0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_KBD_LOOP 0xd2
#define CMD_AUX_LOOP 0xd3
#define CMD_AUX_SEND 0xd4
#define CMD_PULSE_RESET 0xfe

#define KBD_ACK      0xfa
#define KBD_CMD_SET_LEDS 0xed
#define KBD_CMD_ECHO 0xee
#define KBD_CMD_SCANSET 0xf0
#define KBD_CMD_GET_ID 0xf2
#define KBD_CMD_SET_RATE 0xf3
#define KBD_CMD_RESET 0xff

#define QUEUE_SIZE 16
#define IRQ_KBD 1
#define IRQ_AUX 12

struct i8042 {
	i8042_irq_fn set_irq;
	void *irq_opaque;
	struct bus *pio;
	uint8_t ctr;
	uint8_t status;
	uint8_t pending_cmd;      /* controller command waiting for its data byte */
	uint8_t kbd_pending;      /* keyboard command waiting for its argument */
	uint8_t outport;
	struct { uint8_t byte; bool aux; } q[QUEUE_SIZE];
	unsigned q_head, q_len;
	int irq_kbd, irq_aux;
};

static void i8042_update(struct i8042 *k)
{
	int kbd = 0, aux = 0;

	k->status &= ~(STR_OBF | STR_AUXDATA);
	if (k->q_len) {
		k->status |= STR_OBF;
		if (k->q[k->q_head].aux) {
			k->status |= STR_AUXDATA;
			aux = (k->ctr & CTR_AUXINT) != 0;
		} else {
			kbd = (k->ctr & CTR_KBDINT) != 0;
		}
	}
	if (kbd != k->irq_kbd && k->set_irq)
		k->set_irq(k->irq_opaque, IRQ_KBD, kbd);
	if (aux != k->irq_aux && k->set_irq)
		k->set_irq(k->irq_opaque, IRQ_AUX, aux);
	k->irq_kbd = kbd;
	k->irq_aux = aux;
}

static void i8042_push(struct i8042 *k, uint8_t b, bool aux)
{
	if (k->q_len == QUEUE_SIZE)
		return;
	k->q[(k->q_head + k->q_len) % QUEUE_SIZE].byte = b;
	k->q[(k->q_head + k->q_len) % QUEUE_SIZE].aux = aux;
	k->q_len++;
}

/* The keyboard behind the controller: acknowledge everything, identify as
 * an MF2 keyboard so atkbd binds quickly. */
static void i8042_kbd_write(struct i8042 *k, uint8_t b)
{
	if (k->kbd_pending) {
		k->kbd_pending = 0;
		i8042_push(k, KBD_ACK, false);
		return;
	}
	switch (b) {
	case KBD_CMD_ECHO:
		i8042_push(k, KBD_CMD_ECHO, false);
		break;
	case KBD_CMD_GET_ID:
		i8042_push(k, KBD_ACK, false);
		i8042_push(k, 0xab, false);
		i8042_push(k, (k->ctr & CTR_XLATE) ? 0x41 : 0x83, false);
		break;
	case KBD_CMD_RESET:
		i8042_push(k, KBD_ACK, false);
		i8042_push(k, 0xaa, false);   /* basic assurance test passed */
		break;
	case KBD_CMD_SET_LEDS:
	case KBD_CMD_SCANSET:
	case KBD_CMD_SET_RATE:
		k->kbd_pending = b;
		i8042_push(k, KBD_ACK, false);
		break;
	default:
		i8042_push(k, KBD_ACK, false);
		break;
	}
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	debug_report("i8042: command 0x%02x", cmd);
	switch (cmd) {
	case CMD_CTL_RCTR:
		i8042_push(k, k->ctr, false);
		break;
	case CMD_CTL_WCTR:
	case CMD_WRITE_OUTPORT:
	case CMD_KBD_LOOP:
	case CMD_AUX_LOOP:
	case CMD_AUX_SEND:
		k->pending_cmd = cmd;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
		/* 0x01: clock line stuck low. There is no mouse; saying so at once
		 * spares the guest the probe timeouts. */
		i8042_push(k, 0x01, false);
		break;
	case CMD_CTL_TEST:
		i8042_push(k, 0x55, false);
		k->status |= STR_SYSFLAG;
		break;
	case CMD_KBD_TEST:
		i8042_push(k, 0x00, false);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= ~CTR_KBDDIS;
		break;
	case CMD_READ_OUTPORT:
		i8042_push(k, k->outport, false);
		break;
	case CMD_PULSE_RESET:
		runstate_request(RUNSTATE_RESET);
		break;
	default:
		/* Other pulse-output and vendor commands: nothing to emulate. */
		break;
	}
}

static void i8042_data(struct i8042 *k, uint8_t b)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_CTL_WCTR:
		k->ctr = b;
		if (b & CTR_SYSFLAG)
			k->status |= STR_SYSFLAG;
		break;
	case CMD_WRITE_OUTPORT:
		k->outport = b;
		if (!(b & 0x01))          /* bit 0 low = system reset */
			runstate_request(RUNSTATE_RESET);
		break;
	case CMD_KBD_LOOP:
		i8042_push(k, b, false);
		break;
	case CMD_AUX_LOOP:
		/* No aux port: the byte comes back without the AUXDATA status
		 * bit, which fails Linux's loop test at once (no 0.5 s timeout). */
		i8042_push(k, b, false);
		break;
	case CMD_AUX_SEND:
		break;
	default:
		i8042_kbd_write(k, b);
		break;
	}
}

void i8042_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct i8042 *k = opaque;

	if (off == 0) {
		if (is_write) {
			k->status &= ~STR_CMDDAT;
			i8042_data(k, data[0]);
		} else {
			data[0] = k->q_len ? k->q[k->q_head].byte : 0;
			if (k->q_len) {
				k->q_head = (k->q_head + 1) % QUEUE_SIZE;
				k->q_len--;
			}
		}
	} else if (off == 4) {
		if (is_write) {
			k->status |= STR_CMDDAT;
			i8042_command(k, data[0]);
		} else {
			/* Input buffer never full: writes complete at once (so the
			 * reboot path's kb_wait() doesn't spin). */
			data[0] = k->status;
		}
	}
	i8042_update(k);
}

struct i8042 *i8042_create(struct bus *pio, i8042_irq_fn set_irq, void *irq_opaque)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->set_irq = set_irq;
	k->irq_opaque = irq_opaque;
	k->pio = pio;
	k->ctr = CTR_KBDINT | CTR_SYSFLAG | CTR_XLATE | CTR_AUXDIS;
	k->status = STR_KEYLOCK;
	k->outport = 0x01 | 0x02;     /* reset line high, A20 enabled */
	if (pio && bus_register(pio, PORT_I8042_DATA, PORT_I8042_CMD - PORT_I8042_DATA + 1,
				i8042_io, k, "i8042")) {
		free(k);
		return NULL;
	}
	return k;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	if (k->pio)
		bus_unregister(k->pio, PORT_I8042_DATA, k);
	free(k);
}
