/**
 * Terminal colour. chalk 5 does not look at NO_COLOR, so we decide here:
 * colour only when stdout is a terminal, NO_COLOR is unset, and --no-color
 * was not given. FORCE_COLOR still wins, for people who pipe into `less -R`.
 */
import { Chalk, type ChalkInstance } from 'chalk';

let instance: ChalkInstance | undefined;
let disabled = false;

export function disableColor(): void {
  disabled = true;
  instance = undefined;
}

/**
 * Whether to paint what goes to `stream`. Named, not passed: the stream is
 * looked at last, only when the environment has not decided, because making
 * process.stdout or process.stderr costs a run Node's tty or net module (and
 * its streams) when nothing else would write through it.
 */
export function colorEnabled(stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  if (disabled) return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  return process[stream].isTTY === true;
}

/** The chalk to paint stdout with (level 0 when colour is off). */
export function paint(): ChalkInstance {
  instance ??= new Chalk({ level: colorEnabled() ? 3 : 0 });
  return instance;
}

/** The chalk to paint stderr with. */
export function paintErr(): ChalkInstance {
  return new Chalk({ level: colorEnabled('stderr') ? 3 : 0 });
}
