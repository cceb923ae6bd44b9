// SPDX-License-Identifier: MIT
/*
 * kexec: load a kernel and its initramfs with kexec_file_load() and start
 * it (reboot with LINUX_REBOOT_CMD_KEXEC), as "kexec -s -l KERNEL
 * --initrd=INITRD --command-line=CMDLINE && kexec -e" would; Debian's
 * kexec-tools is not linked statically. Built static into the guest
 * initramfs, run in the guest by test-kexec.sh.
 * Usage: kexec KERNEL INITRD CMDLINE; returns (exit status 1) only on error.
 */
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kernel, initrd;

	if (argc != 4) {
		fprintf(stderr, "usage: kexec KERNEL INITRD CMDLINE\n");
		return 2;
	}
	kernel = open(argv[1], O_RDONLY);
	initrd = open(argv[2], O_RDONLY);
	if (kernel < 0 || initrd < 0) {
		perror("kexec: open");
		return 1;
	}
	/* The command line's length counts its terminating NUL. */
	if (syscall(SYS_kexec_file_load, kernel, initrd, strlen(argv[3]) + 1, argv[3], 0UL)) {
		perror("kexec: kexec_file_load");
		return 1;
	}
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL);
	perror("kexec: reboot(LINUX_REBOOT_CMD_KEXEC)");
	return 1;
}
