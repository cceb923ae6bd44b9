/* SPDX-License-Identifier: MIT */
/* Unit tests: the ELF64 guest loader's validation and copying. */
#include "unit.h"
#include <errno.h>
#include <hv/load/elf.h>
#include <string.h>

#define RAM (4ULL << 20)

static uint8_t ram[RAM];
static uint8_t img[8192];

struct eh {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct ph {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int copy(void *ctx, uint64_t gpa, const void *src, size_t n)
{
	if (src)
		memcpy(ram + gpa, src, n);
	else
		memset(ram + gpa, 0, n);
	return 0;
}

static struct ph *make(uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	struct eh *e = (struct eh *)img;
	struct ph *p = (struct ph *)(img + 64);

	memset(img, 0, sizeof(img));
	memcpy(e->ident, "\177ELF\2\1\1", 7);
	e->type = 2;
	e->machine = 62;
	e->entry = paddr;
	e->phoff = 64;
	e->phentsize = sizeof(struct ph);
	e->phnum = 1;
	p->type = 1;
	p->offset = 4096;
	p->paddr = paddr;
	p->filesz = filesz;
	p->memsz = memsz;
	memset(img + 4096, 0xab, filesz);
	return p;
}

static int load(size_t len, const char **why)
{
	uint64_t entry;

	return elf_load(img, len, RAM, copy, NULL, &entry, why);
}

START_TEST(loads_and_zeroes_bss)
{
	const char *why = NULL;
	uint64_t entry = 0;

	make(0x100000, 100, 300);
	memset(ram, 0x55, sizeof(ram));
	ck_assert_int_eq(elf_load(img, sizeof(img), RAM, copy, NULL, &entry, &why), 0);
	ck_assert_uint_eq(entry, 0x100000);
	ck_assert_uint_eq(ram[0x100000], 0xab);
	ck_assert_uint_eq(ram[0x100000 + 99], 0xab);
	ck_assert_uint_eq(ram[0x100000 + 100], 0);
	ck_assert_uint_eq(ram[0x100000 + 299], 0);
	ck_assert_uint_eq(ram[0x100000 + 300], 0x55);
}
END_TEST

START_TEST(rejects_bad_images)
{
	const char *why = NULL;
	struct ph *p;

	make(0x100000, 100, 300);
	ck_assert_int_ne(load(32, &why), 0); /* truncated header */
	img[4] = 1;                          /* 32-bit class */
	ck_assert_int_ne(load(sizeof(img), &why), 0);
	make(0x1000, 100, 300); /* below 1 MiB: the hvboot area */
	ck_assert_int_eq(load(sizeof(img), &why), -ERANGE);
	make(RAM - 100, 100, 300); /* past the end of RAM */
	ck_assert_int_eq(load(sizeof(img), &why), -ERANGE);
	p = make(0x100000, 100, 300);
	p->offset = ~0ULL - 10; /* offset + filesz overflows */
	ck_assert_int_eq(load(sizeof(img), &why), -EINVAL);
	p = make(0x100000, 100, 300);
	p->filesz = 400; /* filesz > memsz */
	ck_assert_int_eq(load(sizeof(img), &why), -EINVAL);
	make(0x100000, 100, 300);
	((struct eh *)img)->entry = 0x200000; /* entry outside segments */
	ck_assert_int_eq(load(sizeof(img), &why), -EINVAL);
	make(0x100000, 100, 300);
	((struct eh *)img)->phnum = 0xffff; /* table past the file */
	ck_assert_int_eq(load(sizeof(img), &why), -EINVAL);
	p = make(0x100000, 100, 300);
	p->paddr = ~0ULL - 50; /* paddr + memsz overflows */
	ck_assert_int_eq(load(sizeof(img), &why), -ERANGE);
	ck_assert_ptr_nonnull(why);
}
END_TEST

Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *t = tcase_create("load");

	tcase_add_test(t, loads_and_zeroes_bss);
	tcase_add_test(t, rejects_bad_images);
	suite_add_tcase(s, t);
	return s;
}
