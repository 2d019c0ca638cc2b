#include "vm/cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/log.h"
#include "vm/cpuid_bits.h"

_Static_assert(sizeof(struct cpuid_entry) == sizeof(struct kvm_cpuid_entry2), "kvm layout");

int cpuid_get_supported(int kvm_fd, struct cpuid_table *t)
{
	t->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, t) < 0)
		return -1;
	return 0;
}

struct cpuid_entry *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct cpuid_entry *e = &t->entries[i];
		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

static struct cpuid_entry *cpuid_get(struct cpuid_table *t, uint32_t function, uint32_t index,
				     bool indexed)
{
	struct cpuid_entry *e = cpuid_find(t, function, index);
	if (e || t->nent >= CPUID_MAX_ENTRIES)
		return e;
	e = &t->entries[t->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

static void cpuid_remove_if(struct cpuid_table *t, bool (*pred)(const struct cpuid_entry *, const void *),
			    const void *arg)
{
	uint32_t w = 0;
	for (uint32_t i = 0; i < t->nent; i++)
		if (!pred(&t->entries[i], arg))
			t->entries[w++] = t->entries[i];
	t->nent = w;
}

/* Feature names, as QEMU spells them (for warnings and -cpu +feat). */
enum reg { EAX, EBX, ECX, EDX };
struct feature {
	const char *name;
	uint32_t function, index;
	enum reg reg;
	uint32_t bit;
};

static const struct feature features[] = {
	{ "fpu", 1, 0, EDX, F1_EDX_FPU }, { "vme", 1, 0, EDX, F1_EDX_VME },
	{ "de", 1, 0, EDX, F1_EDX_DE }, { "pse", 1, 0, EDX, F1_EDX_PSE },
	{ "tsc", 1, 0, EDX, F1_EDX_TSC }, { "msr", 1, 0, EDX, F1_EDX_MSR },
	{ "pae", 1, 0, EDX, F1_EDX_PAE }, { "mce", 1, 0, EDX, F1_EDX_MCE },
	{ "cx8", 1, 0, EDX, F1_EDX_CX8 }, { "apic", 1, 0, EDX, F1_EDX_APIC },
	{ "sep", 1, 0, EDX, F1_EDX_SEP }, { "mtrr", 1, 0, EDX, F1_EDX_MTRR },
	{ "pge", 1, 0, EDX, F1_EDX_PGE }, { "mca", 1, 0, EDX, F1_EDX_MCA },
	{ "cmov", 1, 0, EDX, F1_EDX_CMOV }, { "pat", 1, 0, EDX, F1_EDX_PAT },
	{ "pse36", 1, 0, EDX, F1_EDX_PSE36 }, { "clflush", 1, 0, EDX, F1_EDX_CLFLUSH },
	{ "mmx", 1, 0, EDX, F1_EDX_MMX }, { "fxsr", 1, 0, EDX, F1_EDX_FXSR },
	{ "sse", 1, 0, EDX, F1_EDX_SSE }, { "sse2", 1, 0, EDX, F1_EDX_SSE2 },
	{ "pni", 1, 0, ECX, F1_ECX_SSE3 }, { "sse3", 1, 0, ECX, F1_ECX_SSE3 },
	{ "pclmulqdq", 1, 0, ECX, F1_ECX_PCLMULQDQ }, { "vmx", 1, 0, ECX, F1_ECX_VMX },
	{ "ssse3", 1, 0, ECX, F1_ECX_SSSE3 }, { "cx16", 1, 0, ECX, F1_ECX_CX16 },
	{ "sse4.1", 1, 0, ECX, F1_ECX_SSE41 }, { "sse4-1", 1, 0, ECX, F1_ECX_SSE41 },
	{ "sse4.2", 1, 0, ECX, F1_ECX_SSE42 }, { "sse4-2", 1, 0, ECX, F1_ECX_SSE42 },
	{ "x2apic", 1, 0, ECX, F1_ECX_X2APIC }, { "movbe", 1, 0, ECX, F1_ECX_MOVBE },
	{ "popcnt", 1, 0, ECX, F1_ECX_POPCNT }, { "tsc-deadline", 1, 0, ECX, F1_ECX_TSC_DEADLINE },
	{ "aes", 1, 0, ECX, F1_ECX_AES }, { "xsave", 1, 0, ECX, F1_ECX_XSAVE },
	{ "avx", 1, 0, ECX, F1_ECX_AVX }, { "f16c", 1, 0, ECX, F1_ECX_F16C },
	{ "rdrand", 1, 0, ECX, F1_ECX_RDRAND }, { "hypervisor", 1, 0, ECX, F1_ECX_HYPERVISOR },
	{ "arat", 6, 0, EAX, F6_EAX_ARAT },
	{ "fsgsbase", 7, 0, EBX, F7_EBX_FSGSBASE }, { "smep", 7, 0, EBX, F7_EBX_SMEP },
	{ "erms", 7, 0, EBX, F7_EBX_ERMS },
	{ "xsaveopt", 0xd, 1, EAX, D1_EAX_XSAVEOPT },
	{ "syscall", 0x80000001, 0, EDX, E1_EDX_SYSCALL }, { "nx", 0x80000001, 0, EDX, E1_EDX_NX },
	{ "rdtscp", 0x80000001, 0, EDX, E1_EDX_RDTSCP }, { "lm", 0x80000001, 0, EDX, E1_EDX_LM },
	{ "lahf-lm", 0x80000001, 0, ECX, E1_ECX_LAHF_LM },
	{ "svm", 0x80000001, 0, ECX, E1_ECX_SVM },
};

static uint32_t *reg_of(struct cpuid_entry *e, enum reg r)
{
	switch (r) {
	case EAX: return &e->eax;
	case EBX: return &e->ebx;
	case ECX: return &e->ecx;
	default: return &e->edx;
	}
}

static const char *reg_name(enum reg r)
{
	static const char *n[] = { "EAX", "EBX", "ECX", "EDX" };
	return n[r];
}

static int bit_index(uint32_t bit)
{
	return __builtin_ctz(bit);
}

static void warn_missing(uint32_t function, enum reg r, uint32_t missing)
{
	while (missing) {
		uint32_t bit = missing & -missing;
		const char *name = "?";
		missing &= ~bit;
		for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (features[i].function == function && features[i].reg == r &&
			    features[i].bit == bit) {
				name = features[i].name;
				break;
			}
		if (function >= 0x80000000)
			warn_report("host doesn't support requested feature: CPUID.%08XH:%s.%s [bit %d]",
				    function, reg_name(r), name, bit_index(bit));
		else
			warn_report("host doesn't support requested feature: CPUID.%02XH:%s.%s [bit %d]",
				    function, reg_name(r), name, bit_index(bit));
	}
}

/* reg = supported & want, warning for what the host lacks. */
static void cpuid_mask(struct cpuid_table *t, uint32_t function, uint32_t index, enum reg r,
		       uint32_t want, uint32_t emulated)
{
	struct cpuid_entry *e = cpuid_find(t, function, index);
	uint32_t have = e ? *reg_of(e, r) : 0;
	uint32_t missing = want & ~(have | emulated);

	if (missing)
		warn_missing(function, r, missing);
	if (!e && !(want & emulated))
		return;
	e = cpuid_get(t, function, index, function == 7 || function == 0xd);
	if (e)
		*reg_of(e, r) = want & (have | emulated);
}

struct range { uint32_t level, xlevel; };

static bool beyond_model(const struct cpuid_entry *e, const void *arg)
{
	const struct range *r = arg;
	if (e->function < 0x40000000)
		return e->function > r->level;
	if (e->function >= 0x80000000 && e->function < 0xc0000000)
		return e->function > r->xlevel;
	return false;   /* hypervisor (KVM) leaves stay */
}

static bool is_leaf7_sub(const struct cpuid_entry *e, const void *arg)
{
	(void)arg;
	return (e->function == 7 && e->index > 0) || (e->function == 0xd && e->index > 2);
}

static void cpuid_set_brand(struct cpuid_table *t, const char *brand_str)
{
	char brand[48] = { 0 };

	strncpy(brand, brand_str, sizeof(brand) - 1);
	for (uint32_t i = 0; i < 3; i++) {
		struct cpuid_entry *e = cpuid_get(t, 0x80000002 + i, 0, false);
		if (e)
			memcpy(&e->eax, brand + 16 * i, 16);
	}
}

/* Features KVM provides whatever the host CPU has (its LAPIC emulates them). */
static bool cpuid_emulated(const struct feature *f, bool tsc_deadline)
{
	if (f->function == 1 && f->reg == ECX)
		return f->bit == F1_ECX_HYPERVISOR || f->bit == F1_ECX_X2APIC ||
		       (f->bit == F1_ECX_TSC_DEADLINE && tsc_deadline);
	return f->function == 6 && f->bit == F6_EAX_ARAT;
}

static int cpuid_apply_flags(struct cpuid_table *t, const struct kvlist *flags,
			     struct cpuid_table *supported, bool tsc_deadline)
{
	for (size_t i = 0; flags && i < flags->n; i++) {
		const struct kv *kv = &flags->items[i];
		const struct feature *f = NULL;
		bool on = !kv->value || !strcmp(kv->value, "on");

		if (!strcmp(kv->key, "model-id")) {
			cpuid_set_brand(t, kv->value ? kv->value : "");
			continue;
		}
		if (kv->value && strcmp(kv->value, "on") && strcmp(kv->value, "off")) {
			error_report("-cpu: property '%s' expects 'on' or 'off'", kv->key);
			return -1;
		}

		for (size_t j = 0; j < sizeof(features) / sizeof(features[0]); j++)
			if (!strcmp(features[j].name, kv->key))
				f = &features[j];
		if (!f) {
			error_report("-cpu: unknown CPU feature '%s' (see -cpu help for models; "
				     "features use QEMU's names, e.g. +avx, -x2apic)", kv->key);
			return -1;
		}
		struct cpuid_entry *s = cpuid_find(supported, f->function, f->index);
		struct cpuid_entry *e = cpuid_get(t, f->function, f->index,
						  f->function == 7 || f->function == 0xd);
		if (!e)
			continue;
		if (on) {
			if (!cpuid_emulated(f, tsc_deadline) && !(s && (*reg_of(s, f->reg) & f->bit))) {
				warn_missing(f->function, f->reg, f->bit);
				continue;
			}
			*reg_of(e, f->reg) |= f->bit;
		} else {
			*reg_of(e, f->reg) &= ~f->bit;
		}
	}
	return 0;
}

/* CPUID.0DH from the final leaf-1 AVX bit (after -cpu flags): XSAVE state
 * components x87 | SSE, plus AVX's YMM state when AVX is on. */
static void cpuid_xsave_leaves(struct cpuid_table *t, const struct cpu_model *m)
{
	struct cpuid_entry *e, *l1 = cpuid_find(t, 1, 0);
	bool avx = l1 && (l1->ecx & F1_ECX_AVX);

	if (m->level < 0xd)
		return;
	e = cpuid_find(t, 0xd, 0);
	if (e) {
		e->eax &= avx ? 0x7 : 0x3;
		e->edx = 0;
		e->ecx = avx ? 0x340 : 0x240;
		e->ebx = e->ecx;
	}
	e = cpuid_find(t, 0xd, 1);
	if (e)
		e->ebx = e->ecx = e->edx = 0;
	if (!avx) {
		e = cpuid_find(t, 0xd, 2);
		if (e)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

/* CLOCKSOURCE (0), NOP_IO_DELAY (1), CLOCKSOURCE2 (3), ASYNC_PF (4), STEAL_TIME (5),
 * PV_EOI (6), ASYNC_PF_INT (14), CLOCKSOURCE_STABLE_BIT (24): Linux's kvm_para.h numbering. */
#define KVM_PV_QEMU_DEFAULT ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) | \
			     (1u << 6) | (1u << 14) | (1u << 24))

int cpuid_apply_model(struct cpuid_table *t, const struct cpu_model *m,
		      const struct kvlist *flags, bool tsc_deadline)
{
	static struct cpuid_table supported;   /* big: keep it off the stack */
	struct cpuid_entry *e, *l0 = NULL;
	uint32_t emul_ecx = F1_ECX_HYPERVISOR | (tsc_deadline ? F1_ECX_TSC_DEADLINE : 0) |
			    F1_ECX_X2APIC;

	supported = *t;
	if (m->is_host) {
		e = cpuid_get(t, 1, 0, false);
		if (e)
			e->ecx |= F1_ECX_HYPERVISOR | (tsc_deadline ? F1_ECX_TSC_DEADLINE : 0);
		e = cpuid_get(t, 6, 0, false);
		if (e)
			e->eax = (e->eax & ~F6_EAX_TURBO) | F6_EAX_ARAT;
		return cpuid_apply_flags(t, flags, &supported, tsc_deadline);
	}

	struct range r = { m->level, m->xlevel };
	cpuid_remove_if(t, beyond_model, &r);
	cpuid_remove_if(t, is_leaf7_sub, NULL);

	e = cpuid_get(t, 0, 0, false);
	if (!e)
		return -1;
	/* The vendor stays the host's, as QEMU has it under KVM for every named model ("normally
	 * we advertise the actual CPU vendor"): family, model, features and brand are the model's.
	 * A guest told the other vendor would take the other vendor's paths (PTI for an Intel
	 * model on AMD, VMCALL vs VMMCALL for KVM's hypercalls). */
	e->eax = m->level;
	l0 = e;

	e = cpuid_get(t, 1, 0, false);
	if (!e)
		return -1;
	{
		uint32_t fam = m->family, mod = m->model;
		uint32_t eax = m->stepping & 0xf;
		eax |= (mod & 0xf) << 4 | (mod >> 4) << 16;
		if (fam > 15)
			eax |= 0xf << 8 | (fam - 15) << 20;
		else
			eax |= fam << 8;
		e->eax = eax;
	}
	cpuid_mask(t, 1, 0, EDX, m->f1_edx, 0);
	cpuid_mask(t, 1, 0, ECX, m->f1_ecx | F1_ECX_HYPERVISOR, emul_ecx);
	if (!(m->f1_ecx & F1_ECX_TSC_DEADLINE) || !tsc_deadline) {
		e = cpuid_find(t, 1, 0);
		if (e && !(m->f1_ecx & F1_ECX_TSC_DEADLINE))
			e->ecx &= ~F1_ECX_TSC_DEADLINE;
	}

	if (m->level >= 6) {
		e = cpuid_get(t, 6, 0, false);
		if (e) {
			/* ARAT for every model (-arat still removes it): KVM's LAPIC timer is a host
			 * timer that never stops. Without it Linux marks the LAPIC timer C3STOP and
			 * wants a broadcast timer for one-shot mode; skiff's machine has none (no HPET,
			 * no PIT under hardware-reduced ACPI), so the guest kept a periodic tick: no
			 * high-resolution timers, no tickless idle (an idle guest halted 257 times a
			 * second, QEMU's 14). QEMU's qemu64 lacks ARAT because its HPET broadcasts. */
			e->eax = m->f6_eax | F6_EAX_ARAT;
			e->ebx = e->ecx = e->edx = 0;
		}
	}
	if (m->level >= 7) {
		cpuid_mask(t, 7, 0, EBX, m->f7_ebx, 0);
		cpuid_mask(t, 7, 0, ECX, m->f7_ecx, 0);
		cpuid_mask(t, 7, 0, EDX, m->f7_edx, 0);
		e = cpuid_find(t, 7, 0);
		if (e)
			e->eax = 0;           /* no subleaf 1 */
	}
	if (m->level >= 0xa) {
		e = cpuid_find(t, 0xa, 0);
		if (e)
			e->eax = e->ebx = e->ecx = e->edx = 0; /* no PMU */
	}
	if (m->level >= 0xd)
		cpuid_mask(t, 0xd, 1, EAX, m->d1_eax, 0);   /* XSAVEOPT */

	e = cpuid_get(t, 0x80000000, 0, false);
	if (e) {
		e->eax = m->xlevel;
		if (l0) {   /* QEMU repeats the vendor here (Intel's own CPUs leave it 0) */
			e->ebx = l0->ebx;
			e->ecx = l0->ecx;
			e->edx = l0->edx;
		}
	}
	cpuid_mask(t, 0x80000001, 0, EDX, m->e1_edx, 0);
	cpuid_mask(t, 0x80000001, 0, ECX, m->e1_ecx, 0);
	if (m->brand && m->xlevel >= 0x80000004)
		cpuid_set_brand(t, m->brand);
	if (m->xlevel >= 0x80000007) {
		e = cpuid_find(t, 0x80000007, 0);
		if (e)
			e->eax = e->ebx = e->ecx = e->edx = 0; /* no invariant TSC (QEMU default) */
	}
	if (m->xlevel >= 0x80000008) {
		e = cpuid_find(t, 0x80000008, 0);
		if (e)
			e->ebx = e->edx = 0;  /* keep address sizes; no AMD extras */
	}
	if (m->xlevel >= 0x8000000a) {
		/* SVM's leaf: the host's nested-paging, VMCB-clean, vGIF... bits mean nothing without
		 * the SVM bit, which no model sets; QEMU returns zeros (Linux lists them in cpuinfo). */
		e = cpuid_find(t, 0x8000000a, 0);
		if (e)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
	/* KVM PV features: QEMU's defaults for a named model (kvm_default_props: kvmclock,
	 * kvm-nopiodelay, kvm-asyncpf, kvm-steal-time, kvm-pv-eoi, kvmclock-stable-bit,
	 * kvm-asyncpf-int), not everything this KVM offers: the guest sees what it sees under
	 * QEMU (pv-tlb-flush, pv-ipi, poll-control, ... are -cpu host territory). */
	e = cpuid_find(t, 0x40000001, 0);
	if (e)
		e->eax &= KVM_PV_QEMU_DEFAULT;
	if (cpuid_apply_flags(t, flags, &supported, tsc_deadline) < 0)
		return -1;
	cpuid_xsave_leaves(t, m);
	return 0;
}

static unsigned ceil_log2(unsigned n)
{
	unsigned s = 0;
	while ((1u << s) < n)
		s++;
	return s;
}

void cpuid_apply_vcpu(struct cpuid_table *t, unsigned apic_id, const struct smp_config *smp)
{
	unsigned threads = smp->threads ? smp->threads : 1;
	unsigned cores = smp->cores ? smp->cores : 1;
	unsigned per_pkg = threads * cores;
	unsigned smt_shift = ceil_log2(threads), core_shift = ceil_log2(per_pkg);
	struct cpuid_entry *e, *leaf0 = cpuid_find(t, 0, 0);
	uint32_t level = leaf0 ? leaf0->eax : 0;

	e = cpuid_find(t, 1, 0);
	if (e) {
		/* CPUID.01H:EBX[31:24] initial APIC id, [23:16] logical CPUs per
		 * package (power of two), [15:8] CLFLUSH line size in 8-byte units. */
		e->ebx = (apic_id << 24) | ((1u << core_shift) & 0xff) << 16 | 8 << 8;
		if (per_pkg > 1)
			e->edx |= F1_EDX_HTT;
		else
			e->edx &= ~F1_EDX_HTT;
		e->ecx &= ~F1_ECX_PDCM;
	}
	/* CPUID.04H: EAX[31:26] cores per package - 1, [25:14] sharing threads - 1. */
	for (uint32_t i = 0; i < t->nent; i++) {
		e = &t->entries[i];
		if (e->function != 4 || !(e->eax & 0x1f))
			continue;
		unsigned lvl = (e->eax >> 5) & 7;
		unsigned share = lvl >= 3 ? per_pkg : threads;
		e->eax = (e->eax & 0x3fff) | ((cores - 1) & 0x3f) << 26 | ((share - 1) & 0xfff) << 14;
	}
	/* CPUID.0BH (and 1FH): x2APIC topology, SMT level then core level. */
	for (uint32_t leaf = 0xb; leaf <= 0x1f; leaf += 0x14) {
		if (level < leaf)
			continue;
		e = cpuid_get(t, leaf, 0, true);
		if (e) {
			e->eax = smt_shift;
			e->ebx = threads;
			e->ecx = 0 | 1u << 8;
			e->edx = apic_id;
		}
		e = cpuid_get(t, leaf, 1, true);
		if (e) {
			e->eax = core_shift;
			e->ebx = per_pkg;
			e->ecx = 1 | 2u << 8;
			e->edx = apic_id;
		}
		e = cpuid_get(t, leaf, 2, true);
		if (e) {
			e->eax = e->ebx = 0;
			e->ecx = 2;
			e->edx = apic_id;
		}
	}
	/* CmpLegacy (0x80000001 ECX[1]) when a package has more than one logical CPU, for any
	 * vendor but Intel, as QEMU sets it (Linux then reads the core count from 0x80000008). */
	e = cpuid_find(t, 0x80000001, 0);
	if (e && leaf0 && memcmp(&leaf0->ebx, "Genu", 4) && per_pkg > 1)
		e->ecx |= E1_ECX_CMP_LEGACY;
	/* AMD: 0x80000008 ECX[7:0] threads per package - 1, [15:12] APIC id bits. */
	e = cpuid_find(t, 0x80000008, 0);
	if (e && leaf0 && !memcmp(&leaf0->ebx, "Auth", 4))
		e->ecx = (per_pkg - 1) | core_shift << 12;
	e = cpuid_find(t, 0x8000001e, 0);
	if (e) {
		e->eax = apic_id;
		e->ebx = (threads - 1) << 8 | (apic_id >> smt_shift);
		e->ecx = 0;
	}
}
