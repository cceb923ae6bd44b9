/* SPDX-License-Identifier: MIT */
/* Unit tests: the run-configuration parser (hv/config.c). */
#include "unit.h"
#include <hv/config.h>
#include <stdio.h>
#include <string.h>

static struct hv_config cfg;
static char err[96];

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
			       "stats_interval_ms=250   # trailing comment\n"
			       "\n"
			       "vm name=a image=a.elf mem=2M\n"
			       "vm  name=b-2  image=b.elf  mem=1G cmdline=\"console=ttyS0 quiet\"\r\n"
			       "vm name=c image=c.elf mem=1M after=b-2 delay_ms=1500 time_limit_ms=2000\n"),
			 0);
	ck_assert_uint_eq(cfg.pool_bytes, 64ULL << 20);
	ck_assert_uint_eq(cfg.swap_bytes, 1ULL << 30);
	ck_assert_uint_eq(cfg.stats_interval_ms, 250);
	ck_assert_uint_eq(cfg.nr_vms, 3);
	ck_assert_int_eq(cfg.vms[0].after, -1);
	ck_assert_int_eq(cfg.vms[2].after, 1);
	ck_assert_uint_eq(cfg.vms[0].delay_ms, 0);
	ck_assert_uint_eq(cfg.vms[2].delay_ms, 1500);
	ck_assert_uint_eq(cfg.vms[0].time_limit_ms, 0);
	ck_assert_uint_eq(cfg.vms[2].time_limit_ms, 2000);
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
}
END_TEST

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "", "no vm lines" },
	{ "pool = 12Q\nvm name=a image=a mem=2M\n", "line 1: bad pool size" },
	{ "bogus = 1\n", "line 1: unknown key" },
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
	  "line 2: disk= module already used by another VM (one disk per VM)" },
	{ "vm name=a image=a mem=2M delay_ms=soon\n", "line 1: bad delay_ms (at most 3600000)" },
	{ "vm name=a image=a mem=2M delay_ms=3600001\n", "line 1: bad delay_ms (at most 3600000)" },
	{ "vm name=a image=a mem=2M time_limit_ms=0\n", "line 1: bad time_limit_ms (1 to 3600000)" },
	{ "vm name=a image=a mem=2M time_limit_ms=3600001\n",
	  "line 1: bad time_limit_ms (1 to 3600000)" },
};

START_TEST(rejects_with_line_numbers)
{
	ck_assert_int_ne(parse(bad[_i].text), 0);
	ck_assert_str_eq(err, bad[_i].msg);
}
END_TEST

START_TEST(too_many_vms)
{
	char text[4096] = "";

	for (int i = 0; i <= CFG_MAX_VMS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "vm name=v%d image=x mem=1M\n", i);
	ck_assert_int_ne(parse(text), 0);
	ck_assert_str_eq(err, "line 17: too many VMs");
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
	tcase_add_test(t, too_many_vms);
	tcase_add_test(t, sizes);
	suite_add_tcase(s, t);
	return s;
}
