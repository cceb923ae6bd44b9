/* SPDX-License-Identifier: MIT */
/*
 * 8259A pair (see pic.h). Priorities are fixed (line 0 highest), no special
 * mask or auto-EOI modes: what PC firmware and Linux use.
 */
#include <hv/dev/pic.h>
#include <string.h>

void pic_reset(struct pic *p)
{
	memset(p, 0, sizeof(*p));
	p->chip[0].imr = 0xff;
	p->chip[1].imr = 0xff;
	p->chip[0].base = 0x08;
	p->chip[1].base = 0x70;
}

/* Highest-priority line that is requested, unmasked and not blocked by an
 * in-service line of equal or higher priority; -1 if none. */
static int chip_line(const struct pic_chip *c)
{
	uint8_t req = c->irr & ~c->imr;

	for (int l = 0; l < 8; l++) {
		if (c->isr & (1u << l))
			return -1;
		if (req & (1u << l))
			return l;
	}
	return -1;
}

static void update_cascade(struct pic *p)
{
	/* The slave's INT output drives master line 2, level-sensitively. */
	if (chip_line(&p->chip[1]) >= 0)
		p->chip[0].irr |= 1u << 2;
	else
		p->chip[0].irr &= (uint8_t)~(1u << 2);
}

void pic_set_irq(struct pic *p, unsigned int irq, bool level)
{
	struct pic_chip *c = &p->chip[irq >= 8];
	uint8_t bit = (uint8_t)(1u << (irq & 7));

	if (irq >= 16)
		return;
	if (level && !(c->lines & bit))
		c->irr |= bit;
	if (level)
		c->lines |= bit;
	else
		c->lines &= (uint8_t)~bit;
	update_cascade(p);
}

int pic_pending(const struct pic *p)
{
	int l = chip_line(&p->chip[0]);

	if (l < 0)
		return -1;
	if (l == 2) {
		int s = chip_line(&p->chip[1]);

		return s < 0 ? -1 : p->chip[1].base + s;
	}
	return p->chip[0].base + l;
}

void pic_ack(struct pic *p)
{
	int l = chip_line(&p->chip[0]);

	if (l < 0)
		return;
	if (l == 2) {
		int s = chip_line(&p->chip[1]);

		if (s >= 0) {
			p->chip[1].irr &= (uint8_t)~(1u << s);
			p->chip[1].isr |= (uint8_t)(1u << s);
		}
	}
	p->chip[0].irr &= (uint8_t)~(1u << l);
	p->chip[0].isr |= (uint8_t)(1u << l);
	update_cascade(p);
}

void pic_unack(struct pic *p, int vector)
{
	for (int i = 1; i >= 0; i--) {
		struct pic_chip *c = &p->chip[i];
		int l = vector - c->base;

		if (l < 0 || l > 7 || !(c->isr & (1u << l)))
			continue;
		c->isr &= (uint8_t)~(1u << l);
		c->irr |= (uint8_t)(1u << l);
		if (i == 1)
			p->chip[0].isr &= (uint8_t)~(1u << 2); /* the cascade line */
		break;
	}
	update_cascade(p);
}

static void command(struct pic *p, struct pic_chip *c, uint8_t v)
{
	if (v & 0x10) { /* ICW1 */
		c->init_step = 1;
		c->icw4 = v & 1;
		c->imr = 0;
		c->isr = 0;
		c->irr = 0;
		c->read_isr = false;
	} else if ((v & 0x18) == 0x08) { /* OCW3 */
		if (v & 2)
			c->read_isr = v & 1;
	} else if (v & 0x20) { /* OCW2: EOI */
		if (v & 0x40)
			c->isr &= (uint8_t)~(1u << (v & 7)); /* specific */
		else
			for (int l = 0; l < 8; l++)
				if (c->isr & (1u << l)) {
					c->isr &= (uint8_t)~(1u << l);
					break;
				}
	}
	update_cascade(p);
}

static void data(struct pic *p, struct pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 1:
		c->base = v & 0xf8;
		c->init_step = 2;
		break;
	case 2: /* ICW3: cascade wiring, fixed here */
		c->init_step = c->icw4 ? 3 : 0;
		break;
	case 3: /* ICW4: 8086 mode; auto-EOI not supported */
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
	update_cascade(p);
}

bool pic_io(struct pic *p, uint16_t port, bool in, uint32_t *val)
{
	struct pic_chip *c;

	switch (port) {
	case 0x20: case 0x21: c = &p->chip[0]; break;
	case 0xa0: case 0xa1: c = &p->chip[1]; break;
	case 0x4d0: case 0x4d1: /* ELCR: all edge triggered */
		if (in)
			*val = 0;
		return true;
	default:
		return false;
	}
	if (in) {
		*val = port & 1 ? c->imr : c->read_isr ? c->isr : c->irr;
		return true;
	}
	if (port & 1)
		data(p, c, (uint8_t)*val);
	else
		command(p, c, (uint8_t)*val);
	return true;
}
