/* SPDX-License-Identifier: MIT */
/*
 * The run configuration (hintvisor.cfg, a boot module / ESP file). Text:
 *   # comment
 *   pool = 64M                  host memory for all guest RAM (0: as much as guests have)
 *   swap = 256M                 paging device size (0: the sum of guest RAM)
 *   stats_interval_ms = 100     print stats every N ms of guest or host time, whichever
 *                               comes first (0: only at the end)
 *   cpus = 2                    host CPUs to use (default: all the firmware lists)
 *   mitigations = auto          barriers between VMs: auto (what the CPU needs), force
 *                               (all the CPU can do), off (docs/security.md)
 *   vm name=hello image=hello.elf mem=2M cmdline="text" [initrd=NAME] [disk=NAME]
 *      [module="NAME text"]...  multiboot kernels: more modules (up to 4), after
 *                               initrd=; the kernel gets the whole value as the
 *                               module's string, initrd= gets its NAME
 *      [after=VM]               start only once the VM named (defined earlier) has stopped
 *      [delay_ms=N]             start N ms (host time) after the run has started
 *      [on_reset=restart|stop]  a reset the guest requests restarts the VM from
 *                               its images (default), or stops it
 *      [time_limit_ms=N]        stop the VM once its time slices took N ms of CPU
 *      [vcpus=N]                virtual CPUs (default 1, at most CFG_MAX_VCPUS)
 *      [balloon=SIZE|off]       a virtio-balloon asked to hold SIZE (0: none yet), or
 *                               no balloon device; default: a balloon with target 0
 *                               for a Linux (bzImage) guest, none for other images
 * Sizes take K, M or G. A disk= module is written in place, so it must be
 * one VM's disk only, and no module a VM boots from (image=, initrd=,
 * module=) nor the config file: those configs are refused. Module names are compared
 * without case (the ESP is FAT). Plain C, also compiled into the unit tests.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <types.h>

#define CFG_FILE_NAME "hintvisor.cfg" /* the config's own module name */
#define CFG_MAX_VMS 32       /* at most 64: struct pcpu's flush_vms is a mask of VM ids */
#define CFG_MAX_VCPUS 4     /* vCPUs per VM this build runs */
#define CFG_MAX_CPUS 256    /* cpus= */
#define CFG_NAME_LEN 32
#define CFG_IMAGE_LEN 64
#define CFG_CMDLINE_LEN 256
#define CFG_MAX_MODULES 4   /* module= entries per VM */
#define CFG_MODULE_LEN 128  /* a module= value: file name and text */

struct cfg_module {
	char file[CFG_IMAGE_LEN];     /* the value's first word: the boot module */
	char string[CFG_MODULE_LEN];  /* the whole value, for the kernel */
};

enum cfg_balloon {
	CFG_BALLOON_DEFAULT, /* by image: Linux guests get one, with target 0 */
	CFG_BALLOON_OFF,
	CFG_BALLOON_ON,      /* balloon_bytes is the target */
};

struct vm_config {
	char name[CFG_NAME_LEN];
	char image[CFG_IMAGE_LEN];
	uint64_t mem_bytes;
	char cmdline[CFG_CMDLINE_LEN];
	char initrd[CFG_IMAGE_LEN]; /* Linux: initramfs module, "" if none */
	char disk[CFG_IMAGE_LEN];   /* virtio-blk disk image module, "" if none */
	unsigned int nr_modules;    /* multiboot: module= entries, in order */
	struct cfg_module modules[CFG_MAX_MODULES];
	int after;                  /* index of the VM to wait for, or -1 */
	uint64_t delay_ms;          /* start this long after the run started */
	bool reset_stops;           /* on_reset=stop: a reset request stops the VM */
	uint64_t time_limit_ms;     /* stop after this much CPU time (0: no limit) */
	unsigned int nr_vcpus;      /* vcpus= (1 by default) */
	enum cfg_balloon balloon;
	uint64_t balloon_bytes;     /* target of the balloon (CFG_BALLOON_ON) */
};

enum cfg_mitigations { CFG_MITIGATIONS_AUTO, CFG_MITIGATIONS_FORCE, CFG_MITIGATIONS_OFF };

struct hv_config {
	uint64_t pool_bytes;
	uint64_t swap_bytes;
	uint64_t host_mem_bytes; /* host memory Hintvisor may use, 0: all */
	uint64_t stats_interval_ms;
	enum cfg_mitigations mitigations;
	unsigned int max_cpus;   /* cpus=, 0: all */
	unsigned int nr_vms;
	struct vm_config vms[CFG_MAX_VMS];
};

/*
 * Parse text (len bytes, need not be NUL-terminated) into cfg. Returns 0, or
 * -EINVAL with a message "line N: ..." in err. Defaults: pool 0, stats 0,
 * mitigations auto.
 */
int config_parse(const char *text, size_t len, struct hv_config *cfg, char *err, size_t errlen);

/* Parse "123", "64K", "16M", "2G" into bytes. false on junk or overflow. */
bool config_parse_size(const char *s, size_t n, uint64_t *out);

#endif /* HV_CONFIG_H */
