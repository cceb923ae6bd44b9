/* SPDX-License-Identifier: MIT */
/*
 * Decoder for MMIO emulation (see mmio.h). Instruction format: SDM Vol. 2A
 * chapter 2 (prefixes, REX, ModR/M, SIB, displacement, immediate), the 16-bit
 * addressing forms of Table 2-1, and the opcode map of Appendix A. Plain C,
 * unit tested against a table of encodings (tests/unit/test_mmio.c).
 */
#include <asm/mmio.h>
#include <errcode.h>

#define MAX_INSN 15

/* Operations of the ALU group (opcode bits 5:3, or ModR/M.reg of 80-83). */
static const int alu_ops[8] = { MMIO_ADD, MMIO_OR, MMIO_ADC, MMIO_SBB,
				MMIO_AND, MMIO_SUB, MMIO_XOR, MMIO_CMP };

/* Bytes of ModR/M (at p[i]) + SIB + displacement, or 0 if it names a register. */
static int modrm_len(const uint8_t *p, size_t i, size_t n, unsigned int asize)
{
	uint8_t modrm, mod, rm;
	int len = 1;

	if (i >= n)
		return -ENODATA;
	modrm = p[i];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return 0;
	if (asize == 2) { /* 16-bit addressing: no SIB */
		if (mod == 0 && rm == 6)
			return 3;
		return len + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
	}
	if (rm == 4) { /* SIB */
		if (i + 1 >= n)
			return -ENODATA;
		if (mod == 0 && (p[i + 1] & 7) == 5)
			len += 4; /* no base: disp32 */
		len++;
	}
	if (mod == 0 && rm == 5)
		len += 4; /* disp32 (RIP-relative in 64-bit mode) */
	else if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

int mmio_decode(const uint8_t *p, size_t n, unsigned int mode, struct mmio_insn *out)
{
	size_t i = 0;
	bool opsize = false, adsize = false, two_byte = false;
	uint8_t rex = 0, op, modrm = 0;
	unsigned int osize, asize, isz = 0;
	int mlen, alu;

	*out = (struct mmio_insn){ .seg = -1 };
	if (mode != 16 && mode != 32 && mode != 64)
		return -EINVAL;
	for (;; i++) {
		if (i >= n)
			return -ENODATA;
		if (i >= MAX_INSN)
			return -EINVAL;
		switch (p[i]) {
		case 0x66:
			opsize = true;
			break;
		case 0x67:
			adsize = true;
			break;
		case 0xf0:
			break; /* LOCK: the emulated access is atomic for the guest anyway */
		case 0xf2:
		case 0xf3:
			out->rep = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			out->seg = (p[i] >> 3) & 3;
			break;
		case 0x64: case 0x65:
			out->seg = 4 + (p[i] & 1);
			break;
		default:
			if (mode == 64 && (p[i] & 0xf0) == 0x40) {
				rex = p[i];
				continue; /* a legacy prefix after REX voids it (checked below) */
			}
			goto opcode;
		}
		rex = 0;
	}
opcode:
	op = p[i++];
	if (op == 0x0f) {
		if (i >= n)
			return -ENODATA;
		two_byte = true;
		op = p[i++];
	}
	if (mode == 64)
		osize = rex & 8 ? 8 : opsize ? 2 : 4;
	else
		osize = (mode == 16) != opsize ? 2 : 4;
	asize = mode == 64 ? (adsize ? 4 : 8) : (mode == 16) != adsize ? 2 : 4;
	out->addr_size = asize;

	if (two_byte) {
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EINVAL;
		out->op = op < 0xbe ? MMIO_MOVZX : MMIO_MOVSX;
		out->size = op & 1 ? 2 : 1;
		out->reg_size = osize;
		out->read = out->to_reg = true;
	} else if (op >= 0xa0 && op <= 0xa3) {
		/* MOV AL/rAX <-> moffs: an absolute address of the address size
		 * follows (movabs in 64-bit mode). No ModR/M. */
		out->op = MMIO_MOV;
		out->size = out->reg_size = !(op & 1) ? 1 : osize;
		out->to_reg = out->read = op < 0xa2;
		out->write = !out->to_reg;
		if (i + asize > MAX_INSN)
			return -EINVAL; /* 15 bytes at most, or the CPU raises #GP */
		if (i + asize > n)
			return -ENODATA;
		out->len = (unsigned int)(i + asize);
		return 0;
	} else if (op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab) {
		out->op = op < 0xaa ? MMIO_MOVS : MMIO_STOS;
		out->size = out->reg_size = !(op & 1) ? 1 : osize;
		out->read = op < 0xaa;
		out->write = true;
		out->len = (unsigned int)i;
		return 0;
	} else if (op < 0x40 && (op & 7) < 4) {
		if ((alu = alu_ops[op >> 3]) < 0)
			return -EINVAL;
		out->op = (enum mmio_op)alu;
		out->size = !(op & 1) ? 1 : osize;
		out->read = true;
		out->to_reg = op & 2;
		out->write = !out->to_reg && alu != MMIO_CMP;
	} else if (op >= 0x80 && op <= 0x83 && op != 0x82) {
		if (i >= n)
			return -ENODATA;
		if ((alu = alu_ops[(p[i] >> 3) & 7]) < 0)
			return -EINVAL;
		out->op = (enum mmio_op)alu;
		out->size = op == 0x80 ? 1 : osize;
		out->read = out->has_imm = true;
		out->write = alu != MMIO_CMP;
		isz = op == 0x81 ? (osize == 2 ? 2 : 4) : 1;
	} else if (op == 0x84 || op == 0x85) {
		out->op = MMIO_TEST;
		out->size = op == 0x84 ? 1 : osize;
		out->read = true;
	} else if (op == 0xf6 || op == 0xf7) {
		unsigned int ext;

		if (i >= n)
			return -ENODATA;
		ext = (p[i] >> 3) & 7;
		out->size = op == 0xf6 ? 1 : osize;
		out->read = true;
		if (ext == 0) {
			out->op = MMIO_TEST;
			out->has_imm = true;
			isz = op == 0xf6 ? 1 : osize == 2 ? 2 : 4;
		} else if (ext == 2 || ext == 3) {
			out->op = ext == 2 ? MMIO_NOT : MMIO_NEG;
			out->write = true;
		} else {
			return -EINVAL; /* MUL, IMUL, DIV, IDIV: not forms for device memory */
		}
	} else if (op == 0xfe || op == 0xff) {
		if (i >= n)
			return -ENODATA;
		if ((p[i] >> 3) & 6)
			return -EINVAL; /* /2-/7: CALL, JMP, PUSH: not data accesses to a device */
		out->op = (p[i] >> 3) & 1 ? MMIO_DEC : MMIO_INC;
		out->size = op == 0xfe ? 1 : osize;
		out->read = out->write = true;
	} else if (op == 0x86 || op == 0x87) {
		out->op = MMIO_XCHG;
		out->size = op == 0x86 ? 1 : osize;
		out->read = out->write = out->to_reg = true;
	} else if (op >= 0x88 && op <= 0x8b) {
		out->op = MMIO_MOV;
		out->size = !(op & 1) ? 1 : osize;
		out->to_reg = out->read = op & 2;
		out->write = !out->to_reg;
	} else if (op == 0xc6 || op == 0xc7) {
		if (i >= n)
			return -ENODATA;
		if ((p[i] >> 3) & 7)
			return -EINVAL;
		out->op = MMIO_MOV;
		out->size = op == 0xc6 ? 1 : osize;
		out->write = out->has_imm = true;
		isz = op == 0xc6 ? 1 : osize == 2 ? 2 : 4;
	} else if (op == 0x63 && mode == 64 && (rex & 8)) {
		out->op = MMIO_MOVSX; /* MOVSXD r64, r/m32 */
		out->size = 4;
		out->reg_size = 8;
		out->read = out->to_reg = true;
	} else {
		return -EINVAL;
	}
	if (!out->reg_size)
		out->reg_size = out->size;

	mlen = modrm_len(p, i, n, asize);
	if (mlen < 0)
		return mlen;
	if (mlen == 0)
		return -EINVAL; /* register operand: no memory access */
	modrm = p[i];
	i += (size_t)mlen;
	if (!out->has_imm && out->op != MMIO_NOT && out->op != MMIO_NEG && out->op != MMIO_INC &&
	    out->op != MMIO_DEC) {
		out->reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
		/* Byte registers 4..7 without a REX prefix are AH, CH, DH, BH. */
		out->high8 = out->reg_size == 1 && !rex && out->reg >= 4;
	}
	if (isz) {
		if (i + isz > MAX_INSN)
			return -EINVAL;
		if (i + isz > n)
			return -ENODATA;
		for (size_t k = 0; k < isz; k++)
			out->imm |= (uint64_t)p[i + k] << (8 * k);
		if (isz < 8 && (out->imm >> (8 * isz - 1)) & 1) /* sign-extend to 64 bits */
			out->imm |= ~0ULL << (8 * isz);
		if (out->size < 8)
			out->imm &= (1ULL << (8 * out->size)) - 1;
		i += isz;
	}
	if (i > MAX_INSN)
		return -EINVAL;
	if (i > n)
		return -ENODATA;
	out->len = (unsigned int)i;
	return 0;
}

static uint64_t mask_of(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

#define F_CF (1ULL << 0)
#define F_PF (1ULL << 2)
#define F_AF (1ULL << 4)
#define F_ZF (1ULL << 6)
#define F_SF (1ULL << 7)
#define F_OF (1ULL << 11)

uint64_t mmio_alu(enum mmio_op op, unsigned int size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
	uint64_t m = mask_of(size), sign = 1ULL << (8 * size - 1), r, f = *rflags;
	uint64_t cf = f & F_CF, cin;

	dst &= m;
	src &= m;
	if (op == MMIO_NOT)
		return ~dst & m;
	f &= ~(F_CF | F_PF | F_ZF | F_SF | F_OF);
	switch (op) {
	case MMIO_ADD:
	case MMIO_ADC: /* ADD with the carry in */
		cin = op == MMIO_ADC ? cf : 0;
		r = (dst + src + cin) & m;
		if ((unsigned __int128)dst + src + cin > m)
			f |= F_CF;
		if (~(dst ^ src) & (dst ^ r) & sign)
			f |= F_OF;
		f = (f & ~F_AF) | ((dst ^ src ^ r) & 0x10 ? F_AF : 0);
		break;
	case MMIO_SUB:
	case MMIO_CMP:
	case MMIO_SBB: /* SUB with the borrow in */
		cin = op == MMIO_SBB ? cf : 0;
		r = (dst - src - cin) & m;
		if ((unsigned __int128)src + cin > dst)
			f |= F_CF;
		if ((dst ^ src) & (dst ^ r) & sign)
			f |= F_OF;
		f = (f & ~F_AF) | ((dst ^ src ^ r) & 0x10 ? F_AF : 0);
		break;
	case MMIO_INC:
	case MMIO_DEC:
		r = (op == MMIO_INC ? dst + 1 : dst - 1) & m;
		f |= cf; /* CF is not affected */
		if (r == (op == MMIO_INC ? sign : sign - 1))
			f |= F_OF;
		f = (f & ~F_AF) | ((dst ^ 1 ^ r) & 0x10 ? F_AF : 0);
		break;
	case MMIO_NEG:
		r = (0 - dst) & m;
		if (dst)
			f |= F_CF;
		if (dst == sign)
			f |= F_OF;
		f = (f & ~F_AF) | ((dst ^ r) & 0x10 ? F_AF : 0);
		break;
	case MMIO_OR:
		r = dst | src;
		break;
	case MMIO_XOR:
		r = dst ^ src;
		break;
	case MMIO_AND:
	case MMIO_TEST:
	default:
		r = dst & src;
		break;
	}
	if (!r)
		f |= F_ZF;
	if (r & sign)
		f |= F_SF;
	if (!(__builtin_popcountll(r & 0xff) & 1))
		f |= F_PF;
	*rflags = f;
	return r;
}
