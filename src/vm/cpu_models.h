/* Named CPU models for -cpu (QEMU's definitions, intersected with what KVM
 * supports at VM creation: vm/cpuid.c). */
#ifndef SKIFF_VM_CPU_MODELS_H
#define SKIFF_VM_CPU_MODELS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cpu_model {
	const char *name;
	const char *alias;        /* may be NULL */
	const char *description;  /* as "-cpu help" shows it */
	bool is_host;             /* "host": everything KVM supports */
	uint32_t family, model, stepping;
	uint32_t level, xlevel;   /* max basic / extended leaf */
	/* Feature words the model has (before intersecting with KVM). */
	uint32_t f1_edx, f1_ecx, f7_ebx, f7_ecx, f7_edx, e1_edx, e1_ecx, d1_eax, f6_eax;
	const char *brand;        /* model-id string, NULL = keep host's */
};

/* NULL if unknown. "max" is an alias of "host" under KVM. */
const struct cpu_model *cpu_model_find(const char *name);
/* What "-cpu help" prints. */
void cpu_models_print(FILE *out);
/* QEMU's default for the pc machine. */
#define CPU_MODEL_DEFAULT "qemu64"

#endif
