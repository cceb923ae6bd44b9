/* SPDX-License-Identifier: MIT */
/*
 * Building struct boot_info: helpers shared by both boot paths. Plain C; also
 * compiled into the unit tests.
 */
#include <boot_info.h>
#include <string.h>

bool boot_add_mem(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (len == 0)
		return true;
	if (bi->nr_mem > 0) {
		struct boot_mem_region *last = &bi->mem[bi->nr_mem - 1];
		if (last->type == type && last->base + last->len == base) {
			last->len += len;
			return true;
		}
	}
	if (bi->nr_mem == BOOT_MAX_MEM)
		return false;
	bi->mem[bi->nr_mem++] = (struct boot_mem_region){ base, len, type };
	return true;
}

static const char *basename_of(const char *path)
{
	const char *s = path, *p;

	for (p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			s = p + 1;
	return s;
}

bool boot_add_module(struct boot_info *bi, uint64_t base, uint64_t len, const char *name)
{
	struct boot_module *m;
	const char *b = basename_of(name);
	size_t n;

	if (bi->nr_modules == BOOT_MAX_MODULES)
		return false;
	m = &bi->modules[bi->nr_modules++];
	m->base = base;
	m->len = len;
	/* Stop at the first blank: GRUB passes "name args" as one string. */
	for (n = 0; n < sizeof(m->name) - 1 && b[n] && b[n] != ' '; n++)
		m->name[n] = b[n];
	m->name[n] = '\0';
	return true;
}

const struct boot_module *boot_find_module(const struct boot_info *bi, const char *name)
{
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		if (strcmp(bi->modules[i].name, name) == 0)
			return &bi->modules[i];
	return NULL;
}
