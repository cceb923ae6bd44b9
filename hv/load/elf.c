/* SPDX-License-Identifier: MIT */
/*
 * ELF64 guest loader (see elf.h). Images come from the boot medium; still
 * every offset and size is checked for overflow before use.
 */
#include <errcode.h>
#include <hv/load/elf.h>
#include <string.h>

#define EI_NIDENT 16
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1

struct elf64_ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

int elf_load(const void *img, size_t len, uint64_t ram_bytes, elf_copy_fn copy, void *ctx,
	     uint64_t *entry, const char **why)
{
	const uint8_t *b = img;
	struct elf64_ehdr eh;
	bool entry_ok = false;
	unsigned int loads = 0;

	if (len < sizeof(eh))
		return fail(why, "image smaller than an ELF header", -EINVAL);
	memcpy(&eh, b, sizeof(eh));
	if (memcmp(eh.ident, "\177ELF", 4) || eh.ident[4] != 2 /* 64-bit */ ||
	    eh.ident[5] != 1 /* little endian */)
		return fail(why, "not a 64-bit little-endian ELF", -EINVAL);
	if (eh.type != ET_EXEC || eh.machine != EM_X86_64)
		return fail(why, "not an x86-64 executable", -EINVAL);
	if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0 || eh.phoff > len ||
	    (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > len - eh.phoff)
		return fail(why, "bad program header table", -EINVAL);

	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < eh.phnum; i++) {
			struct elf64_phdr ph;
			int rc;

			memcpy(&ph, b + eh.phoff + i * sizeof(ph), sizeof(ph));
			if (ph.type != PT_LOAD || ph.memsz == 0)
				continue;
			if (pass == 0) {
				if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset)
					return fail(why, "segment outside the file", -EINVAL);
				if (ph.paddr < ELF_GUEST_LOAD_MIN || ph.paddr > ram_bytes ||
				    ph.memsz > ram_bytes - ph.paddr)
					return fail(why, "segment outside guest RAM (or below 1 MiB)",
						    -ERANGE);
				if (eh.entry >= ph.paddr && eh.entry < ph.paddr + ph.memsz)
					entry_ok = true;
				loads++;
				continue;
			}
			rc = copy(ctx, ph.paddr, b + ph.offset, ph.filesz);
			if (!rc && ph.memsz > ph.filesz)
				rc = copy(ctx, ph.paddr + ph.filesz, NULL, ph.memsz - ph.filesz);
			if (rc)
				return fail(why, "out of memory while loading", rc);
		}
		if (pass == 0 && (!loads || !entry_ok))
			return fail(why, loads ? "entry point outside the loaded segments"
					       : "no loadable segment", -EINVAL);
	}
	*entry = eh.entry;
	return 0;
}
