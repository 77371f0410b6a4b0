/**
 * The translation tier's code generator: one region of one code page becomes
 * one JavaScript function, with the guest's registers as JavaScript locals.
 *
 * Shape of the generated function (for a page at 0x1000, user mode):
 *
 *   return function (n, limit, pc, base) {
 *     let r1 = R[1], …, r15 = R[15];
 *     <mid-block entry: count the rest of the block, or give up at the limit>
 *     loop: for (;;) {
 *       switch ((pc >>> 2) & 1023) {
 *         case 4:  if (n + 6 > limit) { pc = 0x1010; break loop; } n += 6;   // a block leader
 *                  r10 = Math.imul(r8, r8);
 *         case 5:  r4 = (r4 + r10) | 0;                                      // falls through
 *         …
 *         case 9:  if (r8 !== r9) { pc = 0x1010; continue loop; }            // branch in the page
 *         case 10: …
 *         default: break loop;                                              // not translated here
 *       }
 *     }
 *     R[1] = r1; …; m.jitPc = pc; return n;
 *   }
 *
 * Why it is exact:
 * - Instructions are counted per basic block, at its leader, before any of it
 *   runs, and only if the whole block fits under `limit`; otherwise the function
 *   returns at the leader and the interpreter runs the rest one by one. So the
 *   instruction count — virtual time — matches the interpreter to the instruction,
 *   and a slice still ends exactly at the timer deadline.
 * - A trap at instruction k un-counts k and what follows it in the block, so a
 *   trapping instruction does not retire, as in the interpreter.
 * - Memory goes through the same TLB arrays with the same tag test; a miss calls
 *   the machine's own slow path. A store that took the slow path ends the
 *   function (it may have rewritten code, or raised a device interrupt).
 * - syscall, break, privileged and undecodable instructions are never
 *   translated: the function returns before them and the interpreter runs them.
 */
import { decode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';
import { Cause } from '../trap.js';

/** What the generator needs to know about a page. */
export interface PageCode {
  /** Virtual address of the page. */
  readonly vbase: number;
  /** TLB mode key (0 supervisor, 4 user) the code runs in. */
  readonly key: number;
  /** The page's 1024 instruction words. */
  readonly words: Int32Array;
  /** Word indexes execution is known to enter at. */
  readonly entries: Iterable<number>;
}

export interface GeneratedRegion {
  /** JavaScript source of the factory body (see compile()). */
  readonly source: string;
  /** 1 for each word index the function can be entered at. */
  readonly covered: Uint8Array;
  /** 1 for word indexes that must be run by the interpreter (never translated). */
  readonly interpreted: Uint8Array;
  /**
   * For a covered index that is not a block leader: how many instructions
   * remain in its block. Entered there, the interpreter runs those, after which
   * execution is at a leader. 0 for leaders.
   */
  readonly midBlock: Int32Array;
  readonly instructions: number;
}

const enum Kind {
  PLAIN = 0,
  BRANCH = 1,
  JUMP = 2,
  EXIT = 3,
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const reg = (i: number): string => (i === 0 ? '0' : `r${i}`);

function kindOf(w: number): Kind {
  const d = decode(w);
  if (!d) return Kind.EXIT;
  const op = d.op;
  if (op >= Op.BEQ && op <= Op.BGEU) return Kind.BRANCH;
  if (op === Op.JAL || op === Op.JALR) return Kind.JUMP;
  if (op === Op.SYSCALL || op === Op.BREAK || op >= Op.CSRR) return Kind.EXIT;
  return Kind.PLAIN;
}

/** Find the region reachable from the entries, within the page. */
function discover(page: PageCode): { covered: Uint8Array; leader: Uint8Array; interpreted: Uint8Array } {
  const covered = new Uint8Array(1024);
  const leader = new Uint8Array(1024);
  const interpreted = new Uint8Array(1024);
  const work: number[] = [];
  const visit = (k: number, isLeader: boolean): void => {
    if (k < 0 || k >= 1024) return;
    if (isLeader) leader[k] = 1;
    if (!covered[k]) {
      covered[k] = 1;
      work.push(k);
    }
  };
  for (const e of page.entries) visit(e, true);
  while (work.length > 0) {
    const k = work.pop()!;
    const w = page.words[k]!;
    const kind = kindOf(w);
    const addr = page.vbase + k * 4;
    if (kind === Kind.EXIT) {
      interpreted[k] = 1;
      leader[k] = 1;
      visit(k + 1, true); // after the interpreter runs it, execution continues here
      continue;
    }
    if (kind === Kind.BRANCH) {
      const t = (addr + (w >> 16) * 4) >>> 0;
      if (((t ^ page.vbase) & ~0xfff) === 0) visit((t & 0xfff) >>> 2, true);
      visit(k + 1, true);
      continue;
    }
    if (kind === Kind.JUMP) {
      const d = decode(w)!;
      if (d.op === Op.JAL) {
        const t = (addr + d.imm) >>> 0;
        if (((t ^ page.vbase) & ~0xfff) === 0) visit((t & 0xfff) >>> 2, true);
      }
      if (d.rd !== 0) visit(k + 1, true); // a call: its return lands here
      continue;
    }
    visit(k + 1, false);
  }
  return { covered, leader, interpreted };
}

/**
 * Generate the factory source for a region of a page. The factory takes
 * (m, cpu, R, m8, m16, m32, rTag, rOff, wTag, wOff, mulh, mulhu) and returns
 * the region function (n, limit, pc, base) → n.
 */
export function generate(page: PageCode): GeneratedRegion {
  const { covered, leader, interpreted } = discover(page);
  const vb = page.vbase >>> 0;
  const key = page.key;

  // Block lengths: from each leader to the end of its block (exit instructions count 0).
  const rem = new Int32Array(1025); // rem[k]: instructions from k to the end of k's block
  for (let k = 1023; k >= 0; k--) {
    if (!covered[k] || interpreted[k]) {
      rem[k] = 0;
      continue;
    }
    const kind = kindOf(page.words[k]!);
    const ends = kind === Kind.BRANCH || kind === Kind.JUMP || k === 1023 || leader[k + 1] === 1 || !covered[k + 1] || interpreted[k + 1] === 1;
    rem[k] = 1 + (ends ? 0 : rem[k + 1]!);
  }

  const used = new Set<number>();
  const body: string[] = [];
  let count = 0;
  for (let k = 0; k < 1024; k++) {
    if (!covered[k]) continue;
    const addr = (vb + k * 4) >>> 0;
    const w = page.words[k]!;
    if (leader[k]) body.push(`case ${k}:`);
    if (interpreted[k]) {
      body.push(`  pc = ${hex(addr)}; break loop;`);
      continue;
    }
    count++;
    if (leader[k]) body.push(`  if (n + ${rem[k]} > limit) { pc = ${hex(addr)}; break loop; } n += ${rem[k]};`);
    body.push('  ' + instruction(w, addr, vb, key, rem[k]!, covered, used));
  }

  const regs = [...used].filter((r) => r !== 0).sort((a, b) => a - b);
  const decl = regs.length ? `let ${regs.map((r) => `r${r} = R[${r}]`).join(', ')};` : '';
  const save = regs.map((r) => `R[${r}] = r${r};`).join(' ');
  const midBlock = new Int32Array(1024);
  for (let k = 0; k < 1024; k++) if (covered[k] && !leader[k] && !interpreted[k]) midBlock[k] = rem[k]!;

  const source = `
return function region(n, limit, pc, base) {
  ${decl}
  loop: for (;;) {
    switch ((pc >>> 2) & 1023) {
${body.map((l) => '    ' + l).join('\n')}
    default: break loop;
    }
    break;
  }
  ${save}
  m.jitPc = pc >>> 0;
  return n;
};`;
  return { source, covered, interpreted, midBlock, instructions: count };
}

/** Code for one instruction at addr; `rem` counts it and what follows in its block. */
function instruction(w: number, addr: number, vb: number, key: number, rem: number, covered: Uint8Array, used: Set<number>): string {
  const d = decode(w)!;
  const { rd, rs1, rs2, imm } = d;
  const R = (i: number): string => {
    used.add(i);
    return reg(i);
  };
  const set = (expr: string): string => (rd === 0 ? '' : (used.add(rd), `r${rd} = ${expr};`));
  const next = hex((addr + 4) >>> 0);
  const here = hex(addr);
  // A trap at this instruction: it and the rest of its block do not retire.
  const trapExit = `n -= ${rem}; pc = ${here}; break loop;`;
  // Stop after this instruction retired (the rest of the block did not).
  const stopAfter = `n -= ${rem - 1}; pc = ${next}; break loop;`;
  const sync = `cpu.instret = base + n - ${rem};`;
  const jumpTo = (target: number): string => {
    const t = target >>> 0;
    const inPage = ((t ^ vb) & ~0xfff) === 0 && covered[(t & 0xfff) >>> 2] === 1; // in-page targets are leaders
    return inPage ? `pc = ${hex(t)}; continue loop;` : `pc = ${hex(t)}; break loop;`;
  };

  switch (d.op) {
    case Op.ADD: return set(`(${R(rs1)} + ${R(rs2)}) | 0`);
    case Op.SUB: return set(`(${R(rs1)} - ${R(rs2)}) | 0`);
    case Op.MUL: return set(`Math.imul(${R(rs1)}, ${R(rs2)})`);
    case Op.MULH: return set(`mulh(${R(rs1)}, ${R(rs2)})`);
    case Op.MULHU: return set(`mulhu(${R(rs1)}, ${R(rs2)})`);
    case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: {
      const a = R(rs1), b = R(rs2);
      const expr = d.op === Op.DIV ? `(${a} / ${b}) | 0` : d.op === Op.DIVU ? `((${a} >>> 0) / (${b} >>> 0)) | 0` : d.op === Op.REM ? `(${a} % ${b}) | 0` : `((${a} >>> 0) % (${b} >>> 0)) | 0`;
      return `if (${b} === 0) { ${sync} m.raise(${Cause.DIVIDE_BY_ZERO}, 0, ${here}); ${trapExit} } ${set(expr)}`;
    }
    case Op.AND: return set(`${R(rs1)} & ${R(rs2)}`);
    case Op.OR: return set(`${R(rs1)} | ${R(rs2)}`);
    case Op.XOR: return set(`${R(rs1)} ^ ${R(rs2)}`);
    case Op.SLL: return set(`${R(rs1)} << ${R(rs2)}`);
    case Op.SRL: return set(`(${R(rs1)} >>> ${R(rs2)}) | 0`);
    case Op.SRA: return set(`${R(rs1)} >> ${R(rs2)}`);
    case Op.SLT: return set(`${R(rs1)} < ${R(rs2)} ? 1 : 0`);
    case Op.SLTU: return set(`(${R(rs1)} >>> 0) < (${R(rs2)} >>> 0) ? 1 : 0`);
    case Op.ADDI: return set(`(${R(rs1)} + ${imm}) | 0`);
    case Op.SLTI: return set(`${R(rs1)} < ${imm} ? 1 : 0`);
    case Op.SLTIU: return set(`(${R(rs1)} >>> 0) < ${imm >>> 0} ? 1 : 0`);
    case Op.ANDI: return set(`${R(rs1)} & ${imm}`);
    case Op.ORI: return set(`${R(rs1)} | ${imm}`);
    case Op.XORI: return set(`${R(rs1)} ^ ${imm}`);
    case Op.SLLI: return set(`${R(rs1)} << ${imm}`);
    case Op.SRLI: return set(`(${R(rs1)} >>> ${imm}) | 0`);
    case Op.SRAI: return set(`${R(rs1)} >> ${imm}`);
    case Op.LUI: return set(`${(imm << 16) | 0}`);

    case Op.LB: case Op.LBU: case Op.LH: case Op.LHU: case Op.LW: {
      const width = d.op === Op.LW ? 4 : d.op === Op.LH || d.op === Op.LHU ? 2 : 1;
      const mask = width === 4 ? '0xfffff003' : width === 2 ? '0xfffff001' : '0xfffff000';
      const signed = d.op === Op.LB || d.op === Op.LH;
      const fast =
        d.op === Op.LW ? 'm32[(a + rOff[i]) >>> 2]'
        : d.op === Op.LH ? '(m16[(a + rOff[i]) >>> 1] << 16) >> 16'
        : d.op === Op.LHU ? 'm16[(a + rOff[i]) >>> 1]'
        : d.op === Op.LB ? '(m8[(a + rOff[i]) >>> 0] << 24) >> 24'
        : 'm8[(a + rOff[i]) >>> 0]';
      const target = rd === 0 ? 'v0' : `r${rd}`;
      if (rd !== 0) used.add(rd);
      const decl0 = rd === 0 ? 'let v0; ' : '';
      return `{ ${decl0}const a = (${R(rs1)} + ${imm}) | 0; const i = (a >>> 12) & 1023;
      if (rTag[i] === ((a & ${mask}) | ${key})) ${target} = ${fast};
      else { ${sync} const v = m.loadSlow(a, ${width}, ${signed}, ${here}); if (m.trapped) { ${trapExit} } ${target} = v; if (m.pendingExit >= 0) { ${stopAfter} } } }`;
    }
    case Op.SB: case Op.SH: case Op.SW: {
      const width = d.op === Op.SW ? 4 : d.op === Op.SH ? 2 : 1;
      const mask = width === 4 ? '0xfffff003' : width === 2 ? '0xfffff001' : '0xfffff000';
      const fast = width === 4 ? 'm32[(a + wOff[i]) >>> 2]' : width === 2 ? 'm16[(a + wOff[i]) >>> 1]' : 'm8[(a + wOff[i]) >>> 0]';
      const v = R(rs2);
      return `{ const a = (${R(rs1)} + ${imm}) | 0; const i = (a >>> 12) & 1023;
      if (wTag[i] === ((a & ${mask}) | ${key})) ${fast} = ${v};
      else { ${sync} m.storeSlow(a, ${v}, ${width}, ${here}); if (m.trapped) { ${trapExit} } ${stopAfter} } }`;
    }

    case Op.BEQ: case Op.BNE: case Op.BLT: case Op.BGE: case Op.BLTU: case Op.BGEU: {
      const a = R(rs1), b = R(rs2);
      const cond =
        d.op === Op.BEQ ? `${a} === ${b}` : d.op === Op.BNE ? `${a} !== ${b}` : d.op === Op.BLT ? `${a} < ${b}` : d.op === Op.BGE ? `${a} >= ${b}`
        : d.op === Op.BLTU ? `(${a} >>> 0) < (${b} >>> 0)` : `(${a} >>> 0) >= (${b} >>> 0)`;
      // Fall through into the next case (a leader), unless it is not translated.
      const fall = covered[((addr + 4) & 0xfff) >>> 2] === 1 && ((addr + 4) & 0xfff) !== 0 ? '' : ` pc = ${next}; break loop;`;
      return `if (${cond}) { ${jumpTo(addr + imm)} }${fall}`;
    }
    case Op.JAL:
      return `${set(`${(addr + 4) | 0}`)} ${jumpTo(addr + imm)}`;
    case Op.JALR: {
      const t = `(${R(rs1)} + ${imm}) | 0`;
      return `{ const t = ${t}; ${set(`${(addr + 4) | 0}`)} pc = t; if ((t & 0xfffff003) === ${vb | 0}) continue loop; break loop; }`;
    }
    default:
      return `pc = ${here}; break loop;`;
  }
}
