/* SPDX-License-Identifier: MIT */
/*
 * Emulating a guest instruction that touched an MMIO page (the xAPIC
 * registers): decoding the instruction forms kernels use on device memory,
 * and fetching the instruction through the guest's page tables.
 */
#ifndef ASM_MMIO_H
#define ASM_MMIO_H

#include <types.h>

enum mmio_op {
	MMIO_MOV,   /* to_reg: reg = mem; else mem = reg or imm */
	MMIO_MOVZX, /* reg (reg_size) = zero-extended mem (size) */
	MMIO_MOVSX, /* reg (reg_size) = sign-extended mem (size); also MOVSXD */
	MMIO_XCHG,  /* mem <-> reg */
	MMIO_ADD,   /* ALU: dst = dst op src, dst is reg (to_reg) or mem */
	MMIO_OR,
	MMIO_AND,
	MMIO_SUB,
	MMIO_XOR,
	MMIO_ADC,   /* dst + src + CF */
	MMIO_SBB,   /* dst - src - CF */
	MMIO_NOT,   /* mem = ~mem, flags kept (no source) */
	MMIO_NEG,   /* mem = 0 - mem (no source) */
	MMIO_INC,   /* mem + 1, CF kept (no source) */
	MMIO_DEC,   /* mem - 1, CF kept (no source) */
	MMIO_CMP,   /* flags of dst - src, nothing written */
	MMIO_TEST,  /* flags of mem & src, nothing written */
	MMIO_MOVS,  /* [rDI] = [rSI], string (rep: RCX times) */
	MMIO_STOS,  /* [rDI] = rAX, string */
	MMIO_OPS
};

struct mmio_insn {
	enum mmio_op op;
	unsigned int len;       /* instruction length in bytes */
	unsigned int size;      /* memory access size: 1, 2, 4 or 8 */
	unsigned int reg_size;  /* size of the register operand (MOVZX/MOVSX: the destination) */
	bool read, write;       /* the memory operand is read / written */
	bool to_reg;            /* the register is the first (destination) operand;
				   written back unless CMP or TEST */
	bool has_imm;           /* the source is imm, else register reg */
	unsigned int reg;       /* 0..15: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 */
	bool high8;             /* reg 4..7 of a byte operand without REX: AH, CH, DH, BH */
	uint64_t imm;           /* sign-extended to size where the encoding says so */
	/* String instructions. */
	bool rep;               /* F3 (or F2) prefix */
	unsigned int addr_size; /* 2, 4 or 8: width of rSI, rDI, rCX */
	int seg;                /* segment override 0..5 (ES CS SS DS FS GS), or -1 */
};

/*
 * Decode the instruction at insn (n bytes available) in a code segment of
 * mode bits (16, 32 or 64): MOV (88-8B, C6/C7 /0, A0-A3 moffs), MOVZX
 * (0F B6/B7), MOVSX (0F BE/BF, 63 with REX.W), XCHG (86/87), ADD, OR, ADC,
 * SBB, AND, SUB, XOR, CMP (00-3B r/m forms and 80/81/83), TEST (84/85,
 * F6/F7 /0), NOT and NEG (F6/F7 /2, /3), INC and DEC (FE/FF /0, /1),
 * MOVS (A4/A5) and STOS (AA/AB) with REP, with the legacy prefixes 66, 67,
 * F0, F2, F3, segment overrides and REX. The memory operand's address is not
 * computed: the caller knows the guest-physical address from the fault.
 * Returns 0; -ENODATA when the instruction runs past the n bytes (a fetch
 * that stopped short); -EINVAL for anything else.
 */
int mmio_decode(const uint8_t *insn, size_t n, unsigned int mode, struct mmio_insn *out);

/* The ALU result of op on size-byte operands dst and src, and RFLAGS with
 * CF, PF, AF, ZF, SF and OF updated as the instruction does (MMIO_ADD to
 * MMIO_DEC; ADC and SBB take CF from *rflags; NOT changes no flag, INC and
 * DEC leave CF; AF is
 * left as it was where the SDM calls it undefined). */
uint64_t mmio_alu(enum mmio_op op, unsigned int size, uint64_t dst, uint64_t src, uint64_t *rflags);

#endif /* ASM_MMIO_H */
