/* Register numbers and bits from the Motorola MC146818A datasheet. The
 * clock is the host's UTC plus whatever offset the guest sets. */
#include "hw/rtc.h"

#include <stdlib.h>
#include <string.h>

#define PORT_RTC_INDEX 0x70

#define REG_SEC     0x00
#define REG_SEC_ALARM 0x01
#define REG_MIN     0x02
#define REG_MIN_ALARM 0x03
#define REG_HOUR    0x04
#define REG_HOUR_ALARM 0x05
#define REG_WDAY    0x06
#define REG_MDAY    0x07
#define REG_MON     0x08
#define REG_YEAR    0x09
#define REG_A       0x0a
#define REG_B       0x0b
#define REG_C       0x0c
#define REG_D       0x0d
#define REG_CENTURY 0x32   /* the IBM PC convention, also in the ACPI FADT */

#define A_UIP       0x80
#define B_SET       0x80
#define B_DM_BINARY 0x04
#define B_24H       0x02
#define D_VRT       0x80   /* valid RAM and time */

struct rtc {
	struct bus *pio;
	uint8_t index;
	uint8_t ram[128];
	int64_t offset;          /* guest time - host time, seconds */
	time_t (*now)(void);
};

static time_t rtc_host_now(void)
{
	return time(NULL);
}

void rtc_set_clock(struct rtc *r, time_t (*now)(void))
{
	r->now = now;
}

/* Registers hold 0..99 (BCD) or a byte (binary). The guest can set any date,
 * so a year before 1900 makes tm_year negative: wrap into range first. */
static uint8_t rtc_to_reg(const struct rtc *r, int v)
{
	unsigned u = (unsigned)(((v % 100) + 100) % 100);

	if (r->ram[REG_B] & B_DM_BINARY)
		return (uint8_t)u;
	return (uint8_t)(((u / 10) << 4) | (u % 10));
}

static int rtc_from_reg(const struct rtc *r, uint8_t v)
{
	if (r->ram[REG_B] & B_DM_BINARY)
		return v;
	return ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

static void rtc_fill_time(struct rtc *r)
{
	time_t t = r->now() + (time_t)r->offset;
	struct tm tm;
	int hour;

	gmtime_r(&t, &tm);
	r->ram[REG_SEC] = rtc_to_reg(r, tm.tm_sec);
	r->ram[REG_MIN] = rtc_to_reg(r, tm.tm_min);
	hour = tm.tm_hour;
	if (r->ram[REG_B] & B_24H) {
		r->ram[REG_HOUR] = rtc_to_reg(r, hour);
	} else {
		/* 12-hour mode: 1..12, bit 7 = PM. */
		int h12 = hour % 12 ? hour % 12 : 12;
		r->ram[REG_HOUR] = (uint8_t)(rtc_to_reg(r, h12) | (hour >= 12 ? 0x80 : 0));
	}
	r->ram[REG_WDAY] = rtc_to_reg(r, tm.tm_wday + 1);
	r->ram[REG_MDAY] = rtc_to_reg(r, tm.tm_mday);
	r->ram[REG_MON] = rtc_to_reg(r, tm.tm_mon + 1);
	r->ram[REG_YEAR] = rtc_to_reg(r, tm.tm_year % 100);
	r->ram[REG_CENTURY] = rtc_to_reg(r, (tm.tm_year + 1900) / 100);
}

/* The guest finished setting the clock (SET cleared): remember the offset. */
static void rtc_latch_time(struct rtc *r)
{
	struct tm tm;
	int hour;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = rtc_from_reg(r, r->ram[REG_SEC]);
	tm.tm_min = rtc_from_reg(r, r->ram[REG_MIN]);
	if (r->ram[REG_B] & B_24H) {
		hour = rtc_from_reg(r, r->ram[REG_HOUR]);
	} else {
		hour = rtc_from_reg(r, r->ram[REG_HOUR] & 0x7f) % 12;
		if (r->ram[REG_HOUR] & 0x80)
			hour += 12;
	}
	tm.tm_hour = hour;
	tm.tm_mday = rtc_from_reg(r, r->ram[REG_MDAY]);
	tm.tm_mon = rtc_from_reg(r, r->ram[REG_MON]) - 1;
	tm.tm_year = rtc_from_reg(r, r->ram[REG_CENTURY]) * 100 +
		     rtc_from_reg(r, r->ram[REG_YEAR]) - 1900;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return;   /* nonsense: keep the old offset */
	r->offset = (int64_t)timegm(&tm) - (int64_t)r->now();
}

void rtc_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct rtc *r = opaque;
	uint8_t reg;

	if (off == 0) {
		if (is_write)
			r->index = data[0] & 0x7f;   /* bit 7: NMI mask, not emulated */
		else
			data[0] = 0xff;
		return;
	}
	reg = r->index;
	if (is_write) {
		switch (reg) {
		case REG_A:
			r->ram[REG_A] = data[0] & ~A_UIP;
			break;
		case REG_B: {
			bool was_set = r->ram[REG_B] & B_SET;
			if (!was_set)
				rtc_fill_time(r);
			r->ram[REG_B] = data[0];
			if (was_set && !(data[0] & B_SET))
				rtc_latch_time(r);
			break;
		}
		case REG_C:
		case REG_D:
			break;   /* read-only */
		default:
			/* Keep the other fields current: the write changes one field of now. */
			if (reg <= REG_YEAR && !(r->ram[REG_B] & B_SET))
				rtc_fill_time(r);
			r->ram[reg] = data[0];
			if (reg <= REG_YEAR && !(r->ram[REG_B] & B_SET) && reg != REG_SEC_ALARM &&
			    reg != REG_MIN_ALARM && reg != REG_HOUR_ALARM)
				rtc_latch_time(r);
			break;
		}
		return;
	}
	switch (reg) {
	case REG_A:
		data[0] = r->ram[REG_A];   /* UIP never set: updates are instantaneous */
		break;
	case REG_C:
		data[0] = r->ram[REG_C];
		r->ram[REG_C] = 0;         /* read-to-clear interrupt flags */
		break;
	case REG_D:
		data[0] = D_VRT;
		break;
	default:
		if (reg <= REG_YEAR || reg == REG_CENTURY) {
			if (!(r->ram[REG_B] & B_SET))
				rtc_fill_time(r);
		}
		data[0] = r->ram[reg];
		break;
	}
}

struct rtc *rtc_create(struct bus *pio)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->pio = pio;
	r->now = rtc_host_now;
	r->ram[REG_A] = 0x26;          /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->ram[REG_B] = B_24H;         /* BCD, 24-hour, no interrupts */
	r->ram[REG_D] = D_VRT;
	if (pio && bus_register(pio, PORT_RTC_INDEX, 2, rtc_io, r, "rtc") < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	if (r->pio)
		bus_unregister(r->pio, PORT_RTC_INDEX, r);
	free(r);
}
