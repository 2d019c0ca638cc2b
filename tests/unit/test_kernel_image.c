/* vm/kernel_image.c: XZ payload decompression and direct vmlinux ELF loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/kernel_image.h"
#include "test_elf.h"
#include "test_machine.h"  /* fake_ram_init */

#define RAM_SIZE (8u << 20)

static uint8_t *ram;
static struct guest_mem mem;

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM_SIZE);
	fake_ram_init(&mem, ram, RAM_SIZE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void test_xz_roundtrip(void **state)
{
	uint8_t in[100000], comp[120000], *out = NULL;
	size_t comp_len = 0, out_len = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + (i >> 9));
	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, sizeof(in), comp,
						 &comp_len, sizeof(comp)), LZMA_OK);
	assert_int_equal(kernel_xz_decompress(comp, comp_len, &out, &out_len, 1u << 20), 0);
	assert_int_equal(out_len, sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	free(out);

	/* Output bigger than allowed: refused, not truncated. */
	assert_int_equal(kernel_xz_decompress(comp, comp_len, &out, &out_len, 50000), -1);
	/* Truncated and corrupt input. */
	assert_int_equal(kernel_xz_decompress(comp, comp_len / 2, &out, &out_len, 1u << 20), -1);
	comp[comp_len / 2] ^= 0xff;
	assert_int_equal(kernel_xz_decompress(comp, comp_len, &out, &out_len, 1u << 20), -1);
}

static void test_elf_load(void **state)
{
	uint8_t elf[4096];
	uint64_t entry, start, end;
	size_t len = make_elf(elf, 0x100000, 0xffffffff81000000ull, 0x100000, 64, 256);
	(void)state;

	memset(ram + 0x100000, 0x55, 512);
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), 0);
	assert_int_equal(entry, 0x100000);
	assert_int_equal(start, 0x100000);
	assert_int_equal(end, 0x100100);
	assert_int_equal(ram[0x100000], 0xa0);
	assert_int_equal(ram[0x10003f], 0xa0 + 63);
	assert_int_equal(ram[0x100040], 0);      /* BSS zeroed */
	assert_int_equal(ram[0x1000ff], 0);
	assert_int_equal(ram[0x100100], 0x55);   /* nothing beyond memsz */

	/* Zero blocks in the file are left out only where RAM is zero already. */
	uint8_t big[3 * 4096 + 256] = { 0 };
	len = make_elf(big, 0x200000, 0xffffffff81000000ull, 0x200000, 3 * 4096, 3 * 4096);
	memset(big + len - 3 * 4096, 0, 3 * 4096);   /* all-zero payload */
	big[len - 4096 + 7] = 0x42;                    /* except in the last block */
	memset(ram + 0x200000, 0, 3 * 4096);
	ram[0x200000 + 4096 + 9] = 0x77;               /* RAM not zero in the middle block */
	assert_int_equal(kernel_elf_load(&mem, big, len, 0, &entry, &start, &end, 0), 0);
	assert_int_equal(ram[0x200000 + 4096 + 9], 0);
	assert_int_equal(ram[0x200000 + 2 * 4096 + 7], 0x42);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(ram[0x200000 + i], 0);

	/* A virtual entry point is translated through the segment's offset. */
	len = make_elf(elf, 0x100000, 0xffffffff81000000ull, 0xffffffff81000010ull, 64, 256);
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 1), 0);
	assert_int_equal(entry, 0x100010);
}

/* Guest RAM the loader leaves out is never read either: untouched pages stay unmapped (a read
 * would map the huge zero page, which the guest's first write then replaces under a running
 * vCPU). */
static void test_elf_load_untouched_ram(void **state)
{
	const size_t size = 4u << 20;
	uint8_t *fresh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct guest_mem m;
	static uint8_t big[4 * 4096 + 256];
	uint64_t entry, start, end;
	unsigned char res[4];
	(void)state;

	assert_true(fresh != MAP_FAILED);
	fake_ram_init(&m, fresh, size);
	memset(big, 0, sizeof(big));
	size_t len = make_elf(big, 0x200000, 0xffffffff81000000ull, 0x200000, 4 * 4096, 4 * 4096);
	memset(big + len - 4 * 4096, 0, 4 * 4096);
	big[len - 4 * 4096 + 5] = 0x42;                /* only the first block has data */
	assert_int_equal(kernel_elf_load(&m, big, len, 0, &entry, &start, &end, 0), 0);
	assert_int_equal(mincore(fresh + 0x200000, 4 * 4096, res), 0);
	assert_int_equal(res[0] & 1, 1);
	assert_int_equal(res[1] & 1, 0);
	assert_int_equal(res[2] & 1, 0);
	assert_int_equal(res[3] & 1, 0);
	assert_int_equal(fresh[0x200000 + 5], 0x42);
	munmap(fresh, size);
}

static void test_elf_rejects(void **state)
{
	uint8_t elf[4096];
	uint64_t entry, start, end;
	size_t len;
	(void)state;

	/* Segment beyond guest RAM, or wrapping. */
	len = make_elf(elf, RAM_SIZE - 16, 0, RAM_SIZE - 16, 8, 64);
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	len = make_elf(elf, UINT64_MAX - 8, 0, 0, 8, 64);
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	/* File bytes beyond the buffer, filesz > memsz. */
	len = make_elf(elf, 0x100000, 0, 0x100000, 64, 256);
	assert_int_equal(kernel_elf_load(&mem, elf, len - 1, 0, &entry, &start, &end, 0), -1);
	len = make_elf(elf, 0x100000, 0, 0x100000, 64, 32);
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	/* Entry outside every segment. */
	len = make_elf(elf, 0x100000, 0x100000, 0x900000, 64, 256);
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	/* Not ELF, wrong machine, 32-bit, program headers past the end. */
	len = make_elf(elf, 0x100000, 0, 0x100000, 64, 256);
	elf[0] = 'X';
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	len = make_elf(elf, 0x100000, 0, 0x100000, 64, 256);
	((Elf64_Ehdr *)elf)->e_machine = EM_386;
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	len = make_elf(elf, 0x100000, 0, 0x100000, 64, 256);
	((Elf64_Ehdr *)elf)->e_phnum = 60000;
	assert_int_equal(kernel_elf_load(&mem, elf, len, 0, &entry, &start, &end, 0), -1);
	assert_int_equal(kernel_elf_load(&mem, elf, 10, 0, &entry, &start, &end, 0), -1);
}

static void test_vmlinux_get_fallbacks(void **state)
{
	uint8_t bz[4096];
	struct kernel_vmlinux v;
	(void)state;

	/* Too small, old protocol, payload not XZ: all mean "boot the bzImage". */
	memset(bz, 0, sizeof(bz));
	assert_int_equal(kernel_vmlinux_get("/nonexistent", bz, 100, &v), -1);
	bz[0x206] = 0x07;
	bz[0x207] = 0x02;
	assert_int_equal(kernel_vmlinux_get("/nonexistent", bz, sizeof(bz), &v), -1);
	bz[0x206] = 0x0f;
	bz[0x1f1] = 1;                 /* protected-mode code at 1024 */
	bz[0x248] = 0x10;              /* payload at 1024 + 16 */
	bz[0x24c] = 0x40;              /* 64 bytes */
	memcpy(bz + 1024 + 16, "\x1f\x8b\x08", 3);   /* gzip */
	assert_int_equal(kernel_vmlinux_get("/nonexistent", bz, sizeof(bz), &v), -1);
	/* Payload length running past the file. */
	bz[0x24d] = 0x40;
	assert_int_equal(kernel_vmlinux_get("/nonexistent", bz, sizeof(bz), &v), -1);
	kernel_vmlinux_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xz_roundtrip),
		cmocka_unit_test_setup_teardown(test_elf_load, setup, teardown),
		cmocka_unit_test(test_elf_load_untouched_ram),
		cmocka_unit_test_setup_teardown(test_elf_rejects, setup, teardown),
		cmocka_unit_test(test_vmlinux_get_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
