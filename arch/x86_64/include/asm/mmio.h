/* SPDX-License-Identifier: MIT */
/*
 * Emulating a guest instruction that touched an MMIO page (the xAPIC
 * registers): decoding the few MOV forms kernels use for device registers,
 * and fetching the instruction through the guest's page tables.
 */
#ifndef ASM_MMIO_H
#define ASM_MMIO_H

#include <types.h>

struct mmio_insn {
	unsigned int len;  /* instruction length in bytes */
	unsigned int size; /* access size: 1, 2, 4 or 8 */
	bool write;        /* store to memory */
	bool has_imm;      /* store of an immediate (imm), else register reg */
	unsigned int reg;  /* 0..15: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 */
	uint64_t imm;
};

/*
 * Decode MOV r/m,r (88, 89), MOV r,r/m (8A, 8B) and MOV r/m,imm (C6 /0,
 * C7 /0) with an optional operand-size prefix (66) and REX prefix, in 64-bit
 * mode. The memory operand's address is not computed: the caller knows the
 * guest-physical address from the EPT violation. Returns 0, or -EINVAL for
 * anything else (the caller stops the VM).
 */
int mmio_decode(const uint8_t *insn, size_t n, struct mmio_insn *out);

#endif /* ASM_MMIO_H */
