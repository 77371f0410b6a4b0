/**
 * `info tlb`: the real MMU's TLB as lines. Each slot caches a virtual page
 * for reads, writes and fetches separately, in the mode its tag carries (the
 * USER_KEY bit); the stored offset turns the page into a RAM offset, which
 * `toPa` turns into the address the guest calls physical.
 */
import { bare8 } from '../../isa/hex.js';
import { USER_KEY, type Mmu } from '../mmu.js';

export function tlbEntries(mmu: Mmu, size: number, toPa: (ramOffset: number) => number): string[] {
  const rows = new Map<string, { va: number; pa: number; user: boolean; r: boolean; w: boolean; x: boolean }>();
  const add = (tags: Int32Array, offs: Int32Array, i: number, what: 'r' | 'w' | 'x'): void => {
    const tag = tags[i]!;
    if (tag === -1) return;
    const va = (tag & ~0xfff) >>> 0;
    const user = (tag & USER_KEY) !== 0;
    const pa = toPa(((va + offs[i]!) >>> 0) & ~0xfff) >>> 0;
    const key = `${va}:${user}:${pa}`;
    const row = rows.get(key) ?? { va, pa, user, r: false, w: false, x: false };
    row[what] = true;
    rows.set(key, row);
  };
  for (let i = 0; i < size; i++) {
    add(mmu.rTag, mmu.rOff, i, 'r');
    add(mmu.wTag, mmu.wOff, i, 'w');
    add(mmu.xTag, mmu.xOff, i, 'x');
  }
  if (rows.size === 0) return ['the TLB is empty'];
  const sorted = [...rows.values()].sort((a, b) => a.va - b.va || Number(a.user) - Number(b.user));
  return [
    `${sorted.length} ${sorted.length === 1 ? 'entry' : 'entries'} (virtual page → physical page, cached for r/w/x, mode)`,
    ...sorted.map((e) => `  ${bare8(e.va)} → ${bare8(e.pa)}  ${e.r ? 'r' : '-'}${e.w ? 'w' : '-'}${e.x ? 'x' : '-'}  ${e.user ? 'user' : 'supervisor'}`),
  ];
}
