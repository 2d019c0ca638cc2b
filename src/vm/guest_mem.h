/* Guest physical memory as seen by the VMM: a few RAM regions, each mapped
 * contiguously in our address space. Every DMA a device does goes through
 * these helpers, which refuse any range that is not wholly inside one RAM
 * region (holes, MMIO and wrap-around included), so a guest-supplied
 * address can never make us touch memory outside guest RAM. */
#ifndef SKIFF_VM_GUEST_MEM_H
#define SKIFF_VM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 4

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct guest_mem_region region[GUEST_MEM_MAX_REGIONS];
	int nr_regions;
};

/* Add a region; regions must not overlap. Returns 0 or -1 when full/overlapping. */
int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva);

/* Host pointer for [gpa, gpa + len) if it lies wholly inside one region,
 * else NULL. len 0 is valid for any gpa inside a region. Overflow-safe. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy to/from guest memory. 0 on success, -1 (nothing copied) if the
 * range is not wholly RAM. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len);

/* Total bytes of RAM. */
uint64_t guest_mem_size(const struct guest_mem *mem);

#endif
