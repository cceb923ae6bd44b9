// SPDX-License-Identifier: MIT
/*
 * memtouch: allocate anonymous memory, write every page of it, check it and
 * free it again, ROUNDS times (the allocate-touch-free cycle of the free page
 * hinting benchmarks). Built static into the guest initramfs.
 * Usage: memtouch MIB [ROUNDS [SETTLE]]; exits 1 if a page reads back wrong.
 * With SETTLE, it then waits up to SETTLE seconds, in this process (a new
 * process would free pages as it exits), until guest_batch_pending in
 * /proc/hintvisor is at most BATCH_NOISE: the last, partial batch of the
 * freed pages must reach the host by itself. (Reading the file makes the
 * kernel free a page or two, which the guest then holds for a second.)
 * Exits 3 if that never happened.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define BATCH_NOISE 16

/* guest_batch_pending of /proc/hintvisor, or -1. */
static long batch_pending(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/hintvisor", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "guest_batch_pending %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long mib, rounds, r, i, n, bad = 0;
	uint64_t *p;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: memtouch MIB [ROUNDS [SETTLE]]\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 0);
	rounds = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	n = (mib << 20) / PAGE;
	for (r = 0; r < rounds; r++) {
		/* mmap and munmap: the pages go back to the kernel each round. */
		p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("memtouch: mmap");
			return 1;
		}
		for (i = 0; i < n; i++)
			p[i * (PAGE / sizeof(*p))] = (r << 32) ^ i;
		for (i = 0; i < n; i++) {
			uint64_t got = p[i * (PAGE / sizeof(*p))], want = (r << 32) ^ i;

			if (got != want) {
				/* Say what was read: zeros (a dropped page) or another
				 * page's word (one that was paged in wrong). */
				if (bad++ < 8)
					fprintf(stderr, "memtouch: page %lu of round %lu at %p reads %#llx, "
						"wrote %#llx\n", i, r, (void *)&p[i * (PAGE / sizeof(*p))],
						(unsigned long long)got, (unsigned long long)want);
			}
		}
		if (bad) {
			fprintf(stderr, "memtouch: %lu of %lu pages of round %lu read back wrong\n",
				bad, n, r);
			return 1;
		}
		munmap(p, n * PAGE);
	}
	printf("memtouch: %lu MiB touched and freed %lu times\n", mib, rounds);
	if (argc > 3) {
		unsigned long settle = strtoul(argv[3], NULL, 0), s;
		long pending = batch_pending();

		/* Not in step with the guest's one-second flush: every 3 s. */
		for (s = 0; s < settle && (pending < 0 || pending > BATCH_NOISE); s += 3) {
			sleep(3);
			pending = batch_pending();
		}
		printf("memtouch: %ld pages in partial batches after %lu s\n", pending, s);
		if (pending < 0 || pending > BATCH_NOISE)
			return 3;
	}
	return 0;
}
