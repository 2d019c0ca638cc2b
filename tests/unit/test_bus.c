/* hw/bus.c: region table (sorted, overlap/wrap/full refusal), binary-search
 * lookup at region edges, floating-bus reads, straddling accesses, and a
 * handler that moves its own region during dispatch (a PCI BAR move). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/bus.h"

struct rec {
	unsigned calls;
	uint64_t offset;
	unsigned len;
	bool is_write;
	uint8_t data[8];
	uint8_t fill;          /* what a read returns in every byte */
};

static void rec_fn(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct rec *r = opaque;

	r->calls++;
	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	if (is_write) {
		memcpy(r->data, data, len);
	} else {
		/* A read sees the floating-bus pre-fill. */
		memcpy(r->data, data, len);
		memset(data, r->fill, len);
	}
}

static void test_register_sorted_and_find(void **state)
{
	struct bus b;
	struct rec r1 = { 0 }, r2 = { 0 }, r3 = { 0 };

	bus_init(&b, "pio");
	assert_string_equal(b.name, "pio");
	assert_int_equal(b.nr_regions, 0);
	assert_int_equal(bus_register(&b, 0x3f8, 8, rec_fn, &r2, "com1"), 0);
	assert_int_equal(bus_register(&b, 0x60, 5, rec_fn, &r1, "i8042"), 0);
	assert_int_equal(bus_register(&b, 0xcf8, 8, rec_fn, &r3, "pci"), 0);
	assert_int_equal(b.nr_regions, 3);
	/* Kept sorted by base. */
	assert_int_equal(b.region[0].base, 0x60);
	assert_int_equal(b.region[1].base, 0x3f8);
	assert_int_equal(b.region[2].base, 0xcf8);
	assert_string_equal(b.region[1].name, "com1");

	/* Region edges: first and last byte hit, one outside misses. */
	assert_ptr_equal(bus_find(&b, 0x60)->opaque, &r1);
	assert_ptr_equal(bus_find(&b, 0x64)->opaque, &r1);
	assert_null(bus_find(&b, 0x65));
	assert_null(bus_find(&b, 0x5f));
	assert_ptr_equal(bus_find(&b, 0x3f8)->opaque, &r2);
	assert_ptr_equal(bus_find(&b, 0x3ff)->opaque, &r2);
	assert_null(bus_find(&b, 0x3f7));
	assert_null(bus_find(&b, 0x400));
	assert_ptr_equal(bus_find(&b, 0xcff)->opaque, &r3);
	assert_null(bus_find(&b, 0xd00));
	assert_null(bus_find(&b, 0));
	assert_null(bus_find(&b, UINT64_MAX));
}

static void test_find_empty(void **state)
{
	struct bus b;

	bus_init(&b, "mmio");
	assert_null(bus_find(&b, 0));
	assert_null(bus_find(&b, 0xfee00000));
}

static void test_overlap_refused(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b, "mmio");
	assert_int_equal(bus_register(&b, 0x1000, 0x100, rec_fn, &r, "a"), 0);
	/* Same range, inside, covering, overlapping either edge by one byte. */
	assert_int_equal(bus_register(&b, 0x1000, 0x100, rec_fn, &r, "x"), -1);
	assert_int_equal(bus_register(&b, 0x1010, 0x10, rec_fn, &r, "x"), -1);
	assert_int_equal(bus_register(&b, 0x800, 0x1000, rec_fn, &r, "x"), -1);
	assert_int_equal(bus_register(&b, 0xf00, 0x101, rec_fn, &r, "x"), -1);
	assert_int_equal(bus_register(&b, 0x10ff, 0x10, rec_fn, &r, "x"), -1);
	assert_int_equal(b.nr_regions, 1);
	/* Adjacent on both sides is fine. */
	assert_int_equal(bus_register(&b, 0xf00, 0x100, rec_fn, &r, "below"), 0);
	assert_int_equal(bus_register(&b, 0x1100, 0x100, rec_fn, &r, "above"), 0);
	assert_int_equal(b.nr_regions, 3);
	assert_int_equal(b.region[0].base, 0xf00);
	assert_int_equal(b.region[1].base, 0x1000);
	assert_int_equal(b.region[2].base, 0x1100);
	/* An overlap with a region further along the table (not the first checked). */
	assert_int_equal(bus_register(&b, 0x11ff, 2, rec_fn, &r, "x"), -1);
	assert_int_equal(b.nr_regions, 3);
}

static void test_empty_and_wrap_refused(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b, "mmio");
	assert_int_equal(bus_register(&b, 0x1000, 0, rec_fn, &r, "empty"), -1);
	assert_int_equal(bus_register(&b, UINT64_MAX, 2, rec_fn, &r, "wrap"), -1);
	assert_int_equal(bus_register(&b, 0xfffffffffffff000ull, 0x2000, rec_fn, &r, "wrap"), -1);
	assert_int_equal(b.nr_regions, 0);
	/* Ending exactly at 2^64 - 1 (base + len == UINT64_MAX) is fine. */
	assert_int_equal(bus_register(&b, 0xfffffffffffff000ull, 0xfff, rec_fn, &r, "top"), 0);
	assert_non_null(bus_find(&b, 0xfffffffffffffffeull));
	assert_null(bus_find(&b, UINT64_MAX));
}

static void test_table_full(void **state)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b, "pio");
	/* Register in descending order so every insert shifts the table. */
	for (int i = BUS_MAX_REGIONS - 1; i >= 0; i--)
		assert_int_equal(bus_register(&b, 0x100 * (uint64_t)i, 0x10, rec_fn, &r, "r"), 0);
	assert_int_equal(b.nr_regions, BUS_MAX_REGIONS);
	assert_int_equal(bus_register(&b, 0x100000, 1, rec_fn, &r, "one-too-many"), -1);
	assert_int_equal(b.nr_regions, BUS_MAX_REGIONS);
	for (int i = 0; i < BUS_MAX_REGIONS; i++) {
		assert_int_equal(b.region[i].base, 0x100 * (uint64_t)i);
		/* Every region found by the binary search, at both edges and in the gap. */
		assert_ptr_equal(bus_find(&b, 0x100 * (uint64_t)i), &b.region[i]);
		assert_ptr_equal(bus_find(&b, 0x100 * (uint64_t)i + 0xf), &b.region[i]);
		assert_null(bus_find(&b, 0x100 * (uint64_t)i + 0x10));
	}
	/* Freeing one slot makes room again. */
	assert_int_equal(bus_unregister(&b, 0x200, &r), 0);
	assert_int_equal(bus_register(&b, 0x100000, 1, rec_fn, &r, "now"), 0);
}

static void test_access_dispatch_offsets(void **state)
{
	struct bus b;
	struct rec r = { .fill = 0x5a };
	uint8_t d[8];

	bus_init(&b, "mmio");
	assert_int_equal(bus_register(&b, 0xc0000000, 0x20000, rec_fn, &r, "bar"), 0);

	bus_data_set(d, 4, 0x11223344);
	assert_true(bus_access(&b, 0xc0000100, d, 4, true));
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.offset, 0x100);
	assert_int_equal(r.len, 4);
	assert_true(r.is_write);
	assert_int_equal(bus_data_get(r.data, 4), 0x11223344);

	/* Read: the handler sees data pre-filled with 0xff. */
	memset(d, 0, sizeof(d));
	assert_true(bus_access(&b, 0xc001fff8, d, 8, false));
	assert_int_equal(r.offset, 0x1fff8);
	assert_int_equal(r.len, 8);
	assert_false(r.is_write);
	assert_int_equal(bus_data_get(r.data, 8), UINT64_MAX);
	assert_int_equal(bus_data_get(d, 8), 0x5a5a5a5a5a5a5a5aull);

	/* Last byte of the region. */
	assert_true(bus_access(&b, 0xc001ffff, d, 1, false));
	assert_int_equal(r.offset, 0x1ffff);
	assert_int_equal(r.calls, 3);
}

static void test_unclaimed(void **state)
{
	struct bus b;
	struct rec r = { .fill = 0 };
	uint8_t d[8];

	bus_init(&b, "pio");
	assert_int_equal(bus_register(&b, 0x3f8, 8, rec_fn, &r, "com1"), 0);

	/* Unclaimed read: all ones, for every width. */
	for (unsigned len = 1; len <= 8; len *= 2) {
		memset(d, 0, sizeof(d));
		assert_false(bus_access(&b, 0x2f8, d, len, false));
		for (unsigned i = 0; i < len; i++)
			assert_int_equal(d[i], 0xff);
		if (len < 8)
			assert_int_equal(d[len], 0);   /* nothing beyond len touched */
	}
	/* Unclaimed write: dropped, no handler call. */
	memset(d, 0x12, sizeof(d));
	assert_false(bus_access(&b, 0x3f7, d, 1, true));
	assert_false(bus_access(&b, 0x400, d, 4, true));
	assert_int_equal(r.calls, 0);
	assert_int_equal(d[0], 0x12);   /* a write's buffer isn't clobbered */

	/* Straddling the region end: unclaimed, handler not called. */
	memset(d, 0, sizeof(d));
	assert_false(bus_access(&b, 0x3fe, d, 4, false));
	assert_int_equal(bus_data_get(d, 4), 0xffffffff);
	assert_false(bus_access(&b, 0x3ff, d, 2, true));
	assert_false(bus_access(&b, 0x3f9, d, 8, false));
	assert_int_equal(r.calls, 0);
	/* Exactly fitting at the end is claimed. */
	assert_true(bus_access(&b, 0x3fc, d, 4, false));
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.offset, 4);

	/* len 0 and len > 8 are not accesses. */
	assert_false(bus_access(&b, 0x3f8, d, 0, true));
	assert_int_equal(r.calls, 1);
}

static void test_unregister(void **state)
{
	struct bus b;
	struct rec r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	uint8_t d[4];

	bus_init(&b, "pio");
	assert_int_equal(bus_register(&b, 0x10, 0x10, rec_fn, &r1, "a"), 0);
	assert_int_equal(bus_register(&b, 0x20, 0x10, rec_fn, &r2, "b"), 0);
	assert_int_equal(bus_register(&b, 0x30, 0x10, rec_fn, &r3, "c"), 0);

	/* Wrong owner or not a region start: refused. */
	assert_int_equal(bus_unregister(&b, 0x20, &r1), -1);
	assert_int_equal(bus_unregister(&b, 0x21, &r2), -1);
	assert_int_equal(b.nr_regions, 3);

	assert_int_equal(bus_unregister(&b, 0x20, &r2), 0);
	assert_int_equal(b.nr_regions, 2);
	assert_int_equal(b.region[0].base, 0x10);
	assert_int_equal(b.region[1].base, 0x30);
	assert_false(bus_access(&b, 0x25, d, 1, false));
	assert_int_equal(d[0], 0xff);
	assert_int_equal(r2.calls, 0);
	assert_true(bus_access(&b, 0x35, d, 1, false));
	assert_int_equal(r3.calls, 1);
	assert_int_equal(bus_unregister(&b, 0x20, &r2), -1);   /* already gone */

	/* The gap can be reused by someone else. */
	assert_int_equal(bus_register(&b, 0x20, 0x10, rec_fn, &r1, "b2"), 0);
	assert_true(bus_access(&b, 0x2f, d, 1, true));
	assert_int_equal(r1.calls, 1);
	assert_int_equal(r1.offset, 0xf);
}

/* A handler that moves its own region (as a BAR write does) while the bus is
 * dispatching it: the table shifts under bus_access(). */
struct mover {
	struct bus *bus;
	uint64_t base, new_base, len;
	unsigned calls;
	uint64_t last_offset;
	uint8_t last_byte;
};

static void mover_fn(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct mover *m = opaque;

	m->calls++;
	m->last_offset = offset;
	if (!is_write) {
		memset(data, 0xab, len);
		return;
	}
	m->last_byte = data[0];
	if (m->new_base != m->base) {
		assert_int_equal(bus_unregister(m->bus, m->base, m), 0);
		assert_int_equal(bus_register(m->bus, m->new_base, m->len, mover_fn, m, "mover"), 0);
		m->base = m->new_base;
	}
}

static void test_reregister_during_dispatch(void **state)
{
	struct bus b;
	struct rec lo = { 0 }, hi = { 0 };
	struct mover m = { &b, 0x1000, 0x9000, 0x100, 0, 0, 0 };
	uint8_t d[4] = { 0x77 };

	bus_init(&b, "mmio");
	assert_int_equal(bus_register(&b, 0x100, 0x10, rec_fn, &lo, "lo"), 0);
	assert_int_equal(bus_register(&b, 0x1000, 0x100, mover_fn, &m, "mover"), 0);
	assert_int_equal(bus_register(&b, 0x5000, 0x10, rec_fn, &hi, "hi"), 0);

	assert_true(bus_access(&b, 0x1040, d, 1, true));
	assert_int_equal(m.calls, 1);
	assert_int_equal(m.last_offset, 0x40);
	assert_int_equal(m.last_byte, 0x77);
	/* Moved past "hi": the table is re-sorted. */
	assert_int_equal(b.nr_regions, 3);
	assert_int_equal(b.region[0].base, 0x100);
	assert_int_equal(b.region[1].base, 0x5000);
	assert_int_equal(b.region[2].base, 0x9000);
	/* Old address unclaimed, new one dispatches with offsets. */
	assert_false(bus_access(&b, 0x1040, d, 1, false));
	assert_int_equal(d[0], 0xff);
	assert_true(bus_access(&b, 0x90ff, d, 1, false));
	assert_int_equal(d[0], 0xab);
	assert_int_equal(m.last_offset, 0xff);
	assert_int_equal(m.calls, 2);
	/* Neighbours untouched. */
	assert_true(bus_access(&b, 0x5000, d, 1, false));
	assert_int_equal(hi.calls, 1);
	assert_int_equal(lo.calls, 0);
}

static void test_data_helpers(void **state)
{
	uint8_t d[8];

	bus_data_set(d, 8, 0x0102030405060708ull);
	assert_int_equal(d[0], 0x08);
	assert_int_equal(d[7], 0x01);
	assert_int_equal(bus_data_get(d, 2), 0x0708);
	assert_int_equal(bus_data_get(d, 4), 0x05060708);
	memset(d, 0, sizeof(d));
	bus_data_set(d, 2, 0xaabbccdd);
	assert_int_equal(bus_data_get(d, 8), 0xccdd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_sorted_and_find),
		cmocka_unit_test(test_find_empty),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_empty_and_wrap_refused),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_access_dispatch_offsets),
		cmocka_unit_test(test_unclaimed),
		cmocka_unit_test(test_unregister),
		cmocka_unit_test(test_reregister_during_dispatch),
		cmocka_unit_test(test_data_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
