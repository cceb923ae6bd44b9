/* SPDX-License-Identifier: MIT */
/* Runs every suite of the core unit tests; exit status 1 on any failure. */
#include "unit.h"
#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(frames_suite());
	int failed;

	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, madt_suite());
	srunner_add_suite(sr, boot_suite());
	srunner_add_suite(sr, gpt_suite());
	srunner_add_suite(sr, elf_suite());
	srunner_add_suite(sr, mmio_suite());
	srunner_add_suite(sr, hypercall_suite());
	srunner_add_suite(sr, pic_suite());
	srunner_add_suite(sr, lapic_suite());
	srunner_add_suite(sr, platform_suite());
	srunner_add_suite(sr, vexit_suite());
	srunner_add_suite(sr, gmem_suite());
	srunner_add_suite(sr, console_suite());
	srunner_add_suite(sr, mitig_suite());
	srunner_add_suite(sr, virtio_suite());
	srunner_add_suite(sr, balloon_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
