/* ACPI tables, ACPI 6.4 section numbers in comments. */
#include "vm/acpi.h"

#include <string.h>

#include "vm/layout.h"

extern const uint8_t acpi_dsdt_aml[], acpi_dsdt_aml_end[];

#define ACPI_OEM_ID       "SKIFF "
#define ACPI_OEM_TABLE_ID "SKIFFVM "

struct acpi_header {             /* 5.2.6 */
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {               /* 5.2.5.3 */
	char signature[8];
	uint8_t checksum;        /* first 20 bytes */
	char oem_id[6];
	uint8_t revision;        /* 2 = ACPI 2.0+ */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {                /* 5.2.3.2 Generic Address Structure */
	uint8_t space_id;        /* 1 = system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;     /* 1 = byte */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {               /* 5.2.9, revision 6 (276 bytes) */
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 is 276 bytes");

#define FADT_F_WBINVD          (1u << 0)
#define FADT_F_PWR_BUTTON      (1u << 4)   /* no fixed power button */
#define FADT_F_SLP_BUTTON      (1u << 5)   /* no fixed sleep button */
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)
#define FADT_BOOT_ARCH_8042    (1u << 1)   /* 5.2.9.3: an i8042 is present */
#define FADT_BOOT_ARCH_NO_VGA  (1u << 2)

struct madt_lapic {              /* 5.2.12.2, type 0 */
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;          /* bit 0 enabled */
} __attribute__((packed));

struct madt_ioapic {             /* 5.2.12.3, type 1 */
	uint8_t type, length, ioapic_id, reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_lapic_nmi {          /* 5.2.12.7, type 4 */
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (len--)
		sum += *b++;
	return sum;
}

static void acpi_header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "SKIF", 4);
	h->creator_revision = 1;
}

static void acpi_finish(void *table)
{
	struct acpi_header *h = table;
	h->checksum = 0;
	h->checksum = (uint8_t)-acpi_checksum(table, h->length);
}

static struct acpi_gas acpi_io_byte(uint16_t port)
{
	return (struct acpi_gas){ .space_id = 1, .bit_width = 8, .access_size = 1, .address = port };
}

/* Bump allocator inside buf; 16-byte aligned like firmware does. */
struct acpi_alloc {
	uint8_t *buf;
	size_t size, used;
	uint64_t gpa;
};

static void *acpi_take(struct acpi_alloc *a, size_t len, uint64_t *gpa)
{
	size_t off = (a->used + 15) & ~(size_t)15;
	if (off > a->size || len > a->size - off)
		return NULL;
	a->used = off + len;
	*gpa = a->gpa + off;
	memset(a->buf + off, 0, len);
	return a->buf + off;
}

/* The DSDT's PCI interrupt links (dsdt.asl LNK0..7) as iasl encodes them: an Extended
 * Interrupt descriptor (ACPI 6.4 6.4.3.6: tag 0x89, length 6, flags, one GSI, 16..23) with
 * flags consumer | edge (HE), active high, exclusive. For level mode its flags become
 * consumer | level, active low (LL), shared (SHR). */
#define AML_EXT_IRQ_EDGE  0x03
#define AML_EXT_IRQ_LEVEL 0x0D
static void acpi_dsdt_pci_level(uint8_t *dsdt, size_t len)
{
	for (size_t i = sizeof(struct acpi_header); i + 9 <= len; i++) {
		uint8_t *d = dsdt + i;

		if (d[0] == 0x89 && d[1] == 6 && d[2] == 0 && d[3] == AML_EXT_IRQ_EDGE && d[4] == 1 &&
		    d[5] >= 16 && d[5] <= 23 && !d[6] && !d[7] && !d[8])
			d[3] = AML_EXT_IRQ_LEVEL;
	}
	acpi_finish(dsdt);
}

uint64_t acpi_build(uint8_t *buf, size_t size, uint64_t gpa, unsigned nr_cpus, bool pci_intx_edge)
{
	struct acpi_alloc a = { buf, size, 0, gpa };
	size_t dsdt_len = (size_t)(acpi_dsdt_aml_end - acpi_dsdt_aml);
	size_t madt_len = sizeof(struct acpi_header) + 8 + nr_cpus * sizeof(struct madt_lapic) +
			  sizeof(struct madt_ioapic) + sizeof(struct madt_lapic_nmi);
	uint64_t rsdp_gpa = 0, xsdt_gpa = 0, fadt_gpa = 0, dsdt_gpa = 0, madt_gpa = 0;
	struct acpi_rsdp *rsdp;
	struct acpi_header *xsdt, *madt;
	struct acpi_fadt *fadt;
	uint8_t *dsdt, *p;

	/* RSDP first so it lands at the start of the scanned area. */
	rsdp = acpi_take(&a, sizeof(*rsdp), &rsdp_gpa);
	xsdt = acpi_take(&a, sizeof(*xsdt) + 2 * 8, &xsdt_gpa);
	fadt = acpi_take(&a, sizeof(*fadt), &fadt_gpa);
	dsdt = acpi_take(&a, dsdt_len, &dsdt_gpa);
	madt = acpi_take(&a, madt_len, &madt_gpa);
	if (!rsdp || !xsdt || !fadt || !dsdt || !madt || nr_cpus > 255)
		return 0;

	memcpy(dsdt, acpi_dsdt_aml, dsdt_len);
	if (!pci_intx_edge)
		acpi_dsdt_pci_level(dsdt, dsdt_len);

	acpi_header_init(&fadt->h, "FACP", sizeof(*fadt), 6);
	fadt->minor_version = 4;
	fadt->flags = FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP | FADT_F_PWR_BUTTON |
		      FADT_F_SLP_BUTTON | FADT_F_WBINVD;
	fadt->iapc_boot_arch = FADT_BOOT_ARCH_8042 | FADT_BOOT_ARCH_NO_VGA;
	fadt->reset_reg = acpi_io_byte(PORT_ACPI_RESET);
	fadt->reset_value = ACPI_RESET_VALUE;
	fadt->sleep_control_reg = acpi_io_byte(PORT_ACPI_SLEEP_CTL);
	fadt->sleep_status_reg = acpi_io_byte(PORT_ACPI_SLEEP_STS);
	fadt->dsdt = (uint32_t)dsdt_gpa;
	fadt->x_dsdt = dsdt_gpa;
	memcpy(&fadt->hypervisor_vendor_id, "SKIFF\0\0\0", 8);
	acpi_finish(fadt);

	acpi_header_init(madt, "APIC", (uint32_t)madt_len, 4);
	p = (uint8_t *)(madt + 1);
	{
		uint32_t lapic_addr = LAYOUT_LAPIC, flags = 0; /* no 8259 pair: hw-reduced */
		memcpy(p, &lapic_addr, 4);
		memcpy(p + 4, &flags, 4);
		p += 8;
	}
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct madt_lapic l = { 0, sizeof(l), (uint8_t)i, (uint8_t)i, 1 };
		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	{
		/* IOAPIC id follows the CPUs' APIC ids (kvmtool, Firecracker). */
		struct madt_ioapic io = { 1, sizeof(io), (uint8_t)nr_cpus, 0, LAYOUT_IOAPIC, 0 };
		struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 }; /* all CPUs: NMI on LINT1 */
		memcpy(p, &io, sizeof(io));
		p += sizeof(io);
		memcpy(p, &nmi, sizeof(nmi));
	}
	acpi_finish(madt);

	acpi_header_init(xsdt, "XSDT", sizeof(*xsdt) + 2 * 8, 1);
	memcpy((uint8_t *)(xsdt + 1), &fadt_gpa, 8);
	memcpy((uint8_t *)(xsdt + 1) + 8, &madt_gpa, 8);
	acpi_finish(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = (uint8_t)-acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = (uint8_t)-acpi_checksum(rsdp, sizeof(*rsdp));
	return rsdp_gpa;
}
