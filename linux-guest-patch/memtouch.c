// SPDX-License-Identifier: MIT
/*
 * memtouch: allocate anonymous memory, write every page of it, check it and
 * free it again, ROUNDS times (the allocate-touch-free cycle of the free page
 * hinting benchmarks). Built static into the guest initramfs.
 * Usage: memtouch MIB [ROUNDS]; exits 1 if a page reads back wrong.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE 4096UL

int main(int argc, char **argv)
{
	unsigned long mib, rounds, r, i, n;
	uint64_t *p;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: memtouch MIB [ROUNDS]\n");
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
			if (p[i * (PAGE / sizeof(*p))] != ((r << 32) ^ i)) {
				fprintf(stderr, "memtouch: page %lu of round %lu reads back wrong\n", i, r);
				return 1;
			}
		}
		munmap(p, n * PAGE);
	}
	printf("memtouch: %lu MiB touched and freed %lu times\n", mib, rounds);
	return 0;
}
