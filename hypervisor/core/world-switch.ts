/**
 * Putting a guest's current address space and mode on the real MMU: the
 * shadow table it runs on, and what the real TLB may keep.
 *
 * The guest's kernel and its user programs both run in real user mode, over
 * two shadows of the same address space (shadow.ts: one per virtual mode, so
 * a program cannot reach kernel pages). A system call switches between them
 * twice — the trap into the kernel, the sret back. Flushing the real TLB at
 * each switch threw away the entries of the mode about to come back, and each
 * one was refilled by a walk of the shadow table a few instructions later:
 * a quarter of the monitor's remaining cost on the syscall benchmark (the
 * flush itself 7% of the run, the refills and activations another 4–5%).
 *
 * So the real TLB tags what it fills in each virtual mode with a context of
 * its own (Mmu.useContext, like a VPID or ASID on real hardware), and a mode
 * switch only changes the root and the context. That keeps the TLB exact
 * because both contexts' entries come from the shadows of the *current*
 * address space, which a mode switch leaves as they were; anything else
 * flushes the whole TLB as before:
 *   - another address space (a ptbase write), a tlbflush, another VM loaded,
 *     a restore (vm.addressSpaceChanged);
 *   - any shadow entry or shadow given up since the last switch — a tlbflush
 *     of one page, a stale entry dropped when a shadow is checked again after
 *     a ptbase write, an evicted address space (ShadowPager.takeDiscarded).
 * A shadow entry filled in place (a hidden fault, a write permission added
 * once D is set) flushes its own page from the real TLB where it is filled.
 * The TLB stays direct-mapped: a user page and a kernel page in the same slot
 * still evict each other, which the guest kernel's layout (programs low, the
 * kernel from 0x8000_0000) makes rare.
 *
 * Measured (syscalls workload, one 16 MiB guest): real MMU walks 168,934 →
 * 8,871 and whole-TLB flushes 44,000 → under 30 per run; native CPU time
 * 194–213 ms → 187–196 ms against bare 128–147 ms (single-threaded node,
 * four interleaved pairs) — less than the profile's share suggested, as the
 * refills were cheap TLB-miss walks of tables already in cache.
 */
import { Csr } from '../../isa/csr.js';
import { Mode } from '../../vm/cpu.js';
import type { Machine } from '../../vm/machine.js';
import type { VirtualMachine } from './vm.js';

/** The real TLB contexts of the two virtual modes (0 is the bare machine's). */
export const CONTEXT_USER = 1;
export const CONTEXT_SUPERVISOR = 2;

/** Make the real MMU walk the shadow of the guest's address space and mode; flush only what may be stale. */
export function loadShadow(vm: VirtualMachine, machine: Machine): void {
  const cpu = vm.cpu;
  const root = vm.shadow.activate(cpu.csr[Csr.PTBASE]!, cpu.mode);
  const discarded = vm.shadow.takeDiscarded();
  const mmu = machine.mmu;
  machine.cpu.csr[Csr.PTBASE] = root;
  mmu.useRoot(root);
  mmu.useContext(cpu.mode === Mode.USER ? CONTEXT_USER : CONTEXT_SUPERVISOR);
  if (vm.addressSpaceChanged || discarded) mmu.flush();
  vm.addressSpaceChanged = false;
  vm.modeChanged = false;
}
