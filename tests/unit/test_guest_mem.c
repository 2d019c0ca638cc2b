/* vm/guest_mem.c: the bounds checks every DMA goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vm/guest_mem.h"

#define LOW_SIZE  0x10000u
#define HIGH_GPA  0x100000000ull
#define HIGH_SIZE 0x2000u

static uint8_t low[LOW_SIZE], high[HIGH_SIZE];

/* Two regions with a hole between them, like low RAM and RAM above 4 GiB. */
static struct guest_mem two_regions(void)
{
	struct guest_mem m = { 0 };

	assert_int_equal(guest_mem_add(&m, 0, LOW_SIZE, low), 0);
	assert_int_equal(guest_mem_add(&m, HIGH_GPA, HIGH_SIZE, high), 0);
	return m;
}

static void test_add_and_size(void **state)
{
	struct guest_mem m = two_regions();

	assert_int_equal(m.nr_regions, 2);
	assert_int_equal(guest_mem_size(&m), LOW_SIZE + HIGH_SIZE);
}

static void test_add_refused(void **state)
{
	struct guest_mem m = two_regions();
	static uint8_t x[16];

	/* Overlap at either edge, inside, covering. */
	assert_int_equal(guest_mem_add(&m, LOW_SIZE - 1, 16, x), -1);
	assert_int_equal(guest_mem_add(&m, HIGH_GPA - 8, 16, x), -1);
	assert_int_equal(guest_mem_add(&m, 0x100, 16, x), -1);
	assert_int_equal(guest_mem_add(&m, 0, HIGH_GPA + HIGH_SIZE, x), -1);
	/* Empty and wrapping ranges. */
	assert_int_equal(guest_mem_add(&m, 0x20000, 0, x), -1);
	assert_int_equal(guest_mem_add(&m, UINT64_MAX - 7, 16, x), -1);
	assert_int_equal(m.nr_regions, 2);
	/* Adjacent is fine. */
	assert_int_equal(guest_mem_add(&m, LOW_SIZE, 16, x), 0);
	assert_int_equal(guest_mem_add(&m, HIGH_GPA - 16, 16, x), 0);
	/* Full (GUEST_MEM_MAX_REGIONS = 4). */
	assert_int_equal(m.nr_regions, GUEST_MEM_MAX_REGIONS);
	assert_int_equal(guest_mem_add(&m, 0x80000000ull, 16, x), -1);
	assert_int_equal(guest_mem_size(&m), LOW_SIZE + HIGH_SIZE + 32);
}

static void test_ptr_edges(void **state)
{
	struct guest_mem m = two_regions();

	assert_ptr_equal(guest_mem_ptr(&m, 0, 1), low);
	assert_ptr_equal(guest_mem_ptr(&m, 0, LOW_SIZE), low);
	assert_null(guest_mem_ptr(&m, 0, LOW_SIZE + 1));
	assert_ptr_equal(guest_mem_ptr(&m, LOW_SIZE - 1, 1), low + LOW_SIZE - 1);
	assert_null(guest_mem_ptr(&m, LOW_SIZE - 1, 2));
	assert_null(guest_mem_ptr(&m, LOW_SIZE, 1));
	assert_ptr_equal(guest_mem_ptr(&m, HIGH_GPA, HIGH_SIZE), high);
	assert_ptr_equal(guest_mem_ptr(&m, HIGH_GPA + 0x10, 0x20), high + 0x10);
	assert_null(guest_mem_ptr(&m, HIGH_GPA - 1, 2));
	assert_null(guest_mem_ptr(&m, HIGH_GPA + HIGH_SIZE - 4, 8));
	assert_null(guest_mem_ptr(&m, HIGH_GPA + HIGH_SIZE, 1));
}

static void test_ptr_len_zero(void **state)
{
	struct guest_mem m = two_regions();

	/* len 0 is valid anywhere inside a region, but not in a hole or past the end. */
	assert_ptr_equal(guest_mem_ptr(&m, 0, 0), low);
	assert_ptr_equal(guest_mem_ptr(&m, LOW_SIZE - 1, 0), low + LOW_SIZE - 1);
	assert_ptr_equal(guest_mem_ptr(&m, HIGH_GPA + 5, 0), high + 5);
	assert_null(guest_mem_ptr(&m, LOW_SIZE, 0));
	assert_null(guest_mem_ptr(&m, 0x80000000ull, 0));
	assert_null(guest_mem_ptr(&m, HIGH_GPA + HIGH_SIZE, 0));
}

static void test_ptr_hole_and_span(void **state)
{
	struct guest_mem m = two_regions();

	/* The hole between the regions, and a range spanning both, are refused. */
	assert_null(guest_mem_ptr(&m, 0xc0000000ull, 4));
	assert_null(guest_mem_ptr(&m, 0xfee00000ull, 4));
	assert_null(guest_mem_ptr(&m, 0, HIGH_GPA + HIGH_SIZE));
	assert_null(guest_mem_ptr(&m, LOW_SIZE - 4, HIGH_GPA));

	/* Two adjacent regions: a range crossing their boundary is still refused
	 * (not wholly inside one region, the host mappings are not contiguous). */
	struct guest_mem adj = { 0 };
	static uint8_t a[64], b[64];
	assert_int_equal(guest_mem_add(&adj, 0x1000, 64, a), 0);
	assert_int_equal(guest_mem_add(&adj, 0x1040, 64, b), 0);
	assert_ptr_equal(guest_mem_ptr(&adj, 0x103f, 1), a + 63);
	assert_ptr_equal(guest_mem_ptr(&adj, 0x1040, 1), b);
	assert_null(guest_mem_ptr(&adj, 0x103f, 2));
}

static void test_ptr_wraparound(void **state)
{
	struct guest_mem m = two_regions();

	/* gpa + len wraps past 2^64: must not alias to a low address. */
	assert_null(guest_mem_ptr(&m, 0x10, UINT64_MAX));
	assert_null(guest_mem_ptr(&m, 0x10, UINT64_MAX - 0xf));   /* == 2^64 exactly */
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&m, UINT64_MAX - 0x100, 0x200));
	assert_null(guest_mem_ptr(&m, HIGH_GPA + 0x10, UINT64_MAX - HIGH_GPA));
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 0));

	/* A region at the very top of the address space. */
	struct guest_mem top = { 0 };
	static uint8_t t[0x100];
	assert_int_equal(guest_mem_add(&top, UINT64_MAX - 0xff, 0xff, t), 0);
	assert_ptr_equal(guest_mem_ptr(&top, UINT64_MAX - 0xff, 0xff), t);
	assert_null(guest_mem_ptr(&top, UINT64_MAX - 0xff, 0x100));
	assert_null(guest_mem_ptr(&top, UINT64_MAX - 0x10, 0x20));
	assert_null(guest_mem_ptr(&top, UINT64_MAX, 1));
}

static void test_read_write_copy(void **state)
{
	struct guest_mem m = two_regions();
	uint8_t buf[32], back[32];

	memset(low, 0, sizeof(low));
	memset(high, 0, sizeof(high));
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0xa0 + i);

	assert_int_equal(guest_mem_write(&m, LOW_SIZE - sizeof(buf), buf, sizeof(buf)), 0);
	assert_memory_equal(low + LOW_SIZE - sizeof(buf), buf, sizeof(buf));
	assert_int_equal(guest_mem_write(&m, HIGH_GPA + 1, buf, 3), 0);
	assert_int_equal(high[0], 0);
	assert_int_equal(high[1], 0xa0);
	assert_int_equal(high[3], 0xa2);
	assert_int_equal(high[4], 0);

	memset(back, 0, sizeof(back));
	assert_int_equal(guest_mem_read(&m, LOW_SIZE - sizeof(buf), back, sizeof(back)), 0);
	assert_memory_equal(back, buf, sizeof(buf));
	/* Copy semantics: changing the source later doesn't affect guest RAM. */
	buf[0] = 0;
	assert_int_equal(low[LOW_SIZE - sizeof(buf)], 0xa0);

	/* Refused ranges copy nothing at all (no partial copy). */
	memset(back, 0x55, sizeof(back));
	assert_int_equal(guest_mem_read(&m, LOW_SIZE - 16, back, 32), -1);
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0x55);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(guest_mem_write(&m, LOW_SIZE - 16, buf, 32), -1);
	assert_int_equal(low[LOW_SIZE - 16], 0xa0 + 16);
	assert_int_equal(guest_mem_write(&m, 0x80000000ull, buf, 1), -1);
	assert_int_equal(guest_mem_write(&m, UINT64_MAX - 3, buf, 8), -1);

	/* len 0 inside RAM succeeds and touches nothing. */
	assert_int_equal(guest_mem_write(&m, 0x100, buf, 0), 0);
	assert_int_equal(low[0x100], 0);
	assert_int_equal(guest_mem_read(&m, 0x80000000ull, back, 0), -1);
}

static void test_empty_mem(void **state)
{
	struct guest_mem m = { 0 };
	uint8_t b;

	assert_null(guest_mem_ptr(&m, 0, 0));
	assert_int_equal(guest_mem_read(&m, 0, &b, 1), -1);
	assert_int_equal(guest_mem_size(&m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_size),
		cmocka_unit_test(test_add_refused),
		cmocka_unit_test(test_ptr_edges),
		cmocka_unit_test(test_ptr_len_zero),
		cmocka_unit_test(test_ptr_hole_and_span),
		cmocka_unit_test(test_ptr_wraparound),
		cmocka_unit_test(test_read_write_copy),
		cmocka_unit_test(test_empty_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
