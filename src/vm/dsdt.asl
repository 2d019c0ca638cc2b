/*
 * skiff's DSDT (ACPI 6.x, hardware-reduced platform): the PCI root bridge and
 * its INTx routing, COM1, the PS/2 controller, and the S5 sleep state that
 * makes guest "poweroff" reach the VMM (FADT SLEEP_CONTROL_REG, vm/acpi.c).
 * Compiled by iasl at build time; linked in by vm/acpi_dsdt.S.
 * Addresses and GSIs must agree with vm/layout.h and hw/pci.c.
 */
DefinitionBlock ("dsdt.aml", "DSDT", 2, "SKIFF ", "SKIFFVM ", 1)
{
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_SEG, Zero)
            Name (_BBN, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000)
                /* LAYOUT_PCI_MMIO_START .. LAYOUT_PCI_MMIO_END - 1 */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000)
            })
            /* Slot s, pin p (0 = INTA#) -> link LNKn, n = (s + p) % 8, i.e. GSI 16 + n (below). */
            Name (_PRT, Package ()
            {
                Package () { 0x0000FFFF, 0, \_SB.LNK0, 0 }, Package () { 0x0000FFFF, 1, \_SB.LNK1, 0 }, Package () { 0x0000FFFF, 2, \_SB.LNK2, 0 }, Package () { 0x0000FFFF, 3, \_SB.LNK3, 0 },
                Package () { 0x0001FFFF, 0, \_SB.LNK1, 0 }, Package () { 0x0001FFFF, 1, \_SB.LNK2, 0 }, Package () { 0x0001FFFF, 2, \_SB.LNK3, 0 }, Package () { 0x0001FFFF, 3, \_SB.LNK4, 0 },
                Package () { 0x0002FFFF, 0, \_SB.LNK2, 0 }, Package () { 0x0002FFFF, 1, \_SB.LNK3, 0 }, Package () { 0x0002FFFF, 2, \_SB.LNK4, 0 }, Package () { 0x0002FFFF, 3, \_SB.LNK5, 0 },
                Package () { 0x0003FFFF, 0, \_SB.LNK3, 0 }, Package () { 0x0003FFFF, 1, \_SB.LNK4, 0 }, Package () { 0x0003FFFF, 2, \_SB.LNK5, 0 }, Package () { 0x0003FFFF, 3, \_SB.LNK6, 0 },
                Package () { 0x0004FFFF, 0, \_SB.LNK4, 0 }, Package () { 0x0004FFFF, 1, \_SB.LNK5, 0 }, Package () { 0x0004FFFF, 2, \_SB.LNK6, 0 }, Package () { 0x0004FFFF, 3, \_SB.LNK7, 0 },
                Package () { 0x0005FFFF, 0, \_SB.LNK5, 0 }, Package () { 0x0005FFFF, 1, \_SB.LNK6, 0 }, Package () { 0x0005FFFF, 2, \_SB.LNK7, 0 }, Package () { 0x0005FFFF, 3, \_SB.LNK0, 0 },
                Package () { 0x0006FFFF, 0, \_SB.LNK6, 0 }, Package () { 0x0006FFFF, 1, \_SB.LNK7, 0 }, Package () { 0x0006FFFF, 2, \_SB.LNK0, 0 }, Package () { 0x0006FFFF, 3, \_SB.LNK1, 0 },
                Package () { 0x0007FFFF, 0, \_SB.LNK7, 0 }, Package () { 0x0007FFFF, 1, \_SB.LNK0, 0 }, Package () { 0x0007FFFF, 2, \_SB.LNK1, 0 }, Package () { 0x0007FFFF, 3, \_SB.LNK2, 0 },
                Package () { 0x0008FFFF, 0, \_SB.LNK0, 0 }, Package () { 0x0008FFFF, 1, \_SB.LNK1, 0 }, Package () { 0x0008FFFF, 2, \_SB.LNK2, 0 }, Package () { 0x0008FFFF, 3, \_SB.LNK3, 0 },
                Package () { 0x0009FFFF, 0, \_SB.LNK1, 0 }, Package () { 0x0009FFFF, 1, \_SB.LNK2, 0 }, Package () { 0x0009FFFF, 2, \_SB.LNK3, 0 }, Package () { 0x0009FFFF, 3, \_SB.LNK4, 0 },
                Package () { 0x000AFFFF, 0, \_SB.LNK2, 0 }, Package () { 0x000AFFFF, 1, \_SB.LNK3, 0 }, Package () { 0x000AFFFF, 2, \_SB.LNK4, 0 }, Package () { 0x000AFFFF, 3, \_SB.LNK5, 0 },
                Package () { 0x000BFFFF, 0, \_SB.LNK3, 0 }, Package () { 0x000BFFFF, 1, \_SB.LNK4, 0 }, Package () { 0x000BFFFF, 2, \_SB.LNK5, 0 }, Package () { 0x000BFFFF, 3, \_SB.LNK6, 0 },
                Package () { 0x000CFFFF, 0, \_SB.LNK4, 0 }, Package () { 0x000CFFFF, 1, \_SB.LNK5, 0 }, Package () { 0x000CFFFF, 2, \_SB.LNK6, 0 }, Package () { 0x000CFFFF, 3, \_SB.LNK7, 0 },
                Package () { 0x000DFFFF, 0, \_SB.LNK5, 0 }, Package () { 0x000DFFFF, 1, \_SB.LNK6, 0 }, Package () { 0x000DFFFF, 2, \_SB.LNK7, 0 }, Package () { 0x000DFFFF, 3, \_SB.LNK0, 0 },
                Package () { 0x000EFFFF, 0, \_SB.LNK6, 0 }, Package () { 0x000EFFFF, 1, \_SB.LNK7, 0 }, Package () { 0x000EFFFF, 2, \_SB.LNK0, 0 }, Package () { 0x000EFFFF, 3, \_SB.LNK1, 0 },
                Package () { 0x000FFFFF, 0, \_SB.LNK7, 0 }, Package () { 0x000FFFFF, 1, \_SB.LNK0, 0 }, Package () { 0x000FFFFF, 2, \_SB.LNK1, 0 }, Package () { 0x000FFFFF, 3, \_SB.LNK2, 0 },
                Package () { 0x0010FFFF, 0, \_SB.LNK0, 0 }, Package () { 0x0010FFFF, 1, \_SB.LNK1, 0 }, Package () { 0x0010FFFF, 2, \_SB.LNK2, 0 }, Package () { 0x0010FFFF, 3, \_SB.LNK3, 0 },
                Package () { 0x0011FFFF, 0, \_SB.LNK1, 0 }, Package () { 0x0011FFFF, 1, \_SB.LNK2, 0 }, Package () { 0x0011FFFF, 2, \_SB.LNK3, 0 }, Package () { 0x0011FFFF, 3, \_SB.LNK4, 0 },
                Package () { 0x0012FFFF, 0, \_SB.LNK2, 0 }, Package () { 0x0012FFFF, 1, \_SB.LNK3, 0 }, Package () { 0x0012FFFF, 2, \_SB.LNK4, 0 }, Package () { 0x0012FFFF, 3, \_SB.LNK5, 0 },
                Package () { 0x0013FFFF, 0, \_SB.LNK3, 0 }, Package () { 0x0013FFFF, 1, \_SB.LNK4, 0 }, Package () { 0x0013FFFF, 2, \_SB.LNK5, 0 }, Package () { 0x0013FFFF, 3, \_SB.LNK6, 0 },
                Package () { 0x0014FFFF, 0, \_SB.LNK4, 0 }, Package () { 0x0014FFFF, 1, \_SB.LNK5, 0 }, Package () { 0x0014FFFF, 2, \_SB.LNK6, 0 }, Package () { 0x0014FFFF, 3, \_SB.LNK7, 0 },
                Package () { 0x0015FFFF, 0, \_SB.LNK5, 0 }, Package () { 0x0015FFFF, 1, \_SB.LNK6, 0 }, Package () { 0x0015FFFF, 2, \_SB.LNK7, 0 }, Package () { 0x0015FFFF, 3, \_SB.LNK0, 0 },
                Package () { 0x0016FFFF, 0, \_SB.LNK6, 0 }, Package () { 0x0016FFFF, 1, \_SB.LNK7, 0 }, Package () { 0x0016FFFF, 2, \_SB.LNK0, 0 }, Package () { 0x0016FFFF, 3, \_SB.LNK1, 0 },
                Package () { 0x0017FFFF, 0, \_SB.LNK7, 0 }, Package () { 0x0017FFFF, 1, \_SB.LNK0, 0 }, Package () { 0x0017FFFF, 2, \_SB.LNK1, 0 }, Package () { 0x0017FFFF, 3, \_SB.LNK2, 0 },
                Package () { 0x0018FFFF, 0, \_SB.LNK0, 0 }, Package () { 0x0018FFFF, 1, \_SB.LNK1, 0 }, Package () { 0x0018FFFF, 2, \_SB.LNK2, 0 }, Package () { 0x0018FFFF, 3, \_SB.LNK3, 0 },
                Package () { 0x0019FFFF, 0, \_SB.LNK1, 0 }, Package () { 0x0019FFFF, 1, \_SB.LNK2, 0 }, Package () { 0x0019FFFF, 2, \_SB.LNK3, 0 }, Package () { 0x0019FFFF, 3, \_SB.LNK4, 0 },
                Package () { 0x001AFFFF, 0, \_SB.LNK2, 0 }, Package () { 0x001AFFFF, 1, \_SB.LNK3, 0 }, Package () { 0x001AFFFF, 2, \_SB.LNK4, 0 }, Package () { 0x001AFFFF, 3, \_SB.LNK5, 0 },
                Package () { 0x001BFFFF, 0, \_SB.LNK3, 0 }, Package () { 0x001BFFFF, 1, \_SB.LNK4, 0 }, Package () { 0x001BFFFF, 2, \_SB.LNK5, 0 }, Package () { 0x001BFFFF, 3, \_SB.LNK6, 0 },
                Package () { 0x001CFFFF, 0, \_SB.LNK4, 0 }, Package () { 0x001CFFFF, 1, \_SB.LNK5, 0 }, Package () { 0x001CFFFF, 2, \_SB.LNK6, 0 }, Package () { 0x001CFFFF, 3, \_SB.LNK7, 0 },
                Package () { 0x001DFFFF, 0, \_SB.LNK5, 0 }, Package () { 0x001DFFFF, 1, \_SB.LNK6, 0 }, Package () { 0x001DFFFF, 2, \_SB.LNK7, 0 }, Package () { 0x001DFFFF, 3, \_SB.LNK0, 0 },
                Package () { 0x001EFFFF, 0, \_SB.LNK6, 0 }, Package () { 0x001EFFFF, 1, \_SB.LNK7, 0 }, Package () { 0x001EFFFF, 2, \_SB.LNK0, 0 }, Package () { 0x001EFFFF, 3, \_SB.LNK1, 0 },
                Package () { 0x001FFFFF, 0, \_SB.LNK7, 0 }, Package () { 0x001FFFFF, 1, \_SB.LNK0, 0 }, Package () { 0x001FFFFF, 2, \_SB.LNK1, 0 }, Package () { 0x001FFFFF, 3, \_SB.LNK2, 0 }
            })
        }

        /* The PCI interrupt links: LNKn is GSI 16 + n, one per IOAPIC input, none shared by
         * two slots' INTA# below 8 slots. Edge-triggered, active high, as MSI is: hw/pci.c
         * sends one edge per rise of a function's INTx (PCI 3.0 2.2.6's level becomes a
         * message), so the guest's interrupt entry needs no TMR read and its end no EOI exit
         * for the IOAPIC (KVM's PV EOI applies: bench/README.md session 16). vm/acpi.c
         * rewrites the descriptors to level, active low, shared for SKIFF_PCI_EDGE=off. */
        Device (LNK0)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 0)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 16 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 16 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK1)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 1)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 17 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 17 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK2)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 2)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 18 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 18 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK3)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 3)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 19 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 19 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK4)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 4)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 20 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 20 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK5)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 5)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 21 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 21 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK6)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 6)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 22 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 22 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }
        Device (LNK7)
        {
            Name (_HID, EisaId ("PNP0C0F"))
            Name (_UID, 7)
            Name (_PRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 23 } })
            Name (_CRS, ResourceTemplate () { Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { 23 } })
            Method (_STA) { Return (0x0B) }
            Method (_SRS, 1) { }
            Method (_DIS) { }
        }

        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
                IRQNoFlags () {4}
            })
        }

        Device (RTC)
        {
            Name (_HID, EisaId ("PNP0B00"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                IRQNoFlags () {8}
            })
        }

        Device (PS2K)
        {
            Name (_HID, EisaId ("PNP0303"))
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0060, 0x0060, 0x00, 0x01)
                IO (Decode16, 0x0064, 0x0064, 0x00, 0x01)
                IRQNoFlags () {1}
            })
        }
    }

    /* S5 (soft off): SLP_TYP 5 -> the guest writes (5 << 2) | SLP_EN to SLEEP_CONTROL. */
    Name (\_S5, Package () { 0x05, 0x05, Zero, Zero })
}
