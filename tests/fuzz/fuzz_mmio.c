/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the MMIO instruction decoder (arch/x86_64/lib/mmio_decode.c)
 * on arbitrary bytes. Checked: ASan/UBSan (no read past the n bytes given)
 * and the contract of a successful decode, in 16-, 32- and 64-bit code.
 */
#include <asm/mmio.h>
#include <base/console.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read beyond them. */
	uint8_t *insn = malloc(size ? size : 1);
	struct mmio_insn m;

	memcpy(insn, data, size);
	for (unsigned int mode = 16; mode <= 64; mode *= 2) {
		if (mmio_decode(insn, size, mode, &m) != 0)
			continue;
		if (m.len == 0 || m.len > size || m.len > 15)
			abort();
		if (m.size != 1 && m.size != 2 && m.size != 4 && m.size != 8)
			abort();
		if (m.reg > 15 || m.op >= MMIO_OPS || (m.has_imm && m.to_reg) || (!m.read && !m.write))
			abort();
		if (m.reg_size != 1 && m.reg_size != 2 && m.reg_size != 4 && m.reg_size != 8)
			abort();
	}
	free(insn);
	return 0;
}
