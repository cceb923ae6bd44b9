/* SPDX-License-Identifier: MIT */
/*
 * The host's processors from the ACPI MADT (asm/madt.h). Table layouts:
 * ACPI 6.4 §5.2.5 (RSDP), §5.2.7-8 (RSDT, XSDT), §5.2.12 (MADT), §5.2.12.2
 * (processor local APIC), §5.2.12.12 (processor local x2APIC). Pure.
 */
#include <asm/madt.h>
#include <string.h>

#define SDT_HEADER 36
#define MADT_ENTRIES 44 /* header, local APIC address, flags */
#define LAPIC_ENABLED 1u

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool checksum_ok(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

/* A system description table at pa with its signature, whole and checked. */
static const uint8_t *sdt(uint64_t pa, const char *sig, acpi_map_fn map, void *ctx, uint32_t *len)
{
	const uint8_t *h = map(pa, SDT_HEADER, ctx);

	if (!h || memcmp(h, sig, 4))
		return NULL;
	*len = rd32(h + 4);
	if (*len < SDT_HEADER || *len > (1u << 20))
		return NULL;
	h = map(pa, *len, ctx);
	return h && checksum_ok(h, *len) ? h : NULL;
}

static const uint8_t *find_madt(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, uint32_t *len)
{
	const uint8_t *rsdp = map(rsdp_pa, 20, ctx), *root;
	bool xsdt;
	uint32_t rlen, n;

	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) || !checksum_ok(rsdp, 20))
		return NULL;
	xsdt = rsdp[15] >= 2;
	if (xsdt) {
		const uint8_t *ext = map(rsdp_pa, 36, ctx);

		if (!ext || rd32(ext + 20) < 36 || !checksum_ok(ext, 36) || !rd64(ext + 24))
			xsdt = false;
		else
			root = sdt(rd64(ext + 24), "XSDT", map, ctx, &rlen);
	}
	if (!xsdt)
		root = sdt(rd32(rsdp + 16), "RSDT", map, ctx, &rlen);
	if (!root)
		return NULL;
	n = (rlen - SDT_HEADER) / (xsdt ? 8 : 4);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + SDT_HEADER + i * (xsdt ? 8 : 4);
		const uint8_t *t = sdt(xsdt ? rd64(e) : rd32(e), "APIC", map, ctx, len);

		if (t)
			return t;
	}
	return NULL;
}

int madt_cpus(uint64_t rsdp_pa, acpi_map_fn map, void *ctx, uint32_t *ids, unsigned int max)
{
	uint32_t len, off;
	const uint8_t *m = find_madt(rsdp_pa, map, ctx, &len);
	int n = 0;

	if (!m || len < MADT_ENTRIES)
		return -1;
	for (off = MADT_ENTRIES; off + 2 <= len; off += m[off + 1]) {
		const uint8_t *e = m + off;
		uint32_t id;

		if (e[1] < 2 || off + e[1] > len)
			break; /* malformed: stop, keep what was found */
		if (e[0] == 0 && e[1] >= 8 && (rd32(e + 4) & LAPIC_ENABLED))
			id = e[3];
		else if (e[0] == 9 && e[1] >= 16 && (rd32(e + 8) & LAPIC_ENABLED))
			id = rd32(e + 4);
		else
			continue;
		if ((unsigned int)n < max)
			ids[n] = id;
		n++;
	}
	return n;
}
