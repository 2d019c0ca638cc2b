/* libFuzzer harness for the e1000 model: the input is a guest-memory image
 * followed by a program of register accesses (MMIO and I/O BAR), backend
 * frames, link flips, PCI COMMAND changes, memory pokes, resets and direct writes into the
 * receive-register page while it is mapped as guest memory.
 * Sanitizers catch any access outside guest RAM or device state. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/e1000.h"
#include "hw/e1000_regs.h"
#include "hw/pci.h"
#include "net/net.h"
#include "util/log.h"
#include "vm/guest_mem.h"

#define RAM_SIZE  (256u << 10)
#define MMIO_BASE 0xC0000000u

static uint8_t ram[RAM_SIZE];

/* Registers the model gives meaning to: most ops pick one of these. */
static const uint16_t hot_regs[] = {
	E1000_CTRL, E1000_STATUS, E1000_EECD, E1000_EERD, E1000_MDIC, E1000_ICR,
	E1000_ITR, E1000_ICS, E1000_IMS, E1000_IMC, E1000_RCTL, E1000_TCTL,
	E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT, E1000_RDTR,
	E1000_RADV, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT,
	E1000_TIDV, E1000_TADV, E1000_RXCSUM, E1000_VET, E1000_MTA, E1000_RA,
	E1000_RA + 4, E1000_VFTA, E1000_PBA, E1000_GPRC, E1000_GORCH, E1000_TORL,
};

struct in {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct in *in, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		if (!in->n)
			break;
		v |= (uint32_t)*in->p << (8 * i);
		in->p++;
		in->n--;
	}
	return v;
}

static bool echo;

static ssize_t be_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (echo) {
		/* Answer from inside receive(), like slirp: re-entrancy. */
		uint8_t f[64] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
		echo = false;
		net_send_buf(nc, f, sizeof(f));
	}
	return (ssize_t)len;
}

static const struct net_client_ops be_ops = { .type = "fuzz-be", .receive = be_receive };

static void irq_cb(void *opaque, unsigned gsi, int level) { (void)opaque; (void)gsi; (void)level; }

/* The receive-register page as the guest sees it when KVM maps it (x-rx-page): the program
 * can write it directly, with no handler in between. */
static uint32_t *rx_page;
static int ram_hook(void *opaque, uint64_t addr, uint64_t len, void *hva, bool add, bool readonly)
{
	(void)opaque; (void)addr; (void)len;
	if (!readonly)
		rx_page = add ? hva : NULL;  /* (a read-only page: the guest cannot write into it) */
	return 0;
}
static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem;
	static struct bus pio, mmio;
	static struct pci_bus pbus;
	struct in in = { data, size };
	struct nic_config cfg = { .model = "e1000", .slot = -1 };
	struct kv kv = { .key = "mitigation", .value = "off" };
	struct net_client *be;
	struct e1000 *s;
	uint8_t frame[2048];
	size_t img;

	log_set_sink(quiet);
	memset(ram, 0, sizeof(ram));
	memset(&mem, 0, sizeof(mem));
	guest_mem_add(&mem, 0, RAM_SIZE, ram);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	mmio.ram = ram_hook;
	rx_page = NULL;
	if (pci_bus_init(&pbus, &pio, &mmio, &mem, irq_cb, NULL, MMIO_BASE, 0xD0000000u, 0xC000, 0xD000))
		abort();

	/* Memory image: length-prefixed, copied to the start of RAM (rings
	 * and buffers live at small addresses the fuzzer finds easily). */
	img = take(&in, 2);
	if (img > in.n)
		img = in.n;
	memcpy(ram, in.p, img);
	in.p += img;
	in.n -= img;

	kv.value = (take(&in, 1) & 1) ? "on" : "off";
	cfg.opts.items = &kv;
	cfg.opts.n = 1;
	be = net_client_new(&be_ops, "fuzz-be", NULL);
	be->has_vnet_hdr = take(&in, 1) & 1;
	s = e1000_create(&pbus, &cfg, be);
	if (!s)
		abort();
	pci_cfg_write(e1000_pci_dev(s), PCI_COMMAND, 2,
		      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	for (unsigned steps = 0; in.n && steps < 4096; steps++) {
		uint8_t op = (uint8_t)take(&in, 1);
		uint8_t d[8];
		unsigned len = 1u << (op >> 6);            /* 1, 2, 4, 8 */
		uint32_t off;

		switch (op & 0x0F) {
		case 0: case 1: case 2: case 3: /* hot register write */
			off = hot_regs[take(&in, 1) % (sizeof(hot_regs) / sizeof(hot_regs[0]))];
			if ((op & 0x30) == 0x30)
				off += take(&in, 1) & 7;             /* unaligned */
			bus_data_set(d, 8, (uint64_t)take(&in, 4) | (uint64_t)take(&in, 4) << 32);
			e1000_mmio_access(s, off, d, (op & 0x0F) == 3 ? len : 4, true);
			break;
		case 4: /* hot register read */
			off = hot_regs[take(&in, 1) % (sizeof(hot_regs) / sizeof(hot_regs[0]))];
			e1000_mmio_access(s, off, d, len, false);
			break;
		case 5: /* any offset, any size */
			off = take(&in, 3) & 0x3FFFF;
			bus_data_set(d, 8, (uint64_t)take(&in, 4) | (uint64_t)take(&in, 4) << 32);
			e1000_mmio_access(s, off, d, len, op & 0x10);
			break;
		case 6: /* I/O BAR */
			off = take(&in, 1) & 0x3F;
			bus_data_set(d, 8, (uint64_t)take(&in, 4) | (uint64_t)take(&in, 4) << 32);
			e1000_io_access(s, off, d, len, op & 0x10);
			break;
		case 7: /* through the MMIO bus at the BAR address */
			off = take(&in, 3) & 0x1FFFF;
			bus_data_set(d, 8, take(&in, 4));
			bus_access(&mmio, e1000_pci_dev(s)->bar[0].addr + off, d, len, op & 0x10);
			break;
		case 8: case 9: { /* backend frame */
			size_t n = take(&in, 2) % sizeof(frame);
			if (n > in.n)
				n = in.n;
			memcpy(frame, in.p, n);
			in.p += n;
			in.n -= n;
			if (n)
				net_send_buf(be, frame, n);
			break;
		}
		case 10: /* poke guest memory (descriptors change under the device) */
			off = take(&in, 3) % RAM_SIZE;
			bus_data_set(d, 8, take(&in, 4));
			memcpy(ram + off, d, off + 4 <= RAM_SIZE ? 4 : RAM_SIZE - off);
			break;
		case 11:
			net_client_set_link(be, op & 0x10);
			break;
		case 12:
			pci_cfg_write(e1000_pci_dev(s), PCI_COMMAND, 2, take(&in, 2));
			break;
		case 13:
			echo = true;
			break;
		case 14:
			if (op & 0x10)
				e1000_reset(s);
			else if (rx_page)   /* a direct guest write into the mapped page */
				rx_page[take(&in, 2) & 0x3FF] = take(&in, 4);
			break;
		default: { /* PHY write through MDIC (loopback, resets, AN) */
			uint32_t v = 1u << 26 | 1u << 21 | (take(&in, 1) & 0x1F) << 16 | take(&in, 2);
			bus_data_set(d, 4, v);
			e1000_mmio_access(s, E1000_MDIC, d, 4, true);
			break;
		}
		}
	}
	echo = false;
	e1000_destroy(s);
	net_client_free(be);
	return 0;
}
