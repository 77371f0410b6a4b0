/**
 * A plain-text table: columns padded to their widest cell, numbers
 * right-aligned. Widths ignore ANSI colour codes, so painted cells line up.
 * It lives in cli/ because the command (migrate-compare) and the bench
 * report both draw tables, and the command may not import bench/.
 */

export type Align = 'left' | 'right';

export interface Column {
  readonly align: Align;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** The width a string takes on screen (colour codes take none). */
export const visibleWidth = (s: string): number => s.replace(ANSI, '').length;

function pad(cell: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(cell)));
  return align === 'right' ? fill + cell : cell + fill;
}

/** Rows of cells (a short row is padded with empty cells), separated by `gap` spaces; no trailing spaces. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], gap = 2): string[] {
  const widths = columns.map((_, c) => Math.max(0, ...rows.map((r) => visibleWidth(r[c] ?? ''))));
  return rows.map((r) => columns.map((col, c) => pad(r[c] ?? '', widths[c]!, col.align)).join(' '.repeat(gap)).trimEnd());
}
