/* CPUID for the guest: start from KVM_GET_SUPPORTED_CPUID, apply the -cpu
 * model (QEMU's recipe: model features AND what KVM supports, plus the
 * features KVM emulates), then per vCPU the APIC id and topology leaves.
 * Everything but cpuid_get_supported() works on plain tables (unit-tested). */
#ifndef SKIFF_VM_CPUID_H
#define SKIFF_VM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/config.h"
#include "vm/cpu_models.h"

#define CPUID_MAX_ENTRIES 256

struct cpuid_entry {             /* layout of struct kvm_cpuid_entry2 */
	uint32_t function;
	uint32_t index;
	uint32_t flags;          /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1 */
	uint32_t eax, ebx, ecx, edx;
	uint32_t padding[3];
};

struct cpuid_table {
	uint32_t nent;
	uint32_t padding;        /* layout of struct kvm_cpuid2 */
	struct cpuid_entry entries[CPUID_MAX_ENTRIES];
};

int cpuid_get_supported(int kvm_fd, struct cpuid_table *t);

struct cpuid_entry *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index);

/* Apply a model and the -cpu +feat/-feat list. tsc_deadline: KVM can
 * emulate the TSC-deadline timer (KVM_CAP_TSC_DEADLINE_TIMER). Warns (QEMU's
 * wording) for features the host lacks; -1 after an error message for an
 * unknown feature name. */
int cpuid_apply_model(struct cpuid_table *t, const struct cpu_model *m,
		      const struct kvlist *flags, bool tsc_deadline);

/* Per-vCPU: APIC id and topology (leaves 1, 4, 0xB, 0x1F, 0x80000008, 0x8000001E). */
void cpuid_apply_vcpu(struct cpuid_table *t, unsigned apic_id, const struct smp_config *smp);

#endif
