/* CPU models with QEMU's definitions (target/i386/cpu.c builtin_x86_defs),
 * restated from the Intel SDM feature bits; vm/cpuid.c intersects them with
 * what KVM supports. No vendor: under KVM, QEMU gives every model the host's
 * (so does vm/cpuid.c). */
#include "vm/cpu_models.h"

#include <string.h>

#include "vm/cpuid_bits.h"

/* PPRO_FEATURES in QEMU: what every x86-64 model has in CPUID.01H:EDX. */
#define PPRO_EDX (F1_EDX_FPU | F1_EDX_DE | F1_EDX_PSE | F1_EDX_TSC | F1_EDX_MSR | F1_EDX_PAE | \
		  F1_EDX_MCE | F1_EDX_CX8 | F1_EDX_APIC | F1_EDX_SEP | F1_EDX_MTRR | F1_EDX_PGE | \
		  F1_EDX_MCA | F1_EDX_CMOV | F1_EDX_PAT | F1_EDX_MMX | F1_EDX_FXSR | F1_EDX_SSE | \
		  F1_EDX_SSE2)

static const struct cpu_model models[] = {
	{
		.name = "host", .alias = "max", .is_host = true,
		.description = "KVM processor with all supported host features",
	},
	{
		.name = "qemu64",
		.description = "QEMU Virtual CPU version 2.5+",
		.family = 15, .model = 107, .stepping = 1,
		.level = 0xd, .xlevel = 0x8000000a,
		.f1_edx = PPRO_EDX | F1_EDX_PSE36 | F1_EDX_CLFLUSH,
		/* No TSC-deadline timer: QEMU's qemu64 has none (its guests program the LAPIC
		 * timer in one-shot mode); ARAT every model gets (cpuid.c says why). The lab's
		 * cpuflags test compares the lists. */
		.f1_ecx = F1_ECX_SSE3 | F1_ECX_CX16 | F1_ECX_X2APIC,
		.e1_edx = E1_EDX_SYSCALL | E1_EDX_NX | E1_EDX_LM,
		.e1_ecx = E1_ECX_LAHF_LM,
		.brand = "QEMU Virtual CPU version 2.5+",
	},
	{
		/* QEMU "IvyBridge": family 6, model 58 (0x3A), stepping 9. */
		.name = "IvyBridge",
		.description = "Intel Xeon E3-12xx v2 (Ivy Bridge)",
		.family = 6, .model = 58, .stepping = 9,
		.level = 0xd, .xlevel = 0x80000008,
		.f1_edx = PPRO_EDX | F1_EDX_VME | F1_EDX_PSE36 | F1_EDX_CLFLUSH,
		.f1_ecx = F1_ECX_SSE3 | F1_ECX_PCLMULQDQ | F1_ECX_SSSE3 | F1_ECX_CX16 |
			  F1_ECX_SSE41 | F1_ECX_SSE42 | F1_ECX_X2APIC | F1_ECX_POPCNT |
			  F1_ECX_TSC_DEADLINE | F1_ECX_AES | F1_ECX_XSAVE | F1_ECX_AVX |
			  F1_ECX_F16C | F1_ECX_RDRAND,
		.f7_ebx = F7_EBX_FSGSBASE | F7_EBX_SMEP | F7_EBX_ERMS,
		.e1_edx = E1_EDX_SYSCALL | E1_EDX_NX | E1_EDX_RDTSCP | E1_EDX_LM,
		.e1_ecx = E1_ECX_LAHF_LM,
		.d1_eax = D1_EAX_XSAVEOPT,
		.f6_eax = F6_EAX_ARAT,
		.brand = "Intel Xeon E3-12xx v2 (Ivy Bridge)",
	},
	{
		/* QEMU "SandyBridge": family 6, model 42, stepping 1. */
		.name = "SandyBridge",
		.description = "Intel Xeon E312xx (Sandy Bridge)",
		.family = 6, .model = 42, .stepping = 1,
		.level = 0xd, .xlevel = 0x80000008,
		.f1_edx = PPRO_EDX | F1_EDX_VME | F1_EDX_PSE36 | F1_EDX_CLFLUSH,
		.f1_ecx = F1_ECX_SSE3 | F1_ECX_PCLMULQDQ | F1_ECX_SSSE3 | F1_ECX_CX16 |
			  F1_ECX_SSE41 | F1_ECX_SSE42 | F1_ECX_X2APIC | F1_ECX_POPCNT |
			  F1_ECX_TSC_DEADLINE | F1_ECX_AES | F1_ECX_XSAVE | F1_ECX_AVX,
		.e1_edx = E1_EDX_SYSCALL | E1_EDX_NX | E1_EDX_RDTSCP | E1_EDX_LM,
		.e1_ecx = E1_ECX_LAHF_LM,
		.d1_eax = D1_EAX_XSAVEOPT,
		.f6_eax = F6_EAX_ARAT,
		.brand = "Intel Xeon E312xx (Sandy Bridge)",
	},
	{
		/* QEMU "Nehalem": family 6, model 26, stepping 3. */
		.name = "Nehalem",
		.description = "Intel Core i7 9xx (Nehalem Class Core i7)",
		.family = 6, .model = 26, .stepping = 3,
		.level = 11, .xlevel = 0x80000008,
		.f1_edx = PPRO_EDX | F1_EDX_VME | F1_EDX_PSE36 | F1_EDX_CLFLUSH,
		.f1_ecx = F1_ECX_SSE3 | F1_ECX_SSSE3 | F1_ECX_CX16 | F1_ECX_SSE41 |
			  F1_ECX_SSE42 | F1_ECX_X2APIC | F1_ECX_POPCNT,   /* as QEMU: no TSC-deadline */
		.e1_edx = E1_EDX_SYSCALL | E1_EDX_NX | E1_EDX_RDTSCP | E1_EDX_LM,
		.e1_ecx = E1_ECX_LAHF_LM,
		.brand = "Intel Core i7 9xx (Nehalem Class Core i7)",
	},
};

const struct cpu_model *cpu_model_find(const char *name)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		if (!strcmp(models[i].name, name) ||
		    (models[i].alias && !strcmp(models[i].alias, name)))
			return &models[i];
		/* QEMU also accepts the versioned name "IvyBridge-v1". */
		size_t l = strlen(models[i].name);
		if (!strncmp(models[i].name, name, l) && !strcmp(name + l, "-v1"))
			return &models[i];
	}
	return NULL;
}

void cpu_models_print(FILE *out)
{
	fprintf(out, "Available CPUs:\n");
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		fprintf(out, "x86 %-16s %s\n", models[i].name, models[i].description);
		if (models[i].alias)
			fprintf(out, "x86 %-16s (alias of %s)\n", models[i].alias, models[i].name);
	}
}
