/* SPDX-License-Identifier: MIT */
/*
 * A test-and-test-and-set spinlock for host code with interrupts off. Any
 * context.
 */
#ifndef BASE_SPINLOCK_H
#define BASE_SPINLOCK_H

#include <types.h>

struct spinlock {
	uint32_t locked;
};

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif /* BASE_SPINLOCK_H */
