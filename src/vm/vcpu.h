/* vCPU threads: create and configure (CPUID, MSRs, LAPIC LINT pins, boot
 * registers), run KVM_RUN loops that hand port and MMIO exits to the buses
 * under the big lock, and stop them (a signal kicks a vCPU out of KVM_RUN). */
#ifndef SKIFF_VM_VCPU_H
#define SKIFF_VM_VCPU_H

#include "vm/boot_linux.h"
#include "vm/vm.h"

int vcpu_create_all(struct vm *vm);
int vcpu_set_boot_state(struct vm *vm, const struct boot_linux_entry *e);
int vcpu_start_all(struct vm *vm);
void vcpu_stop_all(struct vm *vm);
/* After vcpu_stop_all: each vCPU's run state, registers, pending events, local APIC
 * (highest vector in service and requested, TPR/PPR, timer) and its last exits with their age:
 * what a guest that went silent was doing (the SIGQUIT stop report, main.c). */
void vcpu_report_all(struct vm *vm);

#endif
