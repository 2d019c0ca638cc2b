/* One table per address space (port I/O, MMIO) that maps guest addresses to
 * device handlers. Devices see an offset into their own region, never the
 * absolute address, so a PCI BAR can move without the device noticing
 * (the kvmtool/Firecracker "bus" idea).
 *
 * Locking: handlers run with the VMM big lock held (util/event_loop.h), on a
 * vCPU thread. Registration also happens under the big lock. */
#ifndef SKIFF_HW_BUS_H
#define SKIFF_HW_BUS_H

#include <stdbool.h>
#include <stdint.h>

/* data is little-endian, len is 1, 2, 4 or 8. For reads the handler fills
 * data[0..len); it is pre-filled with 0xff (floating bus). */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data,
			      unsigned len, bool is_write);

struct bus_region {
	uint64_t base;
	uint64_t len;
	bus_access_fn fn;
	void *opaque;
	const char *name;
};

#define BUS_MAX_REGIONS 64

/* Coalesced writes (KVM_REGISTER_COALESCED_MMIO, its PIO variant): the kernel queues a write
 * into a zone in a ring instead of exiting, and the VMM replays the queue, in order, before it
 * handles the next access that does exit (vm/coalesced.c). Devices mark as coalesced only
 * registers whose writes nobody observes until the guest's next exiting access: that saves an
 * exit per write (QEMU does the same for the e1000 and the PCI address port). Without KVM (unit
 * tests) the hooks stay NULL and every write is delivered at once. */
typedef void (*bus_coalesce_fn)(void *opaque, bool pio, uint64_t addr, uint64_t len, bool add);
typedef void (*bus_flush_fn)(void *opaque);
/* Plain memory inside a device region (KVM memory slot over part of a BAR): the guest reads
 * and writes hva directly, without an exit, until it is removed; a read-only one is read
 * directly while every write still reaches the handler (KVM_MEM_READONLY). 0, or -1 when not
 * possible. */
typedef int (*bus_ram_fn)(void *opaque, uint64_t addr, uint64_t len, void *hva, bool add,
			  bool readonly);

struct bus {
	const char *name;          /* "pio" or "mmio", for messages */
	struct bus_region region[BUS_MAX_REGIONS]; /* sorted by base */
	int nr_regions;
	bool is_pio;
	bus_coalesce_fn coalesce;  /* set by the VM when KVM supports it */
	bus_flush_fn flush;        /* replay queued writes now (big lock held) */
	bus_ram_fn ram;            /* set by the VM (MMIO bus only) */
	void *hook_opaque;
};

void bus_init(struct bus *bus, const char *name);
/* 0, or -1 if the range overlaps an existing region, is empty, wraps, or the table is full. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn fn,
		 void *opaque, const char *name);
/* Remove the region that starts at base and belongs to opaque. 0 or -1. */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);
/* Dispatch one access. Unclaimed reads return all ones, unclaimed writes are
 * dropped; returns false for unclaimed. An access that straddles a region's
 * end is treated as unclaimed. */
bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool is_write);
const struct bus_region *bus_find(const struct bus *bus, uint64_t addr);
/* Mark [addr, addr + len) as coalesced (add) or not; a no-op without the VM's hook. */
void bus_set_coalesced(struct bus *bus, uint64_t addr, uint64_t len, bool add);
/* Deliver queued coalesced writes now: for a device that waits on a register the guest may
 * have written without an exit (e1000 RDT while receive is blocked). Big lock held. */
void bus_flush_coalesced(struct bus *bus);

/* Let the guest access [addr, addr + len) as the memory at hva (page-aligned) instead of
 * through the region's handler (readonly: only its reads; writes still exit), or stop that.
 * 0 when done; -1 without the VM's hook (unit tests) or when KVM refuses: the handler then
 * keeps seeing every access. */
int bus_set_ram(struct bus *bus, uint64_t addr, uint64_t len, void *hva, bool add, bool readonly);

/* Little-endian helpers for handlers. */
static inline uint64_t bus_data_get(const uint8_t *data, unsigned len)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static inline void bus_data_set(uint8_t *data, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len && i < 8; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

#endif
