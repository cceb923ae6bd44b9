/* SPDX-License-Identifier: MIT */
/*
 * SPIN model of the shared state table (guest-abi/ABI.md section 6) as mm/
 * implements it: one guest page, its table byte, the frame-table entry
 * (mm/internal.h), the EPT leaf with its D bit, one TLB per vCPU, and host
 * reclaim running beside NCPU guest vCPUs (reclaim on another host CPU: the
 * SMP case, stronger than today's one host CPU). Steps that the code does
 * under the mm lock are atomic and take the lock; table and memory accesses
 * of the guest are not. Checked by tests/model/check.sh (make check).
 *
 * Properties (assertions):
 *  - a page the guest holds STABLE is never dropped, and reads back the
 *    last value written (no lost write, no stale or zero content);
 *  - a VOLATILE or POT_VOLATILE page reads back intact or raises a discard
 *    fault;
 *  - every table byte either side reads is one it has a rule for;
 *  - the host never moves a byte away from STABLE; no guest is stopped.
 * Mutants (-DMUTANT_...) break one step of the code; each must be caught.
 */
#ifndef NCPU
#define NCPU 1
#endif

/* Table byte values (HV_PAGE_*, HV_TABLE_DISCARDED). */
#define S 0
#define U 1
#define V 2
#define P 3
#define DISC 128
/* Host states (enum mm_hs). */
#define HS_ZERO 0
#define HS_RES 1
#define HS_PRES 2
/* Page contents: zeros, two values the guest alternates, a freed frame. */
#define ZEROS 0
#define GARBAGE 3
#define other(x) (x == 1 -> 2 : 1)
/* Results of an access. */
#define R_OK 0
#define R_DISCARD 1

byte tbl = S;                 /* the shared table byte */
/* frame-table entry: cached guest state, host state, DISC, DCLR, OBS */
byte e_gs = S;
byte e_hs = HS_RES;
bool e_disc, e_dclr, e_obs;
/* EPT leaf: present, D bit (kept while unmapped: ept_unmap) */
bool mapped = true;
bool dbit = true;
/* TLB of each vCPU: valid, D cached as set, points at a freed frame */
bool tlb[NCPU], tlb_d[NCPU], tlb_stale[NCPU];
byte mem = 1;                 /* the page's host frame */
byte swp;                     /* its paging-device slot */
bool mmlock;
/* The guest: a page lock serializes its own operations on the page. */
bool glock;
byte gst = S;                 /* the state the guest holds the page in */
byte expect = 1;              /* what it must read back */
bool loose;                   /* reused by a write after a hypercall hint */
bool hc_hint;                 /* the last hint came by hypercall */
/* Scratch for steps inside one atomic block: not part of the state. */
hidden byte hi, ht, hraw, hgs, hs, pdrop;

inline tbl_state(b, r)
{
	if
	:: b <= P -> r = b
	:: b == (DISC | V) || b == (DISC | P) -> r = b & 3
	:: else -> r = S
	fi
}

/* INVEPT: every vCPU drops its cached translation. */
inline flush()
{
	hi = 0;
	do
	:: hi < NCPU -> tlb[hi] = false; hi++
	:: else -> break
	od
}

/* The host frame goes back to the pool: a cached translation is stale. */
inline free_frame()
{
	mem = GARBAGE;
	hi = 0;
	do
	:: hi < NCPU -> tlb_stale[hi] = tlb_stale[hi] || tlb[hi]; hi++
	:: else -> break
	od
}

/* ft_refresh_gs(): one read of the byte, cached; sets raw and gs. */
inline refresh(raw, gs)
{
	raw = tbl;
	tbl_state(raw, gs);
	if
	:: gs != e_gs && (gs == S || e_gs == S) -> e_dclr = false
	:: else
	fi;
	if
	:: e_disc && !(gs != S && (raw & DISC)) -> e_disc = false
	:: else
	fi;
	e_gs = gs
}

/* ft_make_stable(): reuse detected; the byte goes to S only by CAS. */
inline make_stable(raw)
{
	e_gs = S;
	e_dclr = false;
	tbl_state(raw, ht);
	if
	:: ht != S && tbl == raw -> tbl = S
	:: else
	fi
}

/* mm/reclaim.c drop(): the audit of mm_check() and the guest's view. */
inline drop(gs)
{
	assert(gs != S);
	assert(gst != S);
	e_hs = HS_ZERO;
	e_dclr = false;
	if
	:: gs != U -> e_disc = true
	:: else
	fi;
	free_frame()
}

/* page_out(): to the paging device, or (device full) mapped again. */
inline page_out()
{
	if
	:: swp = mem; e_hs = HS_PRES; free_frame()
	:: mapped = true; dbit = false
	fi
}

/* Host reclaim of the page: isolate, unmap, flush, decide (mm_reclaim()). */
active proctype reclaim()
{
	byte raw, gs;
	bool victim, dirty, ok;

end:
	do
	:: atomic { !mmlock && e_hs == HS_RES -> mmlock = true }
		/* isolate(): a table hint seen for the first time only clears D */
		atomic {
			refresh(raw, gs);
#ifdef MUTANT_NO_FIRST_SIGHTING
			if
			:: gs != S && !e_dclr -> dbit = false; e_dclr = true
			:: else
			fi;
			victim = true
#else
			if
			:: gs != S && (!e_dclr || e_obs) ->
				dbit = false; e_dclr = true; e_obs = true; victim = false
			:: else -> victim = true
			fi
#endif
		}
		if
		:: victim -> mapped = false
		:: else
		fi;
#ifndef MUTANT_NO_FLUSH
		atomic { flush() };
#endif
		e_obs = false;
		if
		:: victim ->
			/* reclaim_one(): D is read only now */
			atomic { dirty = dbit; dbit = false };
			atomic {
				if
				:: gs != S && e_dclr && dirty -> make_stable(raw); page_out()
				:: gs != S && e_dclr && !dirty && gs == U -> drop(gs)
				:: gs != S && e_dclr && !dirty && gs != U ->
#ifdef MUTANT_NO_HOST_CAS
					ok = true;
#else
					ok = tbl == raw;
					if
					:: ok -> tbl = raw | DISC
					:: else
					fi;
#endif
					if
					:: ok -> drop(gs)
					:: else -> e_dclr = false; page_out()
					fi
				:: else -> page_out()
				fi
			}
		:: else
		fi;
		raw = 0; gs = 0; victim = false; dirty = false; ok = false;
		mmlock = false
	od
}

/* mm_fault() on an EPT violation (make_resident()). res: R_OK mapped, R_DISCARD. */
inline fault(res)
{
	atomic {
		!mmlock ->
		if
		:: e_hs == HS_RES ->
			/* another vCPU or a failed page-out mapped it first: the
			 * arch's map() keeps a present leaf (and its A/D bits) */
			if
			:: mapped ->
#ifdef MUTANT_MAP_REFUSES_PRESENT
				assert(false) /* -EEXIST: the guest is stopped */
#else
				skip
#endif
			:: else -> mapped = true; dbit = false
			fi;
			refresh(hraw, hgs);
			if
			:: hgs != S -> make_stable(hraw)
			:: else
			fi;
			res = R_OK
		:: else ->
			refresh(hraw, hgs);
			if
			:: e_disc -> res = R_DISCARD
			:: else ->
				if
				:: e_hs == HS_PRES -> mem = swp
				:: else -> mem = ZEROS
				fi;
				mapped = true; dbit = false;
				if
				:: e_hs == HS_ZERO && hgs == U -> make_stable(hraw); hgs = S
				:: else
				fi;
				e_hs = HS_RES;
				e_dclr = hgs != S;
				res = R_OK
			fi
		fi
	}
}

/* A load or store of the page by vCPU c: TLB, EPT walk, or a fault. */
inline access(c, wr, val, res)
{
	done = false;
	do
	:: done -> break
	:: else ->
		atomic {
			if
			:: tlb[c] && tlb_stale[c] ->
				/* through a translation of a freed frame */
				if
				:: !wr -> val = GARBAGE
				:: else
				fi;
				res = R_OK; done = true
			:: tlb[c] && !tlb_stale[c] ->
				if
				:: wr && !tlb_d[c] -> dbit = true; tlb_d[c] = true
				:: else
				fi;
				if
				:: wr -> mem = val
				:: else -> val = mem
				fi;
				res = R_OK; done = true
			:: !tlb[c] && mapped ->
				tlb[c] = true; tlb_stale[c] = false; tlb_d[c] = wr;
				if
				:: wr -> dbit = true; mem = val
				:: else -> val = mem
				fi;
				res = R_OK; done = true
			:: !tlb[c] && !mapped -> skip /* EPT violation: exit */
			fi
		}
		if
		:: !done ->
			fault(res);
			if
			:: res == R_DISCARD -> done = true
			:: else
			fi
		:: else
		fi
	od
}

/* HV_HC_SET_PAGE_STATE with the table registered (mm/state.c set_one());
 * rdisc: HV_RES_DISCARDED of the result. The guest owns its byte while in
 * the call, so the CAS loop succeeds at once. */
inline hypercall(ns, rdisc)
{
	atomic {
		!mmlock ->
		refresh(hraw, hgs);
		hs = e_hs;
		pdrop = (ns == V || ns == P) && hs == HS_PRES;
		ht = ns;
		if
		:: (ns == V || ns == P) && (e_disc || pdrop) -> ht = ns | DISC
		:: else
		fi;
		tbl = ht;
		rdisc = e_disc;
		e_gs = ns;
		if
		:: ns == S -> e_disc = false; e_dclr = false
		:: else ->
			if
			:: ns == U -> e_disc = false
			:: else
			fi;
			if
			:: hs == HS_PRES ->
				swp = GARBAGE; e_hs = HS_ZERO;
				if
				:: pdrop -> e_disc = true
				:: else
				fi
			:: else
			fi;
			if
			:: hs == HS_RES -> dbit = false; flush()
			:: else
			fi;
			e_dclr = true
		fi;
		gst = ns;
		loose = false;
		hc_hint = ns != S
	}
}

/* The guest changes the byte by CAS from what it left there (exp), or
 * finds what the host may have put there instead; sets b to what it saw.
 * On success it holds the page in state ng from then on. */
inline guest_cas(exp, new, ng, b)
{
	atomic {
		b = tbl;
		if
		:: b == exp -> tbl = new; gst = ng; hc_hint = false
		:: else
		fi
	}
}

/* Discard fault (#VE): make the page stable, re-create the content. */
inline discard_handler(c)
{
	if
	:: atomic { b = tbl; assert(b == (gst | DISC)); tbl = S; gst = S }
	:: hypercall(S, rdisc); assert(rdisc)
	fi;
	v = other(expect);
	access(c, true, v, res);
	assert(res == R_OK);
	expect = v
}

/* Make a V or P page stable by CAS (ABI 6, rule 4) or by call 3. */
inline make_page_stable(c)
{
	if
	:: old = gst;
		guest_cas(old, S, S, b);
		if
		:: b == old -> skip                  /* content intact */
		:: b == S -> gst = S                 /* host saw reuse: intact */
		:: b == (old | DISC) ->
			/* content gone: take the mark away, re-create */
			atomic { assert(tbl == b); tbl = S; gst = S };
			v = other(expect);
			access(c, true, v, res);
			assert(res == R_OK);
			expect = v
		:: else -> assert(false)
		fi
	:: hypercall(S, rdisc);
		if
		:: rdisc ->
			v = other(expect);
			access(c, true, v, res);
			assert(res == R_OK);
			expect = v
		:: else
		fi
	fi
}

/* Read and check: exact for a stable page, intact or fault otherwise. */
inline check_read(c)
{
	access(c, false, v, res);
	if
	:: res == R_OK -> assert(v == expect)
	:: res == R_DISCARD -> assert(gst == V || gst == P); discard_handler(c)
	fi
}

proctype vcpu(byte c)
{
	byte b, v, res, old;
	bool done, rdisc;

end:
	do
	:: atomic { !glock -> glock = true }
		if
		:: gst == S ->
			if
			:: loose -> b = tbl; assert(b == S || b == U)
			:: else -> b = tbl; assert(b == S)
			fi;
			if
			:: v = other(expect);
				access(c, true, v, res);
				assert(res == R_OK);
				expect = v
			:: check_read(c)
			:: !loose -> guest_cas(S, U, U, b); assert(b == S)
			:: !loose -> guest_cas(S, V, V, b); assert(b == S)
			:: !loose -> guest_cas(S, P, P, b); assert(b == S)
			:: hypercall(U, rdisc)
			:: hypercall(V, rdisc)
			:: hypercall(P, rdisc)
			fi
		:: gst == U ->
			b = tbl;
			assert(b == U || b == S);
			if
			:: /* allocate: CAS 1 -> 0 (or find 0: reuse), then use */
				/* a page being allocated stays UNUSED until written */
				guest_cas(U, S, U, b);
				assert(b == U || b == S);
				v = other(expect);
				access(c, true, v, res);
				assert(res == R_OK);
				expect = v; gst = S
			:: hypercall(S, rdisc);
				gst = U;
				v = other(expect);
				access(c, true, v, res);
				assert(res == R_OK);
				expect = v; gst = S
			:: hc_hint ->
				/* after a hypercall hint: reuse by writing, no call */
				v = other(expect);
				access(c, true, v, res);
				assert(res == R_OK);
				expect = v; gst = S; loose = true
			fi
		:: gst == V || gst == P ->
			b = tbl;
			assert(b == gst || b == (gst | DISC) || b == S);
			if
			:: check_read(c)
			:: gst == P ->
				v = other(expect);
				access(c, true, v, res);
				if
				:: res == R_OK -> expect = v
				:: else -> discard_handler(c)
				fi
			:: make_page_stable(c)
			:: guest_cas(gst, U, U, b);
				if
				:: b == (V | DISC) || b == (P | DISC) ->
					atomic { assert(tbl == b); tbl = S; gst = S };
					guest_cas(S, U, U, b);
					assert(b == S)
				:: b == S -> guest_cas(S, U, U, b); assert(b == S)
				:: else
				fi;
				assert(gst == U)
			:: hypercall(U, rdisc)
			fi
		fi;
		b = 0; v = 0; res = 0; old = 0; done = false; rdisc = false;
		glock = false
	od
}

init
{
	byte n = 0;

	atomic {
		do
		:: n < NCPU -> run vcpu(n); n++
		:: else -> break
		od
	}
}
