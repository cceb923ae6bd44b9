/* SPDX-License-Identifier: MIT */
/*
 * Device bus (see bus.h): a short table of ranges per VM, searched in
 * registration order. Hypervisor context.
 */
#include <errcode.h>
#include <hv/dev/bus.h>
#include <string.h>

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
}

int bus_add_ports(struct bus *b, uint16_t first, unsigned int n, const char *name, bus_port_fn fn,
		  void *ctx)
{
	if (b->nr_ports == BUS_MAX_PORT_RANGES || !n || first + n - 1 > 0xffff)
		return -ENOSPC;
	b->ports[b->nr_ports++] = (struct bus_port_range){
		.first = first, .last = (uint16_t)(first + n - 1), .name = name, .fn = fn, .ctx = ctx,
	};
	return 0;
}

int bus_add_mmio(struct bus *b, uint64_t base, uint64_t len, const char *name, bus_mmio_fn fn,
		 bus_mmio_active_fn active, void *ctx)
{
	if (b->nr_mmio == BUS_MAX_MMIO_RANGES || !len || base + len < base)
		return -ENOSPC;
	b->mmio[b->nr_mmio++] = (struct bus_mmio_range){
		.base = base, .len = len, .name = name, .fn = fn, .active = active, .ctx = ctx,
	};
	return 0;
}

const struct bus_port_range *bus_find_port(const struct bus *b, uint16_t port)
{
	for (unsigned int i = 0; i < b->nr_ports; i++) {
		const struct bus_port_range *r = &b->ports[i];

		if (port >= r->first && port <= r->last)
			return r;
	}
	return NULL;
}

const struct bus_mmio_range *bus_find_mmio(const struct bus *b, struct vcpu *v, uint64_t gpa,
					   unsigned int size)
{
	for (unsigned int i = 0; i < b->nr_mmio; i++) {
		const struct bus_mmio_range *r = &b->mmio[i];

		if (gpa >= r->base && gpa - r->base < r->len && (size ? size : 1) <= r->len - (gpa - r->base) &&
		    (!r->active || r->active(v, r->ctx, gpa)))
			return r;
	}
	return NULL;
}
