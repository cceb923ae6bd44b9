/* SPDX-License-Identifier: MIT */
/*
 * SPIN model of the Linux series' volatile page cache (linux-guest-patch
 * 0004/0005, docs/linux-hinting.md) on two guest vCPUs, with host reclaim
 * (as tests/model/table.pml and mm/ do it) running beside them. One file
 * page; the page cache holds at most one folio for it, in one of two guest
 * pages (a folio removed from the page cache keeps its page while somebody
 * holds a reference, so the next one gets the other). Checked by
 * tests/model/check.sh OUTDIR NAME linux.pml [-D...] (make check).
 *
 * Guest steps, each a vCPU operation on the page:
 *  - read (filemap_read()): lookup, read the folio in if it is not up to
 *    date (filemap_update_page()), copy the data, make it volatile with
 *    the caller's reference counted (folio_make_volatile(folio, 1)), put;
 *  - write (write_begin/write_end): lookup, lock, read in if not up to
 *    date, check the old data, write, mark dirty, unlock, put;
 *  - writeback: lookup, lock, write a dirty folio to the disk, clean it;
 *  - invalidation (drop_caches, invalidate_mapping_pages()): lookup, lock,
 *    remove a clean folio nobody else holds.
 * Reads and writes that find no folio create one.
 * A lookup (mapping_get_entry()) takes a reference unless the count is
 * frozen (then it waits), or finds no folio and creates one (add to the
 * page cache locked, read from disk, up to date, unlock). It then makes
 * the folio stable (arch_page_make_stable(): CAS V -> S); on 0x82 (the
 * host dropped it) the discard path runs, after the RCU section, with the
 * reference held: the folio lock, and under it, if the byte is still
 * 0x82, clear up-to-date, CAS 0x82 -> S (the winner of that CAS handles
 * the discard), remove the folio from the page cache; unlock, put, look
 * up again (a miss: a new folio read from disk). This is the order the
 * series is to take; today's __folio_make_stable() is MUTANT_STALE_DISCARD,
 * the CAS before the lock MUTANT_ACK_BEFORE_LOCK, no lock MUTANT_NO_FOLIO_LOCK.
 * make-volatile freezes the reference count (folio_ref_freeze() of the
 * page cache's and the caller's references), checks the flags, CAS
 * S -> V, unfreezes.
 *
 * Host (mm/reclaim.c, mm/fault.c): read the byte, first sighting of a
 * hint only clears D, a later pass unmaps (guest accesses wait for the mm
 * lock), reads D, drops a clean V page by CAS V -> 0x82, makes a dirty one
 * stable (CAS back to S) and pages it out (content kept). An access to a
 * dropped page with 0x82 in the table is a discard fault; with any other
 * byte it gets a zero-filled frame.
 *
 * Atomic steps are the real code's atomic operations (CAS, reference
 * count, flag tests) and the host's steps under the mm lock; everything
 * else interleaves. Properties (assertions):
 *  - a reader or writer never sees zeros, a discard fault or stale data in
 *    a folio it holds stable and up to date (it reads the file's content);
 *  - a dirty folio is never removed, freed or read again from disk;
 *  - no discard is handled twice (one handler per drop);
 *  - no deadlock (SPIN's invalid end states).
 * -DNO_HANDLED_CHECK leaves out the check that a discard is handled once
 * (to see what a second handling does to the data); -DREACH_DISCARD
 * asserts that no discard is ever handled, which must fail: the search
 * reaches the discard path.
 * Mutants (-DMUTANT_...), each must give a counterexample:
 *  - NO_REF_FREEZE: make-volatile as 0004 had it: check the references,
 *    CAS S -> V, check again and make stable if somebody took one;
 *  - STALE_DISCARD: the discard path as 0004/0005 have it: clear
 *    up-to-date and CAS 0x82 -> S whatever its result, no lock, and let
 *    the read paths read the folio again in place;
 *  - ACK_BEFORE_LOCK: the CAS 0x82 -> S first, then its winner locks,
 *    clears up-to-date and removes the folio;
 *  - NO_FOLIO_LOCK: the same order without the lock: clear up-to-date,
 *    CAS, the winner removes the folio.
 */

#define NONE 2
/* Table byte values. */
#define S 0
#define V 2
#define DISC 128
/* Page contents: zeros, the two values the file alternates, a freed frame. */
#define ZEROS 0
#define GARBAGE 3
#define other(x) (x == 1 -> 2 : 1)
/* Results of an access. */
#define R_OK 0
#define R_DISCARD 1
/* vCPU operations. */
#define OP_READ 0
#define OP_WRITE 1
#define OP_WB 2
#define OP_INVAL 3

/* The guest: page cache slot and folios (one per guest page). */
byte pc = NONE;               /* the page whose folio is in the page cache */
byte ref[2];                  /* reference count, the page cache's included */
bool frozen[2], uptd[2], dirty[2], locked[2];
byte disk = 1;                /* the data on disk */
byte file = 1;                /* the file's content: what a reader must see */
bool handled[2];              /* this drop's discard has been handled */
/* Shared table and host. */
byte tbl[2];
byte mem[2];
bool dropped[2];              /* the frame was dropped (content gone) */
bool e_v[2], dclr[2];         /* frame table: cached "not stable", DCLR */
bool dbit[2];                 /* the EPT leaf's D bit */
bool mmlock;

#define may_be_volatile(f) (pc == f && uptd[f] && !dirty[f])

/* Host reclaim: one pass over a resident page, in two steps under the mm
 * lock (isolate and unmap; then D and the decision). */
active proctype reclaim()
{
	byte p, raw;
	bool victim;

end:
	do
	:: atomic {
		!mmlock ->
		if
		:: p = 0
		:: p = 1
		fi;
		if
		:: !dropped[p] ->
			raw = tbl[p];
			/* ft_refresh_gs(): S <-> hint clears DCLR */
			if
			:: (raw != S) != e_v[p] -> dclr[p] = false
			:: else
			fi;
			e_v[p] = raw != S;
			if
			:: raw != S && !dclr[p] ->
				/* first sighting: clear D only */
				dbit[p] = false; dclr[p] = true; victim = false
			:: else -> victim = true; mmlock = true
			fi
		:: else -> victim = false
		fi
	}
		if
		:: victim ->
			atomic {
				if
				:: e_v[p] && dbit[p] ->
					/* reuse detected: stable again, paged out */
					if
					:: tbl[p] == raw -> tbl[p] = S
					:: else
					fi;
					e_v[p] = false; dclr[p] = false
				:: e_v[p] && !dbit[p] ->
					if
					:: tbl[p] == raw ->
						tbl[p] = raw | DISC;
						dropped[p] = true; mem[p] = GARBAGE;
						handled[p] = false
					:: else
					fi;
					dclr[p] = false
				:: else /* stable: paged out, content kept */
				fi;
				dbit[p] = false;
				mmlock = false
			}
		:: else
		fi;
		p = 0; raw = 0; victim = false
	od
}

/* A load (wr false) or store of page p; a store of the disk's data when
 * fromdisk. Faults wait for the mm lock. */
inline access(p, wr, fromdisk, val, res)
{
	atomic {
		!mmlock ->
		res = R_OK;
		if
		:: dropped[p] && tbl[p] == (V | DISC) -> res = R_DISCARD
		:: dropped[p] && tbl[p] != (V | DISC) ->
			/* zero-filled frame */
			mem[p] = ZEROS; dropped[p] = false; dbit[p] = false;
			e_v[p] = tbl[p] != S; dclr[p] = e_v[p]
		:: else
		fi;
		if
		:: res == R_OK && wr ->
			if
			:: fromdisk -> val = disk
			:: else -> file = val
			fi;
			mem[p] = val; dbit[p] = true
		:: res == R_OK && !wr -> val = mem[p]
		:: else
		fi
	}
}

/* A read of data in a folio the caller holds stable and up to date,
 * checked against the file at the time of the read. */
inline check_data(f)
{
	atomic {
		access(f, false, false, v, res);
		assert(res == R_OK);
		assert(v == file)
	}
}

/* Read the folio from disk, in place (caller holds the lock). */
inline read_in(f)
{
	assert(!dirty[f]);
	access(f, true, true, v, res);
	assert(res == R_OK);
	uptd[f] = true
}

inline folio_lock(f)
{
	atomic { !locked[f] -> locked[f] = true }
}

/* folio_put(): the last reference frees the page (arch_free_page()). */
inline put(f)
{
	atomic {
		ref[f]--;
		if
		:: ref[f] == 0 ->
			assert(pc != f && !dirty[f]);
			tbl[f] = S; uptd[f] = false;
			/* nothing reads these before they are set again */
			mem[f] = GARBAGE; handled[f] = false; dbit[f] = false
		:: else
		fi
	}
}

/* filemap_remove_folio() under the folio lock. */
inline remove(f)
{
	atomic {
		if
		:: pc == f -> assert(!dirty[f]); pc = NONE; ref[f]--
		:: else
		fi
	}
}

/* Clearing up-to-date because of a discard report: the handling. */
inline handle(f)
{
	atomic {
#ifndef NO_HANDLED_CHECK
		assert(!handled[f]);
#endif
		handled[f] = true; uptd[f] = false
	}
}

/* The discard path of a holder of a reference that found 0x82: only the
 * winner of the CAS handles the discard. The caller puts and looks up
 * again. */
inline discard(f)
{
#ifdef MUTANT_ACK_BEFORE_LOCK
	atomic {
		won = tbl[f] == (V | DISC);
		if
		:: won -> tbl[f] = S
		:: else
		fi
	}
	if
	:: won ->
		folio_lock(f);
		handle(f);
		remove(f);
		locked[f] = false
	:: else
	fi
#elif defined(MUTANT_NO_FOLIO_LOCK)
	if
	:: tbl[f] == (V | DISC) ->
		uptd[f] = false;
		atomic {
			won = tbl[f] == (V | DISC);
			if
			:: won -> tbl[f] = S
			:: else
			fi
		}
		if
		:: won ->
			atomic { assert(!handled[f]); handled[f] = true };
			remove(f)
		:: else
		fi
	:: else
	fi
#else
	folio_lock(f);
	if
	:: tbl[f] == (V | DISC) ->
		handle(f);
		atomic {
			won = tbl[f] == (V | DISC);
			if
			:: won -> tbl[f] = S
			:: else
			fi
		}
		assert(won);
		remove(f);
#ifdef REACH_DISCARD
		/* not a mutant: shows that a discard gets handled */
		assert(false);
#endif
	:: else
	fi;
	locked[f] = false
#endif
}

/* arch_page_make_stable(): the byte read, CAS V -> S; b: what was left. */
inline make_stable(f, b)
{
	atomic {
		b = tbl[f];
		if
		:: b == V -> tbl[f] = S; b = S
		:: else
		fi
	}
}

/* folio_make_volatile(f, 1) of filemap_read(), whose caller holds one
 * reference. */
inline make_volatile(f)
{
#ifdef MUTANT_NO_REF_FREEZE
	if
	:: atomic { may_be_volatile(f) && ref[f] == 2 } ->
		atomic {
			if
			:: tbl[f] == S -> tbl[f] = V
			:: else
			fi
		};
		if
		:: atomic { !(may_be_volatile(f) && ref[f] == 2) } ->
			make_stable(f, b);
			if
			:: b == (V | DISC) -> discard(f)
			:: else
			fi
		:: else
		fi
	:: else
	fi
#else
	atomic {
		ok = ref[f] == 2 && !frozen[f];
		if
		:: ok -> frozen[f] = true
		:: else
		fi
	}
	if
	:: ok ->
		atomic {
			if
			:: may_be_volatile(f) && tbl[f] == S -> tbl[f] = V
			:: else
			fi
		};
		frozen[f] = false
	:: else
	fi
#endif
}

proctype vcpu(byte c)
{
	byte f, b, v, res, op;
	bool retry, ok, won;

end:
	do
	:: if
		:: op = OP_READ
		:: op = OP_WRITE
		:: op = OP_WB
		:: op = OP_INVAL
		fi;
		do
		:: retry = false;
			/* lookup: xas_load, folio_try_get_rcu (waits while
			 * frozen), xas_reload, one step */
			atomic {
				pc == NONE || !frozen[pc] ->
				f = pc;
				if
				:: f != NONE -> ref[f]++
				:: else
				fi
			}
			if
			:: f == NONE && (op == OP_WB || op == OP_INVAL) ->
				skip /* nothing cached: nothing to do */
			:: f == NONE && (op == OP_READ || op == OP_WRITE) ->
				/* filemap_create_folio(): a free page, added
				 * locked unless another CPU added one first */
				atomic {
					if
					:: pc == NONE ->
						if
						:: ref[0] == 0 -> f = 0
						:: else -> assert(ref[1] == 0); f = 1
						fi;
						pc = f; ref[f] = 2; locked[f] = true;
						uptd[f] = false; dirty[f] = false
					:: else -> retry = true
					fi
				}
				if
				:: !retry -> read_in(f); locked[f] = false
				:: else
				fi
			:: else ->
				make_stable(f, b);
				if
				:: b == (V | DISC) ->
#ifdef MUTANT_STALE_DISCARD
					handle(f);
					atomic {
						if
						:: tbl[f] == (V | DISC) -> tbl[f] = S
						:: else
						fi
					}
#else
					discard(f);
					put(f);
					retry = true
#endif
				:: else
				fi
			fi;
			if
			:: f == NONE -> skip
			:: !retry && op == OP_READ ->
				if
				:: !uptd[f] ->
					/* filemap_update_page() */
					folio_lock(f);
					if
					:: pc != f -> retry = true
					:: pc == f && !uptd[f] -> read_in(f)
					:: else
					fi;
					locked[f] = false
				:: else
				fi;
				if
				:: !retry ->
					check_data(f);
					make_volatile(f)
				:: else
				fi;
				put(f)
			:: f != NONE && !retry && op != OP_READ ->
				folio_lock(f);
				if
				:: pc != f -> retry = true
				:: pc == f && op == OP_WRITE ->
					if
					:: !uptd[f] -> read_in(f)
					:: else
					fi;
					/* a partial write: the rest must be intact */
					check_data(f);
					v = other(file);
					access(f, true, false, v, res);
					assert(res == R_OK);
					dirty[f] = true
				:: pc == f && op == OP_WB && dirty[f] ->
					check_data(f);
					atomic { disk = v; dirty[f] = false }
				:: pc == f && op == OP_INVAL ->
					/* mapping_evict_folio(): clean and only the
					 * page cache's and our reference, which
					 * __remove_mapping() freezes to remove it */
					atomic {
						if
						:: !dirty[f] && ref[f] == 2 && !frozen[f] ->
							pc = NONE; ref[f]--
						:: else
						fi
					}
				:: else
				fi;
				locked[f] = false;
				put(f)
			:: else
			fi;
			if
			:: retry -> f = 0; b = 0
			:: else -> break
			fi
		od;
		f = 0; b = 0; v = 0; res = 0; op = 0;
		retry = false; ok = false; won = false
	od
}

init
{
	atomic {
		run vcpu(0);
		run vcpu(1)
	}
}
