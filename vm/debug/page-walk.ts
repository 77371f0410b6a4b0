/**
 * The guest's page tables read as the guest's MMU reads them, without
 * touching A/D bits: `translate VA` shows each level, `info pagetable` lists
 * every mapping, and the debugger's loads and stores go through `resolve`.
 * Layout (vm/walk.ts): VA [31:22] level-1 index, [21:12] level-0 index.
 */
import { bare8 } from '../../isa/hex.js';
import { Csr, PTBASE_ENABLE } from '../../isa/csr.js';
import type { CpuState } from '../cpu.js';
import type { PhysicalMemory } from '../memory.js';
import { PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from '../walk.js';

/** `vrwxuad` with dashes for clear bits. */
export function pteFlags(pte: number): string {
  const bit = (b: number, c: string): string => ((pte & b) !== 0 ? c : '-');
  return `${bit(PTE_V, 'v')}${bit(PTE_R, 'r')}${bit(PTE_W, 'w')}${bit(PTE_X, 'x')}${bit(PTE_U, 'u')}${bit(PTE_A, 'a')}${bit(PTE_D, 'd')}`;
}

function word(mem: PhysicalMemory, pa: number): number | undefined {
  const off = mem.offsetOf(pa, 4);
  return off < 0 ? undefined : mem.i32[off >>> 2]!;
}

export interface Walk {
  /** The physical address, or undefined if the walk failed. */
  readonly pa: number | undefined;
  /** One line per level, then the result. */
  readonly lines: readonly string[];
  /** The leaf PTE, when there is one. */
  readonly pte?: number;
}

/** Walk `va` from root (physical) as the MMU would. */
export function walk(mem: PhysicalMemory, root: number, va: number): Walk {
  va >>>= 0;
  const i1 = va >>> 22;
  const i0 = (va >>> 12) & 0x3ff;
  const lines: string[] = [`${bare8(va)}: level-1 index ${i1}, level-0 index ${i0}, offset 0x${(va & 0xfff).toString(16)}`];
  const pdeAt = (root + i1 * 4) >>> 0;
  const pde = word(mem, pdeAt);
  if (pde === undefined) return { pa: undefined, lines: [...lines, `  level 1: the table at ${bare8(root)} is not in RAM`] };
  lines.push(`  level 1  table ${bare8(root)}  entry ${bare8(pdeAt)} = ${bare8(pde)}  ${pteFlags(pde)}`);
  if ((pde & PTE_V) === 0) return { pa: undefined, lines: [...lines, '  not mapped (level-1 entry not valid)'] };
  if ((pde & (PTE_R | PTE_W | PTE_X)) !== 0) return { pa: undefined, lines: [...lines, '  bad table: a level-1 entry with r/w/x set (there are no superpages)'] };
  const table = (pde & ~0xfff) >>> 0;
  const pteAt = (table + i0 * 4) >>> 0;
  const pte = word(mem, pteAt);
  if (pte === undefined) return { pa: undefined, lines: [...lines, `  level 0: the table at ${bare8(table)} is not in RAM`] };
  lines.push(`  level 0  table ${bare8(table)}  entry ${bare8(pteAt)} = ${bare8(pte)}  ${pteFlags(pte)}`);
  if ((pte & PTE_V) === 0) return { pa: undefined, lines: [...lines, '  not mapped (level-0 entry not valid)'], pte };
  const pa = ((((pte >>> 12) << 12) >>> 0) + (va & 0xfff)) >>> 0;
  lines.push(`  → physical ${bare8(pa)}  (${pteFlags(pte)}: ${(pte & PTE_U) !== 0 ? 'user' : 'supervisor only'}, ${(pte & PTE_A) !== 0 ? 'accessed' : 'not accessed'}, ${(pte & PTE_D) !== 0 ? 'dirty' : 'clean'})`);
  return { pa, lines, pte };
}

/** The root table the guest's ptbase names, or undefined while paging is off. */
export function pagingRoot(cpu: CpuState): number | undefined {
  const pt = cpu.csr[Csr.PTBASE]!;
  return (pt & PTBASE_ENABLE) === 0 ? undefined : (pt & ~0xfff) >>> 0;
}

/** The physical address of va in the guest's current address space (identity while paging is off). */
export function resolve(mem: PhysicalMemory, cpu: CpuState, va: number): number | undefined {
  const root = pagingRoot(cpu);
  if (root === undefined) return va >>> 0;
  return walk(mem, root, va).pa;
}

/** Every valid mapping under root, runs of contiguous pages with the same flags merged. */
export function mappings(mem: PhysicalMemory, root: number, limit: number): string[] {
  const out: string[] = [];
  let run: { va: number; pa: number; flags: string; pages: number } | undefined;
  const flush = (): void => {
    if (run) out.push(`  ${bare8(run.va)}..${bare8(run.va + run.pages * 4096 - 1)} → ${bare8(run.pa)}  ${run.flags}  ${run.pages} page${run.pages === 1 ? '' : 's'}`);
    run = undefined;
  };
  let entries = 0;
  for (let i1 = 0; i1 < 1024; i1++) {
    const pde = word(mem, root + i1 * 4);
    if (pde === undefined) return [`the table at ${bare8(root)} is not in RAM`];
    if ((pde & PTE_V) === 0 || (pde & (PTE_R | PTE_W | PTE_X)) !== 0) {
      flush();
      continue;
    }
    for (let i0 = 0; i0 < 1024; i0++) {
      const pte = word(mem, ((pde & ~0xfff) >>> 0) + i0 * 4);
      if (pte === undefined || (pte & PTE_V) === 0) {
        flush();
        continue;
      }
      const va = ((i1 << 22) | (i0 << 12)) >>> 0;
      const pa = ((pte >>> 12) << 12) >>> 0;
      const flags = pteFlags(pte);
      if (run && run.flags === flags && run.va + run.pages * 4096 === va && run.pa + run.pages * 4096 === pa) run.pages++;
      else {
        flush();
        if (++entries > limit) {
          out.push(`  … (more than ${limit} runs; give a narrower view with translate VA)`);
          return out;
        }
        run = { va, pa, flags, pages: 1 };
      }
    }
  }
  flush();
  return out.length === 0 ? ['  (no valid mappings)'] : out;
}
