/* Internet checksum and Ethernet FCS. The NICs run these over every byte of every frame
 * (e1000 RX checksum offload and FCS, TX checksum offload, TSO), so they work on 8 bytes at a
 * time: a ones-complement sum is byte-order independent (RFC 1071 2(B)), so sum native 64-bit
 * words with their carries, fold, and swap once.
 *
 * Each has two implementations, and which one is faster depends on the CPU, not on the
 * instruction count:
 * - FCS: ISA-L's reflected CRC-32 (crc32_gzip_refl: IEEE 802.3's polynomial, reflection and
 *   final complement) folds 64 bytes at a time with carry-less multiplies, ~0.08 us per
 *   1514-byte frame on hardware against zlib's tables' ~1 us (and ISA-L's own tables' ~5, which
 *   it falls back to without PCLMULQDQ). Under QEMU's TCG (the nested lab's host CPU) the
 *   carry-less multiplies are emulated: in the lab's tap host->guest transfers ISA-L took 27-31%
 *   of all of skiff's CPU samples against 8-9% for zlib, and the transfers ran 1.7x faster
 *   with zlib's (bench/README.md, session 13). A timing at start-up said the opposite there (a
 *   tight loop over one buffer: 5.8 against 8.2 us), so the choice is a rule, not a timing.
 * - Internet checksum: one add-with-carry chain (x86-64) is ~20% faster on hardware than a
 *   loop that counts carries apart; under TCG, which computes each carry from the previous
 *   operation, it is ~40% slower (qemu-x86_64 -cpu max).
 * So: ISA-L with PCLMULQDQ unless the CPU is TCG's, else zlib; the chain unless TCG's.
 * SKIFF_FCS=isal|zlib and SKIFF_CSUM=adc|c choose instead (comparisons, bench/insn.sh);
 * SKIFF_DEBUG=1 prints the choice. */
#include "net/checksum.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <isa-l/crc.h>
#include <zlib.h>

#include "util/log.h"

/* AddressSanitizer builds (gcc says __SANITIZE_ADDRESS__, clang __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define CHECKSUM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHECKSUM_ASAN 1
#endif
#endif
#ifndef CHECKSUM_ASAN
#define CHECKSUM_ASAN 0
#endif

static inline uint16_t csum_native_to_be(uint64_t acc)
{
	acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	acc = (acc & 0xFFFF) + (acc >> 16);
	acc = (acc & 0xFFFF) + (acc >> 16);
	acc = (acc & 0xFFFF) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16((uint16_t)acc);
#else
	return (uint16_t)acc;
#endif
}

static inline uint64_t csum_ld64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* The bulk of a checksum: a native-order ones-complement partial sum (carries folded back
 * in) of p[0 .. *done), whole rounds of 32 or 64 bytes; csum_add() sums the rest. */
typedef uint64_t csum_wide_fn(const uint8_t *p, size_t len, size_t *done);

/* 64-bit words, the carries out of bit 63 counted apart (an add and an add-with-carry per 8
 * bytes, four words a round) and added back at the end (end-around carry). */
static uint64_t csum_wide_c(const uint8_t *p, size_t len, size_t *done)
{
	uint64_t a = 0, c = 0, x0, x1, x2, x3;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		x0 = csum_ld64(p + i);
		x1 = csum_ld64(p + i + 8);
		x2 = csum_ld64(p + i + 16);
		x3 = csum_ld64(p + i + 24);
		a += x0;
		c += a < x0;
		a += x1;
		c += a < x1;
		a += x2;
		c += a < x2;
		a += x3;
		c += a < x3;
	}
	a += c;
	a += a < c;
	*done = i;
	return a;
}

#if defined(__x86_64__)
/* One add-with-carry chain, 64 bytes a round, the round's last carry added back at once:
 * one instruction per word (make bench-insn: a 1514-byte RX frame 2846 -> 2619 instructions
 * for the whole e1000 path). ASan does not see into the asm's loads: sanitizer builds use
 * the C loop unless told otherwise (tests name each implementation). */
static uint64_t csum_wide_adc(const uint8_t *p, size_t len, size_t *done)
{
	uint64_t a = 0;
	size_t i = 0;

	for (; i + 64 <= len; i += 64)
		__asm__("addq 0(%[p]), %[a]\n\t"
			"adcq 8(%[p]), %[a]\n\t"
			"adcq 16(%[p]), %[a]\n\t"
			"adcq 24(%[p]), %[a]\n\t"
			"adcq 32(%[p]), %[a]\n\t"
			"adcq 40(%[p]), %[a]\n\t"
			"adcq 48(%[p]), %[a]\n\t"
			"adcq 56(%[p]), %[a]\n\t"
			"adcq $0, %[a]"
			: [a] "+r"(a)
			: [p] "r"(p + i), "m"(*(const uint8_t(*)[64])(p + i))
			: "cc");
	*done = i;
	return a;
}
#endif

static uint32_t fcs_isal(const uint8_t *p, size_t len)
{
	return len ? crc32_gzip_refl(0, p, len) : 0;
}

typedef uint32_t fcs_fn(const uint8_t *p, size_t len);

static const struct fcs_impl {
	const char *name;
	fcs_fn *fn;
} fcs_impls[] = {
	{ "isal", fcs_isal },
	{ "zlib", eth_fcs_zlib },
};

static const struct csum_impl {
	const char *name;
	csum_wide_fn *fn;
} csum_impls[] = {
#if defined(__x86_64__)
	{ "adc", csum_wide_adc },
#endif
	{ "c", csum_wide_c },
};

#define N_FCS_IMPLS  (sizeof(fcs_impls) / sizeof(fcs_impls[0]))
#define N_CSUM_IMPLS (sizeof(csum_impls) / sizeof(csum_impls[0]))

static csum_wide_fn csum_wide_first;
static fcs_fn fcs_first;
static csum_wide_fn *csum_wide_cur = csum_wide_first;
static fcs_fn *fcs_cur = fcs_first;
static pthread_once_t checksum_once = PTHREAD_ONCE_INIT;

static int checksum_set(const char *fcs, const char *csum);
static const char *checksum_cur_name(bool fcs);

/* The CPU this runs on: PCLMULQDQ (CPUID.1:ECX bit 1) and QEMU's TCG (a hypervisor, CPUID.1:ECX
 * bit 31, whose leaf 0x40000000 says "TCGTCGTCGTCG"). */
static void checksum_cpu(bool *pclmul, bool *tcg)
{
	*pclmul = *tcg = false;
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return;
	*pclmul = c & (1u << 1);
	if (c & (1u << 31)) {
		char sig[13] = { 0 };
		__cpuid(0x40000000, a, b, c, d);
		memcpy(sig, &b, 4);
		memcpy(sig + 4, &c, 4);
		memcpy(sig + 8, &d, 4);
		*tcg = !strcmp(sig, "TCGTCGTCGTCG");
	}
#endif
}

void checksum_rule(bool pclmul, bool tcg, const char **fcs, const char **csum)
{
	*fcs = pclmul && !tcg ? "isal" : "zlib";
#if defined(__x86_64__)
	*csum = tcg ? "c" : "adc";
#else
	*csum = "c";
#endif
}

/* The implementation named by the environment variable, else the rule's. */
static const char *checksum_env(const char *var, const char *rule)
{
	const char *want = getenv(var);
	return want && *want && strcmp(want, "auto") ? want : rule;
}

static void checksum_select_once(void)
{
	bool pclmul, tcg;
	const char *fcs, *csum;

	checksum_cpu(&pclmul, &tcg);
	checksum_rule(pclmul, tcg, &fcs, &csum);
#if CHECKSUM_ASAN
	csum = "c";
#endif
	fcs = checksum_env("SKIFF_FCS", fcs);
	csum = checksum_env("SKIFF_CSUM", csum);
	if (checksum_set(fcs, NULL) < 0) {
		warn_report("SKIFF_FCS=%s: no such implementation (isal, zlib); using zlib's", fcs);
		checksum_set("zlib", NULL);
	}
	if (checksum_set(NULL, csum) < 0) {
		warn_report("SKIFF_CSUM=%s: no such implementation (adc, c); using c", csum);
		checksum_set(NULL, "c");
	}
	debug_report("checksum: FCS by %s, Internet checksum by %s (CPU: PCLMULQDQ %s, QEMU TCG %s)",
		     checksum_cur_name(true), checksum_cur_name(false), pclmul ? "yes" : "no",
		     tcg ? "yes" : "no");
}

void checksum_select(void)
{
	pthread_once(&checksum_once, checksum_select_once);
}

static const char *checksum_cur_name(bool fcs)
{
	if (fcs) {
		fcs_fn *fn = __atomic_load_n(&fcs_cur, __ATOMIC_ACQUIRE);
		for (size_t k = 0; k < N_FCS_IMPLS; k++)
			if (fcs_impls[k].fn == fn)
				return fcs_impls[k].name;
	} else {
		csum_wide_fn *fn = __atomic_load_n(&csum_wide_cur, __ATOMIC_ACQUIRE);
		for (size_t k = 0; k < N_CSUM_IMPLS; k++)
			if (csum_impls[k].fn == fn)
				return csum_impls[k].name;
	}
	return "?";
}

const char *checksum_impl_name(bool fcs)
{
	checksum_select();
	return checksum_cur_name(fcs);
}

static int checksum_set(const char *fcs, const char *csum)
{
	size_t f = N_FCS_IMPLS, c = N_CSUM_IMPLS;

	for (size_t k = 0; fcs && k < N_FCS_IMPLS; k++)
		if (!strcmp(fcs, fcs_impls[k].name))
			f = k;
	for (size_t k = 0; csum && k < N_CSUM_IMPLS; k++)
		if (!strcmp(csum, csum_impls[k].name))
			c = k;
	if ((fcs && f == N_FCS_IMPLS) || (csum && c == N_CSUM_IMPLS))
		return -1;
	if (fcs)
		__atomic_store_n(&fcs_cur, fcs_impls[f].fn, __ATOMIC_RELEASE);
	if (csum)
		__atomic_store_n(&csum_wide_cur, csum_impls[c].fn, __ATOMIC_RELEASE);
	return 0;
}

int checksum_use(const char *fcs, const char *csum)
{
	checksum_select();
	return checksum_set(fcs, csum);
}

/* The first call of either selects, then goes on with the choice. */
static uint64_t csum_wide_first(const uint8_t *p, size_t len, size_t *done)
{
	checksum_select();
	return __atomic_load_n(&csum_wide_cur, __ATOMIC_ACQUIRE)(p, len, done);
}

static uint32_t fcs_first(const uint8_t *p, size_t len)
{
	checksum_select();
	return __atomic_load_n(&fcs_cur, __ATOMIC_ACQUIRE)(p, len);
}

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t a = 0, c = 0;
	size_t i = 0;

	if (len >= 64)
		a = __atomic_load_n(&csum_wide_cur, __ATOMIC_RELAXED)(p, len, &i);
	for (; i + 8 <= len; i += 8) {
		uint64_t x = csum_ld64(p + i);
		a += x;
		c += a < x;
	}
	for (; i + 4 <= len; i += 4) {
		uint32_t x;
		memcpy(&x, p + i, 4);
		a += x;
		c += a < x;
	}
	a += c;
	a += a < c;
	sum += csum_native_to_be(a);
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)sum;
}

void csum_complete(uint8_t *f, size_t len, size_t start, size_t offset)
{
	uint16_t v;

	if (start >= len || offset > len - start || len - start - offset < 2)
		return;
	v = (uint16_t)~csum_fold(csum_add(0, f + start, len - start));
	if (v == 0)
		v = 0xFFFF;
	f[start + offset] = (uint8_t)(v >> 8);
	f[start + offset + 1] = (uint8_t)v;
}

uint32_t eth_fcs(const uint8_t *p, size_t len)
{
	return __atomic_load_n(&fcs_cur, __ATOMIC_RELAXED)(p, len);
}

uint32_t eth_fcs_zlib(const uint8_t *p, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);
	/* zlib takes uInt lengths; frames are far below 4 GiB, but stay exact anyway. */
	while (len > 0) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
		c = crc32(c, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)c;
}
