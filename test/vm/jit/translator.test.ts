/**
 * The generated region function on its own (vm/jit/translator.ts): its
 * instruction count is exact for any count and limit — including counts far
 * beyond 2^31, which the function keeps as an int32 relative to its entry —
 * and its switch is on dense case numbers. (The differential tests run the
 * same code inside a machine against the reference interpreter.)
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encode } from '../../../isa/encoding.js';
import { Op } from '../../../isa/opcodes.js';
import { NOT_CALLED, RegionContext, type RegionFn } from '../../../vm/jit/region-fn.js';
import { compileRegion } from '../../../vm/jit/region-cache.js';
import { generate } from '../../../vm/jit/translator.js';

const I = (op: Op, rd = 0, rs1 = 0, rs2 = 0, imm = 0): number => encode({ op, rd, rs1, rs2, imm });
const VBASE = 0x1000;

/** A page whose only code is a counting loop: r4 += 1, r6 += 3 until r4 = r5 (three instructions a turn). */
function loopPage(): Int32Array {
  const words = new Int32Array(1024);
  words[0] = I(Op.ADDI, 4, 4, 0, 1);
  words[1] = I(Op.ADDI, 6, 6, 0, 3);
  words[2] = I(Op.BNE, 0, 4, 5, -8);
  return words;
}

/** The region functions of a page, built the way jit.ts builds them, over a machine with no memory mapped. */
function regions(words: Int32Array): { fns: Array<(n: number, limit: number, pc: number, ret: number, depth: number) => number>; R: Int32Array; m: { jitPc: number }; sources: string[] } {
  const gen = generate({ vbase: VBASE, key: 0, words, entries: [0] });
  const R = new Int32Array(16);
  const m = { jitPc: 0 };
  const none = new Int32Array(1024).fill(-1); // no TLB entry matches: any access would leave
  const page: RegionFn[] = [];
  const ctx = new RegionContext(m, R, new Uint8Array(4), new Uint16Array(2), new Int32Array(1), none, none, none, none, page, () => 0);
  for (const r of gen.regions) page.push(compileRegion(r.source).fn);
  const fns = page.map((fn) => (n: number, limit: number, pc: number, ret: number, depth: number) => fn(ctx, n, limit, pc, ret, depth));
  return { fns, R, m, sources: gen.regions.map((r) => r.source) };
}

describe('translated region function', () => {
  test('the count is exact at any count and limit, beyond 2^31 too', () => {
    const { fns, R, m, sources } = regions(loopPage());
    // The loop is one block branching to itself: its own JavaScript loop (translator.ts, "Self-loops").
    expect(sources[0]).toMatch(/continue b\d+;/);
    const fn = fns[0]!;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 1, max: 3000 }), fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constant(2 ** 40)), (n, turns, room) => {
        R.fill(0);
        R[5] = turns;
        const out = fn(n, n + room, VBASE, NOT_CALLED, 0);
        const done = Math.min(turns, Math.floor(room / 3));
        expect(out).toBe(n + 3 * done);
        expect(R[4]).toBe(done);
        expect(R[6]).toBe(3 * done);
        expect(m.jitPc).toBe(done === turns ? VBASE + 12 : VBASE);
      }),
      { numRuns: 300 },
    );
  });

  test('the switch is on dense case numbers, a jump table for V8', () => {
    const words = loopPage();
    // More blocks, far apart in the page: word indexes 0, 100, 200, … as case labels would be sparse.
    for (let b = 1; b < 8; b++) {
      words[b * 100] = I(Op.ADDI, 7, 7, 0, b);
      words[b * 100 + 1] = I(Op.BEQ, 0, 7, 0, -4 * (b * 100 + 1)); // back to 0 (taken only if r7 = 0)
      words[b * 100 + 2] = I(Op.JAL, 0, 0, 0, 4 * (100 - 2)); // on to the next block
    }
    words[3] = I(Op.JAL, 0, 0, 0, 4 * 97); // from the loop's exit to block 1
    const { sources } = regions(words);
    const labels = [...sources.join('\n').matchAll(/case (\d+):/g)].map((x) => Number(x[1]));
    expect(labels.length).toBeGreaterThanOrEqual(8);
    for (const s of sources) {
      expect(s).toContain('switch (c)');
      const own = [...s.matchAll(/case (\d+):/g)].map((x) => Number(x[1]));
      expect(own).toEqual(own.map((_, i) => i + 1));
    }
  });
});

describe('a loop of two blocks, head to jump back (translator.ts, "Inner loops")', () => {
  /** r4 += 1 until it equals r5 (then on to word 4), r6 += 3 each turn; word 4 adds 1 to r7; then a syscall. */
  function scanPage(): Int32Array {
    const words = new Int32Array(1024);
    words[0] = I(Op.ADDI, 4, 4, 0, 1); //   head: addi r4, r4, 1
    words[1] = I(Op.BEQ, 0, 4, 5, 12); //         beq  r4, r5, out
    words[2] = I(Op.ADDI, 6, 6, 0, 3); //         addi r6, r6, 3
    words[3] = I(Op.JAL, 0, 0, 0, -12); //        j    head
    words[4] = I(Op.ADDI, 7, 7, 0, 1); //   out:  addi r7, r7, 1
    words[5] = I(Op.SYSCALL);
    return words;
  }

  /** The interpreter's answer, block by block: a block runs only if all of it fits under the room. */
  function expected(turns: number, room: number): { count: number; r4: number; r6: number; r7: number; pc: number } {
    let count = 0, r4 = 0, r6 = 0;
    const r7 = 0;
    for (;;) {
      if (count + 2 > room) return { count, r4, r6, r7, pc: VBASE };
      count += 2;
      r4++;
      if (r4 === turns) break;
      if (count + 2 > room) return { count, r4, r6, r7, pc: VBASE + 8 };
      count += 2;
      r6 += 3;
    }
    // The loop is a region of its own (word 4 is in the page's other region): it leaves to word 4.
    return { count, r4, r6, r7, pc: VBASE + 16 };
  }

  test('is a loop of its own, and the count, registers and stopping pc are exact at any limit', () => {
    const { fns, R, m, sources } = regions(scanPage());
    expect(sources.join('\n')).toMatch(/continue b\d+;/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 5000 }), (n, turns, room) => {
        R.fill(0);
        R[5] = turns;
        const out = fns[0]!(n, n + room, VBASE, NOT_CALLED, 0);
        const want = expected(turns, room);
        expect(out - n).toBe(want.count);
        expect([R[4], R[6], R[7], m.jitPc]).toEqual([want.r4, want.r6, want.r7, want.pc]);
      }),
      { numRuns: 300 },
    );
  });

  test('entered at its second block, which has no case, it leaves at once with nothing run', () => {
    const { fns, R, m } = regions(scanPage());
    R.fill(0);
    R[5] = 10;
    expect(fns[0]!(100, 1000, VBASE + 8, NOT_CALLED, 0)).toBe(100);
    expect(m.jitPc).toBe(VBASE + 8);
    expect([R[4], R[6], R[7]]).toEqual([0, 0, 0]);
  });
});

describe('word accesses remember their last page (translator.ts, "Last pages")', () => {
  /** lw r5, 0(sp); sw r5, 0(r7); sp += 4; r7 += 4; r4 += 1; loop while r4 != r6. */
  function copyPage(): Int32Array {
    const words = new Int32Array(1024);
    words[0] = I(Op.LW, 5, 2, 0, 0);
    words[1] = I(Op.SW, 0, 7, 5, 0);
    words[2] = I(Op.ADDI, 2, 2, 0, 4);
    words[3] = I(Op.ADDI, 7, 7, 0, 4);
    words[4] = I(Op.ADDI, 4, 4, 0, 1);
    words[5] = I(Op.BNE, 0, 4, 6, -20);
    return words;
  }

  test('a page the TLB does not map stops the loop exactly at the access that reaches it, however many hits came before', () => {
    // RAM of 4 pages; the TLB (supervisor, key 0) maps virtual 0x5000 → RAM page 0 for reads and 0x9000 → RAM page 2 for writes, nothing else.
    const ram = new Int32Array(4 * 1024);
    for (let i = 0; i < 1024; i++) ram[i] = i * 7 + 1;
    const rTag = new Int32Array(1024).fill(-1), rOff = new Int32Array(1024);
    const wTag = new Int32Array(1024).fill(-1), wOff = new Int32Array(1024);
    rTag[5] = 0x5000; rOff[5] = -0x5000;
    wTag[9] = 0x9000; wOff[9] = 2 * 4096 - 0x9000;
    const gen = generate({ vbase: VBASE, key: 0, words: copyPage(), entries: [0] });
    const R = new Int32Array(16);
    const m = { jitPc: 0 };
    const page: RegionFn[] = [];
    const ctx = new RegionContext(m, R, new Uint8Array(ram.buffer), new Uint16Array(ram.buffer), ram, rTag, rOff, wTag, wOff, page, () => 0);
    for (const r of gen.regions) page.push(compileRegion(r.source).fn);
    expect(gen.regions.map((r) => r.source).join('\n')).toMatch(/pRsp/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 1, max: 3000 }), fc.boolean(), (from, to, turns, misaligned) => {
        ram.fill(0, 2 * 1024, 3 * 1024);
        R.fill(0);
        R[2] = 0x5000 + from * 4 + (misaligned ? 2 : 0);
        R[7] = 0x9000 + to * 4;
        R[6] = turns;
        const n = page[0]!(ctx, 0, 1_000_000, VBASE, NOT_CALLED, 0);
        // Turns that complete: until the load leaves page 0x5000 (or is misaligned), or the store leaves 0x9000.
        const done = misaligned ? 0 : Math.min(turns, 1024 - from, 1024 - to);
        // The turn that stops: its load comes first, so the store is the one that missed only if the load's page still held.
        const storeMissed = !misaligned && done < turns && from + done < 1024;
        expect(R[4]).toBe(done);
        for (let t = 0; t < done; t++) expect(ram[2 * 1024 + to + t]).toBe((from + t) * 7 + 1);
        if (done === turns) {
          expect(n).toBe(6 * turns);
          expect(m.jitPc).toBe(VBASE + 24);
        } else if (storeMissed) {
          expect(n).toBe(6 * done + 1); // the load of the turn that stops retired; the store did not
          expect(m.jitPc).toBe(VBASE + 4);
        } else {
          expect(n).toBe(6 * done);
          expect(m.jitPc).toBe(VBASE);
        }
      }),
      { numRuns: 300, examples: [[1000, 1000, 50, false], [1000, 1010, 50, false], [1010, 1000, 50, false], [0, 0, 3000, false], [5, 5, 10, true]] },
    );
  });
});

describe('accesses of every width share a remembered page, alignment included', () => {
  test('a byte load hits the page a word load found; a misaligned halfword there still leaves, not counted', () => {
    const words = new Int32Array(1024);
    words[0] = I(Op.LW, 5, 7, 0, 0); //  lw  r5, 0(r7)
    words[1] = I(Op.LB, 6, 7, 0, 1); //  lb  r6, 1(r7)
    words[2] = I(Op.LH, 8, 7, 0, 1); //  lh  r8, 1(r7)    misaligned: the interpreter traps
    words[3] = I(Op.SYSCALL);
    const ram = new Int32Array(1024);
    const rTag = new Int32Array(1024).fill(-1), rOff = new Int32Array(1024);
    rTag[5] = 0x5000; rOff[5] = -0x5000;
    const gen = generate({ vbase: VBASE, key: 0, words, entries: [0] });
    const src = gen.regions.map((r) => r.source).join('\n');
    expect(src).toMatch(/pRd/);
    const R = new Int32Array(16);
    const m = { jitPc: 0 };
    const page: RegionFn[] = [];
    const none = new Int32Array(1024).fill(-1);
    const ctx = new RegionContext(m, R, new Uint8Array(ram.buffer), new Uint16Array(ram.buffer), ram, rTag, rOff, none, none, page, () => 0);
    for (const r of gen.regions) page.push(compileRegion(r.source).fn);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1022 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), (w, value) => {
        ram.fill(0);
        ram[w] = value;
        R.fill(0);
        R[7] = 0x5000 + w * 4;
        const n = page[0]!(ctx, 0, 1000, VBASE, NOT_CALLED, 0);
        expect(n).toBe(2);
        expect(m.jitPc).toBe(VBASE + 8);
        expect(R[5]).toBe(value);
        expect(R[6]).toBe((value << 16) >> 24);
        expect(R[8]).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('constants a block computes', () => {
  /** li, lui/ori, a copy and an arithmetic chain, then a store to an address built with lui/ori, then a branch back. */
  function constantsPage(): Int32Array {
    const words = new Int32Array(1024);
    words[0] = I(Op.ADDI, 9, 0, 0, 45); //        li   r9, 45
    words[1] = I(Op.LUI, 10, 0, 0, 0x8000); //    lui  r10, 0x8000
    words[2] = I(Op.ORI, 10, 10, 0, 0x0ff0); //   ori  r10, r10, 0xff0      (0x80000ff0)
    words[3] = I(Op.SLLI, 11, 9, 0, 3); //        slli r11, r9, 3           (360)
    words[4] = I(Op.SUB, 12, 11, 10); //          sub  r12, r11, r10
    words[5] = I(Op.ADDI, 13, 4, 0, 0); //        mv   r13, r4              (a copy of an unknown)
    words[6] = I(Op.ADD, 13, 13, 12); //          add  r13, r13, r12        (unknown + constant)
    words[7] = I(Op.SW, 0, 10, 9, 4); //          sw   r9, 4(r10)           (a constant address)
    words[8] = I(Op.BNE, 0, 4, 5, -4 * 8); //     bne  r4, r5, 0
    return words;
  }

  test('fold to literals and constant addresses, with no operation left to type', () => {
    const src = regions(constantsPage()).sources.join('\n');
    expect(src).toContain('r9 = 45;');
    expect(src).toContain(`r10 = ${0x80000ff0 | 0};`);
    expect(src).toContain('r11 = 360;');
    expect(src).toContain(`r12 = ${(360 - 0x80000ff0) | 0};`);
    expect(src).toContain('r13 = r4;');
    expect(src).toContain(`const a = ${(0x80000ff0 + 4) | 0}; const i = ${((0x80000ff4 >>> 12) & 1023)};`);
    expect(src).not.toMatch(/\(0 [+|^-] /);
  });

  test('compute what the instructions compute, and leave exactly at a constant address the TLB misses', () => {
    const { fns, R, m } = regions(constantsPage());
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (r4) => {
        R.fill(0);
        R[4] = r4;
        R[5] = r4; // the store leaves first (no TLB entry), so the branch is never reached
        const n = fns[0]!(0, 1000, VBASE, NOT_CALLED, 0);
        expect(n).toBe(7);
        expect(m.jitPc).toBe(VBASE + 28);
        expect(R[9]).toBe(45);
        expect(R[10]).toBe(0x80000ff0 | 0);
        expect(R[11]).toBe(360);
        expect(R[12]).toBe((360 - 0x80000ff0) | 0);
        expect(R[13]).toBe((r4 + ((360 - 0x80000ff0) | 0)) | 0);
      }),
      { numRuns: 100 },
    );
  });
});
