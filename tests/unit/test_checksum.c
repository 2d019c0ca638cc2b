/* Internet checksum and Ethernet FCS (net/checksum.c) against bit-by-bit references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/checksum.h"

/* RFC 1071 straight from the definition: big-endian 16-bit words, odd byte padded. */
static uint32_t ref_csum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint32_t ref_crc(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static void test_csum_matches_reference(void **state)
{
	uint8_t buf[2100];
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	/* every length and alignment a frame can have, folded sums must agree */
	for (size_t off = 0; off < 9; off++) {
		for (size_t len = 0; len + off <= sizeof(buf); len += (len < 80 ? 1 : 37)) {
			uint32_t seed = (uint32_t)rand() & 0xFFFFF;
			assert_int_equal(csum_fold(csum_add(seed, buf + off, len)),
					 csum_fold(ref_csum(seed, buf + off, len)));
		}
	}
	/* all-ones data: the carries of the wide sum must wrap around */
	memset(buf, 0xFF, sizeof(buf));
	assert_int_equal(csum_fold(csum_add(0, buf, 2048)), csum_fold(ref_csum(0, buf, 2048)));
	/* a whole TSO packet of near-all-ones words: many carries out of the 64-bit sum */
	static uint8_t big[65536 + 7];
	memset(big, 0xFF, sizeof(big));
	for (size_t i = 0; i < sizeof(big); i += 61)
		big[i] = (uint8_t)(0xF0 + i % 16);
	for (size_t off = 0; off < 8; off += 3)
		assert_int_equal(csum_fold(csum_add(0xFFFF, big + off, 65536 - off)),
				 csum_fold(ref_csum(0xFFFF, big + off, 65536 - off)));
}

static void test_csum_chains(void **state)
{
	/* pseudo-header then payload, as the RX checksum check does */
	uint8_t ph[8] = { 10, 0, 2, 2, 10, 0, 2, 15 }, pl[61];
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(csum_fold(csum_add(csum_add(0, ph, 8) + 6 + 61, pl, 61)),
			 csum_fold(ref_csum(ref_csum(0, ph, 8) + 6 + 61, pl, 61)));
}

static void test_csum_complete(void **state)
{
	/* a UDP-like frame: the field seeded with 0; the completed sum verifies to 0xFFFF */
	uint8_t f[64];
	for (size_t i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(i * 13);
	f[20] = f[21] = 0;
	csum_complete(f, sizeof(f), 14, 6);
	assert_int_equal(csum_fold(csum_add(0, f + 14, sizeof(f) - 14)), 0xFFFF);

	/* out-of-range start/offset: nothing is written */
	uint8_t g[16] = { 0 }, z[16] = { 0 };
	csum_complete(g, sizeof(g), 16, 0);
	csum_complete(g, sizeof(g), 10, 5);
	csum_complete(g, sizeof(g), 0, SIZE_MAX);
	csum_complete(g, sizeof(g), SIZE_MAX, 2);
	assert_memory_equal(g, z, sizeof(g));
	/* zero result is sent as 0xFFFF */
	uint8_t h[4] = { 0xFF, 0xFF, 0, 0 };
	csum_complete(h, sizeof(h), 0, 2);
	assert_int_equal(h[2] << 8 | h[3], 0xFFFF);
}

static void test_fcs(void **state)
{
	/* the CRC-32 check value (IEEE 802.3 / zlib) */
	assert_int_equal(eth_fcs((const uint8_t *)"123456789", 9), 0xCBF43926u);
	assert_int_equal(eth_fcs(NULL, 0), 0);
	uint8_t f[1514];
	for (size_t i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(i ^ (i >> 3));
	assert_int_equal(eth_fcs(f, sizeof(f)), ref_crc(f, sizeof(f)));
	assert_int_equal(eth_fcs(f, 60), ref_crc(f, 60));
	/* ISA-L folds 64-byte blocks and finishes the rest apart: every length up to a few
	 * blocks, at every alignment of the start, and both implementations agree */
	for (size_t start = 0; start < 16; start++)
		for (size_t len = 0; len + start <= 300; len++) {
			uint32_t want = ref_crc(f + start, len);
			assert_int_equal(eth_fcs(f + start, len), want);
			assert_int_equal(eth_fcs_zlib(f + start, len), want);
		}
	assert_int_equal(eth_fcs_zlib(f, sizeof(f)), ref_crc(f, sizeof(f)));
}

/* The choice between implementations (checksum.c: a CPU rule, applied at the first use). */
static void test_select(void **state)
{
	(void)state;
	const char *f = checksum_impl_name(true), *c = checksum_impl_name(false);
	assert_true(!strcmp(f, "isal") || !strcmp(f, "zlib"));
	assert_true(!strcmp(c, "adc") || !strcmp(c, "c"));
	/* an unknown name changes nothing */
	assert_int_equal(checksum_use("crc32c", NULL), -1);
	assert_int_equal(checksum_use(NULL, "sse"), -1);
	assert_string_equal(checksum_impl_name(true), f);
	assert_string_equal(checksum_impl_name(false), c);
	/* one of them at a time */
	assert_int_equal(checksum_use("zlib", NULL), 0);
	assert_string_equal(checksum_impl_name(true), "zlib");
	assert_string_equal(checksum_impl_name(false), c);
	assert_int_equal(checksum_use(NULL, "c"), 0);
	assert_string_equal(checksum_impl_name(false), "c");
	assert_int_equal(checksum_use("isal", NULL), 0);
	assert_string_equal(checksum_impl_name(true), "isal");
}

/* The rule (checksum.c): ISA-L's CRC only with hardware carry-less multiplies, which QEMU's TCG
 * emulates (1.7x slower tap transfers in the lab); the add-with-carry chain except under TCG. */
static void test_rule(void **state)
{
	(void)state;
	const char *f, *c;
	checksum_rule(true, false, &f, &c);
	assert_string_equal(f, "isal");
	checksum_rule(false, false, &f, &c);
	assert_string_equal(f, "zlib");
	checksum_rule(true, true, &f, &c);
	assert_string_equal(f, "zlib");
	assert_string_equal(c, "c");
#if defined(__x86_64__)
	checksum_rule(true, false, &f, &c);
	assert_string_equal(c, "adc");
#endif
}

/* Each test below runs once per implementation pair: {FCS, checksum}. */
static const char *const impls_fast_hw[] = { "isal", "adc" };
static const char *const impls_emulated[] = { "zlib", "c" };

static int use_impls(void **state)
{
	const char *const *n = *state;
	if (checksum_use(n[0], NULL) || checksum_use(NULL, n[1]))
		return -1;
	return 0;
}

#if defined(__x86_64__)
#define PER_IMPLS(t) \
	cmocka_unit_test_prestate_setup_teardown(t, use_impls, NULL, (void *)impls_fast_hw), \
	cmocka_unit_test_prestate_setup_teardown(t, use_impls, NULL, (void *)impls_emulated)
#else
#define PER_IMPLS(t) \
	cmocka_unit_test_prestate_setup_teardown(t, use_impls, NULL, (void *)impls_emulated)
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_rule),
		PER_IMPLS(test_csum_matches_reference),
		PER_IMPLS(test_csum_chains),
		PER_IMPLS(test_csum_complete),
		PER_IMPLS(test_fcs),
	};
	return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
