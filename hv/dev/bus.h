/* SPDX-License-Identifier: MIT */
/*
 * The device bus of a VM: devices register a port range or a guest-physical
 * MMIO range with a handler; port I/O exits (hv/dev/board.c) and guest-physical
 * faults on a non-RAM address (the MMIO path of hv/vcpu/emulate.c) are
 * dispatched by range. The first registered range that covers an access
 * wins; an access nothing covers is the caller's to refuse.
 */
#ifndef HV_BUS_H
#define HV_BUS_H

#include <types.h>

#define BUS_MAX_PORT_RANGES 24
#define BUS_MAX_MMIO_RANGES 4

struct vcpu;

/* in: *val receives the value (only the low size bytes count); out: *val
 * holds it. port is the absolute port. */
typedef void (*bus_port_fn)(struct vcpu *v, void *ctx, uint16_t port, unsigned int size, bool in,
			    uint32_t *val);
/* false: a malformed access (the VM is stopped with a message). */
typedef bool (*bus_mmio_fn)(struct vcpu *v, void *ctx, uint64_t gpa, unsigned int size, bool write,
			    uint64_t *val);
/* Is the range decoded right now (e.g. the xAPIC page only in xAPIC mode)? */
typedef bool (*bus_mmio_active_fn)(struct vcpu *v, void *ctx, uint64_t gpa);

struct bus_port_range {
	uint16_t first, last;
	const char *name;
	bus_port_fn fn;
	void *ctx;
};

struct bus_mmio_range {
	uint64_t base, len;
	const char *name;
	bus_mmio_fn fn;
	bus_mmio_active_fn active; /* NULL: always */
	void *ctx;
};

struct bus {
	unsigned int nr_ports, nr_mmio;
	struct bus_port_range ports[BUS_MAX_PORT_RANGES];
	struct bus_mmio_range mmio[BUS_MAX_MMIO_RANGES];
};

void bus_init(struct bus *b);
/* Register ports [first, first + n). 0, or -ENOSPC when the table is full. */
int bus_add_ports(struct bus *b, uint16_t first, unsigned int n, const char *name, bus_port_fn fn,
		  void *ctx);
int bus_add_mmio(struct bus *b, uint64_t base, uint64_t len, const char *name, bus_mmio_fn fn,
		 bus_mmio_active_fn active, void *ctx);
/* The range that decodes the access, or NULL: a port access belongs to the
 * range of its first port (as ISA decodes it); an MMIO access must lie wholly
 * inside one range. */
const struct bus_port_range *bus_find_port(const struct bus *b, uint16_t port);
const struct bus_mmio_range *bus_find_mmio(const struct bus *b, struct vcpu *v, uint64_t gpa,
					   unsigned int size);

#endif /* HV_BUS_H */
