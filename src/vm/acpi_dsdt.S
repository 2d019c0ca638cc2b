/* The DSDT compiled from vm/dsdt.asl by iasl (see Makefile), as a blob. */
	.section .rodata
	.balign 16
	.globl acpi_dsdt_aml
acpi_dsdt_aml:
	.incbin "vm/dsdt.aml"
	.globl acpi_dsdt_aml_end
acpi_dsdt_aml_end:
	.section .note.GNU-stack,"",@progbits
