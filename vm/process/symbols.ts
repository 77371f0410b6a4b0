/**
 * An image's labels, for people reading addresses: exact names for branch
 * targets in the disassembly, `main+0x18` for a pc in a report.
 */
import type { Image } from '../../isa/image.js';
import type { SymbolLookup } from '../../isa/disasm.js';

export class Symbols {
  private readonly exact = new Map<number, string>();
  /** Labels sorted by address, for the nearest one at or below an address. */
  private readonly sorted: { readonly addr: number; readonly name: string }[];

  constructor(private readonly image: Image) {
    const labels = image.symbols.filter((s) => s.kind === 'label').map((s) => ({ addr: s.value >>> 0, name: s.name }));
    labels.sort((a, b) => a.addr - b.addr || a.name.localeCompare(b.name));
    for (const l of labels) if (!this.exact.has(l.addr)) this.exact.set(l.addr, l.name);
    this.sorted = labels;
  }

  /** The label at exactly `addr` (for formatInstruction). */
  readonly at: SymbolLookup = (addr) => this.exact.get(addr >>> 0);

  /** `main`, `loop+0x8`, or undefined unless a label precedes addr in the same section. */
  near(addr: number): string | undefined {
    addr >>>= 0;
    const section = this.image.sections.find((s) => addr >= s.addr && addr < s.addr + s.size);
    if (section === undefined) return undefined;
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.addr <= addr) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best < 0 || this.sorted[best]!.addr < section.addr) return undefined;
    const base = this.sorted[best]!.addr;
    const name = this.exact.get(base)!;
    return addr === base ? name : `${name}+0x${(addr - base).toString(16)}`;
  }
}
