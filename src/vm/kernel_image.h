/* Booting a bzImage without its in-guest decompressor: skiff unpacks the
 * compressed vmlinux (XZ, as Debian ships it) once on the host, keeps it in a
 * cache, and loads its ELF segments straight into guest memory. A stock
 * kernel then starts at its own startup_64 with the same boot_params, and
 * every later boot skips seconds of in-guest decompression.
 * Anything unexpected (other compression, odd ELF) falls back to the normal
 * bzImage boot. Set SKIFF_KERNEL_CACHE=off to disable. */
#ifndef SKIFF_VM_KERNEL_IMAGE_H
#define SKIFF_VM_KERNEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vm/guest_mem.h"

struct kernel_vmlinux {
	uint8_t *data;
	size_t size;
	int mapped;          /* 1: munmap, 0: free */
};

/* 0 and *out filled (release with kernel_vmlinux_release), or -1 = use the
 * bzImage as is (reason logged at debug level). */
int kernel_vmlinux_get(const char *path, const uint8_t *bz, size_t bz_size,
		       struct kernel_vmlinux *out);
void kernel_vmlinux_release(struct kernel_vmlinux *v);

/* Decompress an XZ buffer; 0 or -1. *out is malloc'd. Exposed for tests. */
int kernel_xz_decompress(const uint8_t *in, size_t in_size, uint8_t **out, size_t *out_size,
			 size_t max_out);

/* Check an x86-64 vmlinux ELF and copy its PT_LOAD segments to their
 * physical addresses + shift. entry, start, end (highest byte + 1): as linked,
 * without the shift. 0, or -1 if it is not a loadable 64-bit kernel or does not
 * fit in RAM. */
int kernel_elf_load(const struct guest_mem *mem, const uint8_t *elf, size_t size, uint64_t shift,
		    uint64_t *entry, uint64_t *start, uint64_t *end, int dry_run);

/* The relocation table a KASLR kernel's build appends to the payload after the
 * ELF (arch/x86/tools/relocs.c; the decompressor's handle_relocations() reads it
 * from the end backwards): 32-bit fields, then inverse 32-bit, then 64-bit, each
 * list ended by a zero entry. Byte ranges [lo, hi) of each list in the payload. */
enum { KERNEL_RELOCS_32, KERNEL_RELOCS_INV32, KERNEL_RELOCS_64 };
struct kernel_relocs {
	const uint8_t *base;
	size_t lo[3], hi[3];
};
/* 0, or -1 if the payload has no well-formed table after a loadable ELF. */
int kernel_relocs_find(const uint8_t *elf, size_t size, struct kernel_relocs *r);
/* Move the kernel's virtual base by delta: the image loaded at guest-physical
 * phys, linked at virtual link_va, span bytes long. Every field is checked to
 * lie in the image before any is changed: 0, or -1 and nothing written. */
int kernel_relocate(const struct guest_mem *mem, const struct kernel_relocs *r, uint64_t phys,
		    uint64_t link_va, uint64_t span, uint64_t delta);

#endif
