#include "vm/kernel_image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/env.h"
#include "util/log.h"

#define HDR_SETUP_SECTS    0x1f1
#define HDR_VERSION        0x206
#define HDR_PAYLOAD_OFFSET 0x248   /* boot protocol 2.08+ */
#define HDR_PAYLOAD_LENGTH 0x24c
#define MAX_VMLINUX        (512u << 20)

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

int kernel_xz_decompress(const uint8_t *in, size_t in_size, uint8_t **out, size_t *out_size,
			 size_t max_out)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = in_size * 4 + (1u << 20);
	uint8_t *buf;
	lzma_ret r;

	if (cap > max_out)
		cap = max_out;
	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return -1;
	buf = malloc(cap);
	if (!buf) {
		lzma_end(&s);
		return -1;
	}
	s.next_in = in;
	s.avail_in = in_size;
	s.next_out = buf;
	s.avail_out = cap;
	for (;;) {
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK && r != LZMA_BUF_ERROR)
			goto fail;
		if (s.avail_out == 0) {
			size_t used = cap;
			uint8_t *n;
			if (cap >= max_out)
				goto fail;
			cap = cap * 2 > max_out ? max_out : cap * 2;
			n = realloc(buf, cap);
			if (!n)
				goto fail;
			buf = n;
			s.next_out = buf + used;
			s.avail_out = cap - used;
		} else if (r == LZMA_BUF_ERROR) {
			goto fail;   /* truncated input */
		}
	}
	*out = buf;
	*out_size = (size_t)s.total_out;
	lzma_end(&s);
	return 0;
fail:
	free(buf);
	lzma_end(&s);
	return -1;
}

static bool kernel_zero(const uint8_t *p, size_t n)
{
	uint64_t acc = 0, w;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (size_t i = n & ~(size_t)7; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Copy a segment, leaving out 4 KiB blocks that are zero on both sides: a Debian vmlinux is
 * ~60 MB of which ~27 MB are zero (BSS and padding stored in the file), and guest RAM not
 * yet written is zero already (writing it would fault in and clear a 2 MiB page for
 * nothing). Measured in the nested lab: 0.74 s of skiff's start. Whether guest RAM is zero is
 * asked of the kernel (mincore) before it is read: a page never touched is not resident and
 * reads as zero, and reading it would map the huge zero page there, which the guest's first
 * write (its early page tables are such blocks) replaces under a running vCPU: a nested page
 * table change in early boot that QEMU's guests, whose RAM is only ever written, never see.
 * Resident pages (RAM written before) are read. */
static void kernel_copy_segment(uint8_t *dst, const uint8_t *src, size_t n)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t base = (uintptr_t)dst & ~(uintptr_t)(pg - 1);
	size_t pages = n ? ((uintptr_t)dst + n - base + pg - 1) / pg : 0;
	unsigned char *res = pages ? malloc(pages) : NULL;

	if (res && mincore((void *)base, pages * pg, res) < 0) {
		free(res);
		res = NULL;   /* unknown: read every block */
	}
	for (size_t off = 0; off < n; off += 4096) {
		size_t k = n - off < 4096 ? n - off : 4096;
		bool untouched = res != NULL;

		if (!kernel_zero(src + off, k)) {
			memcpy(dst + off, src + off, k);
			continue;
		}
		/* The pages this block overlaps: all never touched, or read it. */
		for (size_t i = ((uintptr_t)dst + off - base) / pg;
		     untouched && i <= ((uintptr_t)dst + off + k - 1 - base) / pg; i++)
			untouched = !(res[i] & 1);
		if (!untouched && !kernel_zero(dst + off, k))
			memcpy(dst + off, src + off, k);
	}
	free(res);
}

int kernel_elf_load(const struct guest_mem *mem, const uint8_t *elf, size_t size, uint64_t shift,
		    uint64_t *entry, uint64_t *start, uint64_t *end, int dry_run)
{
	Elf64_Ehdr ehdr, *eh = &ehdr;
	uint64_t lo = UINT64_MAX, hi = 0, virt_off = 0;
	int loads = 0;

	/* Headers are copied out: the file's offsets need not be aligned. */
	if (size < sizeof(*eh))
		return -1;
	memcpy(eh, elf, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < eh->e_phnum; i++) {
			Elf64_Phdr phdr, *ph = &phdr;
			uint8_t *dst;

			memcpy(ph, elf + eh->e_phoff + (size_t)i * sizeof(*ph), sizeof(*ph));
			if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
				continue;
			if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
			    ph->p_filesz > size - ph->p_offset ||
			    ph->p_paddr + ph->p_memsz < ph->p_paddr ||
			    ph->p_paddr + shift < ph->p_paddr)
				return -1;
			dst = guest_mem_ptr(mem, ph->p_paddr + shift, ph->p_memsz);
			if (!dst)
				return -1;
			if (pass == 0) {
				if (ph->p_paddr < lo) {
					lo = ph->p_paddr;
					virt_off = ph->p_vaddr - ph->p_paddr;
				}
				if (ph->p_paddr + ph->p_memsz > hi)
					hi = ph->p_paddr + ph->p_memsz;
				loads++;
			} else if (!dry_run) {
				kernel_copy_segment(dst, elf + ph->p_offset, ph->p_filesz);
				memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
			}
		}
	}
	if (!loads)
		return -1;
	/* x86-64 vmlinux links ENTRY(phys_startup_64): a physical address; accept
	 * a virtual one too by undoing the first segment's offset. */
	*entry = eh->e_entry >= lo && eh->e_entry < hi ? eh->e_entry : eh->e_entry - virt_off;
	if (*entry < lo || *entry >= hi)
		return -1;
	*start = lo;
	*end = hi;
	return 0;
}

/* Where the ELF's own bytes end (headers, segments, section table): the kernel build appends
 * its relocation table after them. */
static uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

static size_t kernel_elf_end(const uint8_t *elf, size_t size)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t end;

	if (size < sizeof(eh))
		return size;
	memcpy(&eh, elf, sizeof(eh));
	if (eh.e_phoff > size || (uint64_t)eh.e_phnum * sizeof(ph) > size - eh.e_phoff)
		return size;   /* not an ELF kernel_elf_load() takes: no table either */
	end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(ph);
	if (add_sat(eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize) > end)
		end = add_sat(eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, elf + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (add_sat(ph.p_offset, ph.p_filesz) > end)
			end = add_sat(ph.p_offset, ph.p_filesz);
	}
	return end > size ? size : (size_t)end;
}

int kernel_relocs_find(const uint8_t *elf, size_t size, struct kernel_relocs *r)
{
	size_t lo, pos;

	memset(r, 0, sizeof(*r));
	lo = kernel_elf_end(elf, size);
	if (size < lo || (size - lo) % 4 || size - lo < 12)
		return -1;
	pos = size;
	for (int list = 0; list < 3; list++) {
		r->hi[list] = pos;
		for (;;) {
			int32_t v;
			if (pos - lo < 4)
				return -1;   /* no terminator before the ELF: not a table */
			pos -= 4;
			memcpy(&v, elf + pos, 4);
			if (!v)
				break;
		}
		r->lo[list] = pos + 4;
	}
	r->base = elf;
	return 0;
}

/* Each entry is the kernel virtual address of a field, truncated to 32 bits (sign-extend it
 * back); the field is at that address minus link_va in the loaded image. Checked in full before
 * anything is written, so a bad table changes nothing. */
int kernel_relocate(const struct guest_mem *mem, const struct kernel_relocs *r, uint64_t phys,
		    uint64_t link_va, uint64_t span, uint64_t delta)
{
	for (int apply = 0; apply < 2; apply++) {
		for (int list = 0; list < 3; list++) {
			unsigned width = list == KERNEL_RELOCS_64 ? 8 : 4;
			for (size_t at = r->lo[list]; at < r->hi[list]; at += 4) {
				int32_t v;
				uint64_t off;
				uint8_t *f;

				memcpy(&v, r->base + at, 4);
				off = (uint64_t)(int64_t)v - link_va;
				if (off > span || span - off < width)
					return -1;
				f = guest_mem_ptr(mem, phys + off, width);
				if (!f)
					return -1;
				if (!apply)
					continue;
				if (list == KERNEL_RELOCS_64) {
					uint64_t x;
					memcpy(&x, f, 8);
					x += delta;
					memcpy(f, &x, 8);
				} else {
					uint32_t x;
					memcpy(&x, f, 4);
					x = list == KERNEL_RELOCS_32 ? x + (uint32_t)delta : x - (uint32_t)delta;
					memcpy(f, &x, 4);
				}
			}
		}
	}
	return 0;
}

/* Cache file name: one per bzImage identity (device, inode, size, mtime). */
static int kernel_cache_path(const char *path, char *out, size_t len)
{
	const char *base = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	struct stat st;
	char dir[512];

	if (stat(path, &st) < 0)
		return -1;
	if (base && *base)
		snprintf(dir, sizeof(dir), "%s/skiff", base);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.cache/skiff", home);
	else
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		/* ~/.cache may not exist yet */
		char parent[512];
		snprintf(parent, sizeof(parent), "%s", dir);
		char *slash = strrchr(parent, '/');
		if (slash) {
			*slash = 0;
			mkdir(parent, 0700);
		}
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	snprintf(out, len, "%s/vmlinux-%llx-%llx-%llx-%lld.%09ld", dir,
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return 0;
}

static int kernel_cache_read(const char *cpath, struct kernel_vmlinux *out)
{
	struct stat st;
	int fd = open(cpath, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	out->data = p;
	out->size = (size_t)st.st_size;
	out->mapped = 1;
	return 0;
}

static void kernel_cache_write(const char *cpath, const uint8_t *data, size_t size)
{
	char tmp[600];
	int fd;
	size_t done = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", cpath, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (close(fd) == 0 && done == size)
		rename(tmp, cpath);    /* atomic: readers see all or nothing */
	else
		unlink(tmp);
}

int kernel_vmlinux_get(const char *path, const uint8_t *bz, size_t bz_size,
		       struct kernel_vmlinux *out)
{
	char cpath[600];
	uint32_t poff, plen;
	size_t pm_start;
	uint8_t *data;
	size_t size;

	memset(out, 0, sizeof(*out));
	if (!env_switch("SKIFF_KERNEL_CACHE", true))
		return -1;
	cpath[0] = 0;
	if (bz_size < 0x400)
		return -1;
	if ((bz[HDR_VERSION] | bz[HDR_VERSION + 1] << 8) < 0x0208)
		return -1;
	pm_start = (size_t)((bz[HDR_SETUP_SECTS] ? bz[HDR_SETUP_SECTS] : 4) + 1) * 512;
	poff = rd32(bz + HDR_PAYLOAD_OFFSET);
	plen = rd32(bz + HDR_PAYLOAD_LENGTH);
	if (pm_start > bz_size || poff > bz_size - pm_start || plen > bz_size - pm_start - poff ||
	    plen < 6)
		return -1;
	if (memcmp(bz + pm_start + poff, "\xfd" "7zXZ\0", 6)) {
		debug_report("kernel: payload is not XZ; booting the bzImage as is");
		return -1;
	}
	if (kernel_cache_path(path, cpath, sizeof(cpath)) == 0 && kernel_cache_read(cpath, out) == 0) {
		debug_report("kernel: using cached vmlinux %s", cpath);
		return 0;
	}
	if (kernel_xz_decompress(bz + pm_start + poff, plen, &data, &size, MAX_VMLINUX) < 0) {
		debug_report("kernel: XZ payload did not decompress; booting the bzImage as is");
		return -1;
	}
	if (cpath[0])
		kernel_cache_write(cpath, data, size);
	out->data = data;
	out->size = size;
	out->mapped = 0;
	return 0;
}

void kernel_vmlinux_release(struct kernel_vmlinux *v)
{
	if (!v->data)
		return;
	if (v->mapped)
		munmap(v->data, v->size);
	else
		free(v->data);
	v->data = NULL;
}
