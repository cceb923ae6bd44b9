/* SPDX-License-Identifier: MIT */
/*
 * acpi: the ACPI tables as an OS finds them. The RSDP by the scan of the
 * BIOS area (0xe0000-0xfffff, 16-byte steps), both its checksums, the RSDT
 * and the XSDT naming the same tables, every table's checksum, the MADT
 * (local APIC address, one enabled processor, the I/O APIC at 0xfec00000
 * with GSI base 0, the overrides IRQ 0 -> GSI 2 and the PCI line level/low,
 * the LINT1 NMI), the FADT (PM timer block and length, SCI, reset register,
 * DSDT and FACS) — and that the I/O APIC the MADT names answers there.
 */
#include "hvtest.h"
#include <string.h>

const char test_title[] = "acpi: RSDP by BIOS-area scan, RSDT/XSDT, MADT, FADT, checksums";

struct __attribute__((packed)) sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev, sum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
};

static uint8_t bytesum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

static const uint8_t *find_rsdp(void)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8) && !bytesum((const void *)a, 20))
			return (const uint8_t *)a;
	return NULL;
}

static const struct sdt *table(uint64_t gpa, const char *sig)
{
	const struct sdt *t = (const struct sdt *)gpa;

	if (!gpa || gpa >= 0x100000000ULL) {
		test_fail("table %s at %#lx", sig, gpa);
		return NULL;
	}
	if (memcmp(t->sig, sig, 4)) {
		test_fail("table at %#lx is %.4s, expected %s", gpa, t->sig, sig);
		return NULL;
	}
	if (bytesum(t, t->len))
		test_fail("%s checksum", sig);
	gprintf("%.4s at %#lx, %u bytes, revision %u, OEM %.6s\n", t->sig, gpa, t->len, t->rev,
		t->oem);
	return t;
}

static uint32_t rd32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void check_madt(const struct sdt *m)
{
	const uint8_t *p = (const uint8_t *)m + 44, *end = (const uint8_t *)m + m->len;
	unsigned int cpus = 0, ioapics = 0, nmis = 0;
	bool irq0 = false, pci = false;

	EXPECT_EQ(rd32((const uint8_t *)m + 36), 0xfee00000);
	EXPECT_EQ(rd32((const uint8_t *)m + 40) & 1, 1); /* PCAT_COMPAT */
	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		switch (p[0]) {
		case 0:
			EXPECT_EQ(p[1], 8);
			EXPECT_EQ(p[3], 0); /* APIC ID */
			EXPECT_EQ(rd32(p + 4) & 1, 1);
			cpus++;
			break;
		case 1:
			EXPECT_EQ(p[1], 12);
			EXPECT_EQ(rd32(p + 4), 0xfec00000);
			EXPECT_EQ(rd32(p + 8), 0);
			gprintf("MADT: I/O APIC ID %u at %#x, GSI base %u\n", p[2], rd32(p + 4),
				rd32(p + 8));
			/* The ID register of the I/O APIC there agrees. */
			*(volatile uint32_t *)0xfec00000 = 0;
			EXPECT_EQ(*(volatile uint32_t *)0xfec00010 >> 24, p[2]);
			ioapics++;
			break;
		case 2:
			gprintf("MADT: override bus %u IRQ %u -> GSI %u flags %#x\n", p[2], p[3],
				rd32(p + 4), p[8] | p[9] << 8);
			if (p[3] == 0 && rd32(p + 4) == 2)
				irq0 = true;
			if (p[3] == 11 && rd32(p + 4) == 11 && (p[8] & 0xf) == 0xf)
				pci = true;
			break;
		case 4:
			EXPECT_EQ(p[5], 1); /* LINT1 */
			nmis++;
			break;
		default:
			test_fail("MADT entry type %u", p[0]);
		}
	}
	EXPECT(p == end);
	EXPECT_EQ(cpus, 1);
	EXPECT_EQ(ioapics, 1);
	EXPECT_EQ(nmis, 1);
	EXPECT(irq0);
	EXPECT(pci);
}

static void check_fadt(const struct sdt *f)
{
	const uint8_t *b = (const uint8_t *)f;

	EXPECT(f->len >= 244);
	EXPECT_EQ(b[46] | b[47] << 8, 9);   /* SCI_INT */
	EXPECT_EQ(rd32(b + 48), 0);         /* no SMI_CMD: ACPI mode already */
	EXPECT(rd32(b + 76) != 0);          /* PM_TMR_BLK */
	EXPECT_EQ(b[91], 4);                /* PM_TMR_LEN */
	EXPECT_EQ(rd32(b + 112) & (1u << 10), 1u << 10); /* RESET_REG_SUP */
	EXPECT_EQ(b[116], 1);               /* reset register in I/O space */
	EXPECT_EQ(rd64(b + 120), 0xcf9);
	EXPECT_EQ(rd64(b + 208 + 4), rd32(b + 76)); /* X_PM_TMR_BLK = PM_TMR_BLK */
	EXPECT_EQ(rd64(b + 140), rd32(b + 40));     /* X_DSDT = DSDT */
	gprintf("FADT: PM timer at port %#x, SCI IRQ %u, PM1a_CNT %#x\n", rd32(b + 76),
		b[46] | b[47] << 8, rd32(b + 64));
	table(rd64(b + 140), "DSDT");
	EXPECT(!memcmp((const void *)(uint64_t)rd32(b + 36), "FACS", 4));
	EXPECT_EQ(rd32(b + 36) & 63, 0);
	/* The platform is in ACPI mode: SCI_EN reads 1. */
	EXPECT_EQ(inl((uint16_t)rd32(b + 64)) & 1, 1);
}

void test_main(void)
{
	const uint8_t *rsdp = find_rsdp();
	const struct sdt *rsdt, *xsdt;
	unsigned int n, found = 0;

	if (!rsdp)
		test_end(TEST_FAILURE, "no RSDP in 0xe0000-0xfffff");
	gprintf("RSDP at %#lx, revision %u, OEM %.6s\n", (uint64_t)rsdp, rsdp[15], rsdp + 9);
	EXPECT_EQ(rsdp[15], 2);
	EXPECT_EQ(rd32(rsdp + 20), 36);
	EXPECT_EQ(bytesum(rsdp, 36), 0); /* extended checksum */
	rsdt = table(rd32(rsdp + 16), "RSDT");
	xsdt = table(rd64(rsdp + 24), "XSDT");
	if (!rsdt || !xsdt)
		test_end(TEST_FAILURE, "no RSDT/XSDT");
	n = (rsdt->len - 36) / 4;
	EXPECT_EQ((xsdt->len - 36) / 8, n);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t a = rd32((const uint8_t *)rsdt + 36 + 4 * i);
		const struct sdt *t = (const struct sdt *)a;

		EXPECT_EQ(rd64((const uint8_t *)xsdt + 36 + 8 * i), a);
		if (!memcmp(t->sig, "APIC", 4) && table(a, "APIC")) {
			check_madt(t);
			found |= 1;
		} else if (!memcmp(t->sig, "FACP", 4) && table(a, "FACP")) {
			check_fadt(t);
			found |= 2;
		} else {
			table(a, t->sig);
		}
	}
	EXPECT_EQ(found, 3);
	test_end(test_failures() ? TEST_FAILURE : TEST_SUCCESS, NULL);
}
