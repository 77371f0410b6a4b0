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

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (disabled) return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true;
}

/** The chalk to paint stdout with (level 0 when colour is off). */
export function paint(): ChalkInstance {
  instance ??= new Chalk({ level: colorEnabled() ? 3 : 0 });
  return instance;
}

/** The chalk to paint stderr with. */
export function paintErr(): ChalkInstance {
  return new Chalk({ level: colorEnabled(process.stderr) ? 3 : 0 });
}
