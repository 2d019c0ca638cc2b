/* vm/acpi.c: the table set (ACPI 6.4: RSDP 5.2.5.3, XSDT 5.2.8, FADT 5.2.9,
 * MADT 5.2.12, DSDT 5.2.11.1) checked byte by byte at the spec's offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/acpi.h"
#include "vm/layout.h"

#define BUF_SIZE (LAYOUT_ACPI_END - LAYOUT_ACPI_START)
#define GPA LAYOUT_ACPI_START

static uint8_t buf[BUF_SIZE];

static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t r32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t r64(const uint8_t *p) { return r32(p) | (uint64_t)r32(p + 4) << 32; }

/* Guest address -> pointer into buf, asserting it lies inside. */
static const uint8_t *at(uint64_t gpa, size_t len)
{
	assert_true(gpa >= GPA);
	assert_true(gpa - GPA + len <= BUF_SIZE);
	return buf + (gpa - GPA);
}

/* A table with a valid header: signature, length, checksum. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *h = at(gpa, 36);
	uint32_t len = r32(h + 4);

	assert_memory_equal(h, sig, 4);
	assert_true(len >= 36);
	at(gpa, len);
	assert_int_equal(acpi_checksum(h, len), 0);
	assert_memory_equal(h + 10, "SKIFF ", 6);      /* OEM ID */
	return h;
}

static const uint8_t *build(unsigned cpus)
{
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, cpus, true), GPA);
	return buf;
}

static const uint8_t *xsdt_entry(const uint8_t *rsdp, unsigned i, const char *sig)
{
	const uint8_t *x = table(r64(rsdp + 24), "XSDT");
	assert_true(36 + 8 * (i + 1) <= r32(x + 4));
	return table(r64(x + 36 + 8 * i), sig);
}

static void test_checksum_helper(void **state)
{
	uint8_t b[4] = { 1, 2, 3, 0xfa };
	assert_int_equal(acpi_checksum(b, 4), 0);
	assert_int_equal(acpi_checksum(b, 3), 6);
	assert_int_equal(acpi_checksum(b, 0), 0);
}

static void test_rsdp(void **state)
{
	const uint8_t *rsdp = build(1);

	/* RSDP first, at the start of the area Linux scans (16-byte aligned). */
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(rsdp, 20), 0);         /* ACPI 1.0 part */
	assert_int_equal(rsdp[15], 2);                        /* revision: 2.0+ */
	assert_int_equal(r32(rsdp + 20), 36);                 /* length */
	assert_int_equal(acpi_checksum(rsdp, 36), 0);         /* extended checksum */
	assert_memory_equal(rsdp + 9, "SKIFF ", 6);
	assert_int_equal(r32(rsdp + 16), 0);                  /* no RSDT */
	uint64_t xsdt = r64(rsdp + 24);
	assert_true(xsdt > GPA && xsdt < GPA + BUF_SIZE);
	assert_int_equal(xsdt % 16, 0);
}

static void test_xsdt(void **state)
{
	const uint8_t *rsdp = build(2);
	const uint8_t *x = table(r64(rsdp + 24), "XSDT");

	assert_int_equal(r32(x + 4), 36 + 2 * 8);
	assert_int_equal(x[8], 1);                            /* revision */
	/* Entries point at FACP and APIC inside the buffer. */
	table(r64(x + 36), "FACP");
	table(r64(x + 44), "APIC");
	assert_memory_equal(x + 16, "SKIFFVM ", 8);           /* OEM table id */
}

static void test_fadt(void **state)
{
	const uint8_t *rsdp = build(1);
	const uint8_t *f = xsdt_entry(rsdp, 0, "FACP");

	assert_int_equal(r32(f + 4), 276);                    /* revision 6 length */
	assert_int_equal(f[8], 6);
	assert_int_equal(f[131], 4);                          /* FADT minor version */
	/* Flags (offset 112): HW_REDUCED_ACPI (bit 20), RESET_REG_SUP (10),
	 * PWR_BUTTON (4), SLP_BUTTON (5), WBINVD (0). */
	uint32_t flags = r32(f + 112);
	assert_true(flags & (1u << 20));
	assert_true(flags & (1u << 10));
	assert_int_equal(flags, (1u << 20) | (1u << 10) | (1u << 5) | (1u << 4) | 1u);
	/* IAPC_BOOT_ARCH (offset 109): 8042 present, no VGA. */
	assert_int_equal(r16(f + 109), 0x6);
	/* No legacy PM blocks in hardware-reduced mode. */
	assert_int_equal(r16(f + 46), 0);                     /* SCI_INT */
	assert_int_equal(r32(f + 48), 0);                     /* SMI_CMD */
	assert_int_equal(r32(f + 64), 0);                     /* PM1a_CNT_BLK */

	/* RESET_REG (offset 116, GAS): system I/O, 8 bits, byte access, port. */
	assert_int_equal(f[116], 1);
	assert_int_equal(f[117], 8);
	assert_int_equal(f[118], 0);
	assert_int_equal(f[119], 1);
	assert_int_equal(r64(f + 120), PORT_ACPI_RESET);
	assert_int_equal(f[128], ACPI_RESET_VALUE);           /* RESET_VALUE */

	/* SLEEP_CONTROL_REG (244) and SLEEP_STATUS_REG (256). */
	assert_int_equal(f[244], 1);
	assert_int_equal(f[245], 8);
	assert_int_equal(f[247], 1);
	assert_int_equal(r64(f + 248), PORT_ACPI_SLEEP_CTL);
	assert_int_equal(f[256], 1);
	assert_int_equal(f[257], 8);
	assert_int_equal(r64(f + 260), PORT_ACPI_SLEEP_STS);
	/* Hypervisor vendor identity (268). */
	assert_memory_equal(f + 268, "SKIFF\0\0\0", 8);

	/* DSDT (offset 40) and X_DSDT (offset 140) agree and point at a DSDT. */
	uint64_t dsdt = r64(f + 140);
	assert_int_equal(r32(f + 40), dsdt);
	const uint8_t *d = table(dsdt, "DSDT");
	assert_true(r32(d + 4) > 36);                         /* has AML in it */
	assert_int_equal(d[8], 2);                            /* revision 2: 64-bit integers */
	assert_int_equal(r32(f + 36), 0);                     /* no FACS */
	assert_int_equal(r64(f + 132), 0);
}

static void check_madt(unsigned cpus)
{
	const uint8_t *rsdp = build(cpus);
	const uint8_t *m = xsdt_entry(rsdp, 1, "APIC");
	uint32_t len;
	const uint8_t *p, *end;
	unsigned lapics = 0, ioapics = 0, nmis = 0;

	len = r32(m + 4);
	assert_int_equal(len, 44 + 8 * cpus + 12 + 6);
	assert_int_equal(m[8], 4);                            /* MADT revision */
	assert_int_equal(r32(m + 36), LAYOUT_LAPIC);          /* local APIC address */
	assert_int_equal(r32(m + 40), 0);                     /* no PCAT_COMPAT */

	for (p = m + 44, end = m + len; p < end; p += p[1]) {
		assert_true(p[1] >= 2);
		assert_true(p + p[1] <= end);
		switch (p[0]) {
		case 0:   /* Processor Local APIC */
			assert_int_equal(p[1], 8);
			assert_int_equal(p[2], lapics);       /* ACPI processor UID */
			assert_int_equal(p[3], lapics);       /* APIC id */
			assert_int_equal(r32(p + 4), 1);      /* enabled */
			lapics++;
			break;
		case 1:   /* I/O APIC */
			assert_int_equal(p[1], 12);
			assert_int_equal(r32(p + 4), LAYOUT_IOAPIC);
			assert_int_equal(r32(p + 8), 0);      /* GSI base */
			/* The IOAPIC id must not collide with a CPU's APIC id. */
			assert_true(p[2] >= cpus);
			ioapics++;
			break;
		case 4:   /* Local APIC NMI */
			assert_int_equal(p[1], 6);
			assert_int_equal(p[2], 0xff);         /* all processors */
			assert_int_equal(p[5], 1);            /* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, cpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
}

static void test_madt_1(void **state) { check_madt(1); }
static void test_madt_4(void **state) { check_madt(4); }
static void test_madt_255(void **state) { check_madt(255); }

static void test_all_tables_inside_and_aligned(void **state)
{
	const uint8_t *rsdp = build(8);
	uint64_t xsdt = r64(rsdp + 24);
	const uint8_t *x = table(xsdt, "XSDT");
	uint64_t fadt = r64(x + 36), madt = r64(x + 44);
	uint64_t dsdt = r64(at(fadt, 276) + 140);

	/* All 16-byte aligned, non-overlapping, and after the RSDP. */
	uint64_t addr[] = { GPA, xsdt, fadt, dsdt, madt };
	uint32_t lens[] = { 36, r32(x + 4), 276, r32(at(dsdt, 36) + 4), r32(at(madt, 36) + 4) };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(addr[i] % 16, 0);
		at(addr[i], lens[i]);
		for (unsigned j = 0; j < 5; j++)
			if (i != j)
				assert_true(addr[i] + lens[i] <= addr[j] || addr[j] + lens[j] <= addr[i]);
	}
}

/* The DSDT's PCI interrupt links (_PRS and _CRS of LNK0..7): Extended Interrupt descriptors
 * with flags `flags` for GSIs 16..23, counted. */
static unsigned count_link_irqs(const uint8_t *dsdt, uint8_t flags)
{
	unsigned n = 0;
	for (uint32_t i = 36; i + 9 <= r32(dsdt + 4); i++) {
		const uint8_t *d = dsdt + i;
		if (d[0] == 0x89 && d[1] == 6 && d[2] == 0 && d[3] == flags && d[4] == 1 &&
		    d[5] >= 16 && d[5] <= 23 && !d[6] && !d[7] && !d[8])
			n++;
	}
	return n;
}

static void test_dsdt_pci_links(void **state)
{
	/* Edge (the default): consumer, edge-triggered, active high, exclusive. */
	const uint8_t *dsdt = table(r64(xsdt_entry(build(1), 0, "FACP") + 140), "DSDT");
	assert_int_equal(count_link_irqs(dsdt, 0x03), 16);
	assert_int_equal(count_link_irqs(dsdt, 0x0D), 0);
	/* Level (SKIFF_PCI_EDGE=off): level-triggered, active low, shared; checksum redone. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, 1, false), GPA);
	dsdt = table(r64(xsdt_entry(buf, 0, "FACP") + 140), "DSDT");
	assert_int_equal(count_link_irqs(dsdt, 0x0D), 16);
	assert_int_equal(count_link_irqs(dsdt, 0x03), 0);
}

static void test_other_gpa(void **state)
{
	/* The tables hold guest addresses relative to the gpa given. */
	static uint8_t b2[8192];
	uint64_t g = 0x12340000;

	assert_int_equal(acpi_build(b2, sizeof(b2), g, 2, true), g);
	uint64_t xsdt = r64(b2 + 24);
	assert_true(xsdt >= g && xsdt < g + sizeof(b2));
	const uint8_t *x = b2 + (xsdt - g);
	assert_memory_equal(x, "XSDT", 4);
	uint64_t fadt = r64(x + 36);
	assert_memory_equal(b2 + (fadt - g), "FACP", 4);
}

static void test_too_small(void **state)
{
	static uint8_t small[8192];
	size_t need = 0;

	/* Nothing fits in 0..35 bytes; find the smallest size that works. */
	assert_int_equal(acpi_build(small, 0, GPA, 1, true), 0);
	assert_int_equal(acpi_build(small, 36, GPA, 1, true), 0);
	assert_int_equal(acpi_build(small, 400, GPA, 1, true), 0);
	for (size_t s = 400; s <= sizeof(small); s++) {
		if (acpi_build(small, s, GPA, 1, true)) {
			need = s;
			break;
		}
	}
	assert_true(need > 0);
	assert_int_equal(acpi_build(small, need - 1, GPA, 1, true), 0);
	/* More CPUs need more room. */
	assert_int_equal(acpi_build(small, need, GPA, 2, true), 0);
	assert_int_equal(acpi_build(small, need + 16, GPA, 2, true), GPA);
	/* At most 255 CPUs (8-bit xAPIC ids in the MADT). */
	assert_int_equal(acpi_build(buf, sizeof(buf), GPA, 256, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_helper),
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_xsdt),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_dsdt_pci_links),
		cmocka_unit_test(test_madt_1),
		cmocka_unit_test(test_madt_4),
		cmocka_unit_test(test_madt_255),
		cmocka_unit_test(test_all_tables_inside_and_aligned),
		cmocka_unit_test(test_other_gpa),
		cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
