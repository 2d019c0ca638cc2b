/* Intel 82540EM ("e1000") network controller.
 *
 * Written from Intel's 8254x Software Developer's Manual (SDM) and from what
 * Linux's e1000.ko does (see /work/shared/research/e1000.md). Layout:
 *   registers (MMIO + I/O window) -> EEPROM / PHY side channels ->
 *   interrupts + mitigation -> TX engine (legacy, context, data, TSO) ->
 *   RX path (filters, VLAN, checksum, ring fill) -> net_client glue.
 *
 * Robustness rules (e1000.md 7): every ring/head/tail/length/offset the
 * guest gives us is range-checked before use, loops are bounded by the ring
 * size or by strictly positive progress, guest memory is only reached via
 * pci_dma_*() (RAM only, never our own BARs), and TX->RX loopback runs with
 * a busy guard so nothing recurses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cli/keyval.h"
#include "hw/nic.h"
#include "hw/e1000.h"
#include "hw/e1000_regs.h"
#include "net/checksum.h"
#include "util/env.h"
#include "util/event_loop.h"
#include "util/log.h"

#define E1000_TX_BUF_SIZE (65536 + 256) /* >= HDRLEN(255) + MSS(65535) */
#define E1000_RX_BUF_SIZE (65536 + 64)  /* largest frame we take, + FCS/pad room */
#define E1000_MIN_FRAME   60            /* without FCS */
#define E1000_MAX_SHORT   1518          /* 14 + 4 (VLAN) + 1500, without FCS */
#define E1000_MAX_LONG    16380         /* 16 KiB - FCS, RCTL.LPE */
#define E1000_MIT_FLOOR   500           /* 256-ns units = 128 us, as QEMU */
#define E1000_FCS_LEN     4

#define R(off) ((off) >> 2)

enum { E1000_CTX_CSUM, E1000_CTX_TSO };

/* One TX context (SDM 3.3.6). */
struct e1000_txctx {
	uint8_t ipcss, ipcso;
	uint16_t ipcse;
	uint8_t tucss, tucso;
	uint16_t tucse;
	uint32_t paylen;
	uint8_t hdr_len;
	uint16_t mss;
	bool ip, tcp;
};

struct e1000 {
	struct pci_dev pci;        /* first: pci_dev * <-> e1000 * */
	struct net_client *nc;
	bool mitigation;
	uint8_t macaddr[6];
	/* The register file, page-aligned (mmap): the receive registers' page can be guest memory
	 * (E1000_RX_PAGE). Values there are the guest's raw writes while it is mapped. */
	uint32_t *mac;
	uint16_t phy[32];
	uint16_t eeprom[E1000_EEPROM_WORDS];
	uint32_t ioaddr;
	bool link_was_up;

	/* Microwire EEPROM state (SDM 5.3). */
	struct {
		bool old_sk, old_cs;
		unsigned bits_in;       /* bits shifted in since CS rose */
		uint32_t val_in;
		bool reading, writing;
		unsigned addr, bit_out; /* read: word and next bit (15..0) */
		bool out;               /* current DO */
		bool wen;               /* EWEN seen */
	} ee;

	struct {
		struct e1000_txctx ctx[2];
		uint8_t *buf;          /* whole packet as gathered from descriptors */
		uint8_t *seg;          /* one TSO segment */
		uint32_t size;
		bool started;          /* a packet is being gathered */
		bool bad;              /* drop at EOP (bad address, oversize) */
		bool tse, legacy, ic;
		uint8_t popts, cso, css;
		bool vle;
		uint16_t vlan_tci;
		bool busy;
	} tx;

	uint8_t *rx_buf;
	bool rx_busy;

	struct el_timer *mit_timer;
	bool mit_timer_on;
	bool mit_ide;

	/* Receive blocked on a full ring while RDT writes may sit in KVM's coalesced queue:
	 * deliver them after a short wait (doubling up to E1000_RX_RETRY_MAX_NS). */
	struct el_timer *rx_retry;
	uint64_t rx_retry_ns;
	unsigned rx_retry_fast;    /* retries at E1000_RX_RETRY_PAGE_NS since the last progress */

	/* x-tx-iothread (default on): a TDT/TCTL write only schedules transmission on the
	 * event-loop thread, so the vCPU goes back to the guest at once while the frames are
	 * copied and handed to the backend (a tap write) on the other thread (tap guest->host
	 * 2.2x; bench/README.md session 15). */
	bool tx_iothread;
	struct el_timer *tx_bh;

	/* x-rx-page (default on): while receive runs, BAR0's page with RDBAL..RDT, RDTR,
	 * RADV is a KVM memory slot over this register file, so the guest's RDT writes (one per
	 * 16 buffers: 30% of all exits of a host->guest TCP stream) cost no exit. Nothing tells
	 * us of them: a receive that waits for buffers retries on a timer and at the guest's next
	 * e1000 exit (its interrupt re-enable at the end of every NAPI poll). */
	bool rx_page_ok, rx_page_on;

	/* x-eeprom-page (default on): while the driver bit-bangs the EEPROM (EECD with CS or REQ)
	 * and no interrupt cause is pending, BAR0's first page is a read-only KVM memory slot
	 * over ee_page, which holds what each of its registers reads now. The EEPROM reads and
	 * STATUS flush reads (60% of the accesses of Linux's probe: ~6.7k exits) cost no exit;
	 * the writes still come here one by one (their coalescing is suspended meanwhile) and
	 * refresh the page. It goes before any cause enters ICR (a read of ICR must clear it),
	 * before the receive page (one window per BAR) and at a MAC reset. */
	bool ee_page_ok, ee_page_on;
	uint32_t *ee_page;         /* page-aligned, E1000_EE_PAGE_SIZE bytes */

	/* The receive path's per-byte work (make bench-insn: 8273 -> 2837 instructions per
	 * 1514-byte frame): the FCS by ISA-L's folding CRC-32 where the CPU multiplies without
	 * carries in hardware (net/checksum.c picks; zlib's tables elsewhere), and no TCP/UDP
	 * checksum pass over frames from a backend that builds them itself (libslirp,
	 * net.h sends_valid_csums). Off (SKIFF_RX_CSUM_FAST=off) only for comparisons. */
	bool rx_csum_fast;
};

#define E1000_RX_PAGE      0x2000   /* RDBAL 0x2800 .. RSRPD 0x2C00, FCRTL/FCRTH, RX FIFO */
#define E1000_RX_PAGE_SIZE 0x1000
#define E1000_EE_PAGE_SIZE 0x1000   /* CTRL, STATUS, EECD, MDIC, ICR .. IMC, RCTL, TCTL */

#define E1000_RX_RETRY_MIN_NS  200000ull     /* 0.2 ms */
#define E1000_RX_RETRY_MAX_NS  50000000ull   /* 50 ms */
#define E1000_RX_RETRY_PAGE_NS 100000ull     /* 0.1 ms, with the receive page mapped */

/* Registers whose writes act at once in a way the guest may observe without another
 * exiting access (interrupt state, the PHY, transmit start): never coalesced. Every other
 * BAR0 write is (hw/bus.h), as in QEMU: RDT, ITR and EECD bit-banging are the busy ones. */
static const uint32_t e1000_uncoalesced[] = {
	E1000_MDIC, E1000_ICR, E1000_ICS, E1000_IMS, E1000_IMC, E1000_TCTL, E1000_TDT, /* ascending */
};
#define E1000_N_UNCOALESCED (sizeof(e1000_uncoalesced) / sizeof(e1000_uncoalesced[0]))

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static inline uint16_t e1000_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void e1000_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline uint32_t e1000_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void e1000_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint16_t e1000_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t e1000_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t e1000_le64(const uint8_t *p)
{
	return (uint64_t)e1000_le32(p) | (uint64_t)e1000_le32(p + 4) << 32;
}
static inline void e1000_put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void e1000_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void e1000_stat_inc(struct e1000 *s, uint32_t off)
{
	if (s->mac[R(off)] != 0xFFFFFFFFu)
		s->mac[R(off)]++;
}

/* 64-bit low/high pair, saturating. */
static void e1000_stat_add64(struct e1000 *s, uint32_t lo_off, uint64_t n)
{
	uint64_t v = (uint64_t)s->mac[R(lo_off) + 1] << 32 | s->mac[R(lo_off)];
	v = (v + n < v) ? UINT64_MAX : v + n;
	s->mac[R(lo_off)] = (uint32_t)v;
	s->mac[R(lo_off) + 1] = (uint32_t)(v >> 32);
}

/* Size bins 64, 65-127, 128-255, 256-511, 512-1023, 1024-1522 (with FCS). */
static void e1000_stat_size_bin(struct e1000 *s, uint32_t first, size_t len)
{
	static const size_t lim[] = { 64, 127, 255, 511, 1023, 1522 };
	for (unsigned i = 0; i < 6; i++) {
		if (len <= lim[i]) {
			e1000_stat_inc(s, first + 4 * i);
			return;
		}
	}
}

static bool e1000_bus_master(const struct e1000 *s)
{
	return s->pci.cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

static bool e1000_loopback(const struct e1000 *s)
{
	return (s->phy[PHY_CTRL] & MII_CR_LOOPBACK) || (s->mac[R(E1000_RCTL)] & E1000_RCTL_LBM_MASK);
}

/* In loopback the link is up whatever the cable says (ethtool -t needs it
 * right after an autoneg restart, e1000.md 8.5). */
static bool e1000_link_up(const struct e1000 *s)
{
	if (e1000_loopback(s))
		return true;
	return s->nc && !s->nc->link_down;
}

/* One read of a register the guest may be writing at the same time (the receive page). */
static uint32_t e1000_reg_once(const struct e1000 *s, uint32_t off)
{
	return __atomic_load_n(&s->mac[R(off)], __ATOMIC_RELAXED);
}

/* A descriptor ring as it is now: each register read once, masked as the write handler
 * would (the receive page holds raw guest values), head and tail inside the ring. */
struct e1000_ring_snap {
	uint64_t base;
	uint32_t count, head, tail;
};

/* A ring's guest-physical base, entry count, head and tail, or false when the guest
 * programmed something unusable (empty, head/tail out of range, wraps). */
static bool e1000_ring(const struct e1000 *s, uint32_t bal, uint32_t bah, uint32_t len,
		       uint32_t hd, uint32_t tl, struct e1000_ring_snap *r)
{
	uint64_t b = (uint64_t)e1000_reg_once(s, bah) << 32 | (e1000_reg_once(s, bal) & ~0xFu);
	uint32_t n = (e1000_reg_once(s, len) & 0x000FFF80) / 16;
	uint32_t h = e1000_reg_once(s, hd) & 0xFFFF, t = e1000_reg_once(s, tl) & 0xFFFF;

	if (n == 0 || h >= n || t >= n)
		return false;
	if (b > UINT64_MAX - (uint64_t)n * 16)
		return false;
	r->base = b;
	r->count = n;
	r->head = h;
	r->tail = t;
	/* The descriptors up to the tail are read after it (the guest fills them, then writes
	 * the tail: with the receive page mapped, straight into our memory). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return true;
}

/* ------------------------------------------------------------------ */
/* Interrupts (SDM 13.4.17-21) and mitigation (e1000.md 6)              */

static void e1000_set_line(struct e1000 *s, bool level)
{
	if (s->pci.irq_level != level)
		pci_set_irq(&s->pci, level);
}

static void e1000_mit_arm(struct e1000 *s)
{
	uint32_t icr = s->mac[R(E1000_ICR)];
	uint32_t delay = 0;

#define E1000_MIN_NZ(a, b) ((a) == 0 || ((b) != 0 && (b) < (a)) ? (b) : (a))
	if (s->mit_ide && (icr & (E1000_ICR_TXQE | E1000_ICR_TXDW)))
		delay = E1000_MIN_NZ(delay, (s->mac[R(E1000_TADV)] & 0xFFFF) * 4);
	if ((s->mac[R(E1000_RDTR)] & 0xFFFF) && (icr & E1000_ICR_RXT0))
		delay = E1000_MIN_NZ(delay, (s->mac[R(E1000_RADV)] & 0xFFFF) * 4);
	delay = E1000_MIN_NZ(delay, s->mac[R(E1000_ITR)] & 0xFFFF);
#undef E1000_MIN_NZ
	if (!delay || !s->mit_timer)
		return;
	if (delay < E1000_MIT_FLOOR)
		delay = E1000_MIT_FLOOR;
	s->mit_timer_on = true;
	el_timer_mod(s->mit_timer, el_now_ns() + (uint64_t)delay * 256);
}

/* Line level = (ICR & IMS) != 0; with mitigation a rising edge asserts at
 * once and opens a hold-off window in which new edges wait for the timer. */
static void e1000_update_irq(struct e1000 *s)
{
	bool pending = (s->mac[R(E1000_ICR)] & s->mac[R(E1000_IMS)]) != 0;

	if (!pending) {
		e1000_set_line(s, false);
		return;
	}
	if (s->pci.irq_level)
		return;
	if (s->mitigation && s->mit_timer_on)
		return;
	e1000_set_line(s, true);
	if (s->mitigation)
		e1000_mit_arm(s);
}

static void e1000_mit_timer_cb(void *opaque)
{
	struct e1000 *s = opaque;

	s->mit_timer_on = false;
	s->mit_ide = false;
	e1000_update_irq(s);
}

static void e1000_ee_page_set(struct e1000 *s, bool want);

static void e1000_set_ics(struct e1000 *s, uint32_t cause)
{
	if (s->ee_page_on && (cause & E1000_ICR_MASK))
		e1000_ee_page_set(s, false);  /* the guest's next ICR read must exit and clear it */
	s->mac[R(E1000_ICR)] |= cause & E1000_ICR_MASK;
	e1000_update_irq(s);
}

/* ------------------------------------------------------------------ */
/* PHY (M88E1011 behind MDIC)                                           */

static const uint16_t e1000_phy_reset_val[32] = {
	[PHY_CTRL] = 0x1140,          /* AN enable, full duplex, 1000 Mb/s */
	[PHY_STATUS] = 0x794D,        /* + LINK/AN_COMPLETE when up */
	[PHY_ID1] = 0x0141,
	[PHY_ID2] = 0x0C20,           /* M88E1011, revision 0 */
	[PHY_AUTONEG_ADV] = 0x0DE1,
	[PHY_LP_ABILITY] = 0x01E0,
	[PHY_1000T_CTRL] = 0x0E00,
	[PHY_1000T_STATUS] = 0x3C00,
	[PHY_EXT_STATUS] = 0x3000,
	[M88_PHY_SPEC_CTRL] = 0x0360,
	[M88_PHY_SPEC_STATUS] = 0xA800, /* 1000, FD, resolved; + LINK when up */
	[M88_EXT_PHY_SPEC_CTRL] = 0x0D60,
};

#define E1000_PHY_R  1u
#define E1000_PHY_W  2u
static const uint8_t e1000_phy_access[32] = {
	[PHY_CTRL] = E1000_PHY_R | E1000_PHY_W,
	[PHY_STATUS] = E1000_PHY_R,
	[PHY_ID1] = E1000_PHY_R,
	[PHY_ID2] = E1000_PHY_R,
	[PHY_AUTONEG_ADV] = E1000_PHY_R | E1000_PHY_W,
	[PHY_LP_ABILITY] = E1000_PHY_R,
	[PHY_AUTONEG_EXP] = E1000_PHY_R,
	[PHY_NEXT_PAGE] = E1000_PHY_R | E1000_PHY_W,
	[PHY_1000T_CTRL] = E1000_PHY_R | E1000_PHY_W,
	[PHY_1000T_STATUS] = E1000_PHY_R,
	[PHY_EXT_STATUS] = E1000_PHY_R,
	[M88_PHY_SPEC_CTRL] = E1000_PHY_R | E1000_PHY_W,
	[M88_PHY_SPEC_STATUS] = E1000_PHY_R,
	[M88_INT_ENABLE] = E1000_PHY_R | E1000_PHY_W,
	[M88_INT_STATUS] = E1000_PHY_R,
	[M88_EXT_PHY_SPEC_CTRL] = E1000_PHY_R | E1000_PHY_W,
	[M88_RX_ERR_CNTR] = E1000_PHY_R,
	[M88_LED_CTRL] = E1000_PHY_R | E1000_PHY_W,
	[M88_PAGE_SELECT] = E1000_PHY_R | E1000_PHY_W,
	[M88_PAGE_DATA] = E1000_PHY_R | E1000_PHY_W,
};

/* Mirror the link state into STATUS-visible PHY bits; LSC on a change. */
static void e1000_ee_page_fill(struct e1000 *s);

static void e1000_link_update(struct e1000 *s)
{
	bool up = e1000_link_up(s);

	if (up) {
		s->phy[PHY_STATUS] |= MII_SR_LINK_STATUS;
		if (s->phy[PHY_CTRL] & MII_CR_AN_ENABLE) {
			/* Autonegotiation completes at once: a link-down window
			 * would only lose the driver's first frames (e1000.md 8.5). */
			s->phy[PHY_STATUS] |= MII_SR_AN_COMPLETE;
			s->phy[PHY_LP_ABILITY] |= MII_LPAR_ACK;
		}
		s->phy[M88_PHY_SPEC_STATUS] |= M88_PSSR_LINK;
	} else {
		s->phy[PHY_STATUS] &= ~(MII_SR_LINK_STATUS | MII_SR_AN_COMPLETE);
		s->phy[PHY_LP_ABILITY] &= ~MII_LPAR_ACK;
		s->phy[M88_PHY_SPEC_STATUS] &= ~M88_PSSR_LINK;
	}
	if (up != s->link_was_up) {
		s->link_was_up = up;
		e1000_set_ics(s, E1000_ICR_LSC);
		if (up && s->nc)
			net_client_flush(s->nc);
	}
	if (s->ee_page_on)
		e1000_ee_page_fill(s);
}

static void e1000_phy_reset(struct e1000 *s)
{
	memcpy(s->phy, e1000_phy_reset_val, sizeof(s->phy));
}

static void e1000_phy_write(struct e1000 *s, unsigned reg, uint16_t val)
{
	if (reg == PHY_CTRL) {
		if (val & MII_CR_RESET)
			e1000_phy_reset(s);
		/* RESET and RESTART_AN self-clear; an AN restart (or reset)
		 * finishes immediately with an LSC, as the driver waits for. */
		s->phy[PHY_CTRL] = val & ~(MII_CR_RESET | MII_CR_RESTART_AN);
		e1000_link_update(s);
		if ((val & (MII_CR_RESET | MII_CR_RESTART_AN)) && e1000_link_up(s))
			e1000_set_ics(s, E1000_ICR_LSC);
		return;
	}
	s->phy[reg] = val;
}

static void e1000_mdic_write(struct e1000 *s, uint32_t val)
{
	unsigned phy = (val >> E1000_MDIC_PHY_SHIFT) & 0x1F;
	unsigned reg = (val >> E1000_MDIC_REG_SHIFT) & 0x1F;
	unsigned op = (val >> E1000_MDIC_OP_SHIFT) & 3;
	uint32_t res = val & ~(E1000_MDIC_READY | E1000_MDIC_ERROR);

	if (phy != E1000_PHY_ADDR) {
		res |= E1000_MDIC_ERROR;
	} else if (op == E1000_MDIC_OP_READ) {
		if (e1000_phy_access[reg] & E1000_PHY_R)
			res = (res & ~E1000_MDIC_DATA_MASK) | s->phy[reg];
		else
			res |= E1000_MDIC_ERROR;
	} else if (op == E1000_MDIC_OP_WRITE) {
		if (e1000_phy_access[reg] & E1000_PHY_W)
			e1000_phy_write(s, reg, (uint16_t)val);
		else
			res |= E1000_MDIC_ERROR;
	} else {
		res |= E1000_MDIC_ERROR;
	}
	/* Completes synchronously: Linux polls READY. */
	s->mac[R(E1000_MDIC)] = res | E1000_MDIC_READY;
	if (val & E1000_MDIC_INT_EN)
		e1000_set_ics(s, E1000_ICR_MDAC);
}

/* ------------------------------------------------------------------ */
/* EEPROM (SDM chapter 5): 64 words, Microwire via EECD, or EERD        */

static void e1000_eeprom_build(struct e1000 *s)
{
	static const uint16_t tmpl[E1000_EEPROM_WORDS] = {
		[0x03] = 0x0000, [0x04] = 0xFFFF,
		[0x08] = 0x3000, [0x09] = 0x1000, [0x0A] = 0x6403,
		[0x0B] = E1000_SUBSYS_ID, [0x0C] = E1000_SUBSYS_VENDOR,
		[0x0D] = E1000_DEVICE_ID, [0x0E] = E1000_VENDOR_ID,
		[0x0F] = 0x3040,
		[0x10] = 0x0008, 0x2000, 0x7E14, 0x0048, 0x1000, 0x00D8, 0x0000, 0x2700,
		0x6CC9, 0x3150, 0x0722, 0x040B, 0x0984, 0x0000, 0xC000, 0x0706,
		[0x20] = 0x1008, 0x0000, 0x0F04, 0x7FFF, 0x4D01,
		0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
		[0x30] = 0x0100, 0x4000, 0x121C,
		0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
	};
	uint16_t sum = 0;

	memcpy(s->eeprom, tmpl, sizeof(s->eeprom));
	for (int i = 0; i < 3; i++)
		s->eeprom[i] = (uint16_t)(s->macaddr[2 * i] | s->macaddr[2 * i + 1] << 8);
	for (int i = 0; i < E1000_EEPROM_WORDS - 1; i++)
		sum += s->eeprom[i];
	s->eeprom[E1000_EEPROM_WORDS - 1] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

static void e1000_ee_reset_fsm(struct e1000 *s)
{
	s->ee.bits_in = 0;
	s->ee.val_in = 0;
	s->ee.reading = false;
	s->ee.writing = false;
	s->ee.bit_out = 0;
	s->ee.out = true;
}

/* One rising SK edge with CS high: shift DI in, or the next data bit out. */
static void e1000_ee_clock(struct e1000 *s, bool di)
{
	if (s->ee.reading) {
		s->ee.out = (s->eeprom[s->ee.addr] >> (15 - s->ee.bit_out)) & 1;
		if (++s->ee.bit_out == 16) {
			/* Sequential read continues with the next word. */
			s->ee.bit_out = 0;
			s->ee.addr = (s->ee.addr + 1) % E1000_EEPROM_WORDS;
		}
		return;
	}
	if (s->ee.bits_in >= 3 + E1000_EEPROM_ABITS + 16)
		return;  /* garbage clocking after a complete command: ignore */
	s->ee.val_in = s->ee.val_in << 1 | di;
	s->ee.bits_in++;
	if (s->ee.bits_in == 3 + E1000_EEPROM_ABITS) {
		unsigned op = s->ee.val_in >> E1000_EEPROM_ABITS;
		unsigned addr = s->ee.val_in & (E1000_EEPROM_WORDS - 1);

		if (op == E1000_UWIRE_READ) {
			s->ee.reading = true;
			s->ee.addr = addr;
			s->ee.bit_out = 0;
			s->ee.out = false;  /* dummy zero before D15 */
		} else if (op == E1000_UWIRE_WRITE) {
			s->ee.writing = true;
			s->ee.addr = addr;
		} else if (op == E1000_UWIRE_EXT) {
			if ((addr >> 4) == 3)
				s->ee.wen = true;       /* EWEN */
			else if ((addr >> 4) == 0)
				s->ee.wen = false;      /* EWDS */
		}
	} else if (s->ee.writing && s->ee.bits_in == 3 + E1000_EEPROM_ABITS + 16) {
		/* WRITE: programmed at once; DO reads 1 = ready. */
		if (s->ee.wen)
			s->eeprom[s->ee.addr] = (uint16_t)s->ee.val_in;
		s->ee.writing = false;
		s->ee.out = true;
	}
}

static void e1000_eecd_write(struct e1000 *s, uint32_t val)
{
	bool sk = val & E1000_EECD_SK, cs = val & E1000_EECD_CS;

	s->mac[R(E1000_EECD)] = val & E1000_EECD_WMASK;
	if (!cs) {
		/* Standby / deselect: the next CS rise starts a new command. */
		e1000_ee_reset_fsm(s);
	} else if (!s->ee.old_cs) {
		e1000_ee_reset_fsm(s);
	} else if (sk && !s->ee.old_sk) {
		e1000_ee_clock(s, val & E1000_EECD_DI);
	}
	s->ee.old_cs = cs;
	s->ee.old_sk = sk;
}

static uint32_t e1000_eecd_read(const struct e1000 *s)
{
	uint32_t v = s->mac[R(E1000_EECD)] | E1000_EECD_PRES;

	if (v & E1000_EECD_REQ)
		v |= E1000_EECD_GNT;    /* no other agent: always granted */
	if (!(v & E1000_EECD_CS) || s->ee.out)
		v |= E1000_EECD_DO;
	else
		v &= ~E1000_EECD_DO;
	return v;
}

static void e1000_eerd_write(struct e1000 *s, uint32_t val)
{
	unsigned addr = (val >> E1000_EERD_ADDR_SHIFT) & 0xFF;

	if (!(val & E1000_EERD_START)) {
		s->mac[R(E1000_EERD)] = val & 0xFF00;
		return;
	}
	s->mac[R(E1000_EERD)] = addr << E1000_EERD_ADDR_SHIFT | E1000_EERD_DONE;
	if (addr < E1000_EEPROM_WORDS)
		s->mac[R(E1000_EERD)] |= (uint32_t)s->eeprom[addr] << E1000_EERD_DATA_SHIFT;
}

/* ------------------------------------------------------------------ */
/* Reset                                                                 */

static void e1000_tx_clear(struct e1000 *s)
{
	memset(s->tx.ctx, 0, sizeof(s->tx.ctx));
	s->tx.size = 0;
	s->tx.started = false;
	s->tx.bad = false;
	s->tx.vle = false;
}

static void e1000_reg_write(struct e1000 *s, uint32_t off, uint32_t val);

/* Map the receive page from the first RDT write with receive enabled (a driver handing the
 * ring its buffers) until receive is disabled or the MAC reset; on the way out the guest's
 * raw values get the masks its writes would have had through the handler. ethtool's register
 * test pattern-tests RDBAL with RCTL.EN set but never moves RDT then: it keeps the handler. */
static void e1000_rx_page_map(struct e1000 *s, bool on)
{
	if (on && s->ee_page_on)
		e1000_ee_page_set(s, false);  /* one memory window per BAR */
	s->rx_page_on = on;
	pci_bar_set_ram(&s->pci, 0, E1000_RX_PAGE, E1000_RX_PAGE_SIZE,
			(uint8_t *)s->mac + E1000_RX_PAGE, on, false);
}

static void e1000_rx_page_set(struct e1000 *s, bool want)
{
	if (want == s->rx_page_on)
		return;
	e1000_rx_page_map(s, want);
	if (want)
		return;
	/* Each value through the write handler (unknown registers stay zero). */
	for (uint32_t off = E1000_RX_PAGE; off < E1000_RX_PAGE + E1000_RX_PAGE_SIZE; off += 4) {
		uint32_t v = s->mac[R(off)];
		s->mac[R(off)] = 0;
		e1000_reg_write(s, off, v);
	}
}

/* CTRL.RST: everything but PCI config, PHY and EEPROM contents (SDM 13.4.1). */
static void e1000_mac_reset(struct e1000 *s)
{
	memset(s->mac, 0, E1000_MMIO_SIZE);
	s->mac[R(E1000_CTRL)] = E1000_CTRL_SWDPIN2 | E1000_CTRL_SWDPIN0 |
				 E1000_CTRL_SPD_1000 | E1000_CTRL_SLU;
	s->mac[R(E1000_LEDCTL)] = 0x00000602;
	s->mac[R(E1000_PBA)] = 0x00100030;
	s->mac[R(E1000_MANC)] = E1000_MANC_RESET;
	s->mac[R(E1000_VET)] = 0x8100;
	s->mac[R(E1000_MDIC)] = E1000_MDIC_READY;
	/* RA0 is loaded from the EEPROM MAC words. */
	s->mac[R(E1000_RA)] = (uint32_t)s->eeprom[0] | (uint32_t)s->eeprom[1] << 16;
	s->mac[R(E1000_RA) + 1] = s->eeprom[2] | E1000_RAH_AV;
	s->ioaddr = 0;
	e1000_tx_clear(s);
	e1000_ee_reset_fsm(s);
	s->ee.old_cs = s->ee.old_sk = false;
	s->ee.wen = false;
	if (s->mit_timer)
		el_timer_del(s->mit_timer);
	s->mit_timer_on = false;
	s->mit_ide = false;
	e1000_set_line(s, false);
	e1000_rx_page_set(s, false);
	e1000_ee_page_set(s, false);
}

void e1000_reset(struct e1000 *s)
{
	e1000_phy_reset(s);
	e1000_mac_reset(s);
	s->link_was_up = e1000_link_up(s);
	e1000_link_update(s);
	s->mac[R(E1000_ICR)] = 0;
	e1000_set_line(s, false);
}

/* ------------------------------------------------------------------ */
/* TX (SDM 3.3, 3.5)                                                     */

static void e1000_tx_stats(struct e1000 *s, const uint8_t *frame, size_t len)
{
	size_t wire = len + E1000_FCS_LEN;

	e1000_stat_inc(s, E1000_GPTC);
	e1000_stat_inc(s, E1000_TPT);
	e1000_stat_add64(s, E1000_GOTCL, wire);
	e1000_stat_add64(s, E1000_TOTL, wire);
	e1000_stat_size_bin(s, E1000_PTC64, wire);
	if (len >= 6 && frame[0] & 1) {
		static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		e1000_stat_inc(s, memcmp(frame, bcast, 6) ? E1000_MPTC : E1000_BPTC);
	}
}

static size_t e1000_rx_frame(struct e1000 *s, const uint8_t *frame, size_t len, bool can_wait,
			     bool l4_ok);

/* TSO handed on whole (host GSO, or a TCP-stack backend): count the frames the 82540 would
 * have put on the wire, HDRLEN + MSS each (SDM 3.5.3), not the one frame we pass on. */
static void e1000_tx_stats_tso(struct e1000 *s, const struct e1000_txctx *c, const uint8_t *frame,
			       size_t len)
{
	size_t pay = len - c->hdr_len, vlan = s->tx.vle && (s->mac[R(E1000_CTRL)] & E1000_CTRL_VME) ? 4 : 0;

	for (size_t off = 0; off < pay; off += c->mss) {
		size_t chunk = pay - off < c->mss ? pay - off : c->mss;
		e1000_tx_stats(s, frame, c->hdr_len + chunk + vlan);
	}
	if (pay > c->mss)
		e1000_stat_inc(s, E1000_TSCTC);
}

/* Hand one finished frame to the wire (or, in loopback, to our own RX).
 * vh: virtio-net header to use when the peer speaks it (NULL: none).
 * tso: the frame is a whole TSO packet whose statistics the caller counted. */
static void e1000_tx_emit_ex(struct e1000 *s, uint8_t *frame, size_t len, struct virtio_net_hdr *vh,
			     bool tso)
{
	struct virtio_net_hdr zero = { 0 };
	uint8_t tag[4];
	struct iovec iov[4];
	int n = 0;
	bool vlan = s->tx.vle && (s->mac[R(E1000_CTRL)] & E1000_CTRL_VME);

	if (len == 0 || (vlan && len < 12))
		return;
	if (!tso)
		e1000_tx_stats(s, frame, len + (vlan ? 4 : 0));
	if (e1000_loopback(s)) {
		/* Loopback never reaches the backend (ethtool -t). The RX path
		 * copies out of our TX buffer; nothing here can re-enter TX. */
		if (vlan) {
			if (len + 4 > E1000_RX_BUF_SIZE - E1000_FCS_LEN)
				return;
			memcpy(s->rx_buf, frame, 12);
			e1000_put_be16(s->rx_buf + 12, (uint16_t)s->mac[R(E1000_VET)]);
			e1000_put_be16(s->rx_buf + 14, s->tx.vlan_tci);
			memmove(s->rx_buf + 16, frame + 12, len - 12);
			e1000_rx_frame(s, s->rx_buf, len + 4, false, false);
		} else {
			e1000_rx_frame(s, frame, len, false, false);
		}
		return;
	}
	if (!s->nc || !s->nc->peer)
		return;
	if (s->nc->using_vnet_hdr) {
		iov[n].iov_base = vh ? vh : &zero;
		iov[n++].iov_len = sizeof(struct virtio_net_hdr);
		if (vh && vlan && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
			vh->csum_start += 4;
			vh->hdr_len += 4;
		}
	}
	if (vlan) {
		e1000_put_be16(tag, (uint16_t)s->mac[R(E1000_VET)]);
		e1000_put_be16(tag + 2, s->tx.vlan_tci);
		iov[n].iov_base = frame;
		iov[n++].iov_len = 12;
		iov[n].iov_base = tag;
		iov[n++].iov_len = 4;
		iov[n].iov_base = frame + 12;
		iov[n++].iov_len = len - 12;
	} else {
		iov[n].iov_base = frame;
		iov[n++].iov_len = len;
	}
	net_send(s->nc, iov, n);
}

static void e1000_tx_emit(struct e1000 *s, uint8_t *frame, size_t len, struct virtio_net_hdr *vh)
{
	e1000_tx_emit_ex(s, frame, len, vh, false);
}

/* Insert a checksum over [css, cse] (cse 0 = to the end) at cso; every
 * offset is checked against the bytes actually present (CVE-2022-23087). */
static void e1000_put_csum(uint8_t *buf, size_t len, unsigned css, unsigned cso,
			   unsigned cse, bool udp)
{
	size_t end;
	uint16_t v;

	if (css >= len || cso + 2 > len)
		return;
	end = (cse && cse < len) ? (size_t)cse + 1 : len;
	if (end <= css)
		return;
	v = (uint16_t)~csum_fold(csum_add(0, buf + css, end - css));
	if (udp && v == 0)
		v = 0xFFFF;  /* RFC 768: 0 means "no checksum" */
	e1000_put_be16(buf + cso, v);
}

static void e1000_tx_csum(struct e1000 *s, uint8_t *buf, size_t len, const struct e1000_txctx *c)
{
	if (s->tx.legacy) {
		if (s->tx.ic)
			e1000_put_csum(buf, len, s->tx.css, s->tx.cso, 0, false);
		return;
	}
	if (s->tx.popts & E1000_TXD_POPTS_IXSM)
		e1000_put_csum(buf, len, c->ipcss, c->ipcso, c->ipcse, false);
	if (s->tx.popts & E1000_TXD_POPTS_TXSM)
		e1000_put_csum(buf, len, c->tucss, c->tucso, c->tucse, !c->tcp);
}

/* Ones-complement add of n to the big-endian 16-bit value at p. */
static void e1000_csum_seed_add(uint8_t *p, uint32_t n)
{
	uint32_t v = e1000_be16(p) + (n & 0xFFFF) + (n >> 16);
	e1000_put_be16(p, csum_fold(v));
}

/* Per-segment header fix-ups (SDM 3.5.3): IP length/ID, TCP sequence and
 * flags or UDP length, and the pseudo-header seed gets this segment's
 * L4 length (the driver seeded it with length 0). */
static void e1000_tso_fixup(struct e1000 *s, const struct e1000_txctx *c, uint8_t *seg,
			    size_t len, unsigned f, bool last)
{
	if (c->ip) {
		if ((size_t)c->ipcss + 6 <= len) {
			e1000_put_be16(seg + c->ipcss + 2, (uint16_t)(len - c->ipcss));
			e1000_put_be16(seg + c->ipcss + 4, (uint16_t)(e1000_be16(seg + c->ipcss + 4) + f));
		}
	} else if ((size_t)c->ipcss + 40 <= len) {
		/* IPv6 payload length excludes the 40-byte fixed header. */
		e1000_put_be16(seg + c->ipcss + 4, (uint16_t)(len - c->ipcss - 40));
	}
	if (c->tcp) {
		if ((size_t)c->tucss + 14 <= len) {
			uint8_t *th = seg + c->tucss;
			e1000_put_be32(th + 4, e1000_be32(th + 4) + (uint32_t)f * c->mss);
			if (!last)
				th[13] &= (uint8_t)~0x09;  /* PSH, FIN only on the last */
		}
	} else if ((size_t)c->tucss + 6 <= len) {
		e1000_put_be16(seg + c->tucss + 4, (uint16_t)(len - c->tucss));
	}
	if ((s->tx.popts & E1000_TXD_POPTS_TXSM) && c->tucss < len && (size_t)c->tucso + 2 <= len)
		e1000_csum_seed_add(seg + c->tucso, (uint32_t)(len - c->tucss));
}

/* Host GSO through the virtio-net header (e1000.md 4.3): one frame for the
 * whole TSO packet. False when the packet does not fit that model. */
static bool e1000_tx_gso(struct e1000 *s, const struct e1000_txctx *c)
{
	uint8_t *buf = s->tx.buf;
	size_t len = s->tx.size;
	struct virtio_net_hdr vh = { 0 };

	if (!s->nc || !s->nc->using_vnet_hdr || e1000_loopback(s) || !c->tcp ||
	    !(s->tx.popts & E1000_TXD_POPTS_TXSM) || c->tucso < c->tucss ||
	    (size_t)c->tucso + 2 > c->hdr_len || c->tucss + 20u > c->hdr_len)
		return false;
	if (c->ip) {
		if ((size_t)c->ipcss + 20 > c->hdr_len || len - c->ipcss > 0xFFFF)
			return false;
		e1000_put_be16(buf + c->ipcss + 2, (uint16_t)(len - c->ipcss));
		if (s->tx.popts & E1000_TXD_POPTS_IXSM)
			e1000_put_csum(buf, c->hdr_len, c->ipcss, c->ipcso, c->ipcse, false);
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		if ((size_t)c->ipcss + 40 > c->hdr_len || len - c->ipcss - 40 > 0xFFFF)
			return false;
		e1000_put_be16(buf + c->ipcss + 4, (uint16_t)(len - c->ipcss - 40));
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	/* The host stack wants the seed to include the full L4 length. */
	e1000_csum_seed_add(buf + c->tucso, (uint32_t)(len - c->tucss));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.hdr_len = c->hdr_len;
	vh.gso_size = c->mss;
	vh.csum_start = c->tucss;
	vh.csum_offset = (uint16_t)(c->tucso - c->tucss);
	e1000_tx_stats_tso(s, c, buf, len);
	e1000_tx_emit_ex(s, buf, len, &vh, true);
	return true;
}

/* A backend that is a TCP stack (net.h takes_tso_frames): one IPv4 frame with the whole
 * payload, IP length/checksum and the full TCP checksum filled in, as if the segments had
 * been received and coalesced. False when the packet does not fit that model (IPv6, VLAN,
 * loopback, no checksum offload, a header the context does not describe, over 64 KiB). */
static bool e1000_tx_whole(struct e1000 *s, const struct e1000_txctx *c)
{
	uint8_t *buf = s->tx.buf;
	size_t len = s->tx.size;
	uint32_t sum;
	uint16_t v;

	if (!s->nc || !s->nc->peer || !s->nc->peer->ops->takes_tso_frames || s->nc->using_vnet_hdr ||
	    e1000_loopback(s) || s->tx.vle || !c->ip || !c->tcp ||
	    !(s->tx.popts & E1000_TXD_POPTS_TXSM) || !(s->tx.popts & E1000_TXD_POPTS_IXSM) ||
	    (size_t)c->ipcss + 20 > c->hdr_len || c->tucss + 20u > c->hdr_len ||
	    c->tucso != c->tucss + 16u || c->ipcso != c->ipcss + 10u || len - c->ipcss > 0xFFFF ||
	    e1000_be16(buf + 12) != 0x0800 || c->ipcss != 14 || (buf[c->ipcss] >> 4) != 4 ||
	    (size_t)(buf[c->ipcss] & 0xF) * 4 != (size_t)(c->tucss - c->ipcss))
		return false;
	e1000_put_be16(buf + c->ipcss + 2, (uint16_t)(len - c->ipcss));
	buf[c->ipcso] = buf[c->ipcso + 1] = 0;
	e1000_put_csum(buf, c->hdr_len, c->ipcss, c->ipcso, c->tucss - 1u, false);
	/* The driver seeded the TCP checksum with the pseudo-header for length 0 (SDM 3.5.3):
	 * recompute it whole from the pseudo-header, so a wrong seed cannot pass either. */
	buf[c->tucso] = buf[c->tucso + 1] = 0;
	sum = csum_add(0, buf + c->ipcss + 12, 8) + 6 + (uint32_t)(len - c->tucss);
	sum = csum_add(sum, buf + c->tucss, len - c->tucss);
	v = (uint16_t)~csum_fold(sum);
	e1000_put_be16(buf + c->tucso, v);
	e1000_tx_stats_tso(s, c, buf, len);
	e1000_tx_emit_ex(s, buf, len, NULL, true);
	return true;
}

/* Software TSO: split the gathered packet into HDRLEN + MSS frames. */
static void e1000_tx_tso(struct e1000 *s, const struct e1000_txctx *c)
{
	size_t hdr = c->hdr_len, len = s->tx.size, off = hdr;
	unsigned f = 0;

	while (off < len) {
		size_t chunk = len - off < c->mss ? len - off : c->mss;
		bool last = off + chunk >= len;

		/* hdr + chunk <= 255 + 65535 < E1000_TX_BUF_SIZE */
		memcpy(s->tx.seg, s->tx.buf, hdr);
		memcpy(s->tx.seg + hdr, s->tx.buf + off, chunk);
		e1000_tso_fixup(s, c, s->tx.seg, hdr + chunk, f, last);
		e1000_tx_csum(s, s->tx.seg, hdr + chunk, c);
		e1000_tx_emit(s, s->tx.seg, hdr + chunk, NULL);
		off += chunk;  /* chunk >= 1: mss >= 1 and off < len */
		f++;
	}
	if (f > 1)
		e1000_stat_inc(s, E1000_TSCTC);
}

static void e1000_tx_packet(struct e1000 *s)
{
	const struct e1000_txctx *c = &s->tx.ctx[s->tx.tse ? E1000_CTX_TSO : E1000_CTX_CSUM];

	if (s->tx.tse) {
		/* MSS 0 or HDRLEN 0 cannot be segmented (CVE-2021-20257): drop. */
		if (c->mss == 0 || c->hdr_len == 0) {
			e1000_stat_inc(s, E1000_TSCTFC);
			return;
		}
		if (s->tx.size > c->hdr_len) {
			if (s->tx.size - c->hdr_len > c->mss && (e1000_tx_gso(s, c) || e1000_tx_whole(s, c)))
				return;
			e1000_tx_tso(s, c);
			return;
		}
		/* Header only: one frame with the fix-ups of a last segment. */
		e1000_tso_fixup(s, c, s->tx.buf, s->tx.size, 0, true);
	}
	e1000_tx_csum(s, s->tx.buf, s->tx.size, c);
	e1000_tx_emit(s, s->tx.buf, s->tx.size, NULL);
}

/* Write DD back into the status byte only (SDM 3.3.3.2). */
static uint32_t e1000_tx_writeback(struct e1000 *s, uint64_t da, uint32_t cmd, const uint8_t *d)
{
	uint8_t sta;

	if (!(cmd & (E1000_TXD_CMD_RS | E1000_TXD_CMD_RPS)))
		return 0;
	sta = (uint8_t)((d[12] & ~0x0F) | E1000_TXD_STAT_DD);
	pci_dma_write(&s->pci, da + 12, &sta, 1);
	if (cmd & E1000_TXD_CMD_IDE)
		s->mit_ide = true;
	return E1000_ICR_TXDW;
}

static uint32_t e1000_tx_desc(struct e1000 *s, const uint8_t *d, uint64_t da)
{
	uint64_t addr = e1000_le64(d);
	uint32_t lower = e1000_le32(d + 8);
	uint32_t dtype = lower & (E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_MASK);
	uint32_t len;
	bool ext;

	if (dtype == (E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_C)) {
		struct e1000_txctx c = {
			.ipcss = d[0], .ipcso = d[1], .ipcse = e1000_le16(d + 2),
			.tucss = d[4], .tucso = d[5], .tucse = e1000_le16(d + 6),
			.paylen = lower & E1000_TXD_LEN_EXT,
			.hdr_len = d[13], .mss = e1000_le16(d + 14),
			.ip = lower & E1000_TXD_CMD_IP, .tcp = lower & E1000_TXD_CMD_TCP,
		};
		/* Two independent contexts: a checksum context must not
		 * clobber the TSO one (e1000.md 4.2). */
		s->tx.ctx[(lower & E1000_TXD_CMD_TSE) ? E1000_CTX_TSO : E1000_CTX_CSUM] = c;
		return e1000_tx_writeback(s, da, lower, d);
	}
	ext = dtype == (E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D);
	if ((lower & E1000_TXD_CMD_DEXT) && !ext)
		return e1000_tx_writeback(s, da, lower, d);  /* reserved type: consume */

	len = ext ? (lower & E1000_TXD_LEN_EXT) : (lower & E1000_TXD_LEN_LEGACY);
	if (!s->tx.started) {
		/* Per-packet options come from the first descriptor. */
		s->tx.started = true;
		s->tx.legacy = !ext;
		s->tx.tse = ext && (lower & E1000_TXD_CMD_TSE);
		s->tx.popts = ext ? d[13] : 0;
		s->tx.ic = !ext && (lower & E1000_TXD_CMD_IC);
		s->tx.cso = d[10];
		s->tx.css = d[13];
	}
	if (lower & E1000_TXD_CMD_VLE) {
		s->tx.vle = true;
		s->tx.vlan_tci = e1000_le16(d + 14);
	}
	if (len && !s->tx.bad) {
		if (len > E1000_TX_BUF_SIZE - s->tx.size ||
		    pci_dma_read(&s->pci, addr, s->tx.buf + s->tx.size, len)) {
			/* > 64 KiB or not RAM: the packet is dropped at EOP. */
			s->tx.bad = true;
		} else {
			s->tx.size += len;
		}
	}
	if (lower & E1000_TXD_CMD_EOP) {
		if (!s->tx.bad && s->tx.size)
			e1000_tx_packet(s);
		s->tx.size = 0;
		s->tx.started = false;
		s->tx.bad = false;
		s->tx.vle = false;
	}
	return e1000_tx_writeback(s, da, lower, d);
}

static void e1000_start_xmit(struct e1000 *s)
{
	struct e1000_ring_snap r;
	uint64_t base;
	uint32_t count, head, tail, cause = 0;
	bool any = false;

	if (s->tx.busy || !(s->mac[R(E1000_TCTL)] & E1000_TCTL_EN))
		return;
	if (!e1000_ring(s, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT, &r))
		return;
	s->tx.busy = true;
	base = r.base;
	count = r.count;
	head = r.head;
	tail = r.tail;
	/* head and tail are < count, so this ends within one lap. */
	while (head != tail) {
		uint8_t d[16];
		uint64_t da = base + (uint64_t)head * 16;

		if (pci_dma_read(&s->pci, da, d, sizeof(d)))
			break;  /* ring not in RAM: stall, like a master abort */
		cause |= e1000_tx_desc(s, d, da);
		any = true;
		head = head + 1 == count ? 0 : head + 1;
		s->mac[R(E1000_TDH)] = head;
	}
	s->tx.busy = false;
	if (!any)
		return;
	e1000_set_ics(s, cause | E1000_ICR_TXQE);
	net_client_poll_peer(s->nc);   /* the answer may be there already (net.h ops->poll) */
}

static void e1000_tx_bh(void *opaque)
{
	e1000_start_xmit(opaque);
}

/* The guest moved TDT (or enabled TX). With an event loop running, transmit there (unless
 * the backend answers inline, net.h): the descriptors are read when the loop gets to them,
 * as a real NIC fetches them some time after the doorbell; a guest that must know reads
 * TDH or waits for TXDW, as on hardware. The vCPU goes back to the guest while the host's
 * stack takes the frames (inside the tap write) on the other thread: tap guest->host 2.2x,
 * host->guest +7% (the ACKs' writes), ping unchanged; a guest's own segments (TSO off) lose
 * a quarter, likely their tap writes competing with the host's receiver for its CPU
 * (bench/README.md, session 15; x-tx-iothread=off for such a guest). */
static void e1000_tx_doorbell(struct e1000 *s)
{
	if (s->tx_iothread && s->tx_bh && el_running() &&
	    !net_peer_answers_inline(s->nc)) {
		if (!el_timer_pending(s->tx_bh))
			el_timer_mod(s->tx_bh, 0);
		return;
	}
	e1000_start_xmit(s);
}

/* ------------------------------------------------------------------ */
/* RX (SDM 3.2)                                                          */

static uint32_t e1000_rx_bufsize(uint32_t rctl)
{
	static const uint32_t normal[4] = { 2048, 1024, 512, 256 };
	static const uint32_t ext[4] = { 2048, 16384, 8192, 4096 }; /* 00 invalid: 2048 */
	unsigned b = (rctl & E1000_RCTL_BSIZE_MASK) >> E1000_RCTL_BSIZE_SHIFT;

	return (rctl & E1000_RCTL_BSEX) ? ext[b] : normal[b];
}

static uint32_t e1000_rx_free(const struct e1000_ring_snap *r)
{
	return r->tail >= r->head ? r->tail - r->head : r->count - r->head + r->tail;
}

/* Destination address filter (SDM 3.2.1 / 13.4.22). */
static bool e1000_rx_addr_ok(const struct e1000 *s, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned mo_shift[4] = { 4, 3, 2, 0 };
	uint32_t rctl = s->mac[R(E1000_RCTL)];
	bool mcast = dst[0] & 1;

	if (!memcmp(dst, bcast, 6) && (rctl & E1000_RCTL_BAM))
		return true;
	if (mcast && (rctl & E1000_RCTL_MPE))
		return true;
	if (!mcast && (rctl & E1000_RCTL_UPE))
		return true;
	for (unsigned i = 0; i < E1000_RA_SIZE; i++) {
		uint32_t ral = s->mac[R(E1000_RA) + 2 * i], rah = s->mac[R(E1000_RA) + 2 * i + 1];
		uint8_t a[6] = { (uint8_t)ral, (uint8_t)(ral >> 8), (uint8_t)(ral >> 16),
				 (uint8_t)(ral >> 24), (uint8_t)rah, (uint8_t)(rah >> 8) };
		if ((rah & E1000_RAH_AV) && !memcmp(a, dst, 6))
			return true;
	}
	if (mcast) {
		unsigned mo = (rctl & E1000_RCTL_MO_MASK) >> E1000_RCTL_MO_SHIFT;
		unsigned h = ((unsigned)(dst[5] << 8 | dst[4]) >> mo_shift[mo]) & 0xFFF;
		if (s->mac[R(E1000_MTA) + (h >> 5)] & (1u << (h & 31)))
			return true;
	}
	return false;
}

/* RX checksum offload (SDM 3.2.9): status/errors for IPv4 TCP/UDP. */
static void e1000_rx_csum(const struct e1000 *s, const uint8_t *f, size_t len, bool l4_ok,
			  uint8_t *status, uint8_t *errors)
{
	uint32_t rxcsum = s->mac[R(E1000_RXCSUM)];
	const uint8_t *ip = f + 14;
	size_t ihl, tot, l4len;
	uint32_t sum;

	if (!(rxcsum & (E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL))) {
		*status |= E1000_RXD_STAT_IXSM;
		return;
	}
	if (len < 14 + 20 || e1000_be16(f + 12) != 0x0800 || (ip[0] >> 4) != 4)
		return;
	ihl = (size_t)(ip[0] & 0xF) * 4;
	tot = e1000_be16(ip + 2);
	if (ihl < 20 || tot < ihl || 14 + tot > len)
		return;
	if (rxcsum & E1000_RXCSUM_IPOFL) {
		*status |= E1000_RXD_STAT_IPCS;
		if (csum_fold(csum_add(0, ip, ihl)) != 0xFFFF)
			*errors |= E1000_RXD_ERR_IPE;
	}
	if (!(rxcsum & E1000_RXCSUM_TUOFL) || (e1000_be16(ip + 6) & 0x3FFF))
		return;  /* fragments are not checked */
	if (ip[9] != 6 && ip[9] != 17)
		return;
	l4len = tot - ihl;
	if ((ip[9] == 6 && l4len < 20) || (ip[9] == 17 && l4len < 8))
		return;
	*status |= E1000_RXD_STAT_TCPCS;
	if (l4_ok || (ip[9] == 17 && e1000_be16(ip + ihl + 6) == 0))
		return;  /* known good (the backend said so), or UDP without checksum */
	sum = csum_add(0, ip + 12, 8);
	sum += ip[9] + (uint32_t)l4len;
	sum = csum_add(sum, ip + ihl, l4len);
	if (csum_fold(sum) != 0xFFFF)
		*errors |= E1000_RXD_ERR_TCPE;
}

static void e1000_rx_stats(struct e1000 *s, const uint8_t *f, size_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t wire = len + E1000_FCS_LEN;

	e1000_stat_inc(s, E1000_GPRC);
	e1000_stat_inc(s, E1000_TPR);
	e1000_stat_add64(s, E1000_GORCL, wire);
	e1000_stat_add64(s, E1000_TORL, wire);
	e1000_stat_size_bin(s, E1000_PRC64, wire);
	if (f[0] & 1)
		e1000_stat_inc(s, memcmp(f, bcast, 6) ? E1000_MPRC : E1000_BPRC);
}

/* Take one frame (no FCS). Returns len when consumed or dropped, 0 when it
 * must wait for RX descriptors (only if can_wait: backend frames; loopback
 * frames are dropped like on the wire). */
/* l4_ok: the backend vouches for the TCP/UDP checksum (virtio-net header DATA_VALID, or
 * NEEDS_CSUM that was just completed): RX checksum offload need not sum the payload again. */
static size_t e1000_rx_frame(struct e1000 *s, const uint8_t *frame, size_t len, bool can_wait,
			     bool l4_ok)
{
	uint32_t rctl = s->mac[R(E1000_RCTL)];
	uint8_t *f = s->rx_buf;
	struct e1000_ring_snap r;
	uint64_t base;
	uint32_t count, bufsize, need, free, head, total, done = 0;
	uint16_t tci = 0;
	uint8_t status = 0, errors = 0;
	bool strip = false;

	if (!e1000_link_up(s) || !(rctl & E1000_RCTL_EN))
		return len;
	if (!e1000_bus_master(s))
		return can_wait ? 0 : len;
	if (len == 0 || len > E1000_RX_BUF_SIZE - E1000_FCS_LEN) {
		e1000_stat_inc(s, E1000_ROC);
		return len;
	}
	/* Oversize rule (CVE-2012-6075): the driver trusts us to enforce it. */
	if (!(rctl & E1000_RCTL_SBP) &&
	    (len > E1000_MAX_LONG || (len > E1000_MAX_SHORT && !(rctl & E1000_RCTL_LPE)))) {
		e1000_stat_inc(s, E1000_ROC);
		return len;
	}
	if (!e1000_ring(s, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT, &r)) {
		/* No usable ring: same as no buffers. */
		e1000_stat_inc(s, E1000_RNBC);
		if (can_wait)
			return 0;
		e1000_stat_inc(s, E1000_MPC);
		e1000_set_ics(s, E1000_ICR_RXO);
		return len;
	}

	size_t flen = len;
	if (frame != f)
		memmove(f, frame, len);
	if (flen < E1000_MIN_FRAME) {
		memset(f + flen, 0, E1000_MIN_FRAME - flen);
		flen = E1000_MIN_FRAME;
	}
	if (e1000_be16(f + 12) == (uint16_t)s->mac[R(E1000_VET)]) {
		unsigned vid = e1000_be16(f + 14) & 0xFFF;
		if ((rctl & E1000_RCTL_VFE) &&
		    !(s->mac[R(E1000_VFTA) + (vid >> 5)] & (1u << (vid & 31))))
			return len;
		strip = s->mac[R(E1000_CTRL)] & E1000_CTRL_VME;
	}
	if (!e1000_rx_addr_ok(s, f))
		return len;

	/* Everything below works on the (stripped) copy in rx_buf. */
	if (strip) {
		tci = e1000_be16(f + 14);
		memmove(f + 12, f + 16, flen - 16);
		flen -= 4;
		status |= E1000_RXD_STAT_VP;
	}
	e1000_rx_csum(s, f, flen, l4_ok, &status, &errors);
	total = (uint32_t)flen;
	if (!(rctl & E1000_RCTL_SECRC)) {
		e1000_put_le32(f + flen, s->rx_csum_fast ? eth_fcs(f, flen) : eth_fcs_zlib(f, flen));
		total += E1000_FCS_LEN;
	}

	base = r.base;
	count = r.count;
	bufsize = e1000_rx_bufsize(rctl);
	need = (total + bufsize - 1) / bufsize;
	free = e1000_rx_free(&r);
	if (free < need) {
		e1000_stat_inc(s, E1000_RNBC);
		/* Wait if the ring can ever hold it (RDH == RDT means empty,
		 * so at most count - 1 descriptors are usable). */
		if (can_wait && need <= count - 1)
			return 0;
		e1000_stat_inc(s, E1000_MPC);
		e1000_set_ics(s, E1000_ICR_RXO);
		return len;
	}

	head = r.head;
	while (done < total) {
		uint8_t d[16], wb[8];
		uint64_t da = base + (uint64_t)head * 16;
		uint32_t n = total - done < bufsize ? total - done : bufsize;
		uint64_t addr;

		if (pci_dma_read(&s->pci, da, d, sizeof(d)))
			break;  /* ring not in RAM: stop, the frame is cut */
		addr = e1000_le64(d);
		/* NULL buffer: skipped but consumed (SDM 3.2.4); bounded by
		 * need <= free < count. A bad address loses these bytes. */
		if (addr)
			pci_dma_write(&s->pci, addr, f + done, n);
		done += n;
		/* Body first, status byte (with DD) last. */
		e1000_put_le16(wb, (uint16_t)n);
		e1000_put_le16(wb + 2, 0);
		wb[4] = (uint8_t)(status | (done >= total ? E1000_RXD_STAT_EOP : 0) | E1000_RXD_STAT_DD);
		wb[5] = done >= total ? errors : 0;
		e1000_put_le16(wb + 6, tci);
		pci_dma_write(&s->pci, da + 8, wb, 4);
		pci_dma_write(&s->pci, da + 13, wb + 5, 3);
		__atomic_thread_fence(__ATOMIC_RELEASE);   /* the guest polls DD without an exit */
		pci_dma_write(&s->pci, da + 12, wb + 4, 1);
		head = head + 1 == count ? 0 : head + 1;
		s->mac[R(E1000_RDH)] = head;
	}

	e1000_rx_stats(s, f, flen);
	uint32_t cause = E1000_ICR_RXT0;
	unsigned rdmts = (rctl & E1000_RCTL_RDMTS_MASK) >> E1000_RCTL_RDMTS_SHIFT;
	/* Free descriptors left, with the tail as the guest has it now. */
	r.head = head;
	r.tail = e1000_reg_once(s, E1000_RDT) & 0xFFFF;
	if (r.tail >= count)
		r.tail = head;
	if ((uint64_t)e1000_rx_free(&r) * 16 <= ((uint64_t)count * 16 >> (rdmts + 1)))
		cause |= E1000_ICR_RXDMT0;
	e1000_set_ics(s, cause);
	return len;
}

/* ------------------------------------------------------------------ */
/* net_client glue                                                      */

/* The ring is full (or not set up): the guest's RDT write may be queued as a coalesced write
 * that nothing delivers until its next exit, so look again soon, backing off. */
static void e1000_rx_retry_arm(struct e1000 *s)
{
	if (!s->rx_retry || el_timer_pending(s->rx_retry))
		return;
	/* RDT in guest memory: a busy guest refills the ring (16 buffers at a time) without any
	 * exit and may drain it and idle before its next one; look every 100 us for 5 ms, then
	 * back off as usual (a guest that stopped receiving costs no busy host thread). */
	if (s->rx_page_on && s->rx_retry_fast < 50) {
		s->rx_retry_fast++;
		s->rx_retry_ns = E1000_RX_RETRY_PAGE_NS;
	} else {
		s->rx_retry_ns = s->rx_retry_ns ? s->rx_retry_ns * 2 : E1000_RX_RETRY_MIN_NS;
	}
	if (s->rx_retry_ns > E1000_RX_RETRY_MAX_NS)
		s->rx_retry_ns = E1000_RX_RETRY_MAX_NS;
	el_timer_mod(s->rx_retry, el_now_ns() + s->rx_retry_ns);
}

static void e1000_rx_kick(struct e1000 *s);

static void e1000_rx_retry_cb(void *opaque)
{
	struct e1000 *s = opaque;

	if (s->pci.bus)
		bus_flush_coalesced(s->pci.bus->mmio);   /* an RDT write, if queued, kicks RX */
	e1000_rx_kick(s);
}

static bool e1000_nc_can_receive(struct net_client *nc)
{
	struct e1000 *s = nc->opaque;
	struct e1000_ring_snap r;

	if (!s)
		return true;
	/* Frames the device would drop anyway go straight to receive(). */
	if (!e1000_link_up(s) || !(s->mac[R(E1000_RCTL)] & E1000_RCTL_EN))
		return true;
	if (!e1000_bus_master(s) || s->rx_busy)
		return false;
	if (!e1000_ring(s, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT, &r) ||
	    e1000_rx_free(&r) == 0) {
		e1000_rx_retry_arm(s);
		return false;
	}
	s->rx_retry_ns = 0;
	s->rx_retry_fast = 0;
	return true;
}

static ssize_t e1000_nc_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct e1000 *s = nc->opaque;
	size_t total = 0, off = 0, hlen = 0;
	struct virtio_net_hdr vh = { 0 };
	uint8_t *f;
	size_t r;
	bool l4_ok;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!s || total == 0)
		return (ssize_t)(total ? total : 1);
	l4_ok = s->rx_csum_fast && nc->peer && nc->peer->ops->sends_valid_csums;
	if (s->rx_busy)
		return 0;
	if (nc->using_vnet_hdr)
		hlen = sizeof(vh);
	if (total < hlen || total - hlen > E1000_RX_BUF_SIZE - E1000_FCS_LEN) {
		e1000_stat_inc(s, E1000_ROC);
		return (ssize_t)total;
	}
	/* Flatten into rx_buf (the header into vh). */
	f = s->rx_buf;
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		for (size_t k = 0; k < iov[i].iov_len;) {
			if (off < hlen) {
				size_t n = hlen - off < iov[i].iov_len - k ? hlen - off : iov[i].iov_len - k;
				memcpy((uint8_t *)&vh + off, p + k, n);
				off += n;
				k += n;
			} else {
				size_t n = iov[i].iov_len - k;
				memcpy(f + off - hlen, p + k, n);
				off += n;
				k += n;
			}
		}
	}
	total -= hlen;
	if (hlen) {
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			/* The 82540 has no LRO; the backend must not send GSO. */
			debug_report("e1000: dropping GSO frame from backend");
			return (ssize_t)(total + hlen);
		}
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			csum_complete(f, total, vh.csum_start, vh.csum_offset);
			l4_ok = true;
		} else if (vh.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
			l4_ok = true;
		}
	}
	s->rx_busy = true;
	r = e1000_rx_frame(s, f, total, true, l4_ok);
	s->rx_busy = false;
	return r ? (ssize_t)(total + hlen) : 0;
}

static void e1000_nc_link_status_changed(struct net_client *nc)
{
	struct e1000 *s = nc->opaque;
	if (s)
		e1000_link_update(s);
}

static void e1000_nc_cleanup(struct net_client *nc)
{
	struct e1000 *s = nc->opaque;
	if (s)
		s->nc = NULL;
}

static void e1000_nc_report(struct net_client *nc, char *buf, size_t len)
{
	struct e1000 *s = nc->opaque;
	const uint32_t *m;

	if (!s)
		return;
	m = s->mac;
	snprintf(buf, len, "ICR %x IMS %x line %d ITR %u RCTL %x TCTL %x RDH/RDT %u/%u "
		 "of %u TDH/TDT %u/%u of %u%s%s%s%s%s", m[R(E1000_ICR)], m[R(E1000_IMS)],
		 s->pci.irq_level, m[R(E1000_ITR)], m[R(E1000_RCTL)],
		 m[R(E1000_TCTL)], m[R(E1000_RDH)], m[R(E1000_RDT)], m[R(E1000_RDLEN)] / 16,
		 m[R(E1000_TDH)], m[R(E1000_TDT)], m[R(E1000_TDLEN)] / 16,
		 s->mit_timer_on ? ", mitigation timer on" : "",
		 s->rx_retry && el_timer_pending(s->rx_retry) ? ", receive retry armed" : "",
		 s->rx_page_on ? ", receive page mapped" : "", s->ee_page_on ? ", EEPROM page mapped" : "",
		 s->rx_busy ? ", receiving" : "");
}

static const struct net_client_ops e1000_net_ops = {
	.type = "e1000",
	.is_nic = true,
	.receive = e1000_nc_receive,
	.can_receive = e1000_nc_can_receive,
	.link_status_changed = e1000_nc_link_status_changed,
	.report = e1000_nc_report,
	.cleanup = e1000_nc_cleanup,
};

static void e1000_rx_kick(struct e1000 *s)
{
	if (s->nc && !s->rx_busy)
		net_client_flush(s->nc);
}

/* ------------------------------------------------------------------ */
/* Register file                                                         */

static uint32_t e1000_stats_read(struct e1000 *s, uint32_t off)
{
	uint32_t v = s->mac[R(off)];

	switch (off) {
	case E1000_GORCL: case E1000_GOTCL: case E1000_TORL: case E1000_TOTL:
		return v;  /* low half: the pair clears when High is read */
	case E1000_GORCH: case E1000_GOTCH: case E1000_TORH: case E1000_TOTH:
		s->mac[R(off) - 1] = 0;
		break;
	default:
		break;
	}
	s->mac[R(off)] = 0;
	return v;
}

/* What a read of a register returns, for those whose read has no side effect (every one
 * but ICR and the statistics counters, which clear on read). */
static uint32_t e1000_reg_peek(const struct e1000 *s, uint32_t off)
{
	uint32_t v;

	switch (off) {
	case E1000_STATUS:
		v = E1000_STATUS_FD | E1000_STATUS_SPEED_1000 | E1000_STATUS_ASDV |
		    E1000_STATUS_MTXCKOK | E1000_STATUS_GIO_MASTER | 0x80000000u;
		if (e1000_link_up(s))
			v |= E1000_STATUS_LU;
		return v;
	case E1000_EECD:
		return e1000_eecd_read(s);
	case E1000_ICS:
	case E1000_ICR:           /* (its read is e1000_reg_read's) */
		return s->mac[R(E1000_ICR)];
	case E1000_IMC:
		return 0;
	default:
		/* Unimplemented registers were never written: they read 0. */
		return s->mac[R(off)];
	}
}

/* The EEPROM page as the guest's reads see it: the register file, with the registers whose
 * value is computed on read (every one e1000_reg_peek has a case for). ICR is 0 while the
 * page is mapped, so its read-to-clear has nothing to clear. */
static void e1000_ee_page_fill(struct e1000 *s)
{
	static const uint32_t computed[] = { E1000_STATUS, E1000_EECD, E1000_ICR, E1000_ICS, E1000_IMC };

	memcpy(s->ee_page, s->mac, E1000_EE_PAGE_SIZE);
	for (size_t i = 0; i < sizeof(computed) / sizeof(computed[0]); i++)
		s->ee_page[R(computed[i])] = e1000_reg_peek(s, computed[i]);
}

static void e1000_ee_page_set(struct e1000 *s, bool want)
{
	bool on;

	if (want == s->ee_page_on)
		return;
	if (!want) {
		s->ee_page_on = false;
		pci_bar_set_ram(&s->pci, 0, 0, E1000_EE_PAGE_SIZE, s->ee_page, false, true);
		return;
	}
	e1000_ee_page_fill(s);
	/* On already: the writes queued before (delivered while it is being mapped) refresh it,
	 * and a cause one of them raises takes it away again (pci_bar_set_ram then maps nothing). */
	s->ee_page_on = true;
	on = pci_bar_set_ram(&s->pci, 0, 0, E1000_EE_PAGE_SIZE, s->ee_page, true, true);
	if (!s->ee_page_on)
		return;
	s->ee_page_on = on;
	if (!on)
		s->ee_page_ok = false;    /* no read-only slots here (or no KVM): don't retry */
}

/* After a read of EECD: map the page once the driver has the EEPROM selected. */
static void e1000_ee_page_check(struct e1000 *s)
{
	if (s->ee_page_ok && !s->ee_page_on && !s->rx_page_on && !s->mac[R(E1000_ICR)] &&
	    (s->mac[R(E1000_EECD)] & (E1000_EECD_CS | E1000_EECD_REQ)))
		e1000_ee_page_set(s, true);
}

static uint32_t e1000_reg_read(struct e1000 *s, uint32_t off)
{
	uint32_t v;

	switch (off) {
	case E1000_ICR:
		/* Read clears every cause and drops the line (13.4.17). */
		v = s->mac[R(E1000_ICR)];
		s->mac[R(E1000_ICR)] = 0;
		e1000_update_irq(s);
		return v;
	default:
		if (off >= E1000_STATS_FIRST && off <= E1000_STATS_LAST)
			return e1000_stats_read(s, off);
		return e1000_reg_peek(s, off);
	}
}

static void e1000_reg_write(struct e1000 *s, uint32_t off, uint32_t val)
{
	uint32_t *m = &s->mac[R(off)];

	switch (off) {
	case E1000_CTRL: {
		uint32_t old = *m;
		if (val & E1000_CTRL_RST) {
			/* Global reset (Linux issues it through IODATA). */
			e1000_mac_reset(s);
			e1000_link_update(s);
			return;
		}
		*m = val;
		if ((val & E1000_CTRL_PHY_RST) && !(old & E1000_CTRL_PHY_RST)) {
			e1000_phy_reset(s);
			e1000_link_update(s);
		}
		return;
	}
	case E1000_STATUS:
		return;  /* read-only (ethtool register test writes it) */
	case E1000_EECD:
		e1000_eecd_write(s, val);
		return;
	case E1000_EERD:
		e1000_eerd_write(s, val);
		return;
	case E1000_MDIC:
		e1000_mdic_write(s, val);
		return;
	case E1000_ICR:
		s->mac[R(E1000_ICR)] &= ~val;  /* W1C, as QEMU */
		e1000_update_irq(s);
		return;
	case E1000_ICS:
		e1000_set_ics(s, val);
		return;
	case E1000_IMS:
		s->mac[R(E1000_IMS)] |= val & E1000_ICR_MASK;
		e1000_update_irq(s);
		return;
	case E1000_IMC:
		s->mac[R(E1000_IMS)] &= ~val;
		e1000_update_irq(s);
		return;
	case E1000_RCTL: {
		bool lb = e1000_loopback(s);
		*m = val & E1000_RCTL_WMASK;
		if (lb != e1000_loopback(s))
			e1000_link_update(s);
		if (!(val & E1000_RCTL_EN))
			e1000_rx_page_set(s, false);
		e1000_rx_kick(s);
		return;
	}
	case E1000_TCTL:
		*m = val & E1000_TCTL_WMASK;
		e1000_tx_doorbell(s);
		return;
	case E1000_TDT:
		*m = val & 0xFFFF;
		e1000_tx_doorbell(s);
		return;
	case E1000_RDT:
		*m = val & 0xFFFF;
		e1000_rx_page_set(s, s->rx_page_ok && (s->mac[R(E1000_RCTL)] & E1000_RCTL_EN));
		e1000_rx_kick(s);
		return;
	case E1000_RDH: case E1000_TDH:
	case E1000_VET: case E1000_FCAH: case E1000_FCT: case E1000_FCTTV:
	case E1000_RDTR: case E1000_RADV: case E1000_TIDV: case E1000_TADV:
	case E1000_ITR: case E1000_AIT:
		*m = val & 0xFFFF;
		return;
	case E1000_RDLEN: case E1000_TDLEN:
		*m = val & 0x000FFF80;  /* multiple of 128 bytes (13.4.26) */
		return;
	case E1000_RDBAL: case E1000_TDBAL:
		*m = val & ~0xFu;       /* 16-byte aligned */
		return;
	case E1000_RDBAH: case E1000_TDBAH: case E1000_FCAL: case E1000_CTRL_EXT:
	case E1000_LEDCTL: case E1000_TXDCTL: case E1000_RXDCTL: case E1000_MANC:
	case E1000_WUC: case E1000_WUFC: case E1000_WUS: case E1000_IPAV:
		*m = val;
		return;
	case E1000_TIPG:
		*m = val & 0x3FFFFFFF;
		return;
	case E1000_TXCW:
		*m = val & 0xC000FFFF;
		return;
	case E1000_FCRTL:
		*m = val & 0x8000FFF8;
		return;
	case E1000_FCRTH:
		*m = val & 0xFFF8;
		return;
	case E1000_PBA:
		/* RX allocation in KB; TX gets the rest of the 64 KB. */
		val &= 0x3F;
		*m = val | (64 - val) << 16;
		return;
	case E1000_RXCSUM:
		*m = val & 0x3FF;
		return;
	case E1000_RSRPD:
		*m = val & 0xFFF;
		return;
	case E1000_TDFH: case E1000_TDFT: case E1000_TDFHS: case E1000_TDFTS: case E1000_TDFPC:
		*m = val & 0x1FFF;
		return;
	default:
		break;
	}
	if (off >= E1000_MTA && off < E1000_MTA + 4 * E1000_MTA_SIZE)
		*m = val;
	else if (off >= E1000_VFTA && off < E1000_VFTA + 4 * E1000_VFTA_SIZE)
		*m = val;
	else if (off >= E1000_RA && off < E1000_RA + 8 * E1000_RA_SIZE)
		*m = (off & 4) ? (val & E1000_RAH_WMASK) : val;
	else if (off >= E1000_IP4AT && off < E1000_IP4AT + 0x20)
		*m = val;
	/* Everything else (statistics, descriptor caches, unknown): ignored. */
}

/* Registers whose write is an action: partial writes merge with 0, not
 * with the current value (re-writing ICR's causes would clear them). */
static bool e1000_reg_is_action(uint32_t off)
{
	switch (off) {
	case E1000_ICR: case E1000_ICS: case E1000_IMS: case E1000_IMC:
	case E1000_MDIC: case E1000_EERD: case E1000_CTRL:
		return true;
	default:
		return false;
	}
}

/* Any size at any offset: split into the dwords it touches. A partial read
 * performs the full 32-bit read (with its side effects); a partial write
 * merges with the current value. Linux only ever does aligned dwords. */
void e1000_mmio_access(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct e1000 *s = opaque;
	uint64_t end;

	if (len == 0 || len > 8)
		return;
	/* The guest is here (typically re-enabling interrupts after a NAPI poll, having refilled
	 * the ring through the mapped RDT): a receive waiting for buffers looks again now. */
	if (s->rx_page_on && el_timer_pending(s->rx_retry))
		el_timer_mod(s->rx_retry, 0);
	if (!is_write)
		memset(data, 0, len);
	end = offset + len;
	for (uint64_t a = offset & ~3ull; a < end; a += 4) {
		uint64_t lo = a > offset ? a : offset, hi = a + 4 < end ? a + 4 : end;
		uint32_t off = (uint32_t)a, v;

		if (a >= E1000_MMIO_SIZE)
			break;
		if (!is_write) {
			v = e1000_reg_read(s, off);
			for (uint64_t b = lo; b < hi; b++)
				data[b - offset] = (uint8_t)(v >> (8 * (b - a)));
			if (off == E1000_EECD)
				e1000_ee_page_check(s);
			continue;
		}
		v = (lo == a && hi == a + 4) || e1000_reg_is_action(off) ? 0 : s->mac[R(off)];
		for (uint64_t b = lo; b < hi; b++) {
			v &= ~(0xFFu << (8 * (b - a)));
			v |= (uint32_t)data[b - offset] << (8 * (b - a));
		}
		e1000_reg_write(s, off, v);
		if (s->ee_page_on)
			e1000_ee_page_fill(s);   /* the guest's next reads come from it */
	}
}

/* BAR1: IOADDR selects a register, IODATA accesses it (SDM 13.3.1). */
void e1000_io_access(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct e1000 *s = opaque;

	if (len == 0 || len > 8)
		return;
	if (!is_write)
		memset(data, 0, len);
	for (unsigned i = 0; i < len;) {
		uint64_t o = offset + i;
		if (o < E1000_IODATA) {
			if (is_write) {
				s->ioaddr &= ~(0xFFu << (8 * o));
				s->ioaddr |= (uint32_t)data[i] << (8 * o);
			} else {
				data[i] = (uint8_t)(s->ioaddr >> (8 * o));
			}
			i++;
		} else if (o < E1000_IODATA + 4) {
			unsigned n = (unsigned)(E1000_IODATA + 4 - o);
			if (n > len - i)
				n = len - i;
			/* IOADDR past BAR0's 128 KiB selects nothing. */
			if (s->ioaddr < E1000_MMIO_SIZE)
				e1000_mmio_access(s, (s->ioaddr & ~3u) + (o - E1000_IODATA),
						  data + i, n, is_write);
			i += n;
		} else {
			break;  /* reserved: reads 0, writes ignored */
		}
	}
}

/* Bus mastering turned on: queued frames can be DMA'd now. */
static void e1000_cfg_write(struct pci_dev *dev, unsigned off, unsigned len)
{
	struct e1000 *s = (struct e1000 *)dev;

	if (off <= PCI_COMMAND && off + len > PCI_COMMAND && e1000_bus_master(s))
		e1000_rx_kick(s);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                            */

struct pci_dev *e1000_pci_dev(struct e1000 *s) { return &s->pci; }
struct net_client *e1000_net_client(struct e1000 *s) { return s->nc; }
void e1000_get_mac(const struct e1000 *s, uint8_t mac[6]) { memcpy(mac, s->macaddr, 6); }

static int e1000_parse_opts(struct e1000 *s, const struct nic_config *cfg)
{
	/* Boolean properties; the x- ones default from their comparison switches. */
	const struct { const char *key; bool *val; } props[] = {
		{ "mitigation", &s->mitigation },
		{ "x-rx-page", &s->rx_page_ok },
		{ "x-tx-iothread", &s->tx_iothread },
		{ "x-eeprom-page", &s->ee_page_ok },
	};

	s->mitigation = true;
	s->rx_page_ok = env_switch("SKIFF_RX_PAGE", true);
	s->ee_page_ok = env_switch("SKIFF_EEPROM_PAGE", true);
	s->tx_iothread = env_switch("SKIFF_TX_IOTHREAD", true);
	s->rx_csum_fast = env_switch("SKIFF_RX_CSUM_FAST", true);
	for (size_t i = 0; i < cfg->opts.n; i++) {
		struct kv *kv = &cfg->opts.items[i];
		size_t p;

		for (p = 0; p < sizeof(props) / sizeof(props[0]); p++)
			if (!strcmp(kv->key, props[p].key))
				break;
		if (p < sizeof(props) / sizeof(props[0])) {
			kv->used = true;
			/* A bare "mitigation" means on, as QEMU's device properties. */
			if (kv->value && parse_bool(kv->value, props[p].val) < 0) {
				error_report("Parameter '%s' expects 'on' or 'off'", kv->key);
				return -1;
			}
		} else if (!kv->used) {
			error_report("Property 'e1000.%s' not found", kv->key);
			return -1;
		}
	}
	return 0;
}

struct e1000 *e1000_create(struct pci_bus *pbus, const struct nic_config *cfg,
			   struct net_client *peer)
{
	struct e1000 *s = calloc(1, sizeof(*s));

	if (!s) {
		error_report("e1000: out of memory");
		return NULL;
	}
	s->tx.buf = malloc(E1000_TX_BUF_SIZE);
	s->tx.seg = malloc(E1000_TX_BUF_SIZE);
	s->rx_buf = malloc(E1000_RX_BUF_SIZE);
	s->mac = mmap(NULL, E1000_MMIO_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->mac == MAP_FAILED)
		s->mac = NULL;
	s->ee_page = mmap(NULL, E1000_EE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->ee_page == MAP_FAILED)
		s->ee_page = NULL;
	if (!s->tx.buf || !s->tx.seg || !s->rx_buf || !s->mac || !s->ee_page) {
		error_report("e1000: out of memory");
		goto fail;
	}
	if (e1000_parse_opts(s, cfg) < 0)
		goto fail;
	checksum_select();   /* the FCS and checksum routines chosen now, not on the first frame */
	if (nic_pick_mac(cfg, "e1000", s->macaddr) < 0)
		goto fail;

	pci_dev_init(&s->pci, "e1000", E1000_VENDOR_ID, E1000_DEVICE_ID, E1000_REVISION,
		     0x020000, E1000_SUBSYS_VENDOR, E1000_SUBSYS_ID, true);
	s->pci.cfg_write = e1000_cfg_write;
	if (pci_dev_add_bar(&s->pci, 0, PCI_BAR_MMIO32, E1000_MMIO_SIZE, e1000_mmio_access, s) < 0 ||
	    pci_dev_add_bar(&s->pci, 1, PCI_BAR_IO, E1000_IO_SIZE, e1000_io_access, s) < 0) {
		error_report("e1000: cannot add BARs");
		goto fail;
	}
	for (unsigned i = 0, start = 0; i <= E1000_N_UNCOALESCED; i++) {
		uint32_t end = i < E1000_N_UNCOALESCED ? e1000_uncoalesced[i] : E1000_MMIO_SIZE;
		if (end > start && pci_bar_add_coalesced(&s->pci, 0, start, end - start) < 0) {
			error_report("e1000: cannot set up coalesced register writes");
			goto fail;
		}
		start = end + 4;
	}
	if (s->mitigation) {
		s->mit_timer = el_timer_new(e1000_mit_timer_cb, s);
		if (!s->mit_timer) {
			error_report("e1000: out of memory");
			goto fail;
		}
	}
	s->rx_retry = el_timer_new(e1000_rx_retry_cb, s);
	s->tx_bh = el_timer_new(e1000_tx_bh, s);
	if (!s->rx_retry || !s->tx_bh) {
		error_report("e1000: out of memory");
		goto fail;
	}

	s->nc = nic_client_new(&e1000_net_ops, cfg, "e1000", s, peer);
	if (!s->nc)
		goto fail;
	e1000_eeprom_build(s);
	e1000_reset(s);
	if (pci_bus_add(pbus, &s->pci, cfg->slot) < 0)
		goto fail;
	if (peer)
		net_client_set_vnet_hdr(s->nc, true);
	return s;
fail:
	e1000_destroy(s);
	return NULL;
}

void e1000_destroy(struct e1000 *s)
{
	if (!s)
		return;
	if (s->rx_page_on)
		e1000_rx_page_map(s, false);   /* no register write-back: going away */
	if (s->ee_page_on)
		e1000_ee_page_set(s, false);
	nic_client_free(&s->nc);
	el_timer_free(s->mit_timer);
	el_timer_free(s->rx_retry);
	el_timer_free(s->tx_bh);
	free(s->tx.buf);
	free(s->tx.seg);
	free(s->rx_buf);
	if (s->mac)
		munmap(s->mac, E1000_MMIO_SIZE);
	if (s->ee_page)
		munmap(s->ee_page, E1000_EE_PAGE_SIZE);
	free(s);
}
