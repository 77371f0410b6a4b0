/**
 * The interpreter loop.
 *
 * A few sharp decisions (measure before changing any of them — see bench/):
 * - Decode straight from the instruction word: opcode in the low byte (one
 *   `switch` V8 turns into a jump table), register fields by shift-and-mask,
 *   the immediate sign-extended by a single `w >> 16`. No pre-decoded arrays.
 * - Hot state in locals: pc, the register file, the memory views and the TLB
 *   arrays. Nothing is allocated and no closure is created per instruction.
 * - Memory access is one TLB compare on the fast path. The tag folds in the
 *   mode and (for halfwords and words) the alignment bits, so a misaligned
 *   address simply misses and the slow path raises the trap.
 * - Instruction fetch checks one cached code page; only a page change, a jump
 *   into another page, a mode change or a flush goes back to the TLB.
 * - Interrupts are checked between slices, never per instruction: the slice
 *   limit is cut to end exactly when the timer deadline arrives, and every
 *   instruction that could unmask or raise an interrupt (CSR writes, sret,
 *   device access) ends the slice. So interrupts land on exact instruction
 *   boundaries, deterministically, at no cost to the hot path.
 * - Each case advances pc and `continue`s; falling out of the switch means the
 *   instruction trapped, so trap handling costs nothing when there is none.
 * - run() is called in slices by its caller: V8 optimises a function entered
 *   often far better than one long loop it can only replace on the stack.
 * - With the translation tier, one translated region runs straight into the
 *   next (a call into another page, a branch out of a loop nest) without
 *   going round the slice loop: translated code cannot raise an interrupt or
 *   an exit, so nothing there needs checking between them. qsort, which left
 *   a region every 10 instructions, went 0.90× (CPU time, interleaved A/B);
 *   the rest of that benchmark's gain is jit.ts's "chatty regions".
 * - Case labels are numeric literals (the opcode table's Op values, named in a
 *   comment), not `Op.X`: tsc inlines const enums but per-file transpilers
 *   (vitest's) do not, and a switch over property loads is a chain of
 *   compares, 50× slower. test/vm/opcodes.test.ts runs every opcode encoded
 *   from the table against its semantics, so a wrong literal cannot hide.
 *
 * Where the time goes, measured against bench/runners/bare-switch.ts (this
 * loop with the machine taken out: flat memory, no checks, no traps), which
 * `npm run bench` runs as a peer: this loop takes 1.5–1.8× its time. Adding
 * pieces back to the bare loop one at a time (2-core EPYC, node 20): one TLB
 * compare per load and store cost it ~8% on fib (390 → 360 MIPS); the
 * code-page check on fetch ~20% more on fib, 10–15% elsewhere; replacing that
 * check by a page-end limit re-checked only on taken branches won nothing
 * back. Dropping the reserved-bit checks, the cold cases (mulh, privileged)
 * or the module-constant locals from this loop moved nothing beyond the
 * ±15% run-to-run noise. The cost is spread across what a real machine must
 * do; the translation tier is where speed comes from. On the real-program
 * family (bench/guests: quicksort, n-queens, trees, a hash table, bignums, a
 * bytecode loop) the picture is the same — this loop 1.72× the bare switch's
 * time (geometric mean, one run, loaded machine) — and the bare switch itself
 * takes 1.9× Lua 5.4's time there (1.0× on the hash table, 3.0× on the
 * bytecode loop): an interpreter tier at Lua's speed needs less work per
 * guest instruction than the stripped switch does, not a trimmed machine.
 */
import { decode } from '../isa/encoding.js';
import { mulh, mulhu } from './alu.js';
import { Mode } from './cpu.js';
import { Exit } from './exit.js';
import { executePrivileged } from './privileged.js';
import { NOT_CALLED } from './jit/region-fn.js';
import type { Machine } from './machine.js';
import { TLB_MASK, USER_KEY } from './mmu.js';
import { Cause, INTERRUPT_BIT } from './trap.js';

/** With the translation tier on: instructions interpreted before looking for translated code again. */
const JIT_CHUNK = 256;

export function run(m: Machine, budget: number): Exit {
  const cpu = m.cpu;
  const regs = cpu.regs;
  const mem = m.memory;
  const m8 = mem.u8;
  const m16 = mem.u16;
  const m32 = mem.i32;
  const mmu = m.mmu;
  const rTag = mmu.rTag, rOff = mmu.rOff;
  const wTag = mmu.wTag, wOff = mmu.wOff;
  const xTag = mmu.xTag, xOff = mmu.xOff;
  const jit = m.jit;
  const TMASK = TLB_MASK; // module constants as locals: no binding lookups in the loop
  const UKEY = USER_KEY;

  const start = cpu.instret;
  let n = 0; // instructions retired in this call
  let pc = cpu.pc | 0;
  let key = cpu.mode === Mode.USER ? UKEY : 0;
  let codeTag = -1; // page base of the cached code page, -1 = none
  let codeOff = 0;
  m.pendingExit = -1;
  m.trapped = false;

  for (;;) {
    // ---- between slices: interrupts, exits, the next limit -------------------
    cpu.instret = start + n;
    regs[0] = 0; // whoever reads registers between runs sees r0 = 0
    if (m.pendingExit >= 0) {
      cpu.pc = pc >>> 0;
      const e = m.pendingExit;
      m.pendingExit = -1;
      return e as Exit;
    }
    const irq = m.deliverableIrq();
    if (irq >= 0) {
      m.raise(INTERRUPT_BIT | irq, 0, pc);
      m.trapped = false;
      // Where the trap put the CPU (the vector; in trapToHost mode the same pc), also
      // when an observer asked for an exit right after it (a debugger stepping).
      pc = cpu.pc | 0;
      if (m.pendingExit >= 0) continue;
      key = cpu.mode === Mode.USER ? UKEY : 0;
      codeTag = -1;
    }
    if (n >= budget) {
      cpu.pc = pc >>> 0;
      return Exit.BUDGET;
    }
    let limit = budget;
    const toTimer = cpu.timerDeadline - (cpu.instret + cpu.idle);
    if (toTimer > 0 && n + toTimer < limit) limit = n + toTimer;

    // ---- the translation tier: run translated code when there is some -----------
    if (jit !== undefined) {
      let idx = (pc >>> 12) & TMASK;
      let fn = (pc & 3) === 0 && xTag[idx] === ((pc & 0xfffff000) | key) ? jit.entry(pc, (pc + xOff[idx]!) >>> 0, key, start + n) : undefined;
      // Chain: from one translated region straight into the next while the
      // slice lasts. Translated code calls nothing, so between two regions no
      // interrupt, exit or TLB change can have arisen that the slice loop above
      // would have to see (the timer is in `limit`). Whatever ends the chain —
      // the limit, a pc the execute TLB does not hold, a pc with no
      // translation (entry() then says how far to interpret) — falls through
      // to the interpreter, exactly as the slice loop would have.
      let chained = false;
      while (fn !== undefined) {
        const n0 = n;
        const pc0 = pc;
        n = fn(n, limit, pc, NOT_CALLED, 0);
        jit.stats.regionCalls++;
        pc = m.jitPc | 0;
        codeTag = -1;
        if (n === n0 && pc === pc0) {
          // No progress: the next block does not fit under the limit, or its first
          // instruction needs the interpreter (TLB miss, device, trap). Run one.
          jit.interpretFor = 1;
          break;
        }
        if (chained) jit.handedOver(start + n);
        chained = true;
        if (n >= limit) break;
        idx = (pc >>> 12) & TMASK;
        if ((pc & 3) !== 0 || xTag[idx] !== ((pc & 0xfffff000) | key)) {
          jit.interpretFor = 0;
          break;
        }
        fn = jit.entry(pc, (pc + xOff[idx]!) >>> 0, key, start + n);
      }
      // Interpret a short stretch (to the end of a translated block, if we are
      // inside one), then look for translated code again.
      const stretch = jit.interpretFor > 0 ? jit.interpretFor : JIT_CHUNK;
      if (n + stretch < limit) limit = n + stretch;
    }

    // ---- the hot loop ---------------------------------------------------------
    while (n < limit) {
      if ((pc & 0xfffff003) !== codeTag) {
        const idx = (pc >>> 12) & TMASK;
        const page = pc & 0xfffff000;
        if ((pc & 3) === 0 && xTag[idx] === (page | key)) {
          codeTag = page;
          codeOff = xOff[idx]!;
        } else {
          cpu.instret = start + n;
          if (m.fetchSlow(pc) < 0) {
            // The fetch trapped: nothing retired (n was not counted). Carry on
            // where the trap put the CPU — its vector, in its mode — exactly as
            // after an instruction that traps below. Going on from the old pc
            // (the mode already switched to supervisor) would run the faulting
            // address with the trap's privilege, and a fault that persists there
            // would trap again forever.
            m.trapped = false;
            pc = cpu.pc | 0;
            key = cpu.mode === Mode.USER ? UKEY : 0;
            codeTag = -1;
            // The delivery spends the budget though nothing retired: a vector that
            // itself faults (no kernel there: stvec 0) would otherwise loop here
            // forever, n never reaching the budget, run() never returning.
            m.fetchFaults++;
            budget--;
            break;
          }
          codeTag = page;
          codeOff = xOff[idx]!;
        }
      }
      const w = m32[(pc + codeOff) >>> 2]!;
      n++;
      regs[0] = 0;
      switch (w & 0xff) {
        // ---- ALU, register-register ----
        case 0x01: /* add */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + regs[(w >>> 16) & 15]!) | 0; pc = (pc + 4) | 0; continue;
        case 0x02: /* sub */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! - regs[(w >>> 16) & 15]!) | 0; pc = (pc + 4) | 0; continue;
        case 0x03: /* mul */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = Math.imul(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); pc = (pc + 4) | 0; continue;
        case 0x04: /* mulh */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = mulh(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); pc = (pc + 4) | 0; continue;
        case 0x05: /* mulhu */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = mulhu(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); pc = (pc + 4) | 0; continue;
        case 0x06: /* div */ {
          if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          const b = regs[(w >>> 16) & 15]!;
          if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, pc); break; }
          regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! / b) | 0; // INT_MIN / -1 → 2^31 → wraps to INT_MIN
          pc = (pc + 4) | 0; continue;
        }
        case 0x07: /* divu */ {
          if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          const b = regs[(w >>> 16) & 15]! >>> 0;
          if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, pc); break; }
          regs[(w >>> 8) & 15] = ((regs[(w >>> 12) & 15]! >>> 0) / b) | 0;
          pc = (pc + 4) | 0; continue;
        }
        case 0x08: /* rem */ {
          if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          const b = regs[(w >>> 16) & 15]!;
          if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, pc); break; }
          regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! % b) | 0;
          pc = (pc + 4) | 0; continue;
        }
        case 0x09: /* remu */ {
          if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          const b = regs[(w >>> 16) & 15]! >>> 0;
          if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, pc); break; }
          regs[(w >>> 8) & 15] = ((regs[(w >>> 12) & 15]! >>> 0) % b) | 0;
          pc = (pc + 4) | 0; continue;
        }
        case 0x0a: /* and */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! & regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
        case 0x0b: /* or */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! | regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
        case 0x0c: /* xor */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! ^ regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
        // JavaScript shifts use the low five bits of the count: exactly the ISA's rule.
        case 0x0d: /* sll */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
        case 0x0e: /* srl */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >>> regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
        case 0x0f: /* sra */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >> regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
        case 0x10: /* slt */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! < regs[(w >>> 16) & 15]! ? 1 : 0; pc = (pc + 4) | 0; continue;
        case 0x11: /* sltu */ if ((w >>> 20) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! >>> 0) < (regs[(w >>> 16) & 15]! >>> 0) ? 1 : 0; pc = (pc + 4) | 0; continue;

        // ---- ALU, register-immediate ----
        case 0x12: /* addi */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0; pc = (pc + 4) | 0; continue;
        case 0x13: /* slti */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! < (w >> 16) ? 1 : 0; pc = (pc + 4) | 0; continue;
        case 0x14: /* sltiu */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! >>> 0) < ((w >> 16) >>> 0) ? 1 : 0; pc = (pc + 4) | 0; continue;
        case 0x15: /* andi */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! & (w >>> 16); pc = (pc + 4) | 0; continue;
        case 0x16: /* ori */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! | (w >>> 16); pc = (pc + 4) | 0; continue;
        case 0x17: /* xori */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! ^ (w >>> 16); pc = (pc + 4) | 0; continue;
        case 0x18: /* slli */ if ((w >>> 21) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << (w >>> 16); pc = (pc + 4) | 0; continue;
        case 0x19: /* srli */ if ((w >>> 21) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >>> (w >>> 16); pc = (pc + 4) | 0; continue;
        case 0x1a: /* srai */ if ((w >>> 21) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >> (w >>> 16); pc = (pc + 4) | 0; continue;
        case 0x1b: /* lui */ if ((w & 0xf000) !== 0) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; } regs[(w >>> 8) & 15] = w & 0xffff0000; pc = (pc + 4) | 0; continue;

        // ---- loads ----
        case 0x1c: /* lb */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (rTag[i] === ((a & 0xfffff000) | key)) {
            regs[(w >>> 8) & 15] = (m8[(a + rOff[i]!) >>> 0]! << 24) >> 24;
          } else {
            cpu.instret = start + n - 1;
            const v = m.loadSlow(a, 1, true, pc);
            if (m.trapped) break;
            regs[(w >>> 8) & 15] = v;
            if (m.pendingExit >= 0) { pc = (pc + 4) | 0; limit = n; continue; }
          }
          pc = (pc + 4) | 0; continue;
        }
        case 0x1d: /* lbu */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (rTag[i] === ((a & 0xfffff000) | key)) {
            regs[(w >>> 8) & 15] = m8[(a + rOff[i]!) >>> 0]!;
          } else {
            cpu.instret = start + n - 1;
            const v = m.loadSlow(a, 1, false, pc);
            if (m.trapped) break;
            regs[(w >>> 8) & 15] = v;
            if (m.pendingExit >= 0) { pc = (pc + 4) | 0; limit = n; continue; }
          }
          pc = (pc + 4) | 0; continue;
        }
        case 0x1e: /* lh */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (rTag[i] === ((a & 0xfffff001) | key)) {
            regs[(w >>> 8) & 15] = (m16[(a + rOff[i]!) >>> 1]! << 16) >> 16;
          } else {
            cpu.instret = start + n - 1;
            const v = m.loadSlow(a, 2, true, pc);
            if (m.trapped) break;
            regs[(w >>> 8) & 15] = v;
            if (m.pendingExit >= 0) { pc = (pc + 4) | 0; limit = n; continue; }
          }
          pc = (pc + 4) | 0; continue;
        }
        case 0x1f: /* lhu */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (rTag[i] === ((a & 0xfffff001) | key)) {
            regs[(w >>> 8) & 15] = m16[(a + rOff[i]!) >>> 1]!;
          } else {
            cpu.instret = start + n - 1;
            const v = m.loadSlow(a, 2, false, pc);
            if (m.trapped) break;
            regs[(w >>> 8) & 15] = v;
            if (m.pendingExit >= 0) { pc = (pc + 4) | 0; limit = n; continue; }
          }
          pc = (pc + 4) | 0; continue;
        }
        case 0x20: /* lw */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (rTag[i] === ((a & 0xfffff003) | key)) {
            regs[(w >>> 8) & 15] = m32[(a + rOff[i]!) >>> 2]!;
          } else {
            cpu.instret = start + n - 1;
            const v = m.loadSlow(a, 4, false, pc);
            if (m.trapped) break;
            regs[(w >>> 8) & 15] = v;
            if (m.pendingExit >= 0) { pc = (pc + 4) | 0; limit = n; continue; }
          }
          pc = (pc + 4) | 0; continue;
        }

        // ---- stores (value register in the rd slot) ----
        case 0x21: /* sb */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (wTag[i] === ((a & 0xfffff000) | key)) {
            m8[(a + wOff[i]!) >>> 0] = regs[(w >>> 8) & 15]!;
          } else {
            cpu.instret = start + n - 1;
            m.storeSlow(a, regs[(w >>> 8) & 15]!, 1, pc);
            if (m.trapped) break;
            pc = (pc + 4) | 0; limit = n; continue; // a device may have raised an interrupt
          }
          pc = (pc + 4) | 0; continue;
        }
        case 0x22: /* sh */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (wTag[i] === ((a & 0xfffff001) | key)) {
            m16[(a + wOff[i]!) >>> 1] = regs[(w >>> 8) & 15]!;
          } else {
            cpu.instret = start + n - 1;
            m.storeSlow(a, regs[(w >>> 8) & 15]!, 2, pc);
            if (m.trapped) break;
            pc = (pc + 4) | 0; limit = n; continue;
          }
          pc = (pc + 4) | 0; continue;
        }
        case 0x23: /* sw */ {
          const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
          const i = (a >>> 12) & TMASK;
          if (wTag[i] === ((a & 0xfffff003) | key)) {
            m32[(a + wOff[i]!) >>> 2] = regs[(w >>> 8) & 15]!;
          } else {
            cpu.instret = start + n - 1;
            m.storeSlow(a, regs[(w >>> 8) & 15]!, 4, pc);
            if (m.trapped) break;
            pc = (pc + 4) | 0; limit = n; continue;
          }
          pc = (pc + 4) | 0; continue;
        }

        // ---- branches: offset in words, from the branch itself ----
        case 0x24: /* beq */ pc = regs[(w >>> 8) & 15] === regs[(w >>> 12) & 15] ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
        case 0x25: /* bne */ pc = regs[(w >>> 8) & 15] !== regs[(w >>> 12) & 15] ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
        case 0x26: /* blt */ pc = regs[(w >>> 8) & 15]! < regs[(w >>> 12) & 15]! ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
        case 0x27: /* bge */ pc = regs[(w >>> 8) & 15]! >= regs[(w >>> 12) & 15]! ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
        case 0x28: /* bltu */ pc = (regs[(w >>> 8) & 15]! >>> 0) < (regs[(w >>> 12) & 15]! >>> 0) ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
        case 0x29: /* bgeu */ pc = (regs[(w >>> 8) & 15]! >>> 0) >= (regs[(w >>> 12) & 15]! >>> 0) ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
        case 0x2a: /* jal */
          regs[(w >>> 8) & 15] = (pc + 4) | 0;
          pc = (pc + ((w >> 12) << 2)) | 0;
          continue;
        case 0x2b: /* jalr */ {
          const t = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0; // read rs1 before writing rd: they may be the same
          regs[(w >>> 8) & 15] = (pc + 4) | 0;
          pc = t;
          continue;
        }
        case 0x2c: /* syscall */
          if (w !== 0x2c /* syscall */) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          cpu.instret = start + n - 1;
          m.raise(Cause.SYSCALL, 0, pc);
          break;
        case 0x2d: /* break */
          if (w !== 0x2d /* break */) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          cpu.instret = start + n - 1;
          m.raise(Cause.BREAKPOINT, 0, pc);
          break;

        // ---- privileged: in user mode they all trap, which is the whole point ----
        case 0x2e: /* csrr */ case 0x2f: /* csrw */ case 0x30: /* csrrw */ case 0x31: /* csrs */ case 0x32: /* csrc */
        case 0x33: /* sret */ case 0x34: /* tlbflush */ case 0x35: /* wfi */ case 0x36: /* halt */ {
          cpu.instret = start + n - 1;
          if (key === UKEY) { m.raise(decode(w) === undefined ? Cause.ILLEGAL_INSTRUCTION : Cause.PRIVILEGED_INSTRUCTION, w, pc); break; }
          cpu.pc = pc >>> 0;
          if (!executePrivileged(m, w)) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc); break; }
          pc = cpu.pc | 0;
          key = cpu.mode === Mode.USER ? UKEY : 0;
          codeTag = -1;
          limit = n; // re-check interrupts, exits and the timer before going on
          continue;
        }
        default:
          m.raise(Cause.ILLEGAL_INSTRUCTION, w, pc);
          break;
      }
      // ---- only a trap gets here: the instruction did not retire ----
      n--;
      m.trapped = false;
      pc = cpu.pc | 0;
      key = cpu.mode === Mode.USER ? UKEY : 0;
      codeTag = -1;
      limit = n;
    }
  }
}
