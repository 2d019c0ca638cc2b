/* Internet checksum (RFC 1071) and Ethernet FCS helpers shared by the NIC models.
 *
 * csum_add() returns a partial sum in big-endian (network) order, not yet folded, so sums of
 * several pieces chain: csum_add(csum_add(0, a, 8), b, n) as long as every piece but the last
 * has an even length (the pseudo-header, then the L4 bytes). csum_fold() folds to 16 bits. */
#ifndef SKIFF_NET_CHECKSUM_H
#define SKIFF_NET_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t csum_fold(uint32_t sum);
/* Complete a partial checksum (virtio-net NEEDS_CSUM): the field at start+offset already holds
 * the pseudo-header sum; sum [start, len) and store the complement there. Bounds-checked;
 * a zero result is stored as 0xFFFF (same value in ones complement; UDP needs it). */
void csum_complete(uint8_t *f, size_t len, size_t start, size_t offset);
/* IEEE 802.3 frame check sequence over p[0..len) (the CRC-32 that follows the frame, LE). */
uint32_t eth_fcs(const uint8_t *p, size_t len);
/* The same with zlib's table-driven CRC-32 (SKIFF_RX_CSUM_FAST=off compares). */
uint32_t eth_fcs_zlib(const uint8_t *p, size_t len);

/* Which implementation of each runs (checksum.c: chosen by the CPU at the first use, or by
 * SKIFF_FCS / SKIFF_CSUM). checksum_select() chooses now; the others choose first too. */
void checksum_select(void);
/* The rule: the implementations for a CPU with/without PCLMULQDQ, emulated by QEMU's TCG or not. */
void checksum_rule(bool pclmul, bool tcg, const char **fcs, const char **csum);
/* The FCS's implementation ("isal", "zlib") when fcs, else the Internet checksum's ("adc", "c"). */
const char *checksum_impl_name(bool fcs);
/* Use these implementations from now on (NULL: leave as is); -1 if a name is unknown. */
int checksum_use(const char *fcs, const char *csum);

#endif
