/* MC146818 CMOS real-time clock at ports 0x70/0x71 (IRQ 8): Linux's
 * rtc_cmos reads the wall clock from it, and without one its probe waits
 * ten seconds for the update-in-progress bit to clear. */
#ifndef SKIFF_HW_RTC_H
#define SKIFF_HW_RTC_H

#include <stdint.h>
#include <time.h>

#include "hw/bus.h"

struct rtc;

struct rtc *rtc_create(struct bus *pio);
void rtc_destroy(struct rtc *r);
void rtc_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write);
/* Tests: use this clock instead of time(NULL). */
void rtc_set_clock(struct rtc *r, time_t (*now)(void));

#endif
