/* SPDX-License-Identifier: MIT */
/*
 * Address and frame-number types shared by every part of Hintvisor.
 * Guest-physical and host-physical values are distinct one-member structs so
 * that mixing them up is a compile error (after Xen's TYPE_SAFE). Plain C,
 * no hardware access: included by the hypervisor, unit tests and simulator.
 */
#ifndef HV_TYPES_H
#define HV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define TYPE_SAFE(_type, _name)                                              \
	typedef struct {                                                     \
		_type _name;                                                 \
	} _name##_t;                                                         \
	static inline _name##_t _##_name(_type v)                           \
	{                                                                    \
		return (_name##_t){ v };                                     \
	}                                                                    \
	static inline _type _name##_x(_name##_t v)                          \
	{                                                                    \
		return v._name;                                              \
	}

/* gpa_t: guest-physical address; hpa_t: host-physical address. */
TYPE_SAFE(uint64_t, gpa)
TYPE_SAFE(uint64_t, hpa)
/* gfn_t: guest frame number; hfn_t: host frame number. */
TYPE_SAFE(uint64_t, gfn)
TYPE_SAFE(uint64_t, hfn)

#define INVALID_GFN _gfn(~0ULL)
#define INVALID_HFN _hfn(~0ULL)
#define INVALID_HPA _hpa(~0ULL)

static inline gfn_t gpa_to_gfn(gpa_t a) { return _gfn(gpa_x(a) >> PAGE_SHIFT); }
static inline gpa_t gfn_to_gpa(gfn_t f) { return _gpa(gfn_x(f) << PAGE_SHIFT); }
static inline hfn_t hpa_to_hfn(hpa_t a) { return _hfn(hpa_x(a) >> PAGE_SHIFT); }
static inline hpa_t hfn_to_hpa(hfn_t f) { return _hpa(hfn_x(f) << PAGE_SHIFT); }

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
/* MIN and MAX evaluate each argument once: an argument that is a call is
 * not made twice (MIN(deadline, MAX(next_timer(), now)) once called it
 * twice before every VM entry). Unique names keep nested uses apart. */
#define MINMAX_PASTE_(a, b) a##b
#define MINMAX_PASTE(a, b) MINMAX_PASTE_(a, b)
#define MINMAX_(a, b, op, id)                                                     \
	({                                                                        \
		__typeof__(a) MINMAX_PASTE(mm_a_, id) = (a);                      \
		__typeof__(b) MINMAX_PASTE(mm_b_, id) = (b);                      \
		MINMAX_PASTE(mm_a_, id) op MINMAX_PASTE(mm_b_, id) ? MINMAX_PASTE(mm_a_, id) \
								   : MINMAX_PASTE(mm_b_, id); \
	})
#define MIN(a, b) MINMAX_(a, b, <, __COUNTER__)
#define MAX(a, b) MINMAX_(a, b, >, __COUNTER__)

#endif /* HV_TYPES_H */
