/**
 * One line as the assembler reads it, and where its characters came from.
 *
 * Most lines are what the file says. A line produced by expanding a macro is
 * the macro's body line with `\param`s replaced, so its columns no longer match
 * the file; it carries a column map back to the body line, which is what a
 * diagnostic shows (the user can find that text in their editor), while the
 * message itself quotes the substituted text.
 */

/** A physical line of a file. */
export interface Origin {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly text: string;
}

/**
 * A run of the line's text and the run of the origin's text it stands for.
 * A literal copy maps character for character; a substitution maps as a whole.
 */
export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly originStart: number;
  readonly originEnd: number;
  readonly literal: boolean;
}

export class SourceLine {
  constructor(
    readonly origin: Origin,
    /** The text to assemble (0-based columns below index into it). */
    readonly text: string,
    /** Undefined when `text` is the origin's text. */
    readonly segments: readonly Segment[] | undefined,
    /** Expansion and inclusion context, outermost last. */
    readonly notes: readonly string[],
    /** The top-level line a listing shows this line's bytes under (a macro call, for its body). */
    readonly listedUnder: Origin,
    /** Position in reading order: diagnostics are sorted by it. */
    readonly order: number,
  ) {}

  /** The origin columns [start, end) of the text columns [start, end). */
  span(start: number, end: number): { readonly start: number; readonly end: number } {
    if (!this.segments) return { start, end: Math.max(end, start + 1) };
    const s = this.mapStart(start);
    const e = end > start ? this.mapEnd(end) : s + 1;
    return { start: s, end: Math.max(e, s + 1) };
  }

  /** `file:line:col` of a text column, for notes. */
  place(col: number): string {
    return `${this.origin.file}:${this.origin.line}:${this.span(col, col + 1).start + 1}`;
  }

  private mapStart(p: number): number {
    for (const s of this.segments!) {
      if (p >= s.start && p < s.end) return s.literal ? s.originStart + (p - s.start) : s.originStart;
    }
    return this.originLength();
  }

  private mapEnd(p: number): number {
    for (const s of this.segments!) {
      if (p > s.start && p <= s.end) return s.literal ? s.originStart + (p - s.start) : s.originEnd;
    }
    return this.originLength();
  }

  private originLength(): number {
    const last = this.segments![this.segments!.length - 1];
    return last ? last.originEnd : 0;
  }
}
