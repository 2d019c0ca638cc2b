#include "hw/bus.h"

#include <string.h>

#include "util/log.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	bus->is_pio = strcmp(name, "pio") == 0;
}

void bus_set_coalesced(struct bus *bus, uint64_t addr, uint64_t len, bool add)
{
	if (bus->coalesce && len)
		bus->coalesce(bus->hook_opaque, bus->is_pio, addr, len, add);
}

void bus_flush_coalesced(struct bus *bus)
{
	if (bus->flush)
		bus->flush(bus->hook_opaque);
}

int bus_set_ram(struct bus *bus, uint64_t addr, uint64_t len, void *hva, bool add, bool readonly)
{
	if (!bus->ram || !len)
		return -1;
	return bus->ram(bus->hook_opaque, addr, len, hva, add, readonly);
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn fn,
		 void *opaque, const char *name)
{
	int pos;

	if (len == 0 || base + len < base || bus->nr_regions >= BUS_MAX_REGIONS)
		return -1;
	for (int i = 0; i < bus->nr_regions; i++) {
		const struct bus_region *r = &bus->region[i];
		if (base < r->base + r->len && r->base < base + len)
			return -1;
	}
	for (pos = 0; pos < bus->nr_regions && bus->region[pos].base < base; pos++)
		;
	memmove(&bus->region[pos + 1], &bus->region[pos],
		(size_t)(bus->nr_regions - pos) * sizeof(bus->region[0]));
	bus->region[pos] = (struct bus_region){ base, len, fn, opaque, name };
	bus->nr_regions++;
	return 0;
}

int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	for (int i = 0; i < bus->nr_regions; i++) {
		if (bus->region[i].base == base && bus->region[i].opaque == opaque) {
			memmove(&bus->region[i], &bus->region[i + 1],
				(size_t)(bus->nr_regions - i - 1) * sizeof(bus->region[0]));
			bus->nr_regions--;
			return 0;
		}
	}
	return -1;
}

const struct bus_region *bus_find(const struct bus *bus, uint64_t addr)
{
	int lo = 0, hi = bus->nr_regions - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct bus_region *r = &bus->region[mid];
		if (addr < r->base)
			hi = mid - 1;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	const struct bus_region *r = bus_find(bus, addr);

	if (!is_write)
		memset(data, 0xff, len);
	if (!r || len == 0 || len > 8 || len > r->len - (addr - r->base)) {
		debug_report("unclaimed %s %s at 0x%llx len %u", bus->name,
			     is_write ? "write" : "read", (unsigned long long)addr, len);
		return false;
	}
	/* Copy: the handler may re-register regions (a BAR move) and shift the table. */
	struct bus_region reg = *r;
	reg.fn(reg.opaque, addr - reg.base, data, len, is_write);
	return true;
}
