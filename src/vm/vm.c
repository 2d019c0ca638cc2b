#include "vm/vm.h"
#include "vm/coalesced.h"
#include "util/env.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "vm/acpi.h"
#include "vm/boot_linux.h"
#include "vm/kernel_image.h"
#include "vm/layout.h"
#include "vm/vcpu.h"

/* KVM capabilities skiff cannot run without (kvmtool's list, trimmed). */
static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

/* /dev/kvm on the development machines is kvm_pvm: CPL0 guest code runs
 * about 1000x slower than on hardware KVM (LAB.md). Say so. */
static void vm_warn_pvm(void)
{
	struct stat st;
	if (stat("/sys/module/kvm_pvm", &st) == 0)
		warn_report("/dev/kvm is provided by kvm_pvm (no hardware virtualization "
			    "underneath): a Linux guest will boot extremely slowly or not at all; "
			    "use a host with VT-x/AMD-V, or the nested lab (make demo)");
}

static int vm_open_kvm(struct vm *vm)
{
	int api;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;
		const char *why =
			e == ENOENT ? "/dev/kvm does not exist: load the kvm_intel or kvm_amd module "
				      "and enable virtualization (VT-x/AMD-V) in the firmware" :
			e == EACCES || e == EPERM ? "no permission to open /dev/kvm: add your user "
						    "to the 'kvm' group or run as root" :
			"check that KVM works on this host";
		error_report("Could not access KVM kernel module: %s (%s)", strerror(e), why);
		error_report("failed to initialize kvm: %s", strerror(e));
		return -1;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		error_report("KVM API version %d, skiff needs %d: the host kernel is too old", api,
			     KVM_API_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			error_report("kvm: the host kernel lacks %s, which skiff needs (Linux 4.x or "
				     "later with KVM provides it)", required_caps[i].name);
			return -1;
		}
	}
	vm->tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		error_report("kvm: KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -1;
	}
	vm_warn_pvm();
	return 0;
}

/* Guest RAM starts on a 2 MiB boundary of the host address space, as QEMU's does: KVM maps
 * a guest 2 MiB page with one nested-page-table entry only where the host address and the
 * guest address agree modulo 2 MiB (and the host backs it with a transparent huge page).
 * Unaligned, every 4 KiB of guest memory costs its own nested page fault when first touched
 * and its own TLB entry; a host kernel before 6.7 does not align large anonymous maps. */
#define VM_RAM_ALIGN (2ull << 20)

static void *vm_map_aligned(uint64_t size, uint64_t align)
{
	size_t total = (size_t)(size + align);
	uint8_t *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *start;

	if (p == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (start + size < p + total)
		munmap(start + size, (size_t)(p + total - (start + size)));
	return start;
}

static int vm_set_memslot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		error_report("kvm: cannot register guest memory at 0x%llx (%llu MiB): %s",
			     (unsigned long long)gpa, (unsigned long long)(size >> 20), strerror(errno));
		return -1;
	}
	return 0;
}

static int vm_map_ram(struct vm *vm)
{
	vm->ram_size = vm->cfg->ram_size;
	vm->low_size = vm->ram_size < LAYOUT_LOWMEM_MAX ? vm->ram_size : LAYOUT_LOWMEM_MAX;
	vm->high_size = vm->ram_size - vm->low_size;
	if (vm->low_size < 16ull << 20) {
		error_report("-m %lluM: too little memory for a Linux guest; give at least 16M",
			     (unsigned long long)(vm->ram_size >> 20));
		return -1;
	}
	/* NORESERVE: nothing is committed until the guest touches it, so an 8 GiB
	 * guest starts on a host with less free memory (LAB.md). */
	/* SKIFF_RAM_ALIGN=off: page-aligned only, for comparing. */
	vm->ram = vm_map_aligned(vm->ram_size, env_switch("SKIFF_RAM_ALIGN", true) ? VM_RAM_ALIGN : 4096);
	if (!vm->ram) {
		error_report("cannot set up guest memory 'pc.ram': %s (-m %llu MiB is more than "
			     "this host can map; lower -m or check 'ulimit -v')", strerror(errno),
			     (unsigned long long)(vm->ram_size >> 20));
		return -1;
	}
	/* SKIFF_THP_MADVISE=off: leave huge pages to the host's policy. MADV_HUGEPAGE makes
	 * a fault wait for compaction (defrag=madvise) where the host's memory is fragmented. */
	if (env_switch("SKIFF_THP_MADVISE", true))
		madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);
	madvise(vm->ram, vm->ram_size, MADV_DONTDUMP);
	guest_mem_add(&vm->mem, 0, vm->low_size, vm->ram);
	if (vm_set_memslot(vm, 0, 0, vm->low_size, vm->ram))
		return -1;
	if (vm->high_size) {
		guest_mem_add(&vm->mem, LAYOUT_HIGHMEM_START, vm->high_size, vm->ram + vm->low_size);
		if (vm_set_memslot(vm, 1, LAYOUT_HIGHMEM_START, vm->high_size, vm->ram + vm->low_size))
			return -1;
	}
	return 0;
}

static void vm_pci_irq(void *opaque, unsigned gsi, int level)
{
	vm_set_irq(opaque, gsi, level);
}

static int vm_pci_msi(void *opaque, uint64_t address, uint32_t data)
{
	return vm_signal_msi(opaque, address, data);
}

void vm_coalesced_flush(struct vm *vm)
{
	coalesced_drain(vm->coalesced_ring, vm->coalesced_max, &vm->pio, &vm->mmio);
}

static void vm_bus_flush(void *opaque)
{
	vm_coalesced_flush(opaque);
}

static void vm_bus_coalesce(void *opaque, bool pio, uint64_t addr, uint64_t len, bool add)
{
	struct vm *vm = opaque;
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = (uint32_t)len, .pio = pio };

	if ((pio && !vm->coalesced_pio) || len > UINT32_MAX)
		return;
	/* Failure only costs the exits coalescing would have saved. */
	if (ioctl(vm->vm_fd, add ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO, &z) < 0)
		debug_report("kvm: %s coalesced %s zone 0x%llx+0x%llx: %s", add ? "adding" : "removing",
			     pio ? "pio" : "mmio", (unsigned long long)addr, (unsigned long long)len,
			     strerror(errno));
}

/* Slots 0 and 1 are RAM below and above the PCI hole; device windows take the next ones. */
#define VM_DEV_SLOT0 2

static int vm_bus_ram(void *opaque, uint64_t addr, uint64_t len, void *hva, bool add, bool readonly)
{
	struct vm *vm = opaque;
	unsigned n = sizeof(vm->dev_slot) / sizeof(vm->dev_slot[0]), i;
	struct kvm_userspace_memory_region r = { .guest_phys_addr = addr };

	if (add && readonly && !vm->readonly_mem)
		return -1;

	for (i = 0; i < n; i++)
		if (add ? !vm->dev_slot[i].used : (vm->dev_slot[i].used && vm->dev_slot[i].gpa == addr))
			break;
	if (i == n)
		return -1;
	r.slot = VM_DEV_SLOT0 + i;
	if (add) {
		r.memory_size = len;
		r.userspace_addr = (uint64_t)(uintptr_t)hva;
		r.flags = readonly ? KVM_MEM_READONLY : 0;
	}
	/* Deleting is a zero-sized region at the same slot. */
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		debug_report("kvm: %s device memory at 0x%llx: %s", add ? "mapping" : "unmapping",
			     (unsigned long long)addr, strerror(errno));
		return -1;
	}
	vm->dev_slot[i].used = add;
	vm->dev_slot[i].gpa = addr;
	return 0;
}

/* Coalesced writes when KVM has them (SKIFF_COALESCED=off: every write exits, for comparing). */
static void vm_setup_coalescing(struct vm *vm)
{
	int page = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);

	if (page <= 0 || !env_switch("SKIFF_COALESCED", true) ||
	    (long)(page + 1) * sysconf(_SC_PAGESIZE) > vm->vcpu_mmap_size)
		return;
	vm->coalesced_page = page;
	vm->coalesced_pio = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0;
	vm->pio.coalesce = vm->mmio.coalesce = vm_bus_coalesce;
	vm->pio.flush = vm->mmio.flush = vm_bus_flush;
	vm->pio.hook_opaque = vm->mmio.hook_opaque = vm;
}

/* SKIFF_HALT_POLL_NS=N: how long KVM spins on a halted vCPU before it sleeps (KVM_CAP_HALT_POLL;
 * the host's default otherwise). An experiment knob for wake-up latency vs. host CPU. */
static void vm_setup_halt_poll(struct vm *vm)
{
	const char *env = getenv("SKIFF_HALT_POLL_NS");
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL };
	char *end;

	if (!env || !*env)
		return;
	cap.args[0] = strtoull(env, &end, 0);
	if (*end || ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		warn_report("SKIFF_HALT_POLL_NS=%s not applied: %s", env,
			    *end ? "not a number" : strerror(errno));
}

int vm_create(struct vm *vm, const struct skiff_config *cfg)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t identity = LAYOUT_KVM_IDENTITY;
	const struct cpu_model *model;
	const char *model_name = cfg->cpu_model ? cfg->cpu_model : CPU_MODEL_DEFAULT;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->nr_vcpus = cfg->smp.cpus ? cfg->smp.cpus : 1;
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");

	/* -machine/-accel properties skiff does not implement are errors, not silently ignored. */
	if (kvlist_check_unused(&cfg->machine_opts) < 0 || kvlist_check_unused(&cfg->accel_opts) < 0)
		return -1;
	model = cpu_model_find(model_name);
	if (!model) {
		error_report("unable to find CPU model '%s' (skiff -cpu help lists the models)",
			     model_name);
		return -1;
	}
	if (vm_open_kvm(vm))
		return -1;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		error_report("failed to initialize kvm: KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	/* Both before any vCPU exists; the pages are reserved in e820. */
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0) {
		error_report("kvm: cannot place the identity map/TSS: %s", strerror(errno));
		return -1;
	}
	if (vm_map_ram(vm))
		return -1;
	vm_setup_coalescing(vm);
	vm->readonly_mem = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	vm->mmio.ram = vm_bus_ram;
	vm->mmio.hook_opaque = vm;
	vm_setup_halt_poll(vm);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		error_report("kvm: KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		error_report("kvm: KVM_CREATE_PIT2 failed: %s", strerror(errno));
		return -1;
	}
	if (cpuid_get_supported(vm->kvm_fd, &vm->cpuid) < 0) {
		error_report("kvm: KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		return -1;
	}
	if (cpuid_apply_model(&vm->cpuid, model, &cfg->cpu_flags, vm->tsc_deadline) < 0)
		return -1;
	if (pci_bus_init(&vm->pci, &vm->pio, &vm->mmio, &vm->mem, vm_pci_irq, vm,
			 LAYOUT_PCI_MMIO_START, LAYOUT_PCI_MMIO_END, LAYOUT_PCI_IO_START,
			 LAYOUT_PCI_IO_END) < 0) {
		error_report("pci: cannot claim the configuration ports");
		return -1;
	}
	/* PCI INTx as edges, described so in the DSDT (vm/acpi.c): the guest then neither
	 * reads the TMR nor exits for the EOI of its NIC's interrupt (KVM's PV EOI covers
	 * edge-triggered vectors only), two exits of every interrupt's ~10 in the nested lab
	 * (bench/README.md session 16). SKIFF_PCI_EDGE=off: level-triggered, as QEMU's PIIX. */
	vm->pci_intx_edge = env_switch("SKIFF_PCI_EDGE", true);
	pci_bus_set_intx_edge(&vm->pci, vm->pci_intx_edge);
	/* Without KVM_SIGNAL_MSI the bus has no MSI hook and devices offer no
	 * MSI-X capability (INTx only), as QEMU does without MSI support. */
	vm->signal_msi = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) > 0;
	if (vm->signal_msi)
		pci_bus_set_msi(&vm->pci, vm_pci_msi, vm);
	else
		debug_report("kvm: no KVM_CAP_SIGNAL_MSI: PCI devices use INTx only");
	return 0;
}

void vm_set_irq(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		debug_report("KVM_IRQ_LINE %u failed: %s", gsi, strerror(errno));
}

void vm_irqchip_report(struct vm *vm)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	const struct kvm_ioapic_state *io = &chip.chip.ioapic;
	char line[512];
	int n = 0;

	if (vm->vm_fd < 0 || ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return;
	/* Unmasked pins only: vector, trigger, and the two bits that stall a line (82093AA
	 * datasheet 3.2.4): remote IRR (a level interrupt not yet EOI'd) and delivery status. */
	for (unsigned pin = 0; pin < KVM_IOAPIC_NUM_PINS && n < (int)sizeof(line) - 48; pin++) {
		const __typeof__(io->redirtbl[0].fields) *f = &io->redirtbl[pin].fields;

		if (f->mask)
			continue;
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %u:%02x%s%s%s%s", pin, f->vector,
			      f->trig_mode ? "L" : "E", f->remote_irr ? "+rirr" : "",
			      f->delivery_status ? "+pending" : "", (io->irr >> pin) & 1 ? "+irr" : "");
	}
	info_report("ioapic: unmasked pins (pin:vector, E/L edge/level):%s", n ? line : " none");
}

int vm_signal_msi(struct vm *vm, uint64_t address, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)address, .address_hi = (uint32_t)(address >> 32), .data = data,
	};
	int rc;

	if (!vm->signal_msi)
		return -1;
	if ((address >> 32) || ((uint32_t)address & PCI_MSI_ADDR_MASK) != PCI_MSI_ADDR_BASE) {
		debug_report("MSI to 0x%llx (not the APIC window) dropped", (unsigned long long)address);
		return -1;
	}
	/* 1 = delivered, 0 = blocked by the guest's APIC state, <0 = error. */
	rc = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	if (rc < 0) {
		debug_report("KVM_SIGNAL_MSI 0x%llx/0x%x failed: %s", (unsigned long long)address, data,
			     strerror(errno));
		return -1;
	}
	return 0;
}

/* Map a whole file read-only; NULL after a message. */
static void *vm_map_file(const char *path, const char *what, size_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		error_report("could not load %s '%s': %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		error_report("could not load %s '%s': %s", what, path,
			     S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular, non-empty file");
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		error_report("could not load %s '%s': %s", what, path, strerror(errno));
		return NULL;
	}
	*size = (size_t)st.st_size;
	return p;
}

int vm_load_kernel(struct vm *vm)
{
	const struct skiff_config *cfg = vm->cfg;
	struct boot_linux_params p = { 0 };
	struct boot_linux_entry entry;
	struct kernel_vmlinux vmlinux = { 0 };
	uint8_t *acpi;
	int rc = -1;

	if (!cfg->kernel) {
		error_report("no -kernel given: skiff boots a Linux bzImage directly "
			     "(e.g. -kernel /boot/vmlinuz-$(uname -r)); firmware boot from "
			     "-hda/-cdrom is not supported yet");
		return -1;
	}
	p.kernel = vm_map_file(cfg->kernel, "kernel", &p.kernel_size);
	if (!p.kernel)
		return -1;
	if (cfg->initrd) {
		p.initrd = vm_map_file(cfg->initrd, "initial ram disk", &p.initrd_size);
		if (!p.initrd)
			goto out;
	}
	if (kernel_vmlinux_get(cfg->kernel, p.kernel, p.kernel_size, &vmlinux) == 0) {
		p.vmlinux = vmlinux.data;
		p.vmlinux_size = vmlinux.size;
	}
	p.cmdline = cfg->append;
	/* KASLR's slots, as the decompressor would pick them (no entropy: no KASLR, as there). */
	p.kaslr = getrandom(p.kaslr_rand, sizeof(p.kaslr_rand), GRND_NONBLOCK) ==
		  (ssize_t)sizeof(p.kaslr_rand);
	p.low_ram_end = vm->low_size;
	p.high_ram_size = vm->high_size;

	acpi = guest_mem_ptr(&vm->mem, LAYOUT_ACPI_START, LAYOUT_ACPI_END - LAYOUT_ACPI_START);
	if (!acpi)
		goto out;
	p.rsdp = acpi_build(acpi, LAYOUT_ACPI_END - LAYOUT_ACPI_START, LAYOUT_ACPI_START,
			    vm->nr_vcpus, vm->pci_intx_edge);
	if (!p.rsdp) {
		error_report("ACPI tables do not fit (%u vCPUs)", vm->nr_vcpus);
		goto out;
	}
	if (boot_linux_load(&vm->mem, &p, cfg->kernel, cfg->initrd, &entry) == 0) {
		debug_report("kernel: entry 0x%llx (%s)", (unsigned long long)entry.rip,
			     entry.direct ? "vmlinux, no decompressor" : "bzImage decompressor");
		if (entry.direct)
			debug_report("kernel: at 0x%llx, virtual base moved by 0x%llx (KASLR %s)",
				     (unsigned long long)entry.kernel_phys,
				     (unsigned long long)entry.kaslr_delta, entry.kaslr ? "on" : "off");
		rc = vcpu_set_boot_state(vm, &entry);
	}
out:
	kernel_vmlinux_release(&vmlinux);
	if (p.kernel)
		munmap((void *)p.kernel, p.kernel_size);
	if (p.initrd)
		munmap((void *)p.initrd, p.initrd_size);
	return rc;
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			if (vm->vcpus[i].run)
				munmap(vm->vcpus[i].run, (size_t)vm->vcpu_mmap_size);
			if (vm->vcpus[i].fd >= 0)
				close(vm->vcpus[i].fd);
		}
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	vm->vm_fd = vm->kvm_fd = -1;
	vm->ram = NULL;
}
