/* bench/pktcost.c: the cost per packet of skiff's e1000 data path, without KVM or a guest.
 *
 * The e1000 model is driven through BAR0 the way Linux's e1000.ko drives it (TX: checksum
 * offload data descriptors or a TSO context, one TDT write per packet; RX: 1514-byte TCP frames
 * from the backend, RDT written back every 16 buffers, ICR read every 32 packets as an
 * interrupt would) on fake guest RAM, with a backend that only counts frames. Under callgrind
 * (bench/insn.sh) the instructions per packet are a repeatable measure, unlike anything timed
 * in the nested lab (issue 6: "instruction counts per packet as a repeatable secondary
 * measure"); run natively it prints nanoseconds per packet for information.
 *
 *   pktcost [SCENARIO [PACKETS]]   no SCENARIO: list them
 *
 * Exit status 1 when the backend did not see the frames the scenario must produce, so the
 * numbers always describe a data path that works. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/e1000.h"
#include "hw/e1000_regs.h"
#include "hw/pci.h"
#include "net/checksum.h"
#include "net/gso.h"
#include "net/net.h"
#include "util/event_loop.h"
#include "vm/guest_mem.h"

#define RAM_SIZE  (16u << 20)
#define TX_RING   0x10000u
#define RX_RING   0x20000u
#define TX_BUF    0x100000u          /* one frame (or one TSO packet), sent again and again */
#define RX_BUFS   0x200000u
#define NDESC     256u               /* Linux e1000's default ring size */
#define MMIO_BASE 0xC0000000u
#define MSS       1448u
#define TSO_PAY   (44u * MSS)        /* 63712 bytes of payload: one 64 KiB TSO packet */

static const uint8_t nic_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static uint8_t *ram;
static struct guest_mem mem;
static struct bus pio, mmio;
static struct pci_bus pbus;
static struct e1000 *dev;
static struct net_client *be_nc;
static unsigned tx_tail, rx_tail, irq_level;
static uint64_t be_frames, be_bytes;

static void irq_cb(void *opaque, unsigned gsi, int level) { irq_level = (unsigned)level; }

static ssize_t be_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	size_t len = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	be_frames++;
	be_bytes += len;
	return (ssize_t)len;
}

static const struct net_client_ops be_ops = { .type = "pktcost", .receive = be_receive };
/* The same as a TCP/IP-stack backend (libslirp), whose frames the NIC need not verify. */
static const struct net_client_ops be_stack_ops = {
	.type = "pktcost-stack", .receive = be_receive, .sends_valid_csums = true,
};

static void wr(uint32_t off, uint32_t v)
{
	uint8_t d[4];

	bus_data_set(d, 4, v);
	e1000_mmio_access(dev, off, d, 4, true);
}

static uint32_t rd(uint32_t off)
{
	uint8_t d[4];

	e1000_mmio_access(dev, off, d, 4, false);
	return (uint32_t)bus_data_get(d, 4);
}

/* The project's own checksum (net/checksum.h): the sum of p[0..len) on top of sum, folded. */
static uint16_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	return csum_fold(csum_add(sum, p, len));
}

/* Ethernet + IPv4 + TCP with pay bytes of payload, checksums complete (tso: Linux's TSO
 * header instead: IP length and checksum 0, TCP checksum = pseudo header without length). */
static size_t build_tcp(uint8_t *f, const uint8_t *dst, size_t pay, bool tso)
{
	size_t len = 14 + 20 + 20 + pay;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint16_t c;

	memset(f, 0, 54);
	memcpy(f, dst, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	tcp[0] = 0x13; tcp[1] = 0x89;   /* 5001 -> 80 */
	tcp[3] = 80;
	tcp[12] = 0x50;
	tcp[13] = 0x10;                 /* ACK */
	tcp[14] = 0xff; tcp[15] = 0xff;
	for (size_t i = 0; i < pay; i++)
		tcp[20 + i] = (uint8_t)(i * 7);
	if (tso) {
		c = sum16(ip + 12, 8, 6);
		tcp[16] = (uint8_t)(c >> 8);
		tcp[17] = (uint8_t)c;
		return len;
	}
	ip[2] = (uint8_t)((20 + 20 + pay) >> 8);
	ip[3] = (uint8_t)(20 + 20 + pay);
	c = (uint16_t)~sum16(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	c = (uint16_t)~sum16(tcp, 20 + pay, sum16(ip + 12, 8, 6 + 20 + (uint32_t)pay));
	tcp[16] = (uint8_t)(c >> 8);
	tcp[17] = (uint8_t)c;
	return len;
}

static void desc_put(uint32_t ring, unsigned i, uint64_t addr_or_ctx, uint32_t lower, uint32_t upper)
{
	uint8_t *d = ram + ring + 16 * i;

	memcpy(d, &addr_or_ctx, 8);
	memcpy(d + 8, &lower, 4);
	memcpy(d + 12, &upper, 4);
}

/* Linux's e1000_open(), shortened: rings, TCTL, RCTL (2048-byte buffers, broadcast), RX
 * checksum offload, IMS. */
static int nic_up(bool vnet, bool stack)
{
	struct nic_config cfg = { .model = "e1000", .slot = -1, .has_mac = true };

	memcpy(cfg.mac, nic_mac, 6);
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram || el_init() < 0)
		return -1;
	memset(ram, 0, RAM_SIZE);
	if (guest_mem_add(&mem, 0, RAM_SIZE, ram) < 0)
		return -1;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	if (pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, MMIO_BASE, 0xD0000000u, 0xC000, 0xD000))
		return -1;
	be_nc = net_client_new(stack ? &be_stack_ops : &be_ops, "pktcost", NULL);
	be_nc->has_vnet_hdr = vnet;
	dev = e1000_create(&pbus, &cfg, be_nc);
	if (!dev)
		return -1;
	pci_cfg_write(e1000_pci_dev(dev), PCI_BASE_ADDRESS_0, 4, MMIO_BASE);
	pci_cfg_write(e1000_pci_dev(dev), PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	wr(E1000_TDBAL, TX_RING);
	wr(E1000_TDLEN, NDESC * 16);
	wr(E1000_TDH, 0);
	wr(E1000_TDT, 0);
	wr(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | 0x0103F0F0);
	wr(E1000_RDBAL, RX_RING);
	wr(E1000_RDLEN, NDESC * 16);
	wr(E1000_RDH, 0);
	for (unsigned i = 0; i < NDESC; i++)
		desc_put(RX_RING, i, RX_BUFS + 2048ull * i, 0, 0);
	wr(E1000_RXCSUM, E1000_RXCSUM_TUOFL | E1000_RXCSUM_IPOFL);
	rx_tail = NDESC - 1;
	wr(E1000_RDT, rx_tail);
	wr(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
	wr(E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0 | E1000_ICR_LSC | E1000_ICR_RXSEQ |
		      E1000_ICR_RXDMT0);
	(void)rd(E1000_ICR);
	return 0;
}

/* What the interrupt handler does every 32 packets: ICR, IMC + flush, IMS + flush. */
static void irq_service(void)
{
	(void)rd(E1000_ICR);
	wr(E1000_IMC, ~0u);
	(void)rd(E1000_STATUS);
	wr(E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0 | E1000_ICR_LSC | E1000_ICR_RXSEQ |
		      E1000_ICR_RXDMT0);
	(void)rd(E1000_STATUS);
}

/* TX of one 1514-byte TCP frame per TDT write, TCP checksum by the device (Linux: one context
 * descriptor for the flow, then data descriptors with TXSM). */
static size_t tx_len;
static void tx_csum_prepare(void)
{
	tx_len = build_tcp(ram + TX_BUF, nic_mac, 1460, false);
	ram[TX_BUF + 14 + 20 + 16] = ram[TX_BUF + 14 + 20 + 17] = 0;
	{ /* seed: the pseudo header's sum, as Linux leaves it for CHECKSUM_PARTIAL */
		uint16_t c = sum16(ram + TX_BUF + 14 + 12, 8, 6 + 20 + 1460);
		ram[TX_BUF + 14 + 20 + 16] = (uint8_t)(c >> 8);
		ram[TX_BUF + 14 + 20 + 17] = (uint8_t)c;
	}
	/* context: TUCSS 34, TUCSO 50, TUCSE 0 (to the end) */
	desc_put(TX_RING, tx_tail, 34ull << 32 | 50ull << 40, E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TCP, 0);
	tx_tail = (tx_tail + 1) % NDESC;
	wr(E1000_TDT, tx_tail);
}

static void tx_csum_run(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		desc_put(TX_RING, tx_tail, TX_BUF, (uint32_t)tx_len | E1000_TXD_DTYP_D | E1000_TXD_CMD_DEXT |
			 E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
			 (uint32_t)E1000_TXD_POPTS_TXSM << 8);
		tx_tail = (tx_tail + 1) % NDESC;
		wr(E1000_TDT, tx_tail);
		if (i % 32 == 31)
			irq_service();
	}
}

/* TX of one 64 KiB TSO packet per TDT write (context + header descriptor + payload). */
static void tx_tso_prepare(void) { tx_len = build_tcp(ram + TX_BUF, nic_mac, TSO_PAY, true); }

static void tx_tso_run(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t ctx = 14ull | 24ull << 8 | 33ull << 16 | 34ull << 32 | 50ull << 40;
		desc_put(TX_RING, tx_tail, ctx, (uint32_t)(tx_len - 54) | E1000_TXD_CMD_DEXT |
			 E1000_TXD_CMD_TSE | E1000_TXD_CMD_IP | E1000_TXD_CMD_TCP,
			 54u << 8 | MSS << 16);
		tx_tail = (tx_tail + 1) % NDESC;
		desc_put(TX_RING, tx_tail, TX_BUF, 54u | E1000_TXD_DTYP_D | E1000_TXD_CMD_DEXT |
			 E1000_TXD_CMD_TSE, (uint32_t)(E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM) << 8);
		tx_tail = (tx_tail + 1) % NDESC;
		desc_put(TX_RING, tx_tail, TX_BUF + 54, (uint32_t)(tx_len - 54) | E1000_TXD_DTYP_D |
			 E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP |
			 E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
			 (uint32_t)(E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM) << 8);
		tx_tail = (tx_tail + 1) % NDESC;
		wr(E1000_TDT, tx_tail);
		if (i % 4 == 3)
			irq_service();
	}
}

/* RX of 1514-byte TCP frames (checksum verified by the device, RXCSUM.TUOFL). */
static uint8_t rx_frame[1514];
static void rx_prepare(void) { tx_len = build_tcp(rx_frame, nic_mac, 1460, false); }

/* After the frame-th received frame (from 1), what Linux's driver does: give back 16 buffers
 * at a time (one RDT write), and take an interrupt every 32 frames. */
static void rx_driver_step(unsigned frame)
{
	if (frame % 16 == 0) {
		for (unsigned k = 0; k < 16; k++) {
			rx_tail = (rx_tail + 1) % NDESC;
			desc_put(RX_RING, rx_tail, RX_BUFS + 2048ull * rx_tail, 0, 0);
		}
		wr(E1000_RDT, rx_tail);
	}
	if (frame % 32 == 0)
		irq_service();
}

static void rx_run(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		net_send_buf(be_nc, rx_frame, tx_len);
		rx_driver_step(i + 1);
	}
}

/* RX of the host's 64 KiB TSO packets through a vnet-header tap (TUN_F_TSO4): each cut into
 * 44 frames by net/gso.c, as tap.c does, and received by the e1000 (NEEDS_CSUM completed). */
static uint8_t rx_gso_pkt[54 + TSO_PAY];
static struct virtio_net_hdr rx_gso_vh;
static unsigned rx_gso_frames;

static void rx_gso_prepare(void)
{
	size_t len = build_tcp(rx_gso_pkt, nic_mac, TSO_PAY, true);
	uint16_t c = sum16(rx_gso_pkt + 14 + 12, 8, 6 + 20 + TSO_PAY);  /* the host's seed */

	rx_gso_pkt[14 + 2] = (uint8_t)((len - 14) >> 8);
	rx_gso_pkt[14 + 3] = (uint8_t)(len - 14);
	rx_gso_pkt[14 + 20 + 16] = (uint8_t)(c >> 8);
	rx_gso_pkt[14 + 20 + 17] = (uint8_t)c;
	rx_gso_vh = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54, .gso_size = MSS,
		.csum_start = 34, .csum_offset = 16 };
	tx_len = len;
}

static void rx_gso_emit(void *opaque, const struct iovec *iov, int iovcnt)
{
	net_send(be_nc, iov, iovcnt);
	rx_driver_step(++rx_gso_frames);
}

static void rx_gso_run(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (net_gso_segment(&rx_gso_vh, rx_gso_pkt, tx_len, rx_gso_emit, NULL) != TSO_PAY / MSS)
			return;
}

struct scenario {
	const char *name, *what;
	bool vnet, rx;
	bool stack;                      /* the backend is a TCP/IP stack (libslirp) */
	unsigned frames_per_packet;      /* frames the backend sees per packet (TX) */
	void (*prepare)(void);
	void (*run)(unsigned n);
};

static const struct scenario scenarios[] = {
	{ "tx-1514-csum", "TX 1514-byte TCP frame, checksum offload", false, false, false, 1,
	  tx_csum_prepare, tx_csum_run },
	{ "tx-tso-64k", "TX 64 KiB TSO packet, segmented in skiff (44 frames)", false, false, false,
	  TSO_PAY / MSS, tx_tso_prepare, tx_tso_run },
	{ "tx-tso-64k-vnet", "TX 64 KiB TSO packet, one GSO frame to a vnet-header backend", true,
	  false, false, 1, tx_tso_prepare, tx_tso_run },
	{ "rx-1514-csum", "RX 1514-byte TCP frame, checksum verified", false, true, false, 0,
	  rx_prepare, rx_run },
	{ "rx-1514-stack", "RX 1514-byte TCP frame from libslirp (checksum trusted)", false, true,
	  true, 0, rx_prepare, rx_run },
	{ "rx-tso-64k-vnet", "RX 64 KiB host TSO packet from a vnet tap, cut in skiff (44 frames)",
	  true, true, false, TSO_PAY / MSS, rx_gso_prepare, rx_gso_run },
};

/* callgrind counts from here (bench/insn.sh: --toggle-collect=pktcost_measured). */
__attribute__((noinline)) void pktcost_measured(const struct scenario *sc, unsigned n);
__attribute__((noinline)) void pktcost_measured(const struct scenario *sc, unsigned n)
{
	sc->run(n);
}

int main(int argc, char **argv)
{
	const struct scenario *sc = NULL;
	unsigned n = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 20000, warm = 256;
	uint64_t frames0;
	struct timespec t0, t1;
	double ns;

	for (size_t i = 0; argc > 1 && i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(argv[1], scenarios[i].name))
			sc = &scenarios[i];
	if (!sc) {
		if (argc > 1)
			fprintf(stderr, "pktcost: no scenario '%s'\n", argv[1]);
		for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
			printf("%-16s %s\n", scenarios[i].name, scenarios[i].what);
		return argc > 1 ? 2 : 0;
	}
	if (n == 0 || n > 10000000 || nic_up(sc->vnet, sc->stack) < 0) {
		fprintf(stderr, "pktcost: cannot set up (packets: 1..10000000)\n");
		return 2;
	}
	sc->prepare();
	sc->run(warm);
	frames0 = be_frames;
	(void)rd(E1000_GPRC);   /* read-to-clear: from here on, this run's packets */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pktcost_measured(sc, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	if (sc->rx) {
		uint32_t got = rd(E1000_GPRC), want = n * (sc->frames_per_packet ? sc->frames_per_packet : 1);
		if (got != want) {
			fprintf(stderr, "pktcost: %s: the device received %u of %u frames\n", sc->name, got, want);
			return 1;
		}
	} else if (be_frames - frames0 != (uint64_t)n * sc->frames_per_packet) {
		fprintf(stderr, "pktcost: %s: the backend saw %llu frames, expected %llu\n", sc->name,
			(unsigned long long)(be_frames - frames0),
			(unsigned long long)n * sc->frames_per_packet);
		return 1;
	}
	printf("%s packets=%u frames_per_packet=%u ns_per_packet=%.0f\n", sc->name, n,
	       sc->frames_per_packet ? sc->frames_per_packet : 1, ns / n);
	e1000_destroy(dev);
	net_client_free(be_nc);
	el_fini();
	free(ram);
	return 0;
}
