/* SPDX-License-Identifier: MIT */
/* Unit tests: the 8259 pair (hv/dev/pic.c) as Linux programs and uses it. */
#include "unit.h"
#include <hv/dev/pic.h>

static struct pic p;

static void out(uint16_t port, uint8_t v)
{
	uint32_t val = v;

	ck_assert(pic_io(&p, port, false, &val));
}

static uint8_t in(uint16_t port)
{
	uint32_t val = 0;

	ck_assert(pic_io(&p, port, true, &val));
	return (uint8_t)val;
}

/* init_8259A(): ICW1..ICW4 for both chips, vectors 0x30 and 0x38. */
static void linux_init(void)
{
	pic_reset(&p);
	out(0x21, 0xff);
	out(0xa1, 0xff);
	out(0x20, 0x11);
	out(0x21, 0x30);
	out(0x21, 0x04);
	out(0x21, 0x01);
	out(0xa0, 0x11);
	out(0xa1, 0x38);
	out(0xa1, 0x02);
	out(0xa1, 0x01);
	out(0x21, 0xff);
	out(0xa1, 0xff);
}

START_TEST(mask_reads_back)
{
	pic_reset(&p);
	out(0x21, 0xa5); /* Linux's probe: the mask must read back */
	ck_assert_uint_eq(in(0x21), 0xa5);
	ck_assert_int_eq(pic_pending(&p), -1);
	ck_assert(!pic_io(&p, 0x60, true, &(uint32_t){ 0 }));
}
END_TEST

START_TEST(edge_mask_and_eoi)
{
	linux_init();
	pic_set_irq(&p, 4, true);
	ck_assert_int_eq(pic_pending(&p), -1); /* masked: latched, not delivered */
	out(0x21, 0xef);                       /* unmask IRQ 4 */
	ck_assert_int_eq(pic_pending(&p), 0x34);
	pic_ack(&p);
	ck_assert_int_eq(pic_pending(&p), -1);
	pic_set_irq(&p, 4, true); /* still high: no new edge */
	ck_assert_int_eq(pic_pending(&p), -1);
	out(0x20, 0x0b); /* OCW3: read ISR */
	ck_assert_uint_eq(in(0x20), 0x10);
	out(0x20, 0x64); /* specific EOI, line 4 */
	ck_assert_uint_eq(in(0x20), 0x00);
	pic_set_irq(&p, 4, false);
	pic_set_irq(&p, 4, true); /* a new edge */
	ck_assert_int_eq(pic_pending(&p), 0x34);
}
END_TEST

START_TEST(priority_and_cascade)
{
	linux_init();
	out(0x21, 0x00);
	out(0xa1, 0x00);
	pic_set_irq(&p, 11, true); /* slave line 3 through master line 2 */
	pic_set_irq(&p, 4, true);
	ck_assert_int_eq(pic_pending(&p), 0x3b); /* line 2 outranks line 4 */
	pic_ack(&p);
	ck_assert_int_eq(pic_pending(&p), -1); /* 4 waits behind the cascade in service */
	out(0xa0, 0x63); /* slave EOI line 3, then master EOI line 2 */
	out(0x20, 0x62);
	ck_assert_int_eq(pic_pending(&p), 0x34);
	pic_ack(&p);
	out(0x20, 0x20); /* non-specific EOI */
	ck_assert_int_eq(pic_pending(&p), -1);
}
END_TEST

/* pic_quiet(), the check before every VM entry, may say "nothing" only when
 * pic_pending() finds nothing: every master request, mask and in-service
 * combination, with the slave idle and with a request on it. */
START_TEST(quiet_means_nothing_pending)
{
	static const uint8_t isr[] = { 0, 0x01, 0x04, 0x10, 0xff };

	linux_init();
	for (unsigned int slave = 0; slave < 2; slave++) {
		for (unsigned int irr = 0; irr < 256; irr++) {
			for (unsigned int imr = 0; imr < 256; imr++) {
				for (unsigned int i = 0; i < sizeof(isr); i++) {
					p.chip[1].irr = slave ? 0x08 : 0;
					p.chip[1].imr = 0;
					p.chip[0].irr = (uint8_t)irr;
					p.chip[0].imr = (uint8_t)imr;
					p.chip[0].isr = isr[i];
					if (pic_quiet(&p))
						ck_assert_int_eq(pic_pending(&p), -1);
				}
			}
		}
	}
}
END_TEST

Suite *pic_suite(void)
{
	Suite *s = suite_create("pic");
	TCase *t = tcase_create("8259");

	tcase_add_test(t, mask_reads_back);
	tcase_add_test(t, edge_mask_and_eoi);
	tcase_add_test(t, priority_and_cascade);
	tcase_add_test(t, quiet_means_nothing_pending);
	suite_add_tcase(s, t);
	return s;
}
