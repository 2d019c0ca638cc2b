/* 16550A UART, register semantics per the National Semiconductor PC16550D
 * datasheet; THRE interrupt rules as Linux's 8250 driver probes them
 * (vmm.md §4). Transmission is instantaneous: THR goes straight to the
 * chardev, so LSR always shows THRE|TEMT.
 *
 * THR writes are coalesced (KVM queues them without an exit; they are replayed in order before
 * the next exit, and every UART read is one, or when the event loop wakes): a console write
 * (printk) reads LSR before each byte, so it costs one exit per byte instead of two, and an
 * interrupt-driven write fills the FIFO with no exit at all. Its THRE interrupt comes when the
 * bytes are replayed, so while the transmit interrupt is enabled and bytes keep coming a timer
 * replays them every SERIAL_TX_POLL_NS even if nothing else exits. SKIFF_SERIAL_COALESCED=off
 * compares (lab profile A/B/A/B: throughput within the noise; in the nested lab each queued
 * write still traps to L1 KVM, so only the round trip to skiff is saved). */
#include "hw/serial.h"

#include <stdlib.h>
#include <string.h>

#include "util/env.h"
#include "util/event_loop.h"
#include "util/log.h"

#define UART_FIFO_SIZE 16
#define SERIAL_TX_POLL_NS 1000000ull   /* 1 ms: 16 bytes a millisecond at the least */

/* Register offsets */
#define UART_RBR 0  /* read, DLAB=0 */
#define UART_THR 0  /* write, DLAB=0 */
#define UART_IER 1
#define UART_IIR 2  /* read */
#define UART_FCR 2  /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI   0x01
#define IER_THRI  0x02
#define IER_RLSI  0x04
#define IER_MSI   0x08
#define IIR_NO_INT 0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_RLSI  0x06
#define IIR_FIFO  0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define LCR_DLAB  0x80
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_OE    0x02
#define LSR_BI    0x10
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80
#define MSR_DELTAS 0x0f

struct serial {
	struct bus *pio;
	uint16_t base;
	struct chardev *chr;
	serial_irq_fn set_irq;
	void *irq_opaque;
	int irq_level;

	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool thr_ipending;
	uint8_t fifo[UART_FIFO_SIZE];
	unsigned fifo_head, fifo_count;

	struct el_timer *tx_poll;  /* with coalesced THR writes only */
	unsigned tx_bytes, tx_bytes_armed;
};

/* The guest may have queued THR bytes that nothing replays yet: look in a moment. */
static void serial_tx_kick(struct serial *s)
{
	if (!s->tx_poll || !(s->ier & IER_THRI) || el_timer_pending(s->tx_poll))
		return;
	s->tx_bytes_armed = s->tx_bytes;
	el_timer_mod(s->tx_poll, el_now_ns() + SERIAL_TX_POLL_NS);
}

static void serial_tx_poll(void *opaque)
{
	struct serial *s = opaque;

	bus_flush_coalesced(s->pio);
	/* Bytes came since the timer was armed: the guest is still sending. */
	if (s->tx_bytes != s->tx_bytes_armed)
		serial_tx_kick(s);
}

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t iir = IIR_NO_INT;

	if ((s->ier & IER_RLSI) && (s->lsr & (LSR_OE | LSR_BI)))
		iir = IIR_RLSI;
	else if ((s->ier & IER_RDI) && (s->lsr & LSR_DR))
		iir = IIR_RDI;
	else if ((s->ier & IER_THRI) && s->thr_ipending)
		iir = IIR_THRI;
	else if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS))
		iir = IIR_MSI;
	if (s->fcr & FCR_ENABLE)
		iir |= IIR_FIFO;
	return iir;
}

void serial_report(const struct serial *s)
{
	if (!s)
		return;
	info_report("serial 0x%x: IER %x IIR %x LSR %x MCR %x, line %d, %u bytes in, THR empty "
		    "interrupt %s%s", s->base, s->ier, serial_iir(s), s->lsr, s->mcr, s->irq_level,
		    s->fifo_count, s->thr_ipending ? "pending" : "not pending",
		    s->tx_poll && el_timer_pending(s->tx_poll) ? ", output poll armed" : "");
}

static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->set_irq)
			s->set_irq(s->irq_opaque, level);
	}
}

static void serial_fifo_push(struct serial *s, uint8_t c)
{
	if (s->fifo_count == UART_FIFO_SIZE) {
		s->lsr |= LSR_OE;
		return;
	}
	s->fifo[(s->fifo_head + s->fifo_count) % UART_FIFO_SIZE] = c;
	s->fifo_count++;
	s->lsr |= LSR_DR;
}

static uint8_t serial_fifo_pop(struct serial *s)
{
	uint8_t c = 0;

	if (s->fifo_count) {
		c = s->fifo[s->fifo_head];
		s->fifo_head = (s->fifo_head + 1) % UART_FIFO_SIZE;
		s->fifo_count--;
	}
	if (!s->fifo_count)
		s->lsr &= ~LSR_DR;
	return c;
}

/* Modem status: in loopback the outputs feed the inputs
 * (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD); otherwise a present, ready line. */
static uint8_t serial_msr_lines(const struct serial *s)
{
	if (s->mcr & MCR_LOOP)
		return (uint8_t)(((s->mcr & MCR_DTR) << 5) | ((s->mcr & MCR_RTS) << 3) |
				 ((s->mcr & MCR_OUT1) << 4) | ((s->mcr & MCR_OUT2) << 4));
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

static void serial_write_reg(struct serial *s, unsigned off, uint8_t v)
{
	switch (off) {
	case UART_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		if (s->mcr & MCR_LOOP)
			serial_fifo_push(s, v);
		else
			chardev_write(s->chr, &v, 1);
		/* Sent at once: THR is empty again and may interrupt. */
		s->thr_ipending = true;
		s->tx_bytes++;
		serial_tx_kick(s);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_ipending = true;  /* THRE already set: interrupt now */
		if (!(v & IER_THRI))
			s->thr_ipending = false;
		s->ier = v & 0x0f;
		serial_tx_kick(s);
		break;
	case UART_FCR:
		if (v & FCR_CLEAR_RX) {
			s->fifo_head = s->fifo_count = 0;
			s->lsr &= ~LSR_DR;
		}
		s->fcr = v & 0xc9;   /* enable, DMA mode, trigger level */
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR: {
		uint8_t old = serial_msr_lines(s);
		s->mcr = v & 0x1f;
		uint8_t now = serial_msr_lines(s);
		uint8_t changed = old ^ now;
		/* Delta bits (MSR[3:0]) record input changes; TERI only on RI falling. */
		s->msr |= (uint8_t)(((changed & MSR_CTS) ? MSR_DCTS : 0) |
				    ((changed & MSR_DSR) ? MSR_DDSR : 0) |
				    ((changed & MSR_DCD) ? MSR_DDCD : 0) |
				    (((old & MSR_RI) && !(now & MSR_RI)) ? MSR_TERI : 0));
		s->msr = (s->msr & MSR_DELTAS) | now;
		break;
	}
	case UART_LSR:
		break;   /* factory test register: ignored */
	case UART_MSR:
		break;
	case UART_SCR:
		s->scr = v;
		break;
	}
}

static uint8_t serial_read_reg(struct serial *s, unsigned off)
{
	uint8_t v = 0xff;

	switch (off) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		v = serial_fifo_pop(s);
		chardev_accept_input(s->chr);
		break;
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR:
		v = serial_iir(s);
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			s->thr_ipending = false;
		break;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = s->lsr;
		s->lsr &= ~(LSR_OE | LSR_BI);   /* error bits clear on read */
		break;
	case UART_MSR:
		s->msr = (s->msr & MSR_DELTAS) | serial_msr_lines(s);
		v = s->msr;
		s->msr &= ~MSR_DELTAS;
		break;
	case UART_SCR:
		return s->scr;
	}
	return v;
}

void serial_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct serial *s = opaque;

	/* Byte registers; a wider access touches the first one only. */
	if (off > UART_SCR)
		return;
	if (is_write)
		serial_write_reg(s, (unsigned)off, data[0]);
	else
		data[0] = serial_read_reg(s, (unsigned)off);
	serial_update_irq(s);
}

size_t serial_can_receive(void *opaque)
{
	struct serial *s = opaque;
	/* Loopback mode ignores the outside world. */
	if (s->mcr & MCR_LOOP)
		return 0;
	return UART_FIFO_SIZE - s->fifo_count;
}

void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct serial *s = opaque;

	for (size_t i = 0; i < len; i++)
		serial_fifo_push(s, buf[i]);
	serial_update_irq(s);
}

static void serial_reset(struct serial *s)
{
	s->ier = s->fcr = s->lcr = s->scr = s->dlm = 0;
	s->dll = 0x0c;                 /* 9600 baud */
	s->mcr = MCR_OUT2;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	s->thr_ipending = false;
	s->fifo_head = s->fifo_count = 0;
}

struct serial *serial_create(struct bus *pio, uint16_t base, struct chardev *chr,
			     serial_irq_fn set_irq, void *irq_opaque)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pio = pio;
	s->base = base;
	s->chr = chr;
	s->set_irq = set_irq;
	s->irq_opaque = irq_opaque;
	serial_reset(s);
	if (pio && bus_register(pio, base, 8, serial_io, s, "serial") < 0) {
		error_report("serial: I/O ports 0x%x-0x%x are already in use", base, base + 7);
		free(s);
		return NULL;
	}
	if (chr)
		chardev_set_frontend(chr, serial_can_receive, serial_receive, s);
	if (pio && pio->coalesce && env_switch("SKIFF_SERIAL_COALESCED", true)) {
		s->tx_poll = el_timer_new(serial_tx_poll, s);
		if (s->tx_poll)
			bus_set_coalesced(pio, base + UART_THR, 1, true);
	}
	return s;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	if (s->tx_poll) {
		bus_set_coalesced(s->pio, s->base + UART_THR, 1, false);
		el_timer_free(s->tx_poll);
	}
	if (s->pio)
		bus_unregister(s->pio, s->base, s);
	free(s);
}
