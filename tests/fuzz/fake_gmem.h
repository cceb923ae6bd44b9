/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM for the harnesses of code that reaches it only through
 * hv/mem/gmem.h (emulate.c, vcr.c, vmx_task.c), without mm/ behind it: a few
 * pages the fuzzer's bytes fill, each its own allocation of exactly 4 KiB,
 * so ASan sees a host access that runs past the page or range it was given.
 * A read-only pointer (gmem_ptr without write) points to a copy of exactly
 * the bytes asked for, checked unchanged when released: nothing may write
 * through it. Pages can be made unavailable (as a discarded volatile page:
 * -EDISCARDED), and a range can be the registered state table (no host
 * writes, -EACCES), as the real gmem.c has them.
 */
#ifndef FUZZ_FAKE_GMEM_H
#define FUZZ_FAKE_GMEM_H

#include <hv/vm/vm.h>

#define FG_MAX_PAGES 64

/* vm gets pages pages of zeroed RAM (and nothing else set up). */
void fg_init(struct vm *vm, unsigned int pages);
/* Free the RAM (after fg_release). */
void fg_destroy(void);
/* Check and free the read-only copies handed out since the last call. */
void fg_release(void);
/* The harness's own view: host pointer to gpa (in RAM), no checks. */
uint8_t *fg_host(uint64_t gpa);
/* gfn's page cannot be had (the host has dropped it): every access fails. */
void fg_set_unavailable(uint64_t gfn, bool unavailable);
/* [gpa, gpa + len) is the registered state table (len 0: none). */
void fg_set_table(struct vm *vm, uint64_t gpa, uint64_t len);
/* Bytes written through gmem_write() and writable gmem_ptr() since fg_init. */
extern uint64_t fg_bytes_written;

#endif /* FUZZ_FAKE_GMEM_H */
