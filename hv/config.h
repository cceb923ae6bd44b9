/* SPDX-License-Identifier: MIT */
/*
 * The run configuration (hintvisor.cfg, a boot module / ESP file). Text:
 *   # comment
 *   pool = 64M                  host memory for all guest RAM (0: as much as guests have)
 *   swap = 256M                 paging device size (0: the sum of guest RAM)
 *   stats_interval_ms = 100     print stats every N ms of guest time (0: only at the end)
 *   vm name=hello image=hello.elf mem=2M cmdline="text" [initrd=NAME] [disk=NAME]
 *      [after=VM]               start only once the VM named (defined earlier) has stopped
 *      [delay_ms=N]             start N ms (host time) after the run has started
 *      [time_limit_ms=N]        stop the VM once it has run N ms of guest time
 * Sizes take K, M or G. Plain C, also compiled into the unit tests.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <types.h>

#define CFG_MAX_VMS 16
#define CFG_NAME_LEN 32
#define CFG_IMAGE_LEN 64
#define CFG_CMDLINE_LEN 256

struct vm_config {
	char name[CFG_NAME_LEN];
	char image[CFG_IMAGE_LEN];
	uint64_t mem_bytes;
	char cmdline[CFG_CMDLINE_LEN];
	char initrd[CFG_IMAGE_LEN]; /* Linux: initramfs module, "" if none */
	char disk[CFG_IMAGE_LEN];   /* virtio-blk disk image module, "" if none */
	int after;                  /* index of the VM to wait for, or -1 */
	uint64_t delay_ms;          /* start this long after the run started */
	uint64_t time_limit_ms;     /* stop after this much guest time (0: no limit) */
};

struct hv_config {
	uint64_t pool_bytes;
	uint64_t swap_bytes;
	uint64_t stats_interval_ms;
	unsigned int nr_vms;
	struct vm_config vms[CFG_MAX_VMS];
};

/*
 * Parse text (len bytes, need not be NUL-terminated) into cfg. Returns 0, or
 * -EINVAL with a message "line N: ..." in err. Defaults: pool 0, stats 0.
 */
int config_parse(const char *text, size_t len, struct hv_config *cfg, char *err, size_t errlen);

/* Parse "123", "64K", "16M", "2G" into bytes. false on junk or overflow. */
bool config_parse_size(const char *s, size_t n, uint64_t *out);

#endif /* HV_CONFIG_H */
