/* Direct Linux boot through the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): no firmware runs; we build the zero
 * page, e820 map, identity page tables and GDT ourselves and enter the
 * kernel in long mode at its 64-bit entry point. */
#ifndef SKIFF_VM_BOOT_LINUX_H
#define SKIFF_VM_BOOT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "vm/guest_mem.h"

struct boot_linux_params {
	const uint8_t *kernel;   /* the bzImage file */
	size_t kernel_size;
	const uint8_t *vmlinux;  /* the bzImage's payload, decompressed (may be NULL) */
	size_t vmlinux_size;
	const uint8_t *initrd;   /* may be NULL */
	size_t initrd_size;
	const char *cmdline;     /* may be NULL */
	uint64_t low_ram_end;    /* RAM is [0, low_ram_end) ... */
	uint64_t high_ram_size;  /* ... plus [4 GiB, 4 GiB + high_ram_size) */
	uint64_t rsdp;           /* 0 = no ACPI */
	/* KASLR for a vmlinux entered directly (the decompressor does it otherwise): two random
	 * numbers pick the physical and the virtual slot; "nokaslr" on the command line wins. */
	int kaslr;
	uint64_t kaslr_rand[2];
};

struct boot_linux_entry {
	uint64_t rip;            /* 64-bit entry point */
	uint64_t rsi;            /* zero page */
	uint64_t cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t initrd_gpa;     /* for messages/tests */
	int direct;              /* 1: entered the vmlinux directly, no decompressor */
	uint64_t kernel_phys;    /* direct: where the image went (its link address without KASLR) */
	uint64_t kaslr_delta;    /* direct: virtual offset applied by relocation (0: none) */
	int kaslr;               /* direct: KASLR on (LOADFLAG_KASLR set for the kernel) */
};

/* GDT selectors of the boot protocol (__BOOT_CS, __BOOT_DS) and our TSS. */
#define BOOT_GDT_CS  0x10
#define BOOT_GDT_DS  0x18
#define BOOT_GDT_TSS 0x20

/* Load everything into guest memory. Returns 0, or -1 after an error message
 * naming the problem ("could not load kernel ...: not a bzImage ..."). */
int boot_linux_load(const struct guest_mem *mem, const struct boot_linux_params *p,
		    const char *kernel_name, const char *initrd_name,
		    struct boot_linux_entry *entry);

/* The e820 map we give the guest (also used by the firmware path later). */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      128
int boot_e820_build(struct e820_entry *tab, uint64_t low_ram_end, uint64_t high_ram_size);

#endif
