/* Internet checksum and Ethernet FCS. The NICs run these over every byte of every frame
 * (e1000 RX checksum offload and FCS, TX checksum offload, TSO), so they work on 8 bytes at a
 * time: a ones-complement sum is byte-order independent (RFC 1071 2(B)), so sum native 64-bit
 * words with their carries, fold, and swap once. The FCS is ISA-L's reflected CRC-32
 * (crc32_gzip_refl: IEEE 802.3's polynomial, reflection and final complement), which folds 64
 * bytes at a time with carry-less multiplies: about 0.2 instructions per byte against zlib's
 * 4 (make bench-insn); zlib's stays for comparisons (eth_fcs_zlib). */
#include "net/checksum.h"

#include <string.h>
#include <isa-l/crc.h>
#include <zlib.h>

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

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	/* 64-bit words, counting the carries out of bit 63 apart (an add and an add-with-carry
	 * per 8 bytes), four words per round; the carries go back in at the end (end-around
	 * carry). bench/insn.sh: 1.15 -> ~0.4 instructions per byte. */
	uint64_t a = 0, c = 0, x0, x1, x2, x3;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		memcpy(&x0, p + i, 8);
		memcpy(&x1, p + i + 8, 8);
		memcpy(&x2, p + i + 16, 8);
		memcpy(&x3, p + i + 24, 8);
		a += x0;
		c += a < x0;
		a += x1;
		c += a < x1;
		a += x2;
		c += a < x2;
		a += x3;
		c += a < x3;
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&x0, p + i, 8);
		a += x0;
		c += a < x0;
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
	return len ? crc32_gzip_refl(0, p, len) : 0;
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
