/**
 * The machine's physical memory map.
 *
 *   0x0000_0000 ┬──────────────────────────┐
 *               │ nothing (access faults)  │
 *   0x8000_0000 ├──────────────────────────┤ RAM_BASE
 *               │ RAM (--mem, ≤ 1 GiB)     │ kernels link here; the boot
 *               │                          │ firmware loads images here
 *   0xC000_0000 ├──────────────────────────┤ RAM_LIMIT
 *               │ nothing                  │
 *   0xF000_0000 ├──────────────────────────┤ MMIO_BASE: one 4 KiB page per device
 *               │ +0x0000 console          │
 *               │ +0x1000 block device     │
 *               │ +0x2000 power            │
 *               │ +0x3000 network          │
 *   0xF001_0000 ├──────────────────────────┤ MMIO_LIMIT
 *               │ nothing                  │
 *   0xFFFF_FFFF ┴──────────────────────────┘
 *
 * RAM sits high, as on RISC-V boards, so a kernel can map itself at the same
 * virtual addresses in every process (identity, supervisor-only) and leave
 * 0..0x7fff_ffff to user programs.
 */

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const PAGE_MASK = 0xfff;

export const RAM_BASE = 0x8000_0000;
export const RAM_MAX = 0x4000_0000;
export const RAM_LIMIT = RAM_BASE + RAM_MAX;

export const MMIO_BASE = 0xf000_0000;
export const MMIO_PAGES = 16;
export const MMIO_LIMIT = MMIO_BASE + MMIO_PAGES * PAGE_SIZE;

export const CONSOLE_BASE = MMIO_BASE + 0x0000;
export const DISK_BASE = MMIO_BASE + 0x1000;
export const POWER_BASE = MMIO_BASE + 0x2000;
export const NET_BASE = MMIO_BASE + 0x3000;

export const DEFAULT_MEM_SIZE = 16 * 1024 * 1024;

export function isMmio(pa: number): boolean {
  return pa >= MMIO_BASE && pa < MMIO_LIMIT;
}

/** Parse a size like `16M`, `512K`, `1G`, `65536`. Returns undefined if malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([kmg]i?b?)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return n * mult;
}
