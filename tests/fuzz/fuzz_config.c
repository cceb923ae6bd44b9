/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the configuration parser (hv/vm/config.c) on arbitrary
 * text. Checked: ASan/UBSan, and that what it accepts is well formed
 * (terminated strings, VM count, sizes, after= indices, module= entries:
 * at most CFG_MAX_MODULES, the file name the string's first word).
 */
#include <hv/vm/config.h>
#include <stdlib.h>
#include <string.h>

static void terminated(const char *s, size_t n)
{
	if (memchr(s, 0, n) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hv_config cfg;
	char *text = malloc(size ? size : 1), err[128];

	memcpy(text, data, size);
	memset(err, 0x55, sizeof(err));
	if (config_parse(text, size, &cfg, err, sizeof(err)) == 0) {
		if (cfg.nr_vms > CFG_MAX_VMS)
			abort();
		for (unsigned int i = 0; i < cfg.nr_vms; i++) {
			const struct vm_config *v = &cfg.vms[i];

			terminated(v->name, sizeof(v->name));
			terminated(v->image, sizeof(v->image));
			terminated(v->cmdline, sizeof(v->cmdline));
			terminated(v->initrd, sizeof(v->initrd));
			terminated(v->disk, sizeof(v->disk));
			if (v->nr_modules > CFG_MAX_MODULES)
				abort();
			for (unsigned int m = 0; m < v->nr_modules; m++) {
				terminated(v->modules[m].file, sizeof(v->modules[m].file));
				terminated(v->modules[m].string, sizeof(v->modules[m].string));
				if (!v->modules[m].file[0] ||
				    strncmp(v->modules[m].file, v->modules[m].string,
					    strlen(v->modules[m].file)))
					abort();
			}
			if (v->after >= (int)i || v->after < -1)
				abort();
		}
	} else {
		terminated(err, sizeof(err));
	}
	free(text);
	return 0;
}
