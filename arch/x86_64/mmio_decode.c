/* SPDX-License-Identifier: MIT */
/*
 * MOV decoder for MMIO emulation (see mmio.h). Instruction format: SDM Vol.
 * 2A chapter 2 (prefixes, REX, ModR/M, SIB, displacement). Plain C, unit
 * tested on the encodings compilers emit for device register accessors.
 */
#include <asm/mmio.h>
#include <errcode.h>

int mmio_decode(const uint8_t *p, size_t n, struct mmio_insn *out)
{
	size_t i = 0;
	bool opsize16 = false;
	uint8_t rex = 0, op, modrm, mod, rm;

	*out = (struct mmio_insn){ 0 };
	while (i < n && (p[i] == 0x66 || p[i] == 0x67)) {
		if (p[i] == 0x66)
			opsize16 = true;
		else
			return -EINVAL; /* address-size override: not used for MMIO */
		i++;
	}
	if (i < n && (p[i] & 0xf0) == 0x40)
		rex = p[i++];
	if (i + 1 > n)
		return -EINVAL;
	op = p[i++];
	if (op >= 0xa0 && op <= 0xa3) {
		/* MOV AL/rAX <-> moffs: a 64-bit absolute address follows, what
		 * compilers emit for a constant address (movabs). */
		out->size = !(op & 1) ? 1 : rex & 8 ? 8 : opsize16 ? 2 : 4;
		out->write = op >= 0xa2;
		out->reg = 0;
		if (i + 8 > n || i + 8 > 15)
			return -EINVAL; /* 15 bytes at most, or the CPU raises #GP */
		out->len = (unsigned int)(i + 8);
		return 0;
	}
	if (i + 1 > n)
		return -EINVAL;
	modrm = p[i++];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return -EINVAL; /* register operand: no memory access */

	switch (op) {
	case 0x88: case 0x8a: case 0xc6:
		out->size = 1;
		break;
	case 0x89: case 0x8b: case 0xc7:
		out->size = rex & 8 ? 8 : opsize16 ? 2 : 4;
		break;
	default:
		return -EINVAL;
	}
	out->write = op != 0x8a && op != 0x8b;
	out->reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	if ((op == 0xc6 || op == 0xc7) && ((modrm >> 3) & 7) != 0)
		return -EINVAL;

	if (rm == 4) { /* SIB */
		if (i >= n)
			return -EINVAL;
		if (mod == 0 && (p[i] & 7) == 5)
			i += 4; /* no base: disp32 */
		i++;
	}
	if (mod == 0 && rm == 5)
		i += 4; /* RIP-relative disp32 */
	else if (mod == 1)
		i += 1;
	else if (mod == 2)
		i += 4;
	if (op == 0xc6 || op == 0xc7) {
		size_t isz = op == 0xc6 ? 1 : out->size == 2 ? 2 : 4;

		if (i + isz > n)
			return -EINVAL;
		out->has_imm = true;
		for (size_t k = 0; k < isz; k++)
			out->imm |= (uint64_t)p[i + k] << (8 * k);
		if (out->size == 8 && (out->imm & 0x80000000)) /* sign-extended imm32 */
			out->imm |= 0xffffffff00000000ULL;
		i += isz;
	}
	if (i > n || i > 15)
		return -EINVAL;
	out->len = (unsigned int)i;
	return 0;
}
