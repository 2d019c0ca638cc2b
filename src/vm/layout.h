/* The guest's physical address map, I/O ports and interrupt lines: every
 * fixed address skiff uses is here, with the reason it is where it is.
 *
 * Guest physical memory (what the guest finds; e820 reports the same):
 *
 *   0x0000_0000 +-------------------------------+
 *               | real-mode IVT + BDA (RAM, 0)  |  left zero: no BIOS; Linux reads
 *   0x0000_0500 | boot GDT                      |  the EBDA pointer at 0x40E as 0
 *   0x0000_0540 | boot IDT (empty)              |
 *   0x0000_7000 | boot_params ("zero page")     |  64-bit boot protocol, RSI points here
 *   0x0000_9000 | PML4, PDPT, 4 x PD            |  identity map of 0..4 GiB (2 MiB pages)
 *   0x0002_0000 | kernel command line           |  where QEMU/kvmtool/Firecracker put it
 *               |   ... free RAM ...            |  Linux's SMP trampoline goes below 640K
 *   0x0009_FC00 +-------------------------------+  e820 reserved from here (EBDA, as
 *               | (EBDA area, unused)           |  SeaBIOS will use it later)
 *   0x000A_0000 | VGA window / option ROMs      |  RAM in the memslot, reserved in e820
 *   0x000E_0000 | ACPI RSDP + tables            |  Linux scans 0xE0000..0xFFFFF for RSDP
 *   0x000F_FFF0 | reset stub (F000:FFF0)        |  Linux's last-resort reboot jumps here
 *   0x0010_0000 +-------------------------------+  e820 RAM again
 *               | protected-mode kernel         |  bzImage payload (boot protocol)
 *               |   ... RAM ...                 |
 *               | initrd (top of low RAM)       |  below initrd_addr_max
 *   low RAM end +-------------------------------+  min(-m, 3 GiB)
 *   0xC000_0000 | 32-bit PCI MMIO window        |  BARs are pre-assigned from here up
 *   0xFEC0_0000 | IOAPIC (in-kernel)            |
 *   0xFEE0_0000 | LAPIC (in-kernel)             |
 *   0xFEFF_C000 | KVM identity-map page + TSS   |  QEMU's choice; reserved in e820
 *   0xFFFC_0000 | (BIOS ROM, for SeaBIOS later) |  firmware.md §1.1: bios-256k.bin
 *   0x1_0000_0000 +-----------------------------+
 *               | RAM above 4 GiB (-m > 3 GiB)  |
 *
 * The PCI hole starts at 3 GiB for every -m (QEMU's pc starts it at 3.5 GiB
 * for small guests); one fixed window keeps BAR placement and the DSDT
 * static. */
#ifndef SKIFF_VM_LAYOUT_H
#define SKIFF_VM_LAYOUT_H

/* Boot structures (vm/boot_linux.c). */
#define LAYOUT_GDT            0x500ull
#define LAYOUT_IDT            0x540ull   /* after the 6-entry GDT (0x500..0x52f) */
#define LAYOUT_ZERO_PAGE      0x7000ull
#define LAYOUT_PML4           0x9000ull
#define LAYOUT_PDPT           0xA000ull
#define LAYOUT_PD             0xB000ull   /* 4 pages: 0xB000..0xEFFF */
#define LAYOUT_BOOT_STACK     0x8ff0ull
#define LAYOUT_CMDLINE        0x20000ull
#define LAYOUT_CMDLINE_MAX    0x10000ull  /* the kernel's cmdline_size caps it further */
#define LAYOUT_EBDA           0x9fc00ull
#define LAYOUT_ACPI_START     0xe0000ull  /* RSDP first, 16-byte aligned */
#define LAYOUT_ACPI_END       0xffff0ull
/* With a hardware-reduced FADT and no EFI, Linux's default reboot goes
 * "EFI" (absent) then BIOS: a real-mode jump to F000:FFF0. A few bytes there
 * pull the i8042 reset line, so the reset reaches us as on a PC. */
#define LAYOUT_RESET_STUB     0xffff0ull
#define LAYOUT_HIMEM          0x100000ull /* bzImage protected-mode code */

/* RAM split and the PCI hole. */
#define LAYOUT_LOWMEM_MAX     0xC0000000ull
#define LAYOUT_HIGHMEM_START  0x100000000ull
#define LAYOUT_PCI_MMIO_START 0xC0000000u
#define LAYOUT_PCI_MMIO_END   0xFEC00000u /* exclusive */
#define LAYOUT_IOAPIC         0xFEC00000u
#define LAYOUT_LAPIC          0xFEE00000u
#define LAYOUT_KVM_IDENTITY   0xFEFFC000u /* KVM_SET_IDENTITY_MAP_ADDR, 1 page */
#define LAYOUT_KVM_TSS        0xFEFFD000u /* KVM_SET_TSS_ADDR, 3 pages */
#define LAYOUT_KVM_RESERVED_SIZE 0x4000u
#define LAYOUT_BIOS_ROM       0xFFFC0000u

/* I/O ports. */
#define PORT_I8042_DATA       0x60
#define PORT_I8042_CMD        0x64
#define PORT_COM1             0x3f8
#define PORT_PCI_CONFIG       0xcf8
/* ACPI hardware-reduced registers (FADT SLEEP_CONTROL/STATUS, RESET_REG). */
#define PORT_ACPI_SLEEP_CTL   0x600
#define PORT_ACPI_SLEEP_STS   0x601
#define PORT_ACPI_RESET       0x602
#define ACPI_RESET_VALUE      0x01
/* PCI I/O BARs are pre-assigned from here (above every legacy port, as SeaBIOS does). */
#define LAYOUT_PCI_IO_START   0xc000u
#define LAYOUT_PCI_IO_END     0x10000u

/* Interrupt lines: KVM's default routing sends GSI n to IOAPIC pin n (and
 * GSI 0..15 also to the PIC); ISA IRQs keep their numbers; PCI INTx use
 * GSI 16..23 (hw/pci.c pci_slot_gsi(), DSDT _PRT), level-triggered. */
#define GSI_I8042_KBD         1
#define GSI_COM1              4
#define GSI_PCI_FIRST         16

/* PCI slots as on QEMU's pc machine (firmware.md): host bridge 00:00.0,
 * ISA bridge 00:01.0, first NIC 00:03.0. */
#define PCI_SLOT_HOST_BRIDGE  0
#define PCI_SLOT_ISA_BRIDGE   1
#define PCI_SLOT_FIRST_NIC    3

#endif
