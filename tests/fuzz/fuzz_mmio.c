/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the MMIO instruction decoder (arch/x86_64/mmio_decode.c)
 * on arbitrary bytes. Checked: ASan/UBSan (no read past the n bytes given)
 * and the contract of a successful decode.
 */
#include <asm/mmio.h>
#include <hv/console.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read beyond them. */
	uint8_t *insn = malloc(size ? size : 1);
	struct mmio_insn m;

	memcpy(insn, data, size);
	if (mmio_decode(insn, size, &m) == 0) {
		if (m.len == 0 || m.len > size || m.len > 15)
			abort();
		if (m.size != 1 && m.size != 2 && m.size != 4 && m.size != 8)
			abort();
		if (m.reg > 15 || (m.has_imm && !m.write))
			abort();
	}
	free(insn);
	return 0;
}
