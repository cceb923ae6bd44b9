/* SPDX-License-Identifier: MIT */
/* Suites of the core unit-test binary (tests/unit/main.c runs them all). */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>
#include <types.h>

Suite *frames_suite(void);
Suite *config_suite(void);
Suite *boot_suite(void);
Suite *gpt_suite(void);
Suite *elf_suite(void);
Suite *mmio_suite(void);
Suite *hypercall_suite(void);
Suite *pic_suite(void);
Suite *lapic_suite(void);
Suite *platform_suite(void);
Suite *vexit_suite(void);
Suite *gmem_suite(void);
Suite *console_suite(void);
Suite *mitig_suite(void);
Suite *virtio_suite(void);
Suite *madt_suite(void);
Suite *balloon_suite(void);

#endif /* UNIT_H */
