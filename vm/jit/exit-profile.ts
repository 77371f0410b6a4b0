/**
 * Why translated code stops: an opt-in count of every region function's
 * exits by cause, for finding where a program's time goes between regions.
 *
 * Off by default (Jit.profile undefined): counting wraps every region
 * function in a closure, which costs a call per region entry. Set
 * `jit.profile = newExitProfile()` before the first translation; the page's
 * functions then call each other through the wrappers too, so direct calls
 * (translator.ts, call()) are counted as entries "by a call".
 *
 * A region stops at a pc; where that pc lies says why:
 * - `return`: the return address it was called for (a direct call's return)
 * - `region`: a block leader of another region of its page (a handover)
 * - `limit`: a leader of its own region, so the next block did not fit under
 *   the instruction limit (the timer deadline, the slice's end), or a direct
 *   call's callee stopped there
 * - `page`: another page (a call, a return or a jump out of the page)
 * - `slow-path`: inside one of its blocks, before a load or store the TLB
 *   arrays do not allow (a miss, a device, a store to code), or a division
 *   by zero: the interpreter runs that instruction with its slow path
 * - `interpreted`: an instruction only the interpreter runs (system call,
 *   privileged, undecodable)
 * - `uncovered`: code of the page the translation does not hold (an indirect
 *   jump to where execution was never seen to go)
 */
import { NOT_CALLED } from './region-fn.js';

export const EXIT_CAUSES = ['return', 'region', 'limit', 'page', 'slow-path', 'interpreted', 'uncovered'] as const;
export type ExitCause = (typeof EXIT_CAUSES)[number];

export interface ExitProfile {
  /** Region functions entered, and of those, entered by a direct call. */
  entries: number;
  calledEntries: number;
  readonly exits: Record<ExitCause, number>;
}

export function newExitProfile(): ExitProfile {
  return { entries: 0, calledEntries: 0, exits: { return: 0, region: 0, limit: 0, page: 0, 'slow-path': 0, interpreted: 0, uncovered: 0 } };
}

/** What a translation knows of its page, to place an exit pc. */
export interface ExitMap {
  readonly vbase: number;
  readonly regionAt: Int8Array;
  readonly covered: Uint8Array;
  readonly interpreted: Uint8Array;
}

export function exitCause(map: ExitMap, region: number, pc: number, ret: number): ExitCause {
  if (ret !== NOT_CALLED && (pc | 0) === ret) return 'return';
  if ((pc & 3) !== 0 || ((pc ^ map.vbase) & ~0xfff) !== 0) return 'page';
  const k = (pc & 0xfff) >>> 2;
  if (!map.covered[k]) return 'uncovered';
  if (map.interpreted[k]) return 'interpreted';
  const r = map.regionAt[k]!;
  if (r === region) return 'limit';
  if (r >= 0) return 'region';
  return 'slow-path';
}
