/* SPDX-License-Identifier: MIT */
/* Unit tests: the MOV decoder used for xAPIC MMIO emulation. */
#include "unit.h"
#include <asm/mmio.h>
#include <errno.h>

static struct mmio_insn d;

static int dec(const uint8_t *p, size_t n)
{
	return mmio_decode(p, n, 64, &d);
}

START_TEST(linux_apic_accessors)
{
	/* native_apic_mem_read: mov 0xffffffffff7fd000(%rdi),%eax */
	static const uint8_t rd[] = { 0x8b, 0x87, 0x00, 0xd0, 0x7f, 0xff, 0xc3 };
	/* native_apic_mem_write: mov %esi,0xffffffffff7fd000(%rdi) */
	static const uint8_t wr[] = { 0x89, 0xb7, 0x00, 0xd0, 0x7f, 0xff };

	ck_assert_int_eq(dec(rd, sizeof(rd)), 0);
	ck_assert_uint_eq(d.len, 6);
	ck_assert(!d.write);
	ck_assert_uint_eq(d.size, 4);
	ck_assert_uint_eq(d.reg, 0); /* EAX */
	ck_assert_int_eq(dec(wr, sizeof(wr)), 0);
	ck_assert_uint_eq(d.len, 6);
	ck_assert(d.write && !d.has_imm);
	ck_assert_uint_eq(d.reg, 6); /* ESI */
}
END_TEST

START_TEST(addressing_forms)
{
	static const struct {
		uint8_t b[15];
		size_t n;
		unsigned int len, size, reg;
		bool write;
	} c[] = {
		{ { 0xa1, 0x30, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, 4, 0, false }, /* movabs moffs,%eax */
		{ { 0xa3, 0x80, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, 4, 0, true },  /* movabs %eax,moffs */
		{ { 0x48, 0xa1, 0, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 10, 10, 8, 0, false }, /* REX.W */
		{ { 0x8b, 0x00 }, 2, 2, 4, 0, false },                         /* mov (%rax),%eax */
		{ { 0x8b, 0x40, 0x10 }, 3, 3, 4, 0, false },                   /* disp8 */
		{ { 0x8b, 0x04, 0x24 }, 3, 3, 4, 0, false },                   /* SIB (%rsp) */
		{ { 0x8b, 0x44, 0x24, 0x08 }, 4, 4, 4, 0, false },             /* SIB + disp8 */
		{ { 0x8b, 0x04, 0x25, 0, 0, 0xe0, 0xfe }, 7, 7, 4, 0, false }, /* SIB, no base */
		{ { 0x8b, 0x05, 1, 2, 3, 4 }, 6, 6, 4, 0, false },             /* RIP-relative */
		{ { 0x44, 0x89, 0x08 }, 3, 3, 4, 9, true },                    /* REX.R: %r9d */
		{ { 0x48, 0x8b, 0x18 }, 3, 3, 8, 3, false },                   /* REX.W: %rbx */
		{ { 0x66, 0x89, 0x10 }, 3, 3, 2, 2, true },                    /* 16-bit */
		{ { 0x88, 0x08 }, 2, 2, 1, 1, true },                          /* 8-bit store */
		{ { 0x8a, 0x08 }, 2, 2, 1, 1, false },                         /* 8-bit load */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(dec(c[i].b, c[i].n), 0);
		ck_assert_uint_eq(d.len, c[i].len);
		ck_assert_uint_eq(d.size, c[i].size);
		ck_assert_uint_eq(d.reg, c[i].reg);
		ck_assert(d.write == c[i].write);
	}
}
END_TEST

START_TEST(immediates)
{
	static const uint8_t imm32[] = { 0xc7, 0x80, 0xb0, 0, 0, 0, 0, 0, 0, 0 }; /* movl $0,0xb0(%rax) */
	static const uint8_t imm64[] = { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t imm8[] = { 0xc6, 0x00, 0x5a };

	ck_assert_int_eq(dec(imm32, sizeof(imm32)), 0);
	ck_assert_uint_eq(d.len, 10);
	ck_assert(d.write && d.has_imm);
	ck_assert_uint_eq(d.imm, 0);
	ck_assert_int_eq(dec(imm64, sizeof(imm64)), 0);
	ck_assert_uint_eq(d.size, 8);
	ck_assert_uint_eq(d.imm, ~0ULL); /* sign-extended */
	ck_assert_int_eq(dec(imm8, sizeof(imm8)), 0);
	ck_assert_uint_eq(d.imm, 0x5a);
	ck_assert_uint_eq(d.len, 3);
}
END_TEST


/*
 * The instruction forms kernels use on device memory, as GNU as encodes
 * them: op, access size, register size, reads/writes of memory, register
 * as destination, register number, immediate.
 */
#define R 1
#define W 2
#define T 4 /* to_reg */
#define I 8 /* has_imm */
#define H 16 /* high8 */
#define P 32 /* rep */
static const struct enc {
	const char *what;
	unsigned int mode;
	uint8_t b[15];
	unsigned int n, len;
	enum mmio_op op;
	unsigned int size, reg_size, flags, reg;
	uint64_t imm;
} encs[] = {
	{ "mov %eax,0x300(%rbx)", 64, { 0x89, 0x83, 0, 3, 0, 0 }, 6, 6, MMIO_MOV, 4, 4, W, 0, 0 },
	{ "mov 0x300(%rbx),%ecx", 64, { 0x8b, 0x8b, 0, 3, 0, 0 }, 6, 6, MMIO_MOV, 4, 4, R | T, 1, 0 },
	{ "movabs 0xfee00030,%al", 64, { 0xa0, 0x30, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, MMIO_MOV, 1, 1, R | T, 0, 0 },
	{ "movabs 0xfee00030,%ax", 64, { 0x66, 0xa1, 0x30, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 10, 10, MMIO_MOV, 2, 2, R | T, 0, 0 },
	{ "movabs 0xfee00030,%eax", 64, { 0xa1, 0x30, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, MMIO_MOV, 4, 4, R | T, 0, 0 },
	{ "movabs 0xfee00030,%rax", 64, { 0x48, 0xa1, 0x30, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 10, 10, MMIO_MOV, 8, 8, R | T, 0, 0 },
	{ "movabs %eax,0xfee000b0", 64, { 0xa3, 0xb0, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 9, MMIO_MOV, 4, 4, W, 0, 0 },
	{ "movabs %al,moffs32 (67)", 64, { 0x67, 0xa2, 0xb0, 0, 0xe0, 0xfe }, 6, 6, MMIO_MOV, 1, 1, W, 0, 0 },
	{ "movb $0x5a,(%rdi)", 64, { 0xc6, 0x07, 0x5a }, 3, 3, MMIO_MOV, 1, 1, W | I, 0, 0x5a },
	{ "movw $0x1234,0x10(%rdi)", 64, { 0x66, 0xc7, 0x47, 0x10, 0x34, 0x12 }, 6, 6, MMIO_MOV, 2, 2, W | I, 0, 0x1234 },
	{ "movl $0x12345678,0x80(%rdi,%rcx,4)", 64, { 0xc7, 0x84, 0x8f, 0x80, 0, 0, 0, 0x78, 0x56, 0x34, 0x12 }, 11, 11, MMIO_MOV, 4, 4, W | I, 0, 0x12345678 },
	{ "movq $-1,(%rdi)", 64, { 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff }, 7, 7, MMIO_MOV, 8, 8, W | I, 0, ~0ULL },
	{ "movzbl 0x20(%rbx),%eax", 64, { 0x0f, 0xb6, 0x43, 0x20 }, 4, 4, MMIO_MOVZX, 1, 4, R | T, 0, 0 },
	{ "movzwl 0x20(%rbx),%r10d", 64, { 0x44, 0x0f, 0xb7, 0x53, 0x20 }, 5, 5, MMIO_MOVZX, 2, 4, R | T, 10, 0 },
	{ "movzbq (%rbx),%rax", 64, { 0x48, 0x0f, 0xb6, 0x03 }, 4, 4, MMIO_MOVZX, 1, 8, R | T, 0, 0 },
	{ "movsbl (%rbx),%eax", 64, { 0x0f, 0xbe, 0x03 }, 3, 3, MMIO_MOVSX, 1, 4, R | T, 0, 0 },
	{ "movswq 0x10(%rbx),%rdx", 64, { 0x48, 0x0f, 0xbf, 0x53, 0x10 }, 5, 5, MMIO_MOVSX, 2, 8, R | T, 2, 0 },
	{ "movslq 0x20(%rbx),%rsi", 64, { 0x48, 0x63, 0x73, 0x20 }, 4, 4, MMIO_MOVSX, 4, 8, R | T, 6, 0 },
	{ "xchg %eax,0xb0(%rbx)", 64, { 0x87, 0x83, 0xb0, 0, 0, 0 }, 6, 6, MMIO_XCHG, 4, 4, R | W | T, 0, 0 },
	{ "xchg %cl,(%rbx)", 64, { 0x86, 0x0b }, 2, 2, MMIO_XCHG, 1, 1, R | W | T, 1, 0 },
	{ "orl $0x100,0xf0(%rbx)", 64, { 0x81, 0x8b, 0xf0, 0, 0, 0, 0, 1, 0, 0 }, 10, 10, MMIO_OR, 4, 4, R | W | I, 0, 0x100 },
	{ "or %eax,0xf0(%rbx)", 64, { 0x09, 0x83, 0xf0, 0, 0, 0 }, 6, 6, MMIO_OR, 4, 4, R | W, 0, 0 },
	{ "andl $0xfffeffff,0x320(%rbx)", 64, { 0x81, 0xa3, 0x20, 3, 0, 0, 0xff, 0xff, 0xfe, 0xff }, 10, 10, MMIO_AND, 4, 4, R | W | I, 0, 0xfffeffff },
	{ "andl $-2,0x320(%rbx)", 64, { 0x83, 0xa3, 0x20, 3, 0, 0, 0xfe }, 7, 7, MMIO_AND, 4, 4, R | W | I, 0, 0xfffffffe },
	{ "xor %edx,0x80(%rbx)", 64, { 0x31, 0x93, 0x80, 0, 0, 0 }, 6, 6, MMIO_XOR, 4, 4, R | W, 2, 0 },
	{ "addl $1,0x80(%rbx)", 64, { 0x83, 0x83, 0x80, 0, 0, 0, 1 }, 7, 7, MMIO_ADD, 4, 4, R | W | I, 0, 1 },
	{ "sub %eax,0x80(%rbx)", 64, { 0x29, 0x83, 0x80, 0, 0, 0 }, 6, 6, MMIO_SUB, 4, 4, R | W, 0, 0 },
	{ "add 0x80(%rbx),%ecx", 64, { 0x03, 0x8b, 0x80, 0, 0, 0 }, 6, 6, MMIO_ADD, 4, 4, R | T, 1, 0 },
	{ "orb $0x10,0x1(%rbx)", 64, { 0x80, 0x4b, 0x01, 0x10 }, 4, 4, MMIO_OR, 1, 1, R | W | I, 0, 0x10 },
	{ "testl $0x1000,0x300(%rbx)", 64, { 0xf7, 0x83, 0, 3, 0, 0, 0, 0x10, 0, 0 }, 10, 10, MMIO_TEST, 4, 4, R | I, 0, 0x1000 },
	{ "test %eax,0x300(%rbx)", 64, { 0x85, 0x83, 0, 3, 0, 0 }, 6, 6, MMIO_TEST, 4, 4, R, 0, 0 },
	{ "testb $1,(%rbx)", 64, { 0xf6, 0x03, 0x01 }, 3, 3, MMIO_TEST, 1, 1, R | I, 0, 1 },
	{ "adcl $1,0x80(%rbx)", 64, { 0x83, 0x93, 0x80, 0, 0, 0, 1 }, 7, 7, MMIO_ADC, 4, 4, R | W | I, 0, 1 },
	{ "adc %eax,(%rbx)", 64, { 0x11, 0x03 }, 2, 2, MMIO_ADC, 4, 4, R | W, 0, 0 },
	{ "sbb 0x80(%rbx),%ecx", 64, { 0x1b, 0x8b, 0x80, 0, 0, 0 }, 6, 6, MMIO_SBB, 4, 4, R | T, 1, 0 },
	{ "sbbb $2,(%rbx)", 64, { 0x80, 0x1b, 0x02 }, 3, 3, MMIO_SBB, 1, 1, R | W | I, 0, 2 },
	{ "notl 0x80(%rbx)", 64, { 0xf7, 0x93, 0x80, 0, 0, 0 }, 6, 6, MMIO_NOT, 4, 4, R | W, 0, 0 },
	{ "negb (%rbx)", 64, { 0xf6, 0x1b }, 2, 2, MMIO_NEG, 1, 1, R | W, 0, 0 },
	{ "negq (%r11) (REX.B: no register)", 64, { 0x49, 0xf7, 0x1b }, 3, 3, MMIO_NEG, 8, 8, R | W, 0, 0 },
	{ "incl 0x80(%rbx)", 64, { 0xff, 0x83, 0x80, 0, 0, 0 }, 6, 6, MMIO_INC, 4, 4, R | W, 0, 0 },
	{ "decw (%rbx)", 64, { 0x66, 0xff, 0x0b }, 3, 3, MMIO_DEC, 2, 2, R | W, 0, 0 },
	{ "lock incb (%rbx)", 64, { 0xf0, 0xfe, 0x03 }, 3, 3, MMIO_INC, 1, 1, R | W, 0, 0 },
	{ "cmpl $5,0x20(%rbx)", 64, { 0x83, 0x7b, 0x20, 0x05 }, 4, 4, MMIO_CMP, 4, 4, R | I, 0, 5 },
	{ "cmp 0x20(%rbx),%eax", 64, { 0x3b, 0x43, 0x20 }, 3, 3, MMIO_CMP, 4, 4, R | T, 0, 0 },
	{ "rep movsl", 64, { 0xf3, 0xa5 }, 2, 2, MMIO_MOVS, 4, 4, R | W | P, 0, 0 },
	{ "rep stosl", 64, { 0xf3, 0xab }, 2, 2, MMIO_STOS, 4, 4, W | P, 0, 0 },
	{ "movsb", 64, { 0xa4 }, 1, 1, MMIO_MOVS, 1, 1, R | W, 0, 0 },
	{ "rep stosq", 64, { 0xf3, 0x48, 0xab }, 3, 3, MMIO_STOS, 8, 8, W | P, 0, 0 },
	{ "lock orl $0,(%rbx)", 64, { 0xf0, 0x83, 0x0b, 0 }, 4, 4, MMIO_OR, 4, 4, R | W | I, 0, 0 },
	{ "mov %ah,(%rbx)", 64, { 0x88, 0x23 }, 2, 2, MMIO_MOV, 1, 1, W | H, 4, 0 },
	{ "mov %sil,(%rbx)", 64, { 0x40, 0x88, 0x33 }, 3, 3, MMIO_MOV, 1, 1, W, 6, 0 },
	{ "mov %fs:0x10,%eax", 64, { 0x64, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0 }, 8, 8, MMIO_MOV, 4, 4, R | T, 0, 0 },
	{ "mov 0x300(%rip),%eax", 64, { 0x8b, 0x05, 0, 3, 0, 0 }, 6, 6, MMIO_MOV, 4, 4, R | T, 0, 0 },
	/* 32-bit code: no REX (0x4x is INC/DEC), moffs are 4 bytes. */
	{ "mov %eax,0xfee00300 (32)", 32, { 0xa3, 0, 3, 0xe0, 0xfe }, 5, 5, MMIO_MOV, 4, 4, W, 0, 0 },
	{ "mov 0xfee00020,%eax (32)", 32, { 0xa1, 0x20, 0, 0xe0, 0xfe }, 5, 5, MMIO_MOV, 4, 4, R | T, 0, 0 },
	{ "movw $1,(%ebx) (32)", 32, { 0x66, 0xc7, 0x03, 1, 0 }, 5, 5, MMIO_MOV, 2, 2, W | I, 0, 1 },
	{ "mov %ax,(%ebx) (32)", 32, { 0x66, 0x89, 0x03 }, 3, 3, MMIO_MOV, 2, 2, W, 0, 0 },
	{ "mov 0x300(%eax),%ecx (32)", 32, { 0x8b, 0x88, 0, 3, 0, 0 }, 6, 6, MMIO_MOV, 4, 4, R | T, 1, 0 },
	{ "rep stosl (32)", 32, { 0xf3, 0xab }, 2, 2, MMIO_STOS, 4, 4, W | P, 0, 0 },
	/* 16-bit code: 16-bit operands and ModR/M addressing by default. */
	{ "mov %eax,0x300(%bx) (16)", 16, { 0x66, 0x89, 0x87, 0, 3 }, 5, 5, MMIO_MOV, 4, 4, W, 0, 0 },
	{ "mov 0x20(%bx,%si),%ax (16)", 16, { 0x8b, 0x40, 0x20 }, 3, 3, MMIO_MOV, 2, 2, R | T, 0, 0 },
	{ "movl $1,0x300 (16)", 16, { 0x66, 0xc7, 0x06, 0, 3, 1, 0, 0, 0 }, 9, 9, MMIO_MOV, 4, 4, W | I, 0, 1 },
	{ "mov 0x300,%ax (16, moffs16)", 16, { 0xa1, 0, 3 }, 3, 3, MMIO_MOV, 2, 2, R | T, 0, 0 },
};

START_TEST(encoding_table)
{
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		const struct enc *c = &encs[i];
		int rc = mmio_decode(c->b, c->n, c->mode, &d);

		ck_assert_msg(rc == 0, "%s: rc %d", c->what, rc);
		ck_assert_msg(d.len == c->len, "%s: len %u", c->what, d.len);
		ck_assert_msg(d.op == c->op, "%s: op %d", c->what, d.op);
		ck_assert_msg(d.size == c->size && d.reg_size == c->reg_size, "%s: size %u/%u",
			      c->what, d.size, d.reg_size);
		ck_assert_msg(d.read == !!(c->flags & R) && d.write == !!(c->flags & W) &&
				      d.to_reg == !!(c->flags & T) && d.has_imm == !!(c->flags & I) &&
				      d.high8 == !!(c->flags & H) && d.rep == !!(c->flags & P),
			      "%s: flags r%d w%d t%d i%d h%d p%d", c->what, d.read, d.write, d.to_reg,
			      d.has_imm, d.high8, d.rep);
		if (!(c->flags & I) && c->op != MMIO_MOVS && c->op != MMIO_STOS)
			ck_assert_msg(d.reg == c->reg, "%s: reg %u", c->what, d.reg);
		if (c->flags & I)
			ck_assert_msg(d.imm == c->imm, "%s: imm %#llx", c->what, (unsigned long long)d.imm);
		/* Every shorter prefix of the bytes is an incomplete fetch. */
		for (unsigned int k = 0; k < c->len; k++)
			ck_assert_msg(mmio_decode(c->b, k, c->mode, &d) == -ENODATA, "%s: %u bytes",
				      c->what, k);
	}
}
END_TEST

START_TEST(string_forms)
{
	static const uint8_t movs32[] = { 0x67, 0xf3, 0xa5 };
	static const uint8_t stos_es[] = { 0x26, 0xaa };

	ck_assert_int_eq(dec(movs32, sizeof(movs32)), 0);
	ck_assert_uint_eq(d.addr_size, 4);
	ck_assert(d.rep);
	ck_assert_int_eq(dec(stos_es, sizeof(stos_es)), 0);
	ck_assert_int_eq(d.seg, 0);
	ck_assert_uint_eq(d.addr_size, 8);
	ck_assert_int_eq(mmio_decode(movs32 + 1, 2, 16, &d), 0);
	ck_assert_uint_eq(d.addr_size, 2);
	ck_assert_uint_eq(d.size, 2);
}
END_TEST

START_TEST(alu_flags)
{
	uint64_t f = 0x2, r;

	r = mmio_alu(MMIO_ADD, 4, 0xffffffff, 1, &f);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(f & 0x8d5, 0x1 | 0x4 | 0x10 | 0x40); /* CF PF AF ZF */
	r = mmio_alu(MMIO_ADD, 1, 0x7f, 1, &f);
	ck_assert_uint_eq(r, 0x80);
	ck_assert_uint_eq(f & 0x8c1, 0x800 | 0x80); /* OF SF */
	r = mmio_alu(MMIO_SUB, 4, 1, 2, &f);
	ck_assert_uint_eq(r, 0xffffffff);
	ck_assert_uint_eq(f & 0x8c1, 0x1 | 0x80); /* CF SF */
	r = mmio_alu(MMIO_CMP, 2, 0x8000, 1, &f);
	ck_assert_uint_eq(f & 0x8c1, 0x800); /* OF: -32768 - 1 overflows */
	r = mmio_alu(MMIO_OR, 4, 0x100, 0xff, &f);
	ck_assert_uint_eq(r, 0x1ff);
	ck_assert_uint_eq(f & 0x8c5, 0x4); /* PF of 0xff; CF OF clear */
	r = mmio_alu(MMIO_AND, 8, ~0ULL, 1ULL << 63, &f);
	ck_assert_uint_eq(r, 1ULL << 63);
	ck_assert_uint_eq(f & 0x8c5, 0x80 | 0x4);
	r = mmio_alu(MMIO_TEST, 4, 0x1000, 0x0fff, &f);
	ck_assert_uint_eq(f & 0x8c5, 0x40 | 0x4); /* ZF PF */
	r = mmio_alu(MMIO_XOR, 4, 0xf0f0, 0xf0f0, &f);
	ck_assert_uint_eq(r, 0);
	/* ADC and SBB take CF in. */
	f = 0x2 | 0x1;
	r = mmio_alu(MMIO_ADC, 4, 0xfffffffe, 1, &f);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(f & 0x8d5, 0x1 | 0x4 | 0x10 | 0x40); /* CF PF AF ZF */
	f = 0x2;
	r = mmio_alu(MMIO_ADC, 1, 0x7f, 0, &f);
	ck_assert_uint_eq(r, 0x7f);
	ck_assert_uint_eq(f & 0x8c1, 0); /* no carry in: plain ADD */
	f = 0x2 | 0x1;
	r = mmio_alu(MMIO_ADC, 8, ~0ULL, ~0ULL, &f);
	ck_assert_uint_eq(r, ~0ULL);
	ck_assert_uint_eq(f & 0x8c1, 0x1 | 0x80); /* CF SF: 2^65 - 1 */
	f = 0x2 | 0x1;
	r = mmio_alu(MMIO_SBB, 4, 5, 5, &f);
	ck_assert_uint_eq(r, 0xffffffff);
	ck_assert_uint_eq(f & 0x8c1, 0x1 | 0x80); /* 5 - 5 - 1: borrow */
	f = 0x2 | 0x1;
	r = mmio_alu(MMIO_SBB, 2, 0x8000, 0, &f);
	ck_assert_uint_eq(r, 0x7fff);
	ck_assert_uint_eq(f & 0x8c1, 0x800); /* OF: -32768 - 1 */
	f = 0x2;
	r = mmio_alu(MMIO_SBB, 1, 0, 0xff, &f);
	ck_assert_uint_eq(r, 1);
	ck_assert_uint_eq(f & 0x1, 0x1);
	/* NOT changes no flag; NEG sets CF unless the operand was 0. */
	f = 0x2 | 0x1 | 0x40 | 0x800;
	r = mmio_alu(MMIO_NOT, 2, 0x00ff, 0x1234, &f);
	ck_assert_uint_eq(r, 0xff00);
	ck_assert_uint_eq(f, 0x2 | 0x1 | 0x40 | 0x800);
	r = mmio_alu(MMIO_NEG, 4, 1, 0, &f);
	ck_assert_uint_eq(r, 0xffffffff);
	ck_assert_uint_eq(f & 0x8c1, 0x1 | 0x80);
	r = mmio_alu(MMIO_NEG, 4, 0, 0, &f);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(f & 0x8c1, 0x40);
	/* INC and DEC keep CF. */
	f = 0x2 | 0x1;
	r = mmio_alu(MMIO_INC, 1, 0x7f, 0, &f);
	ck_assert_uint_eq(r, 0x80);
	ck_assert_uint_eq(f & 0x8d1, 0x1 | 0x10 | 0x80 | 0x800); /* CF kept, AF SF OF */
	f = 0x2;
	r = mmio_alu(MMIO_INC, 4, 0xffffffff, 0, &f);
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(f & 0x8c1, 0x40); /* ZF, no CF */
	r = mmio_alu(MMIO_DEC, 2, 0x8000, 0, &f);
	ck_assert_uint_eq(r, 0x7fff);
	ck_assert_uint_eq(f & 0x8c1, 0x800);
	r = mmio_alu(MMIO_NEG, 1, 0x80, 0, &f);
	ck_assert_uint_eq(r, 0x80);
	ck_assert_uint_eq(f & 0x8c1, 0x1 | 0x80 | 0x800); /* -(-128) overflows */
}
END_TEST

START_TEST(rejects_the_rest)
{
	static const uint8_t regreg[] = { 0x89, 0xc0 };      /* mov %eax,%eax: no memory */
	static const uint8_t mul[] = { 0xf7, 0x20 };         /* mul (%rax): F7 /4 */
	static const uint8_t c7_1[] = { 0xc7, 0x08, 0, 0, 0, 0 }; /* C7 /1 */
	static const uint8_t trunc[] = { 0x8b, 0x80, 0x00 }; /* disp32 cut short */
	static const uint8_t idiv[] = { 0xf6, 0x38 };         /* idivb (%rax): F6 /7 */
	static const uint8_t call[] = { 0xff, 0x10 };         /* call *(%rax): FF /2 */
	static const uint8_t sysop[] = { 0x0f, 0x01, 0x00 }; /* sgdt: not MMIO */
	/* movabs with 7 operand-size prefixes: 16 bytes, over the 15-byte limit. */
	static const uint8_t movabs16[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xa3,
					    0, 0, 0xe0, 0xfe, 0, 0, 0, 0 };

	ck_assert_int_eq(dec(regreg, sizeof(regreg)), -EINVAL);
	ck_assert_int_eq(dec(mul, sizeof(mul)), -EINVAL);
	ck_assert_int_eq(dec(c7_1, sizeof(c7_1)), -EINVAL);
	ck_assert_int_eq(dec(trunc, sizeof(trunc)), -ENODATA);
	ck_assert_int_eq(dec(idiv, sizeof(idiv)), -EINVAL);
	ck_assert_int_eq(dec(call, sizeof(call)), -EINVAL);
	ck_assert_int_eq(dec(sysop, sizeof(sysop)), -EINVAL);
	ck_assert_int_eq(dec(regreg, 0), -ENODATA);
	ck_assert_int_eq(mmio_decode(regreg, sizeof(regreg), 48, &d), -EINVAL);
	ck_assert_int_eq(dec(movabs16, sizeof(movabs16)), -EINVAL);
	ck_assert_int_eq(dec(movabs16 + 6, sizeof(movabs16) - 6), 0); /* 10 bytes: fine */
}
END_TEST

Suite *mmio_suite(void)
{
	Suite *s = suite_create("mmio");
	TCase *t = tcase_create("decode");

	tcase_add_test(t, linux_apic_accessors);
	tcase_add_test(t, addressing_forms);
	tcase_add_test(t, immediates);
	tcase_add_test(t, rejects_the_rest);
	tcase_add_test(t, encoding_table);
	tcase_add_test(t, string_forms);
	tcase_add_test(t, alu_flags);
	suite_add_tcase(s, t);
	return s;
}
