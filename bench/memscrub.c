/* bench/memscrub MIB [PASSES]: fault in MIB of anonymous memory the way both VMMs map guest RAM
 * (2 MiB aligned, MADV_HUGEPAGE, one write per 4 KiB), then give it back. A lab tool for the
 * bench's boots (tests/lab/scenarios/lib.sh lab_scrub): in the nested lab the lab host clears
 * the memory the previous guest freed 4-5x slower the first time it is reused (likely QEMU's
 * software CPU dropping what it translated of code there; bench/README.md sessions 17 and 19),
 * and the next VMM's guest RAM gets exactly those pages, freed a moment before. Run before a boot, outside
 * its timing, this takes them first and hands them back cleared, for either VMM alike. Prints
 * "memscrub: N MiB in S s" on stderr per pass; PASSES (default 1) > 1 repeats the whole map,
 * touch, unmap (a later pass gets the pages the one before cleared: what they cost then). Not
 * part of skiff. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define HUGE_2M (2u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass: map, touch every 4 KiB, unmap. */
static int scrub(unsigned long mib)
{
	size_t len = (size_t)mib << 20;
	size_t map_len = len + HUGE_2M;   /* room to start on a 2 MiB boundary, as guest RAM does */
	uint8_t *map, *p;
	double t0 = now_s();

	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (map == MAP_FAILED) {
		perror("memscrub: mmap");
		return 1;
	}
	p = (uint8_t *)(((uintptr_t)map + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	if (madvise(p, len, MADV_HUGEPAGE))
		perror("memscrub: madvise(MADV_HUGEPAGE)");   /* 4 KiB pages then: still scrubs */
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	munmap(map, map_len);
	fprintf(stderr, "memscrub: %lu MiB in %.2f s\n", mib, now_s() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	char *end = NULL, *end2 = NULL;
	unsigned long mib = argc >= 2 ? strtoul(argv[1], &end, 10) : 0;
	unsigned long passes = argc == 3 ? strtoul(argv[2], &end2, 10) : 1;

	if (argc < 2 || argc > 3 || *end || (end2 && *end2) || mib == 0 || mib > (1ul << 20) ||
	    passes == 0 || passes > 16) {
		fprintf(stderr, "usage: memscrub MIB [PASSES] (MIB 1..%lu, PASSES 1..16)\n", 1ul << 20);
		return 2;
	}
	for (unsigned long i = 0; i < passes; i++)
		if (scrub(mib))
			return 1;
	return 0;
}
