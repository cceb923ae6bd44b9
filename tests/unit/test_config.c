/* SPDX-License-Identifier: MIT */
/* Unit tests: the run-configuration parser (hv/vm/config.c). */
#include "unit.h"
#include <hv/vm/config.h>
#include <stdio.h>
#include <string.h>

static struct hv_config cfg;
static char err[192];

static int parse(const char *text)
{
	err[0] = '\0';
	return config_parse(text, strlen(text), &cfg, err, sizeof(err));
}

START_TEST(full_config)
{
	ck_assert_int_eq(parse("# comment\n"
			       "pool = 64M\n"
			       "swap = 1G\n"
			       "host_mem = 96M\n"
			       "stats_interval_ms=250   # trailing comment\n"
			       "mitigations = force\n"
			       "cpus = 2\n"
			       "\n"
			       "vm name=a image=a.elf mem=2M\n"
			       "vm  name=b-2  image=b.elf  mem=1G cmdline=\"console=ttyS0 quiet\"\r\n"
			       "vm name=c image=c.elf mem=1M after=b-2 delay_ms=1500 on_reset=stop "
			       "time_limit_ms=2000 balloon=off\n"
			       "vm name=d image=d.elf mem=8M on_reset=restart balloon=2M vcpus=1\n"),
			 0);
	ck_assert_uint_eq(cfg.pool_bytes, 64ULL << 20);
	ck_assert_uint_eq(cfg.swap_bytes, 1ULL << 30);
	ck_assert_uint_eq(cfg.host_mem_bytes, 96ULL << 20);
	ck_assert_uint_eq(cfg.stats_interval_ms, 250);
	ck_assert_int_eq(cfg.mitigations, CFG_MITIGATIONS_FORCE);
	ck_assert_uint_eq(cfg.max_cpus, 2);
	ck_assert_uint_eq(cfg.nr_vms, 4);
	ck_assert_int_eq(cfg.vms[0].balloon, CFG_BALLOON_DEFAULT);
	ck_assert_int_eq(cfg.vms[2].balloon, CFG_BALLOON_OFF);
	ck_assert_int_eq(cfg.vms[3].balloon, CFG_BALLOON_ON);
	ck_assert_uint_eq(cfg.vms[3].balloon_bytes, 2ULL << 20);
	ck_assert_int_eq(cfg.vms[0].after, -1);
	ck_assert_int_eq(cfg.vms[2].after, 1);
	ck_assert_uint_eq(cfg.vms[0].delay_ms, 0);
	ck_assert_uint_eq(cfg.vms[2].delay_ms, 1500);
	ck_assert(!cfg.vms[0].reset_stops); /* restart is the default */
	ck_assert(cfg.vms[2].reset_stops);
	ck_assert(!cfg.vms[3].reset_stops);
	ck_assert_uint_eq(cfg.vms[0].time_limit_ms, 0);
	ck_assert_uint_eq(cfg.vms[2].time_limit_ms, 2000);
	ck_assert_uint_eq(cfg.vms[0].nr_vcpus, 1); /* the default */
	ck_assert_uint_eq(cfg.vms[3].nr_vcpus, 1);
	ck_assert_str_eq(cfg.vms[0].name, "a");
	ck_assert_str_eq(cfg.vms[0].image, "a.elf");
	ck_assert_uint_eq(cfg.vms[0].mem_bytes, 2ULL << 20);
	ck_assert_str_eq(cfg.vms[1].name, "b-2");
	ck_assert_uint_eq(cfg.vms[1].mem_bytes, 1ULL << 30);
	ck_assert_str_eq(cfg.vms[1].cmdline, "console=ttyS0 quiet");
}
END_TEST

START_TEST(no_nul_terminator_needed)
{
	const char text[] = "vm name=x image=x.elf mem=4M";

	ck_assert_int_eq(config_parse(text, sizeof(text) - 1, &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.nr_vms, 1);
	ck_assert_int_eq(cfg.mitigations, CFG_MITIGATIONS_AUTO); /* the default */
}
END_TEST

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "", "no vm lines" },
	{ "pool = 12Q\nvm name=a image=a mem=2M\n", "line 1: bad pool size" },
	{ "host_mem = 8M\nvm name=a image=a mem=2M\n", "line 1: bad host_mem size (at least 16M)" },
	{ "bogus = 1\n", "line 1: unknown key" },
	{ "mitigations = some\nvm name=a image=a mem=2M\n", "line 1: mitigations: auto, force or off" },
	{ "vm name=a image=a.elf\n", "line 1: a VM needs name=, image= and mem=" },
	{ "vm name=a image=a.elf mem=100K\n", "line 1: mem must be a multiple of 4K between 1M and 64G" },
	{ "vm name=a image=a.elf mem=2M\nvm name=a image=b mem=2M\n", "line 2: duplicate VM name" },
	{ "vm name=a/b image=a mem=2M\n", "line 1: bad VM name (letters, digits, - _ . ; at most 31)" },
	{ "vm name=a image=a mem=2M color=red\n", "line 1: unknown VM key" },
	{ "vm name=a image=a mem=2M cmdline=\"open\n", "line 1: expected key=value" },
	{ "pool = 1M extra\n", "line 1: trailing text" },
	{ "vm name=a image=a mem=2M after=b\nvm name=b image=b mem=2M\n",
	  "line 1: after= names no VM defined before this one" },
	{ "vm name=a image=a mem=99999999999999999999\n", "line 1: bad mem size" },
	{ "vm name=a image=a mem=2M disk=d.img\nvm name=b image=a mem=2M disk=d.img\n",
	  "line 2: disk=d.img is also VM a's disk= (one VM per disk)" },
	/* A disk is written in place: never a module some VM boots from, nor
	 * the config; in either order of the VMs, and whatever the case. */
	{ "vm name=a image=a.elf mem=2M\nvm name=b image=b.elf mem=2M disk=a.elf\n",
	  "line 2: disk=a.elf is VM a's image= (a disk is written in place)" },
	{ "vm name=a image=bz initrd=rd.gz mem=2M\nvm name=b image=b mem=2M disk=RD.gz\n",
	  "line 2: disk=RD.gz is VM a's initrd= (a disk is written in place)" },
	{ "vm name=a image=a mem=2M disk=d.img\nvm name=b image=d.img mem=2M\n",
	  "line 2: image=d.img is VM a's disk= (a disk is written in place)" },
	{ "vm name=a image=a mem=2M disk=d.img\nvm name=b image=bz initrd=d.img mem=2M\n",
	  "line 2: initrd=d.img is VM a's disk= (a disk is written in place)" },
	{ "vm name=a image=a.elf mem=2M disk=a.elf\n",
	  "line 1: disk=a.elf is also this VM's image= (a disk is written in place)" },
	{ "vm name=a image=bz initrd=rd mem=2M disk=rd\n",
	  "line 1: disk=rd is also this VM's initrd= (a disk is written in place)" },
	{ "vm name=a image=a mem=2M disk=hintvisor.cfg\n",
	  "line 1: disk=hintvisor.cfg is the configuration file" },
	{ "vm name=a image=a mem=2M disk=HintVisor.CFG\n",
	  "line 1: disk=HintVisor.CFG is the configuration file" },
	{ "vm name=a image=a mem=2M module=m\nvm name=b image=b mem=2M disk=M\n",
	  "line 2: disk=M is VM a's module= (a disk is written in place)" },
	{ "vm name=a image=a mem=2M disk=d\nvm name=b image=b mem=2M module=\"d text\"\n",
	  "line 2: module=d is VM a's disk= (a disk is written in place)" },
	{ "vm name=a image=a mem=2M module=\" m\"\n", "line 1: module= needs a file name first" },
	{ "vm name=a image=a mem=2M module=a module=b module=c module=d module=e\n",
	  "line 1: too many module= (at most 4)" },
	{ "vm name=a image=a mem=2M module=\"m 123456789012345678901234567890123456789012345678901234567890"
	  "1234567890123456789012345678901234567890123456789012345678901234567\"\n",
	  "line 1: module= too long (file name 63, all 127 characters)" },
	{ "vm name=a image=a mem=2M delay_ms=soon\n", "line 1: bad delay_ms (at most 3600000)" },
	{ "vm name=a image=a mem=2M delay_ms=3600001\n", "line 1: bad delay_ms (at most 3600000)" },
	{ "vm name=a image=a mem=2M on_reset=halt\n", "line 1: on_reset must be restart or stop" },
	{ "vm name=a image=a mem=2M time_limit_ms=0\n", "line 1: bad time_limit_ms (1 to 3600000)" },
	{ "vm name=a image=a mem=2M time_limit_ms=3600001\n",
	  "line 1: bad time_limit_ms (1 to 3600000)" },
	{ "vm name=a image=a mem=2M vcpus=0\n", "line 1: bad vcpus (1 to 4)" },
	{ "cpus = 0\n", "line 1: bad cpus (1 to 256)" },
	{ "cpus = 257\n", "line 1: bad cpus (1 to 256)" },
	{ "vm name=a image=a mem=2M vcpus=5\n", "line 1: bad vcpus (1 to 4)" },
	{ "vm name=a image=a mem=2M vcpus=many\n", "line 1: bad vcpus (1 to 4)" },
	{ "vm name=a image=a mem=2M balloon=1000\n", "line 1: bad balloon size (a multiple of 4K, or off)" },
	{ "vm name=a image=a mem=2M balloon=on\n", "line 1: bad balloon size (a multiple of 4K, or off)" },
	{ "vm name=a image=a mem=2M balloon=4M\n", "line 1: balloon larger than mem" },
};

START_TEST(rejects_with_line_numbers)
{
	ck_assert_int_ne(parse(bad[_i].text), 0);
	ck_assert_str_eq(err, bad[_i].msg);
}
END_TEST

START_TEST(modules)
{
	ck_assert_int_eq(parse("vm name=mb image=mb.elf mem=4M initrd=rd.bin "
			       "module=\"conf.txt with its text\" module=plain.bin\n"
			       "vm name=none image=x mem=2M\n"),
			 0);
	ck_assert_uint_eq(cfg.vms[0].nr_modules, 2);
	ck_assert_str_eq(cfg.vms[0].modules[0].file, "conf.txt");
	ck_assert_str_eq(cfg.vms[0].modules[0].string, "conf.txt with its text");
	ck_assert_str_eq(cfg.vms[0].modules[1].file, "plain.bin");
	ck_assert_str_eq(cfg.vms[0].modules[1].string, "plain.bin");
	ck_assert_str_eq(cfg.vms[0].initrd, "rd.bin");
	ck_assert_uint_eq(cfg.vms[1].nr_modules, 0);
}
END_TEST

/* Booting from one image is fine: images and initrds are only read. */
START_TEST(shared_images_own_disks)
{
	ck_assert_int_eq(parse("vm name=a image=bz initrd=rd mem=2M disk=a.img\n"
			       "vm name=b image=bz initrd=rd mem=2M disk=b.img\n"
			       "vm name=c image=bz mem=2M\n"),
			 0);
	ck_assert_uint_eq(cfg.nr_vms, 3);
	ck_assert_str_eq(cfg.vms[1].disk, "b.img");
}
END_TEST

START_TEST(too_many_vms)
{
	char text[4096] = "";

	for (int i = 0; i <= CFG_MAX_VMS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "vm name=v%d image=x mem=1M\n", i);
	ck_assert_int_ne(parse(text), 0);
	ck_assert_str_eq(err, "line 33: too many VMs"); /* CFG_MAX_VMS + 1 */
}
END_TEST

START_TEST(sizes)
{
	uint64_t v;

	ck_assert(config_parse_size("4096", 4, &v) && v == 4096);
	ck_assert(config_parse_size("3k", 2, &v) && v == 3072);
	ck_assert(config_parse_size("2G", 2, &v) && v == 2ULL << 30);
	ck_assert(!config_parse_size("G", 1, &v));
	ck_assert(!config_parse_size("", 0, &v));
	ck_assert(!config_parse_size("-1", 2, &v));
	ck_assert(!config_parse_size("17179869184G", 12, &v)); /* 2^64 bytes */
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, full_config);
	tcase_add_test(t, no_nul_terminator_needed);
	tcase_add_loop_test(t, rejects_with_line_numbers, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(t, modules);
	tcase_add_test(t, shared_images_own_disks);
	tcase_add_test(t, too_many_vms);
	tcase_add_test(t, sizes);
	suite_add_tcase(s, t);
	return s;
}
