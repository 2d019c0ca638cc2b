/* libFuzzer harness for the kernel loader (vm/boot_linux.c, vm/kernel_image.c): a bzImage
 * setup header with fuzzed sizes and flags, and a decompressed payload as skiff caches it: an
 * x86-64 ELF whose program headers come from the input (or the raw input itself), followed by
 * the relocation table that KASLR applies (the input's tail, walked from its end backwards).
 * Both are files the user names with -kernel, so nothing in them may make skiff touch memory
 * outside guest RAM or crash.
 *
 * Oracles: the sanitizers; a successful direct boot enters inside guest RAM, at or above the
 * image it placed.
 *
 * Input: flags byte (0: nokaslr, 1: relocatable, 2: initrd, 3: raw payload), init_size in MiB,
 * alignment exponent, 16 bytes of KASLR randomness, program header count, 8 bytes per
 * program header, 2 bytes of entry offset, then the bytes after the ELF. */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vm/boot_linux.h"
#include "vm/guest_mem.h"
#include "vm/kernel_image.h"

#define MiB        (1ull << 20)
#define RAM_SIZE   (48 * MiB)
#define SETUP_SIZE 1024u
#define BZ_SIZE    (SETUP_SIZE + 4096u)
#define LINK_PHYS  (16 * MiB)
#define LINK_VA    0xffffffff81000000ull
#define MAX_PHDR   3
#define MAX_SEG    (1 * MiB)
#define MAX_TAIL   4096u

static uint8_t *ram;
static struct guest_mem mem;
static uint8_t bz[BZ_SIZE];
static uint8_t elf[sizeof(Elf64_Ehdr) + MAX_PHDR * sizeof(Elf64_Phdr) + MAX_PHDR * 4096 + MAX_TAIL];
static uint8_t initrd[64 * 1024];

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_linux_params p;
	struct boot_linux_entry e;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	size_t at = 0, off, elf_len;
	unsigned nph;
	uint8_t flags;

	if (!ram) {
		log_set_sink(quiet);
		ram = calloc(1, RAM_SIZE);
		if (!ram || guest_mem_add(&mem, 0, RAM_SIZE, ram) < 0)
			abort();
	}
	if (size < 22)
		return 0;
	flags = data[at++];

	/* The bzImage: what boot_linux_load() reads of its setup header. */
	memset(bz, 0, sizeof(bz));
	bz[0x1f1] = 1;                                 /* setup_sects: setup is 1 KiB */
	w16(bz + 0x1fe, 0xaa55);
	bz[0x201] = 0x66;
	memcpy(bz + 0x202, "HdrS", 4);
	w16(bz + 0x206, 0x020f);
	w32(bz + 0x22c, 0x7fffffff);
	w32(bz + 0x230, 1u << (data[at++] % 32));      /* kernel_alignment, any power of two */
	bz[0x234] = (flags >> 1) & 1;                  /* relocatable_kernel */
	w16(bz + 0x236, 1);                            /* XLF_KERNEL_64 */
	w32(bz + 0x238, 2048);
	w32(bz + 0x260, (uint32_t)(data[at++] % 48) * (uint32_t)MiB);   /* init_size */

	memset(&p, 0, sizeof(p));
	p.kernel = bz;
	p.kernel_size = BZ_SIZE;
	p.cmdline = flags & 1 ? "console=ttyS0 nokaslr" : "console=ttyS0";
	p.low_ram_end = RAM_SIZE;
	p.kaslr = 1;
	memcpy(p.kaslr_rand, data + at, 16);
	at += 16;
	if (flags & 4) {
		p.initrd = initrd;
		p.initrd_size = sizeof(initrd);
	}

	if (flags & 8) {
		/* Raw: the rest of the input is the whole payload. */
		p.vmlinux = data + at;
		p.vmlinux_size = size - at;
	} else {
		nph = 1 + data[at++] % MAX_PHDR;
		memset(elf, 0, sizeof(*eh) + MAX_PHDR * sizeof(Elf64_Phdr));
		memcpy(eh->e_ident, ELFMAG, SELFMAG);
		eh->e_ident[EI_CLASS] = ELFCLASS64;
		eh->e_machine = EM_X86_64;
		eh->e_phoff = sizeof(*eh);
		eh->e_phentsize = sizeof(Elf64_Phdr);
		eh->e_phnum = (uint16_t)nph;
		off = sizeof(*eh) + nph * sizeof(Elf64_Phdr);
		for (unsigned i = 0; i < nph; i++) {
			Elf64_Phdr *ph = (Elf64_Phdr *)(elf + sizeof(*eh)) + i;
			uint8_t b[8] = { 0 };

			if (size - at >= 8)
				memcpy(b, data + at, 8);
			at = size - at >= 8 ? at + 8 : size;
			ph->p_type = b[0] & 0x80 ? PT_NOTE : PT_LOAD;
			/* Mostly near the link address; b[0] bit 6: anywhere in 32 bits. */
			ph->p_paddr = b[0] & 0x40 ? (uint64_t)r16(b + 1) << 16 :
						    LINK_PHYS + (uint64_t)r16(b + 1) * 4096;
			ph->p_vaddr = ph->p_paddr - LINK_PHYS + LINK_VA;
			ph->p_memsz = (uint64_t)r16(b + 3) % (MAX_SEG / 4096 + 1) * 4096 + b[7];
			ph->p_filesz = (uint64_t)r16(b + 5) % 4097;
			if (b[0] & 0x20)
				ph->p_filesz = ph->p_memsz + 1;      /* invalid: more file than memory */
			ph->p_offset = off;
			if (ph->p_filesz <= 4096 && off + ph->p_filesz <= sizeof(elf) - MAX_TAIL) {
				memset(elf + off, 0x90 ^ (int)i, (size_t)ph->p_filesz);
				off += (size_t)ph->p_filesz;
			}
		}
		eh->e_entry = LINK_PHYS + (size - at >= 2 ? r16(data + at) : 0);
		at = size - at >= 2 ? at + 2 : size;
		elf_len = size - at < MAX_TAIL ? size - at : MAX_TAIL;
		memcpy(elf + off, data + at, elf_len);
		p.vmlinux = elf;
		p.vmlinux_size = off + elf_len;
	}

	memset(&e, 0, sizeof(e));
	if (boot_linux_load(&mem, &p, "fuzz", "initrd", &e) == 0 && e.direct) {
		if (e.rip >= RAM_SIZE || e.rip < e.kernel_phys || e.kernel_phys >= RAM_SIZE)
			abort();
	}
	return 0;
}
