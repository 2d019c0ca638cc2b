/* The coalesced-write ring KVM fills for zones registered with KVM_REGISTER_COALESCED_MMIO
 * (hw/bus.h explains the idea). The ring is one page shared with the kernel, mapped with
 * every vCPU at KVM_COALESCED_MMIO_PAGE_OFFSET; the kernel appends at last, we consume at
 * first. */
#ifndef SKIFF_VM_COALESCED_H
#define SKIFF_VM_COALESCED_H

#include <linux/kvm.h>

#include "hw/bus.h"

/* Replay every queued write, in order, to the pio or mmio bus. Indices read from the shared
 * page are checked against max (a corrupt ring is dropped, never followed); lengths above 8
 * are cut to 8. Returns the number of writes delivered. Big lock held. */
unsigned coalesced_drain(struct kvm_coalesced_mmio_ring *ring, unsigned max, struct bus *pio,
			 struct bus *mmio);

#endif
