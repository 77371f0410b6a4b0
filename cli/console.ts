/**
 * The terminal as a guest's console: stdin bytes go to the console device
 * (raw mode on a TTY, so every key reaches the guest at once), and Ctrl-]
 * ends the session, as in telnet — Ctrl-C belongs to the guest in raw mode.
 * On a pipe, input is plain bytes and its end is the console's end of input.
 */
import type { BareMachine } from '../vm/bare.js';

export const ESCAPE_BYTE = 0x1d; // Ctrl-]

export interface ConsoleTarget {
  input(bytes: Uint8Array | null): void;
  expectInput(): void;
}

/**
 * The line to print on attaching to a VM's console: on a terminal, how to
 * get out (every other key, Ctrl-C included, goes to the guest); from a pipe
 * there is nothing to type, so nothing to say.
 */
export function attachHint(name: string, tty: boolean): string | undefined {
  return tty ? `[attached to ${name}'s console: keys go to the guest; Ctrl-] detaches and leaves it running]` : undefined;
}

/** Connect stdin to a console. Returns the function that disconnects it. */
export function attachConsole(target: ConsoleTarget | BareMachine, onEscape: () => void = () => process.exit(130)): () => void {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  if (tty) stdin.setRawMode(true);
  target.expectInput();
  const onData = (chunk: Buffer): void => {
    if (tty && chunk.includes(ESCAPE_BYTE)) {
      if (tty) stdin.setRawMode(false);
      process.stderr.write('\r\n[typevisor: session ended with Ctrl-]]\r\n');
      onEscape();
      return;
    }
    target.input(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  };
  const onEnd = (): void => target.input(null);
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.on('error', onEnd);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.off('error', onEnd);
    if (tty) stdin.setRawMode(false);
    stdin.pause();
    stdin.unref?.();
  };
}
