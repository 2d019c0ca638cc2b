#include "vm/coalesced.h"

#include <string.h>

#include "util/log.h"
#include "vm/exit_stats.h"

unsigned coalesced_drain(struct kvm_coalesced_mmio_ring *ring, unsigned max, struct bus *pio,
			 struct bus *mmio)
{
	unsigned n = 0;

	if (!ring || max == 0)
		return 0;
	for (;;) {
		uint32_t first = ring->first;
		/* Acquire: the entry is complete once last has moved past it (the kernel
		 * writes the entry, then smp_wmb(), then last). */
		uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
		struct kvm_coalesced_mmio e;

		if (first == last)
			break;
		if (first >= max || last >= max) {
			error_report("coalesced write ring corrupt (first %u last %u of %u): dropped",
				     first, last, max);
			ring->first = last < max ? last : 0;
			break;
		}
		memcpy(&e, &ring->coalesced_mmio[first], sizeof(e));
		if (exit_stats_on)
			exit_stats_count(EXIT_STATS_COALESCED, e.phys_addr, true);
		bus_access(e.pio ? pio : mmio, e.phys_addr, e.data, e.len > 8 ? 8 : e.len, true);
		/* Release: our read of the entry is done before the kernel may reuse the slot. */
		__atomic_store_n(&ring->first, (first + 1) % max, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}
