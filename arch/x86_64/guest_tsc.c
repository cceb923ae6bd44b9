/* SPDX-License-Identifier: MIT */
/*
 * The guest's TSC as an offset from the host's: the arithmetic behind guest
 * writes to IA32_TSC and IA32_TSC_ADJUST and the guest's TSC-deadline
 * values. Pure C (also in the unit tests); guest_cpu.c calls it on WRMSR
 * exits and hands the offset to the back end.
 */
#include <asm/guest_cpu.h>
#include <hv/vm/vcpu.h>

/*
 * Guest TSC writes (SDM §17.17): a write to IA32_TSC makes RDTSC continue
 * from the value written and adds the difference to IA32_TSC_ADJUST; a write
 * to IA32_TSC_ADJUST moves the TSC by the change. Both only through the
 * offset: the host's TSC never changes.
 */
void guest_tsc_write(struct vcpu *v, uint64_t host_now, uint64_t val)
{
	uint64_t off = val - host_now;

	v->tsc_adjust += off - v->tsc_offset;
	v->tsc_offset = off;
}

void guest_tsc_adjust_write(struct vcpu *v, uint64_t val)
{
	v->tsc_offset += val - v->tsc_adjust;
	v->tsc_adjust = val;
}

/* A TSC-deadline value of the guest (guest TSC) as the APIC keeps it (host
 * TSC); a deadline already past stays past, 0 disarms. */
uint64_t guest_tsc_deadline_to_host(const struct vcpu *v, uint64_t host_now, uint64_t val)
{
	uint64_t guest_now = host_now + v->tsc_offset;

	if (!val)
		return 0;
	if ((int64_t)(val - guest_now) <= 0)
		return host_now ? host_now : 1;
	return host_now + (val - guest_now);
}
