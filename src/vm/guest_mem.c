#include "vm/guest_mem.h"

#include <string.h>

int guest_mem_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva)
{
	if (mem->nr_regions >= GUEST_MEM_MAX_REGIONS || size == 0 || gpa + size < gpa)
		return -1;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -1;
	}
	mem->region[mem->nr_regions++] = (struct guest_mem_region){ gpa, size, hva };
	return 0;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->region[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		/* off < size and len <= size - off: no addition that can wrap. */
		if (off < r->size && len <= r->size - off)
			return r->hva + off;
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);
	if (!p)
		return -1;
	memcpy(p, buf, len);
	return 0;
}

uint64_t guest_mem_size(const struct guest_mem *mem)
{
	uint64_t total = 0;
	for (int i = 0; i < mem->nr_regions; i++)
		total += mem->region[i].size;
	return total;
}
