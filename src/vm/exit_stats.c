#include "vm/exit_stats.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/log.h"

#define EXIT_STATS_SLOTS 512

struct exit_stats_slot {
	uint64_t key;              /* addr << 4 | 8 | kind << 1 | is_write; 0 = empty */
	uint64_t n;
};

bool exit_stats_on;
static struct exit_stats_slot exit_stats[EXIT_STATS_SLOTS];
static uint64_t exit_stats_other;

void exit_stats_init(void)
{
	const char *e = getenv("SKIFF_EXIT_STATS");
	exit_stats_on = e && *e && *e != '0';
}

void exit_stats_count(enum exit_stats_kind kind, uint64_t addr, bool is_write)
{
	uint64_t key = (addr << 4) | 8 | ((uint64_t)kind << 1) | is_write;
	unsigned h = (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 55) % EXIT_STATS_SLOTS;

	for (unsigned i = 0; i < EXIT_STATS_SLOTS; i++) {
		struct exit_stats_slot *s = &exit_stats[(h + i) % EXIT_STATS_SLOTS];
		if (s->key == key || s->key == 0) {
			s->key = key;
			s->n++;
			return;
		}
	}
	exit_stats_other++;
}

static int exit_stats_cmp(const void *a, const void *b)
{
	const struct exit_stats_slot *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

void exit_stats_dump(void)
{
	static const char *const kind[] = { "pio", "mmio", "coalesced" };
	uint64_t total = exit_stats_other;

	if (!exit_stats_on)
		return;
	qsort(exit_stats, EXIT_STATS_SLOTS, sizeof(exit_stats[0]), exit_stats_cmp);
	for (unsigned i = 0; i < EXIT_STATS_SLOTS; i++)
		total += exit_stats[i].n;
	fprintf(stderr, "skiff: exit stats: %llu exits handled by the VMM\n", (unsigned long long)total);
	for (unsigned i = 0; i < EXIT_STATS_SLOTS && i < 24 && exit_stats[i].n; i++) {
		uint64_t k = exit_stats[i].key;
		fprintf(stderr, "skiff: exit stats: %10llu %-9s %-5s 0x%llx\n",
			(unsigned long long)exit_stats[i].n, kind[((k >> 1) & 3) % 3],
			(k & 1) ? "write" : "read", (unsigned long long)(k >> 4));
	}
}
