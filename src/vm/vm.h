/* One KVM virtual machine: its memory, buses, interrupt controller and
 * vCPUs. Set up in stages (vm_create -> vm_load_kernel -> vm_start), torn
 * down in reverse by vm_destroy. */
#ifndef SKIFF_VM_VM_H
#define SKIFF_VM_VM_H

#include <pthread.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/config.h"
#include "hw/bus.h"
#include "hw/pci.h"
#include "vm/cpuid.h"
#include "vm/guest_mem.h"

struct kvm_run;

/* One exit to the VMM, kept for the report of a triple fault (vcpu.c). */
struct vcpu_exit_rec {
	uint64_t ns;
	uint64_t addr;            /* port or guest-physical address */
	uint64_t data;            /* first 8 bytes */
	uint8_t reason, len, write;
};
#define VCPU_EXIT_HISTORY 16

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct vcpu_exit_rec hist[VCPU_EXIT_HISTORY]; /* ring: the last exits */
	unsigned hist_n;
};

struct vm {
	const struct skiff_config *cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	bool tsc_deadline;
	bool signal_msi;          /* KVM_CAP_SIGNAL_MSI: MSI-X can be delivered */
	bool pci_intx_edge;       /* PCI INTx as edges (hw/pci.h; SKIFF_PCI_EDGE=off: level) */
	int coalesced_page;       /* KVM_CAP_COALESCED_MMIO: ring page in the vCPU mmap (0: off) */
	bool coalesced_pio;       /* KVM_CAP_COALESCED_PIO */
	/* KVM memory slots over device registers (hw/bus.h bus_set_ram): slot VM_DEV_SLOT0 + i. */
	struct { uint64_t gpa; bool used; } dev_slot[4];
	bool readonly_mem;        /* KVM_CAP_READONLY_MEM: such a slot may be read-only */
	struct kvm_coalesced_mmio_ring *coalesced_ring; /* once vCPU 0 is mapped */
	unsigned coalesced_max;

	uint8_t *ram;             /* one host mapping: low RAM, then high RAM */
	uint64_t ram_size;
	uint64_t low_size;        /* at GPA 0 */
	uint64_t high_size;       /* at GPA 4 GiB */
	struct guest_mem mem;

	struct bus pio;
	struct bus mmio;
	struct pci_bus pci;

	struct cpuid_table cpuid; /* model applied; per-vCPU fields patched at creation */
	unsigned nr_vcpus;
	struct vcpu *vcpus;
	volatile bool stopping;
};

/* Open /dev/kvm, create the VM, map RAM, create irqchip and PIT, buses. */
int vm_create(struct vm *vm, const struct skiff_config *cfg);
/* Kernel, initrd, command line, ACPI tables; sets the boot vCPU's state.
 * Needs the vCPUs created (vcpu_create_all). */
int vm_load_kernel(struct vm *vm);
void vm_destroy(struct vm *vm);
/* Deliver the writes KVM queued for coalesced zones (hw/bus.h). Big lock held. */
void vm_coalesced_flush(struct vm *vm);
/* Lock-free peek: is anything queued? (a vCPU checks on every exit) */
static inline bool vm_coalesced_pending(const struct vm *vm)
{
	return vm->coalesced_ring &&
	       vm->coalesced_ring->first != __atomic_load_n(&vm->coalesced_ring->last, __ATOMIC_RELAXED);
}

/* Set a GSI's level (KVM_IRQ_LINE); thread-safe. */
void vm_set_irq(struct vm *vm, unsigned gsi, int level);
/* Inject one MSI (KVM_SIGNAL_MSI); 0, or -1 if KVM lacks it or refused.
 * Only addresses in the local APIC window 0xFEExxxxx are passed on. */
int vm_signal_msi(struct vm *vm, uint64_t address, uint32_t data);
/* The in-kernel IOAPIC's unmasked pins with their stall bits (the SIGQUIT stop report, main.c). */
void vm_irqchip_report(struct vm *vm);

#endif
