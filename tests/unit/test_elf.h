/* A minimal vmlinux-like ELF for the kernel-loader tests: one PT_LOAD with file bytes (a
 * 0xa0, 0xa1, ... pattern) and a BSS tail. Returns the ELF's length; the segment's bytes start
 * at TEST_ELF_DATA. */
#ifndef SKIFF_TEST_ELF_H
#define SKIFF_TEST_ELF_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

#define TEST_ELF_DATA (sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr))

static inline size_t make_elf(uint8_t *buf, uint64_t paddr, uint64_t vaddr, uint64_t entry,
			      uint64_t filesz, uint64_t memsz)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	size_t off = TEST_ELF_DATA;

	memset(buf, 0, off);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = off;
	ph->p_paddr = paddr;
	ph->p_vaddr = vaddr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	for (uint64_t i = 0; i < filesz; i++)
		buf[off + i] = (uint8_t)(0xa0 + i);
	return off + filesz;
}

#endif
