/* Offsets into the setup header and the zero page are from
 * Documentation/arch/x86/boot.rst and zero-page.rst. */
#include "vm/boot_linux.h"

#include <string.h>

#include "util/log.h"
#include "vm/kernel_image.h"
#include "vm/layout.h"

#define HDR_SETUP_SECTS      0x1f1
#define HDR_VID_MODE         0x1fa
#define HDR_BOOT_FLAG        0x1fe   /* 0xAA55 */
#define HDR_JUMP_END         0x201   /* setup header ends at 0x202 + this byte */
#define HDR_HEADER           0x202   /* "HdrS" */
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE      0x234
#define HDR_INIT_SIZE        0x260
#define ZP_ACPI_RSDP_ADDR    0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE  0x0c4
#define ZP_EXT_CMD_LINE_PTR  0x0c8
#define ZP_E820_ENTRIES      0x1e8
#define ZP_E820_TABLE        0x2d0

#define LOADFLAG_LOADED_HIGH 0x01
#define LOADFLAG_KASLR       0x02   /* set by whoever randomised the kernel's base */
/* KERNEL_IMAGE_SIZE with CONFIG_RANDOMIZE_BASE (arch/x86/include/asm/page_64_types.h): the
 * kernel's virtual base moves within the first 1 GiB above __START_KERNEL_map. */
#define KASLR_VIRT_LIMIT     (1ull << 30)
#define START_KERNEL_MAP     0xffffffff80000000ull
#define KASLR_MIN_ALIGN      (2ull << 20)   /* head_64.S needs a 2 MiB-aligned load address */
#define XLF_KERNEL_64        0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

int boot_e820_build(struct e820_entry *t, uint64_t low_ram_end, uint64_t high_ram_size)
{
	int n = 0;

	t[n++] = (struct e820_entry){ 0, LAYOUT_EBDA, E820_RAM };
	t[n++] = (struct e820_entry){ LAYOUT_EBDA, 0xa0000 - LAYOUT_EBDA, E820_RESERVED };
	t[n++] = (struct e820_entry){ LAYOUT_ACPI_START, LAYOUT_HIMEM - LAYOUT_ACPI_START,
				      E820_RESERVED };
	if (low_ram_end > LAYOUT_HIMEM)
		t[n++] = (struct e820_entry){ LAYOUT_HIMEM, low_ram_end - LAYOUT_HIMEM, E820_RAM };
	t[n++] = (struct e820_entry){ LAYOUT_KVM_IDENTITY, LAYOUT_KVM_RESERVED_SIZE, E820_RESERVED };
	if (high_ram_size)
		t[n++] = (struct e820_entry){ LAYOUT_HIGHMEM_START, high_ram_size, E820_RAM };
	return n;
}

/* Identity map 0..4 GiB with 2 MiB pages: enough for the kernel, the zero
 * page, the command line and an initrd anywhere in low RAM. */
static int boot_page_tables(const struct guest_mem *mem)
{
	uint64_t *pml4 = guest_mem_ptr(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guest_mem_ptr(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = guest_mem_ptr(mem, LAYOUT_PD, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -1;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | 0x3;                   /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;              /* present, writable, 2 MiB page */
	return 0;
}

static int cmdline_has(const char *cl, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cl; p && *p; p++) {
		if ((p == cl || p[-1] == ' ') && !strncmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return 1;
	}
	return 0;
}

/* KASLR as the bzImage's decompressor would have done it (arch/x86/boot/compressed/kaslr.c):
 * a random aligned physical slot for the image below the initrd, a random aligned virtual
 * base within KASLR_VIRT_LIMIT (applied through the build's relocation table), and
 * LOADFLAG_KASLR so the kernel also randomises its memory regions. Without this, skiff's
 * decompressor-less boot would put every guest kernel at its link address, unlike QEMU's.
 * start/end: the image as linked; limit: first byte it must stay below; *r: the relocation
 * table when a virtual offset was chosen. */
static void boot_kaslr(const struct boot_linux_params *p, const uint8_t *k, uint64_t start,
		       uint64_t end, uint64_t limit, struct boot_linux_entry *e,
		       struct kernel_relocs *r)
{
	uint64_t align = rd32(k + HDR_KERNEL_ALIGNMENT), size = end - start, init_size;

	e->kernel_phys = start;
	e->kaslr_delta = 0;
	e->kaslr = 0;
	if (!p->kaslr || !k[HDR_RELOCATABLE] || cmdline_has(p->cmdline, "nokaslr"))
		return;
	e->kaslr = 1;
	if (align < KASLR_MIN_ALIGN || (align & (align - 1)))
		align = KASLR_MIN_ALIGN;
	init_size = rd32(k + HDR_INIT_SIZE);
	if (init_size > size)
		size = init_size;              /* the decompressor's output_size */
	size = (size + align - 1) & ~(align - 1);
	if (start % align == 0 && limit >= start + size)
		e->kernel_phys = start + p->kaslr_rand[0] % ((limit - start - size) / align + 1) * align;
	if (kernel_relocs_find(p->vmlinux, p->vmlinux_size, r) == 0 && KASLR_VIRT_LIMIT > start + size)
		e->kaslr_delta = p->kaslr_rand[1] % ((KASLR_VIRT_LIMIT - start - size) / align + 1) * align;
	else
		debug_report("kernel: no relocation table: physical KASLR only");
}

/* The initrd goes as high in low RAM as the kernel allows, page-aligned: the top of that. */
static uint64_t boot_initrd_top(const uint8_t *k, const struct boot_linux_params *p,
				uint16_t version)
{
	uint64_t top = (uint64_t)(version >= 0x0203 ? rd32(k + HDR_INITRD_ADDR_MAX) : 0x37ffffff) + 1;

	if (k[HDR_XLOADFLAGS] & XLF_CAN_BE_LOADED_ABOVE_4G)
		top = p->low_ram_end;
	return top > p->low_ram_end ? p->low_ram_end : top;
}

/* Where the initrd will start (the kernel stays below), or the end of low RAM without one. */
static uint64_t boot_initrd_floor(const uint8_t *k, const struct boot_linux_params *p,
				  uint16_t version)
{
	uint64_t top = boot_initrd_top(k, p, version);

	if (!p->initrd)
		return p->low_ram_end;
	return p->initrd_size > top ? 0 : (top - p->initrd_size) & ~0xfffull;
}

/* Real-mode code at the reset vector's low alias: mov al, 0xFE; out 0x64, al
 * (i8042 "pulse reset"); then hlt forever should the reset not happen. */
static int boot_reset_stub(const struct guest_mem *mem)
{
	static const uint8_t stub[] = { 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd };
	return guest_mem_write(mem, LAYOUT_RESET_STUB, stub, sizeof(stub));
}

static int boot_gdt(const struct guest_mem *mem, struct boot_linux_entry *e)
{
	/* Flat descriptors: code64 (L=1), data, and a busy 64-bit TSS; the
	 * boot protocol wants CS = 0x10 and DS = 0x18. */
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffull,  /* 0x10: code, 64-bit */
		0x00cf93000000ffffull,  /* 0x18: data */
		0x008f8b000000ffffull,  /* 0x20: TSS (busy), low half */
		0,                      /* 0x28: its high half (long-mode TSS is 16 bytes) */
	};
	uint64_t zero = 0;

	if (guest_mem_write(mem, LAYOUT_GDT, gdt, sizeof(gdt)) ||
	    guest_mem_write(mem, LAYOUT_IDT, &zero, sizeof(zero)))
		return -1;
	e->gdt_base = LAYOUT_GDT;
	e->gdt_limit = sizeof(gdt) - 1;
	return 0;
}

int boot_linux_load(const struct guest_mem *mem, const struct boot_linux_params *p,
		    const char *kname, const char *iname, struct boot_linux_entry *entry)
{
	const uint8_t *k = p->kernel;
	uint8_t *zp;
	unsigned setup_sects, hdr_end;
	uint16_t version;
	uint32_t init_size, cmdline_max;
	uint64_t setup_size, payload_size, kernel_end, initrd_gpa = 0;
	struct e820_entry e820[E820_MAX];
	int n;

	if (p->kernel_size < 0x400 || rd16(k + HDR_BOOT_FLAG) != 0xaa55 ||
	    rd32(k + HDR_HEADER) != 0x53726448 /* "HdrS" */) {
		error_report("could not load kernel '%s': not a Linux bzImage (no boot "
			     "signature); give -kernel an x86 bzImage such as /boot/vmlinuz-*", kname);
		return -1;
	}
	version = rd16(k + HDR_VERSION);
	if (version < 0x020c || !(k[HDR_XLOADFLAGS] & XLF_KERNEL_64)) {
		error_report("could not load kernel '%s': boot protocol %u.%02u without a 64-bit "
			     "entry point; skiff needs a 64-bit kernel (Linux 3.8 or later)",
			     kname, version >> 8, version & 0xff);
		return -1;
	}
	setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
	setup_size = (uint64_t)(setup_sects + 1) * 512;
	if (setup_size >= p->kernel_size) {
		error_report("could not load kernel '%s': truncated bzImage", kname);
		return -1;
	}
	payload_size = p->kernel_size - setup_size;
	init_size = rd32(k + HDR_INIT_SIZE);
	kernel_end = LAYOUT_HIMEM + (payload_size > init_size ? payload_size : init_size);
	entry->direct = 0;
	entry->kernel_phys = LAYOUT_HIMEM;
	entry->kaslr_delta = 0;
	entry->kaslr = 0;
	entry->rip = LAYOUT_HIMEM + 0x200;             /* 64-bit entry: startup_64 */
	if (p->vmlinux) {
		uint64_t start, end, rip, shift;
		struct kernel_relocs r;

		/* The already-decompressed kernel goes where it is linked to run, or to a random
		 * slot below where the initrd will go (boot_kaslr). */
		if (kernel_elf_load(mem, p->vmlinux, p->vmlinux_size, 0, &rip, &start, &end, 1) == 0 &&
		    end <= p->low_ram_end && start >= LAYOUT_HIMEM) {
			boot_kaslr(p, k, start, end, boot_initrd_floor(k, p, version), entry, &r);
			shift = entry->kernel_phys - start;
			if (kernel_elf_load(mem, p->vmlinux, p->vmlinux_size, shift, &rip, &start, &end,
					    0) == 0) {
				if (entry->kaslr_delta &&
				    kernel_relocate(mem, &r, entry->kernel_phys, START_KERNEL_MAP + start,
						    end - start, entry->kaslr_delta) < 0) {
					debug_report("kernel: relocation table out of bounds: no virtual KASLR");
					entry->kaslr_delta = 0;
				}
				entry->rip = rip + shift;
				entry->direct = 1;
				debug_report("kernel: vmlinux copied (%llu MiB)",
					     (unsigned long long)((end - start) >> 20));
				end += shift;
				kernel_end = end > kernel_end ? end : kernel_end;
			}
		}
		if (!entry->direct) {
			entry->kernel_phys = LAYOUT_HIMEM;
			debug_report("kernel: vmlinux not loadable directly; using the decompressor");
		}
	}
	if (kernel_end > p->low_ram_end) {
		error_report("could not load kernel '%s': it needs %llu MiB of RAM to decompress, "
			     "more than -m gives; raise -m", kname,
			     (unsigned long long)(kernel_end >> 20) + 1);
		return -1;
	}
	if (!entry->direct && guest_mem_write(mem, LAYOUT_HIMEM, k + setup_size, payload_size))
		return -1;

	/* Zero page: zeroed, then the setup header copied from the image. */
	zp = guest_mem_ptr(mem, LAYOUT_ZERO_PAGE, 4096);
	if (!zp)
		return -1;
	memset(zp, 0, 4096);
	hdr_end = 0x202 + k[HDR_JUMP_END];
	if (hdr_end > 0x400)
		hdr_end = 0x400;
	memcpy(zp + HDR_SETUP_SECTS, k + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	wr16(zp + HDR_VID_MODE, 0xffff);               /* "normal" */
	zp[HDR_TYPE_OF_LOADER] = 0xff;                 /* undefined loader id */
	zp[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH;
	if (entry->direct && entry->kaslr)
		zp[HDR_LOADFLAGS] |= LOADFLAG_KASLR;
	wr32(zp + HDR_CODE32_START, LAYOUT_HIMEM);

	/* Command line. */
	cmdline_max = version >= 0x0206 ? rd32(k + HDR_CMDLINE_SIZE) : 255;
	{
		const char *cl = p->cmdline ? p->cmdline : "";
		size_t len = strlen(cl);
		if (len > cmdline_max || len >= LAYOUT_CMDLINE_MAX) {
			error_report("kernel command line too long: %zu bytes, this kernel accepts "
				     "at most %u", len, cmdline_max);
			return -1;
		}
		if (guest_mem_write(mem, LAYOUT_CMDLINE, cl, len + 1))
			return -1;
		wr32(zp + HDR_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
	}

	/* initrd: as high in low RAM as the kernel allows, page-aligned. */
	if (p->initrd) {
		uint64_t top = boot_initrd_top(k, p, version);

		if (p->initrd_size > top || ((top - p->initrd_size) & ~0xfffull) < kernel_end) {
			error_report("could not load initial ram disk '%s': it is %llu MiB but only "
				     "%llu MiB of low RAM are free above the kernel; raise -m", iname,
				     (unsigned long long)(p->initrd_size >> 20) + 1,
				     (unsigned long long)((top > kernel_end ? top - kernel_end : 0) >> 20));
			return -1;
		}
		initrd_gpa = (top - p->initrd_size) & ~0xfffull;
		if (guest_mem_write(mem, initrd_gpa, p->initrd, p->initrd_size))
			return -1;
		debug_report("initrd: copied (%llu MiB)", (unsigned long long)(p->initrd_size >> 20));
		wr32(zp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
		wr32(zp + HDR_RAMDISK_SIZE, (uint32_t)p->initrd_size);
		wr32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_gpa >> 32));
		wr32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)p->initrd_size >> 32));
	}

	if (p->rsdp)
		memcpy(zp + ZP_ACPI_RSDP_ADDR, &p->rsdp, 8);

	n = boot_e820_build(e820, p->low_ram_end, p->high_ram_size);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	memcpy(zp + ZP_E820_TABLE, e820, (size_t)n * sizeof(e820[0]));

	if (boot_page_tables(mem) || boot_gdt(mem, entry) || boot_reset_stub(mem))
		return -1;
	entry->rsi = LAYOUT_ZERO_PAGE;
	entry->cr3 = LAYOUT_PML4;
	entry->initrd_gpa = initrd_gpa;
	return 0;
}
