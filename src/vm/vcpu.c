#include "vm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util/event_loop.h"
#include "util/log.h"
#include "vm/exit_stats.h"
#include "vm/layout.h"
#include "vm/runstate.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define SIG_VCPU_KICK SIGUSR1

static __thread struct kvm_run *current_run;

static void vcpu_kick_handler(int sig)
{
	(void)sig;
	/* KVM_CAP_IMMEDIATE_EXIT: the next (or interrupted) KVM_RUN returns EINTR. */
	if (current_run)
		current_run->immediate_exit = 1;
}

/* MSRs at reset, as Firecracker/kvmtool set them (vmm.md §1.6). */
static int vcpu_set_msrs(struct vcpu *v)
{
	static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
		{ 0x174, 0 },            /* IA32_SYSENTER_CS */
		{ 0x175, 0 },            /* IA32_SYSENTER_ESP */
		{ 0x176, 0 },            /* IA32_SYSENTER_EIP */
		{ 0xc0000081, 0 },       /* STAR */
		{ 0xc0000082, 0 },       /* LSTAR */
		{ 0xc0000083, 0 },       /* CSTAR */
		{ 0xc0000084, 0 },       /* SYSCALL_MASK */
		{ 0xc0000102, 0 },       /* KERNEL_GS_BASE */
		{ 0x10, 0 },             /* IA32_TSC: same on all vCPUs = synchronised */
		{ 0x1a0, 1 },            /* IA32_MISC_ENABLE: fast strings */
		{ 0x2ff, (1u << 11) | 6 }, /* MTRRdefType: enabled, write-back */
	};
	const unsigned n = sizeof(boot_msrs) / sizeof(boot_msrs[0]);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(boot_msrs) / sizeof(boot_msrs[0])];
	} m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = n;
	for (unsigned i = 0; i < n; i++) {
		m.e[i].index = boot_msrs[i].index;
		m.e[i].data = boot_msrs[i].data;
	}
	rc = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (rc < 0 || (unsigned)rc != n) {
		error_report("vCPU %u: KVM_SET_MSRS set %d of %u MSRs (first refused: 0x%x)", v->id,
			     rc, n, rc >= 0 && (unsigned)rc < n ? m.e[rc].index : 0);
		return -1;
	}
	return 0;
}

/* LAPIC LVT LINT0 = ExtINT, LINT1 = NMI (Intel SDM 10.5.1), as a PC wires them. */
static int vcpu_set_lint(struct vcpu *v)
{
	struct kvm_lapic_state l;
	uint32_t *lint0 = (uint32_t *)(l.regs + 0x350), *lint1 = (uint32_t *)(l.regs + 0x360);

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return -1;
	*lint0 = (*lint0 & ~0x700u) | (7u << 8);
	*lint1 = (*lint1 & ~0x700u) | (4u << 8);
	return ioctl(v->fd, KVM_SET_LAPIC, &l);
}

int vcpu_create_all(struct vm *vm)
{
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;

	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->nr_vcpus > (unsigned)max) {
		error_report("Number of SMP CPUs requested (%u) exceeds max CPUs supported by "
			     "machine 'pc' (%d): this host's KVM allows at most %d", vm->nr_vcpus,
			     max, max);
		return -1;
	}

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		static struct cpuid_table cpuid;   /* large; vCPUs are set up one at a time */

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0) {
			error_report("kvm: cannot create vCPU %u: %s", i, strerror(errno));
			return -1;
		}
		v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			error_report("kvm: cannot map vCPU %u state: %s", i, strerror(errno));
			return -1;
		}
		if (i == 0 && vm->coalesced_page) {
			/* The coalesced ring is one per VM, visible in every vCPU's mapping
			 * (vm_setup_coalescing checked that it fits). */
			long pg = sysconf(_SC_PAGESIZE);
			vm->coalesced_max = (unsigned)(((size_t)pg - sizeof(struct kvm_coalesced_mmio_ring)) /
						       sizeof(struct kvm_coalesced_mmio));
			vm->coalesced_ring = (void *)((char *)v->run + (size_t)vm->coalesced_page * (size_t)pg);
		}
		/* CPUID first: KVM decides from it which MSRs are valid. */
		cpuid = vm->cpuid;
		cpuid_apply_vcpu(&cpuid, i, &vm->cfg->smp);
		if (ioctl(v->fd, KVM_SET_CPUID2, &cpuid) < 0) {
			error_report("kvm: vCPU %u: KVM_SET_CPUID2 failed: %s", i, strerror(errno));
			return -1;
		}
		if (vcpu_set_msrs(v))
			return -1;
		if (vcpu_set_lint(v) < 0) {
			error_report("kvm: vCPU %u: cannot program the LAPIC: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void seg64(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* Long mode, paging on, flat segments: the 64-bit boot protocol's entry state.
 * Only the BSP needs it; APs start through INIT/SIPI in KVM's LAPIC. */
int vcpu_set_boot_state(struct vm *vm, const struct boot_linux_entry *e)
{
	struct vcpu *v = &vm->vcpus[0];
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_fpu fpu;

	if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
		goto fail;
	seg64(&sr.cs, BOOT_GDT_CS, 0xb, true);
	seg64(&sr.ds, BOOT_GDT_DS, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = BOOT_GDT_TSS;
	sr.tr.limit = 0xffff;
	sr.tr.type = 0xb;         /* busy 64-bit TSS: VMX needs a usable TR */
	sr.tr.present = 1;
	sr.ldt.unusable = 1;
	sr.gdt.base = e->gdt_base;
	sr.gdt.limit = e->gdt_limit;
	sr.idt.base = LAYOUT_IDT;
	sr.idt.limit = 7;
	sr.cr0 = 0x80000011;      /* PG | ET | PE */
	sr.cr3 = e->cr3;
	sr.cr4 = 0x20;            /* PAE */
	sr.efer = 0x500;          /* LME | LMA */
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0)
		goto fail;

	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = e->rip;
	r.rsi = e->rsi;
	r.rsp = r.rbp = 0x8ff0;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		goto fail;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		goto fail;
	return 0;
fail:
	error_report("kvm: cannot set the boot CPU state: %s", strerror(errno));
	return -1;
}

static void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	error_report("vCPU %u: RIP=%016llx RSP=%016llx RFLAGS=%08llx CR0=%08llx CR3=%016llx "
		     "CR4=%08llx EFER=%08llx CS=%04x", v->id, (unsigned long long)r.rip,
		     (unsigned long long)r.rsp, (unsigned long long)r.rflags,
		     (unsigned long long)s.cr0, (unsigned long long)s.cr3,
		     (unsigned long long)s.cr4, (unsigned long long)s.efer, s.cs.selector);
	error_report("vCPU %u: CR2=%016llx IDT=%016llx/%x GDT=%016llx/%x TR=%04x SS=%04x",
		     v->id, (unsigned long long)s.cr2, (unsigned long long)s.idt.base, s.idt.limit,
		     (unsigned long long)s.gdt.base, s.gdt.limit, s.tr.selector, s.ss.selector);
}

/* The exits before a triple fault are the only trace it leaves: SVM re-initialises the VMCB on
 * a shutdown intercept, so the registers are gone by the time we see it. */
static void vcpu_history_add(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vcpu_exit_rec *e = &v->hist[v->hist_n++ % VCPU_EXIT_HISTORY];

	memset(e, 0, sizeof(*e));
	/* Every exit to us comes here: a coarse clock read, which never costs a system call
	 * (with an HPET clock source, as in the lab's host, a precise one is a syscall and an
	 * emulated HPET read per exit). Milliseconds are what the report needs. */
	e->ns = el_now_coarse_ns();
	e->reason = (uint8_t)run->exit_reason;
	if (run->exit_reason == KVM_EXIT_IO) {
		uint64_t end = run->io.data_offset + run->io.size;
		e->addr = run->io.port;
		e->len = run->io.size;
		e->write = run->io.direction == KVM_EXIT_IO_OUT;
		if (e->write && run->io.size <= 8 && end <= (uint64_t)v->vm->vcpu_mmap_size)
			memcpy(&e->data, (uint8_t *)run + run->io.data_offset, run->io.size);
	} else if (run->exit_reason == KVM_EXIT_MMIO) {
		e->addr = run->mmio.phys_addr;
		e->len = (uint8_t)(run->mmio.len > 8 ? 8 : run->mmio.len);
		e->write = run->mmio.is_write;
		if (e->write)
			memcpy(&e->data, run->mmio.data, e->len);
	}
}

/* The last exits, oldest first, with their age in ms before ref_ns ("the fault": the last
 * exit's own time; "the stop": now). */
static void vcpu_history_print(const struct vcpu *v, uint64_t ref_ns, const char *what,
			       void (*report)(const char *fmt, ...))
{
	unsigned n = v->hist_n < VCPU_EXIT_HISTORY ? v->hist_n : VCPU_EXIT_HISTORY;

	report("vCPU %u: its last %u exits (of %u), oldest first, ms before %s (to the tick):",
	       v->id, n, v->hist_n, what);
	for (unsigned i = v->hist_n - n; i != v->hist_n; i++) {
		const struct vcpu_exit_rec *e = &v->hist[i % VCPU_EXIT_HISTORY];
		const char *kind = e->reason == KVM_EXIT_IO ? "pio" :
				   e->reason == KVM_EXIT_MMIO ? "mmio" : "exit";

		report("  -%.0f %s %s 0x%llx/%u 0x%llx (reason %u)",
		       (double)(int64_t)(ref_ns - e->ns) / 1e6, kind, e->write ? "write" : "read",
		       (unsigned long long)e->addr, e->len, (unsigned long long)e->data, e->reason);
	}
}

static void vcpu_history_report(const struct vcpu *v)
{
	if (v->hist_n)
		vcpu_history_print(v, v->hist[(v->hist_n - 1) % VCPU_EXIT_HISTORY].ns, "the fault",
				   warn_report);
}

/* The highest vector set in one of the local APIC's 256-bit registers (ISR at 0x100, IRR at
 * 0x200: eight 32-bit words 16 bytes apart, SDM 3 10.8.4), or -1. */
static int vcpu_apic_top(const struct kvm_lapic_state *l, unsigned reg)
{
	for (int w = 7; w >= 0; w--) {
		uint32_t v;

		memcpy(&v, &l->regs[reg + (unsigned)w * 16], 4);
		if (v)
			return w * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

static uint32_t vcpu_apic_reg(const struct kvm_lapic_state *l, unsigned reg)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], 4);
	return v;
}

void vcpu_report_all(struct vm *vm)
{
	static const char *const mp[] = { "runnable", "uninitialized", "init-received", "halted",
					  "sipi-received", "stopped", "check-stop", "operating", "load" };
	uint64_t now = el_now_coarse_ns();   /* the exit history's clock */

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_mp_state ms;
		struct kvm_vcpu_events ev;
		struct kvm_lapic_state la;

		if (v->fd < 0)
			continue;
		if (ioctl(v->fd, KVM_GET_MP_STATE, &ms) == 0)
			info_report("vCPU %u: %s", i, ms.mp_state < sizeof(mp) / sizeof(mp[0]) ?
				    mp[ms.mp_state] : "unknown state");
		vcpu_dump(v);
		if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0)
			info_report("vCPU %u: event: exception %u/%u, interrupt %u/0x%x (shadow %u), "
				    "NMI %u/%u/masked %u", i, ev.exception.injected, ev.exception.nr,
				    ev.interrupt.injected, ev.interrupt.nr, ev.interrupt.shadow,
				    ev.nmi.injected, ev.nmi.pending, ev.nmi.masked);
		/* Register offsets: SDM 3 table 10-1 (TPR 0x80, PPR 0xA0, SVR 0xF0, LVT timer
		 * 0x320, initial/current count 0x380/0x390). */
		if (ioctl(v->fd, KVM_GET_LAPIC, &la) == 0)
			info_report("vCPU %u: APIC: highest in service %d, highest requested %d, TPR %x "
				    "PPR %x SVR %x timer LVT %x count %u/%u", i,
				    vcpu_apic_top(&la, 0x100), vcpu_apic_top(&la, 0x200),
				    vcpu_apic_reg(&la, 0x80), vcpu_apic_reg(&la, 0xa0),
				    vcpu_apic_reg(&la, 0xf0), vcpu_apic_reg(&la, 0x320),
				    vcpu_apic_reg(&la, 0x390), vcpu_apic_reg(&la, 0x380));
		vcpu_history_print(v, now, "the stop", info_report);
	}
}

/* Handle one exit; false = this vCPU stops. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		bool out = run->io.direction == KVM_EXIT_IO_OUT;
		uint64_t end = run->io.data_offset + (uint64_t)run->io.size * run->io.count;

		if (end > (uint64_t)vm->vcpu_mmap_size)
			return true;   /* never trust the layout blindly */
		vmm_lock();
		if (vm_coalesced_pending(vm))
			vm_coalesced_flush(vm);   /* earlier queued writes first, in order */
		if (exit_stats_on)
			exit_stats_count(EXIT_STATS_PIO, run->io.port, out);
		for (uint32_t i = 0; i < run->io.count; i++) {
			bus_access(&vm->pio, run->io.port, data, run->io.size, out);
			data += run->io.size;
		}
		vmm_unlock();
		return true;
	}
	case KVM_EXIT_MMIO:
		vmm_lock();
		if (vm_coalesced_pending(vm))
			vm_coalesced_flush(vm);
		if (exit_stats_on)
			exit_stats_count(EXIT_STATS_MMIO, run->mmio.phys_addr, run->mmio.is_write);
		bus_access(&vm->mmio, run->mmio.phys_addr, run->mmio.data,
			   run->mmio.len > 8 ? 8 : run->mmio.len, run->mmio.is_write);
		vmm_unlock();
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* Triple fault: a PC resets; QEMU does the same (or exits with -no-reboot). */
		warn_report("vCPU %u: triple fault (the guest's CPU reset itself): %s", v->id,
			    vm->cfg->no_reboot ? "exiting because of -no-reboot" : "rebooting the guest");
		vcpu_history_report(v);
		runstate_request(RUNSTATE_RESET);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			runstate_request(RUNSTATE_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			runstate_request(RUNSTATE_RESET);
			break;
		default:
			error_report("vCPU %u: guest crashed (KVM system event %u)", v->id,
				     run->system_event.type);
			runstate_request(RUNSTATE_ERROR);
			break;
		}
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		error_report("KVM internal error. Suberror: %u", run->internal.suberror);
		vcpu_dump(v);
		runstate_request(RUNSTATE_ERROR);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		error_report("KVM: entry failed, hardware error 0x%llx",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_dump(v);
		runstate_request(RUNSTATE_ERROR);
		return false;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	default:
		error_report("vCPU %u: unexpected KVM exit reason %u", v->id, run->exit_reason);
		vcpu_dump(v);
		runstate_request(RUNSTATE_ERROR);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	current_run = v->run;
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!v->vm->stopping) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			error_report("vCPU %u: KVM_RUN failed: %s", v->id, strerror(errno));
			runstate_request(RUNSTATE_ERROR);
			break;
		}
		vcpu_history_add(v);
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start_all(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigset_t set;

	sigaction(SIG_VCPU_KICK, &sa, NULL);
	/* Blocked everywhere but inside the vCPU threads. */
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vm->stopping = false;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int rc = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (rc) {
			error_report("cannot start vCPU %u thread: %s", i, strerror(rc));
			return -1;
		}
		vm->vcpus[i].started = true;
		char name[16];
		snprintf(name, sizeof(name), "CPU %u/KVM", i & 0xfff);   /* QEMU's thread names */
		pthread_setname_np(vm->vcpus[i].thread, name);
	}
	return 0;
}

void vcpu_stop_all(struct vm *vm)
{
	vm->stopping = true;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->started)
			continue;
		/* Repeat the kick until the thread is out: it may have been between
		 * the stopping check and KVM_RUN when the first one landed. */
		while (pthread_tryjoin_np(v->thread, NULL) == EBUSY) {
			if (v->run)
				v->run->immediate_exit = 1;
			pthread_kill(v->thread, SIG_VCPU_KICK);
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		v->started = false;
	}
	if (getenv("SKIFF_DEBUG"))
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_dump(&vm->vcpus[i]);
}
