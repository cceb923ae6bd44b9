/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables (see acpi.h). Field offsets: ACPI 6.4 §5.2.5.3 (RSDP), §5.2.6
 * (table header), §5.2.9 (FADT), §5.2.10 (FACS), §5.2.12 (MADT).
 */
#include <errcode.h>
#include <hv/load/acpi.h>
#include <hv/dev/platform.h>
#include <hv/mem/gmem.h>
#include <hv/vm/vm.h>
#include <string.h>

/* Offsets inside the tables page. */
#define OFF_RSDP 0x000
#define OFF_RSDT 0x040
#define OFF_XSDT 0x080
#define OFF_FACS 0x0c0 /* 64-byte aligned */
#define OFF_FADT 0x100
#define OFF_MADT 0x200
#define OFF_DSDT 0x300

#define HDR_LEN 36
#define FADT_LEN 244
#define FACS_LEN 64
#define GAS_IO 1

static uint8_t page[PAGE_SIZE];

static void put8(unsigned int off, uint8_t v) { page[off] = v; }
static void put16(unsigned int off, uint16_t v) { memcpy(page + off, &v, 2); }
static void put32(unsigned int off, uint32_t v) { memcpy(page + off, &v, 4); }
static void put64(unsigned int off, uint64_t v) { memcpy(page + off, &v, 8); }

static uint8_t sum(unsigned int off, unsigned int len)
{
	uint8_t s = 0;

	for (unsigned int i = 0; i < len; i++)
		s = (uint8_t)(s + page[off + i]);
	return s;
}

static void header(unsigned int off, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(page + off, sig, 4);
	put32(off + 4, len);
	put8(off + 8, rev);
	memcpy(page + off + 10, "HINTVR", 6);
	memcpy(page + off + 16, "HINTVSR ", 8);
	memcpy(page + off + 16 + 4, sig, 4); /* OEM table ID: "HINT" + signature */
	put32(off + 24, 1);
	memcpy(page + off + 28, "HVSR", 4);
	put32(off + 32, 1);
}

static void finish(unsigned int off)
{
	uint32_t len;

	memcpy(&len, page + off + 4, 4);
	put8(off + 9, (uint8_t)-sum(off, len));
}

/* Generic address structure of an I/O port block. */
static void gas_io(unsigned int off, uint16_t port, uint8_t bits, uint8_t access)
{
	put8(off, GAS_IO);
	put8(off + 1, bits);
	put8(off + 2, 0);
	put8(off + 3, access);
	put64(off + 4, port);
}

static unsigned int madt(unsigned int off, unsigned int nr_cpus)
{
	unsigned int p = off + HDR_LEN + 8;
	/* IRQ 0 -> GSI 2 (bus default: edge, high), the SCI level/high, the
	 * PCI INTA# line level/low. */
	static const struct { uint8_t irq; uint8_t gsi; uint16_t flags; } isos[] = {
		{ 0, 2, 0x0000 }, { PLAT_SCI_IRQ, PLAT_SCI_IRQ, 0x000d }, { PCI_INTX_IRQ, PCI_INTX_IRQ, 0x000f },
	};

	put32(off + HDR_LEN, (uint32_t)APIC_DEFAULT_BASE);
	put32(off + HDR_LEN + 4, 1); /* PCAT_COMPAT: the 8259s are there too */
	/* Processor local APIC of each vCPU: UID = APIC ID = its index, enabled. */
	for (unsigned int c = 0; c < nr_cpus; c++) {
		put8(p, 0); put8(p + 1, 8); put8(p + 2, (uint8_t)c); put8(p + 3, (uint8_t)c);
		put32(p + 4, 1);
		p += 8;
	}
	/* I/O APIC: ID, address, GSI base 0. */
	put8(p, 1); put8(p + 1, 12); put8(p + 2, IOAPIC_ID); put8(p + 3, 0);
	put32(p + 4, (uint32_t)IOAPIC_BASE); put32(p + 8, 0);
	p += 12;
	for (unsigned int i = 0; i < sizeof(isos) / sizeof(isos[0]); i++) {
		put8(p, 2); put8(p + 1, 10); put8(p + 2, 0); put8(p + 3, isos[i].irq);
		put32(p + 4, isos[i].gsi); put16(p + 8, isos[i].flags);
		p += 10;
	}
	/* Local APIC NMI: all processors, LINT1, bus-default polarity/trigger. */
	put8(p, 4); put8(p + 1, 6); put8(p + 2, 0xff); put16(p + 3, 0); put8(p + 5, 1);
	p += 6;
	header(off, "APIC", p - off, 3);
	finish(off);
	return p - off;
}

static void fadt(unsigned int off)
{
	header(off, "FACP", FADT_LEN, 4);
	put32(off + 36, (uint32_t)(ACPI_TABLES_GPA + OFF_FACS));
	put32(off + 40, (uint32_t)(ACPI_TABLES_GPA + OFF_DSDT));
	put16(off + 46, PLAT_SCI_IRQ);
	put32(off + 56, PLAT_PM1A_EVT);
	put32(off + 64, PLAT_PM1A_CNT);
	put32(off + 76, PLAT_PM_TMR);
	put8(off + 88, 4); /* PM1_EVT_LEN */
	put8(off + 89, 2); /* PM1_CNT_LEN */
	put8(off + 91, 4); /* PM_TMR_LEN */
	put16(off + 96, 101);  /* P_LVL2_LAT > 100: no C2 */
	put16(off + 98, 1001); /* P_LVL3_LAT > 1000: no C3 */
	put8(off + 108, 0x32); /* CMOS century register */
	/* IA-PC boot architecture: legacy (ISA) devices; no 8042, no VGA. */
	put16(off + 109, 1u << 0 | 1u << 2);
	/* WBINVD, C1 (HLT), no fixed power/sleep buttons, reset register. */
	put32(off + 112, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 10);
	gas_io(off + 116, 0xcf9, 8, 1);
	put8(off + 128, 0x06); /* reset value: RST | SYS_RST */
	put64(off + 132, ACPI_TABLES_GPA + OFF_FACS);
	put64(off + 140, ACPI_TABLES_GPA + OFF_DSDT);
	gas_io(off + 148, PLAT_PM1A_EVT, 32, 2);
	gas_io(off + 172, PLAT_PM1A_CNT, 16, 2);
	gas_io(off + 208, PLAT_PM_TMR, 32, 3);
	finish(off);
}

/*
 * The DSDT's AML (ACPI 6.4 §20): the PCI root bridge, which an OS enumerates
 * from here rather than by probing once ACPI is on, and the S5 (soft off)
 * sleep type for PM1a_CNT:
 *
 *   Scope (\_SB) {
 *     Device (PCI0) {
 *       Name (_HID, EisaId ("PNP0A03"))
 *       Name (_UID, Zero)
 *       Name (_CRS, ResourceTemplate () {
 *         WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                        0, 0, 0xff, 0, 0x100)
 *         IO (Decode16, 0xcf8, 0xcf8, 1, 8)
 *         WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
 *                 0, 0, 0xcf7, 0, 0xcf8)
 *         WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
 *                 0, 0xd00, 0xffff, 0, 0xf300)
 *       })
 *       Name (_PRT, Package () { Package () { 0x1ffff, 0, 0, 11 },
 *                                Package () { 0x2ffff, 0, 0, 11 }, ... })
 *     }
 *   }
 *   Name (\_S5, Package () { 5, 5, 0, 0 })
 *
 * INTA# of devices 1 to PCI_MAX_DEVS - 1 (virtio-blk, virtio-balloon) is
 * GSI 11 (PCI_INTX_IRQ), shared, level triggered, active low (the _PRT
 * default for a GSI entry), as the MADT override says.
 */
static unsigned int aml_word_space(uint8_t *p, uint8_t type, uint16_t min, uint16_t max)
{
	static const uint8_t head[] = { 0x88, 0x0d, 0x00 };

	memcpy(p, head, 3);
	p[3] = type; /* 1 I/O, 2 bus number */
	p[4] = 0x0c; /* MinFixed, MaxFixed, PosDecode, producer */
	p[5] = type == 1 ? 3 : 0; /* I/O: EntireRange */
	memset(p + 6, 0, 10);
	memcpy(p + 8, &min, 2);
	memcpy(p + 10, &max, 2);
	p[14] = (uint8_t)((max - min + 1) & 0xff);
	p[15] = (uint8_t)((max - min + 1) >> 8);
	return 16;
}

/* Wrap body[0, n) into op (1 or 2 bytes) + PkgLength (1 or 2 bytes). */
static unsigned int aml_pkg(uint8_t *dst, const uint8_t *op, unsigned int oplen, const uint8_t *body,
			    unsigned int n)
{
	unsigned int len = n + 1, k = oplen;

	memcpy(dst, op, oplen);
	if (len < 0x40) {
		dst[k++] = (uint8_t)len;
	} else {
		len = n + 2;
		dst[k++] = (uint8_t)(0x40 | (len & 0xf));
		dst[k++] = (uint8_t)(len >> 4);
	}
	memmove(dst + k, body, n);
	return k + n;
}

static unsigned int dsdt_aml(uint8_t *out)
{
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const uint8_t uid[] = { 0x08, '_', 'U', 'I', 'D', 0x00 };
	/* One entry per device slot after the host bridge. */
	enum { PRT_N = PCI_MAX_DEVS - 1, PRT_BYTES = 8 + 12 * PRT_N };
	_Static_assert(PRT_BYTES - 6 < 0x40, "_PRT package length fits in one byte");
	uint8_t prt[PRT_BYTES] = { 0x08, '_', 'P', 'R', 'T', 0x12, PRT_BYTES - 6, PRT_N };
	/* Name (\_S5, Package () { 5, 5, 0, 0 }): SLP_TYP 5 is power off. */
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	static const uint8_t io_cfg[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	uint8_t dev[256], crs[96], buf[128], tmp[256];
	unsigned int d = 0, c = 0, b = 0, n;

	c += aml_word_space(crs + c, 2, 0, 0xff);
	memcpy(crs + c, io_cfg, sizeof(io_cfg));
	c += sizeof(io_cfg);
	c += aml_word_space(crs + c, 1, 0, 0xcf7);
	c += aml_word_space(crs + c, 1, 0xd00, 0xffff);
	crs[c++] = 0x79; /* end tag, checksum 0: "ignore" */
	crs[c++] = 0x00;
	/* Buffer (c) { crs }: BufferOp, PkgLength, ByteConst size, bytes. */
	buf[b++] = 0x0a;
	buf[b++] = (uint8_t)c;
	memcpy(buf + b, crs, c);
	b += c;
	memcpy(dev + d, "PCI0", 4);
	d += 4;
	memcpy(dev + d, hid, sizeof(hid));
	d += sizeof(hid);
	memcpy(dev + d, uid, sizeof(uid));
	d += sizeof(uid);
	memcpy(dev + d, (const uint8_t[]){ 0x08, '_', 'C', 'R', 'S' }, 5);
	d += 5;
	d += aml_pkg(dev + d, (const uint8_t[]){ 0x11 }, 1, buf, b);
	for (unsigned int i = 0; i < PRT_N; i++) {
		uint8_t *e = prt + 8 + 12 * i;

		/* Package (4) { 0xNffff (device N + 1, any function), pin A,
		 * no source (a GSI), PCI_INTX_IRQ } */
		e[0] = 0x12; e[1] = 0x0b; e[2] = 0x04; e[3] = 0x0c;
		e[4] = 0xff; e[5] = 0xff; e[6] = (uint8_t)(i + 1); e[7] = 0x00;
		e[8] = 0x00; e[9] = 0x00; e[10] = 0x0a; e[11] = PCI_INTX_IRQ;
	}
	memcpy(dev + d, prt, sizeof(prt));
	d += sizeof(prt);
	/* Device (PCI0) { ... } inside Scope (\_SB) { ... } */
	memcpy(tmp, "\\_SB_", 5);
	n = 5 + aml_pkg(tmp + 5, (const uint8_t[]){ 0x5b, 0x82 }, 2, dev, d);
	n = aml_pkg(out, (const uint8_t[]){ 0x10 }, 1, tmp, n);
	memcpy(out + n, s5, sizeof(s5));
	return n + (unsigned int)sizeof(s5);
}

int acpi_build(struct vm *vm)
{
	unsigned int madt_len, dsdt_len;

	memset(page, 0, sizeof(page));
	memcpy(page + OFF_FACS, "FACS", 4);
	put32(OFF_FACS + 4, FACS_LEN);
	put8(OFF_FACS + 32, 2); /* version */
	dsdt_len = HDR_LEN + dsdt_aml(page + OFF_DSDT + HDR_LEN);
	header(OFF_DSDT, "DSDT", dsdt_len, 2);
	finish(OFF_DSDT);
	fadt(OFF_FADT);
	madt_len = madt(OFF_MADT, vm->nr_vcpus);
	if (OFF_MADT + madt_len > OFF_DSDT)
		return -ENOSPC;
	header(OFF_RSDT, "RSDT", HDR_LEN + 2 * 4, 1);
	put32(OFF_RSDT + HDR_LEN, (uint32_t)(ACPI_TABLES_GPA + OFF_FADT));
	put32(OFF_RSDT + HDR_LEN + 4, (uint32_t)(ACPI_TABLES_GPA + OFF_MADT));
	finish(OFF_RSDT);
	header(OFF_XSDT, "XSDT", HDR_LEN + 2 * 8, 1);
	put64(OFF_XSDT + HDR_LEN, ACPI_TABLES_GPA + OFF_FADT);
	put64(OFF_XSDT + HDR_LEN + 8, ACPI_TABLES_GPA + OFF_MADT);
	finish(OFF_XSDT);

	memcpy(page + OFF_RSDP, "RSD PTR ", 8);
	memcpy(page + OFF_RSDP + 9, "HINTVR", 6);
	put8(OFF_RSDP + 15, 2);
	put32(OFF_RSDP + 16, (uint32_t)(ACPI_TABLES_GPA + OFF_RSDT));
	put32(OFF_RSDP + 20, 36);
	put64(OFF_RSDP + 24, ACPI_TABLES_GPA + OFF_XSDT);
	put8(OFF_RSDP + 8, (uint8_t)-sum(OFF_RSDP, 20));
	put8(OFF_RSDP + 32, (uint8_t)-sum(OFF_RSDP, 36));
	return gmem_write(vm, ACPI_TABLES_GPA, page, OFF_DSDT + dsdt_len);
}
