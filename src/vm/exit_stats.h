/* SKIFF_EXIT_STATS=1: count the vCPU exits that reach the VMM, per port / MMIO address and
 * direction, and print the busiest at exit. A profiling aid for the data path (issue 6:
 * "measure first"); off by default, one branch per exit when off. */
#ifndef SKIFF_VM_EXIT_STATS_H
#define SKIFF_VM_EXIT_STATS_H

#include <stdbool.h>
#include <stdint.h>

enum exit_stats_kind { EXIT_STATS_PIO, EXIT_STATS_MMIO, EXIT_STATS_COALESCED };

extern bool exit_stats_on;
void exit_stats_init(void);
/* Under the big lock. */
void exit_stats_count(enum exit_stats_kind kind, uint64_t addr, bool is_write);
void exit_stats_dump(void);

#endif
