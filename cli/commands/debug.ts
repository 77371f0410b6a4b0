/**
 * `typevisor debug FILE.s|FILE.img [--fs DIR] [--mem SIZE] [--stdin FILE] [-- ARGS...]`:
 * the debugger's REPL. Thin: it reads command lines and writes lines; the
 * engine (breakpoints, stepping, every command) is vm/process/debugger.ts.
 *
 * Terminal or pipe:
 * - On a terminal the prompt `(tvdb) ` is shown, with line editing and history.
 * - With commands piped in, no prompt is printed; instead each command is
 *   echoed as `(tvdb) CMD` on its own line, so stdout reads as a transcript.
 * - Everything the debugger says goes to stdout, in order with the program's
 *   own output (fd 1, written synchronously). The program's stderr is fd 2.
 * - The program does not share the debugger's stdin (that is where commands
 *   come from): it reads end of input, or the file given with --stdin.
 * - Ctrl-C during continue/next interrupts the program and returns to the prompt.
 * - Exit status: 0, or once the program has ended, what `run` would give
 *   (its exit status; 128 + cause for a fault). End of input is `quit`.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { assemble } from '../../isa/asm/index.js';
import { SECTION_EXEC, type Image } from '../../isa/image.js';
import { Debugger, DEBUGGER_COMMANDS, type DebuggerStyle, type SourceLine } from '../../vm/process/debugger.js';
import { LoadError, ProcessVM, SandboxError } from '../../vm/process/index.js';
import { colorEnabled, paint } from '../color.js';
import { fail, loadProgram, parseMem, SOURCE_EXTENSIONS, writeOut } from '../load.js';
import { jitDumpOption } from '../jit-dump.js';

interface DebugOptions {
  readonly fs?: string;
  readonly mem: string;
  readonly stdin?: string;
}

const PROMPT = '(tvdb) ';

/**
 * Which source line each code word came from, for `break FILE:LINE` and the
 * `; prog.s:12` after each stop. loadProgram gives only the image, so the
 * source is assembled a second time for its listing (milliseconds).
 */
function sourceLines(file: string, image: Image): SourceLine[] {
  if (!SOURCE_EXTENSIONS.has(extname(file))) return [];
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const result = assemble(source, { filename: file });
  if (!result.ok) return [];
  const inCode = (a: number): boolean => image.sections.some((s) => (s.flags & SECTION_EXEC) !== 0 && a >= s.addr && a < s.addr + s.size);
  const lines: SourceLine[] = [];
  for (const e of result.listing) {
    for (let off = 0; off + 4 <= e.bytes.length; off += 4) {
      if (inCode(e.addr + off)) lines.push({ addr: e.addr + off, file: e.file, line: e.line });
    }
  }
  return lines;
}

/** A fresh reader over the same bytes for each launch, so `run` gives the program its input again. */
function inputOver(bytes: Uint8Array): (max: number) => Uint8Array {
  let rest = bytes;
  return (max) => {
    const chunk = rest.subarray(0, max);
    rest = rest.subarray(chunk.length);
    return chunk;
  };
}

async function debug(file: string, args: readonly string[], opts: DebugOptions): Promise<void> {
  const memSize = parseMem(opts.mem);
  if (memSize === undefined) return;
  let input = new Uint8Array(0);
  if (opts.stdin !== undefined) {
    try {
      input = readFileSync(opts.stdin);
    } catch (e) {
      fail(`--stdin ${opts.stdin}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      return;
    }
  }
  const image = loadProgram(file);
  if (image === undefined) return;

  // The debugger's lines must start on a line of their own even when the program's output did not end one.
  let atLineStart = true;
  const programOut = (bytes: Uint8Array): void => {
    writeOut(1, bytes);
    if (bytes.length > 0) atLineStart = bytes[bytes.length - 1] === 0x0a;
  };
  const print = (line: string): void => {
    writeOut(1, `${atLineStart ? '' : '\n'}${line}\n`);
    atLineStart = true;
  };
  const launch = (): ProcessVM =>
    new ProcessVM(image, {
      args: [file, ...args],
      memSize,
      ...jitDumpOption(),
      ...(opts.fs === undefined ? {} : { fsRoot: opts.fs }),
      stdin: inputOver(input),
      stdout: programOut,
      stderr: 2,
    });
  const style: DebuggerStyle | undefined = colorEnabled() ? { changed: (s) => paint().yellow.bold(s), alert: (s) => paint().red(s) } : undefined;

  let dbg: Debugger;
  try {
    dbg = new Debugger({
      launch,
      print,
      lines: sourceLines(file, image),
      pause: () => new Promise((resolve) => setImmediate(resolve)),
      ...(style === undefined ? {} : { style }),
    });
  } catch (err) {
    if (err instanceof SandboxError) fail(err.message);
    else if (err instanceof LoadError) fail(`${file}: ${err.message}`);
    else throw err;
    return;
  }

  const interactive = process.stdin.isTTY === true;
  const terminal = interactive && process.stdout.isTTY === true;
  const rl = createInterface(terminal ? { input: process.stdin, output: process.stdout, terminal: true, historySize: 500 } : { input: process.stdin, terminal: false });
  rl.setPrompt(PROMPT);
  const prompt = (): void => {
    if (terminal) rl.prompt();
    else if (interactive) writeOut(1, PROMPT);
  };
  // On a terminal readline turns Ctrl-C into this event; from a pipe it is a real signal.
  rl.on('SIGINT', () => {
    if (dbg.running) {
      dbg.interrupt();
      return;
    }
    writeOut(1, '^C\n');
    prompt();
  });
  const onSignal = (): void => {
    if (dbg.running) dbg.interrupt();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);

  try {
    dbg.begin();
    prompt();
    for await (const line of rl) {
      if (!interactive) print(`${PROMPT}${line}`);
      if (await dbg.execute(line)) break;
      prompt();
    }
    if (terminal) writeOut(1, '\n');
  } finally {
    rl.close();
    process.off('SIGINT', onSignal);
    dbg.process.close();
  }
  process.exitCode = dbg.exitStatus;
}

function commandList(): string {
  return DEBUGGER_COMMANDS.map((c) => {
    const short = c.aliases.length > 0 ? ` (${c.aliases.join(', ')})` : '';
    return `  ${(c.usage + short).padEnd(36)} ${c.help}`;
  }).join('\n');
}

export function registerDebug(program: Command): void {
  program
    .command('debug')
    .description('debug a user program in the process VM: breakpoints, watchpoints, stepping, registers, memory')
    .argument('<file>', 'assembly source (FILE.s, assembled in memory) or an image (FILE.img)')
    .argument('[args...]', 'arguments for the program (after --); argv[0] is FILE as given')
    .option('--fs <dir>', 'grant the program this directory, as with run')
    .option('--mem <size>', 'RAM for the machine, e.g. 16M, 512K, 1G', '16M')
    .option('--stdin <file>', "the program's standard input (default: empty — the debugger's own stdin carries the commands)")
    .addHelpText(
      'after',
      `
The program is loaded as \`run\` loads it and stops before its first
instruction. Then commands, one per line (a unique prefix will do):
${commandList()}

ADDR and LOC are numbers (0x2000, 64), registers (sp, a0), pc or labels,
joined by + and - without spaces: sp+16, loop+8, msg. FILE:LINE works for
programs given as source. print takes any expression, spaces allowed: *sp,
buf[2], (a0 + 3) & ~3 (the kernel debugger's grammar: typevisor boot --debug).
break LOC if EXPR stops only where EXPR is not 0; x/NFU, print/F, until,
finish, tbreak and display work as in gdb and in the kernel debugger.
An empty line repeats the last step or next (and an x/NFU goes on).

On a terminal you get a prompt, line editing and history; Ctrl-C interrupts
continue. With commands piped in, each is echoed as "(tvdb) CMD" so the
output reads as a transcript; end of input quits. Colour only on a terminal
(never with NO_COLOR or --no-color).

Exit status: 0, or once the program has ended what \`run\` would give.

Examples:
  $ typevisor debug prog.s
  $ printf 'break loop\\ncontinue\\nregs\\nstep 3\\nmem sp 16\\n' | typevisor debug prog.s
  $ printf 'break loop if t1 == 5\\ncontinue\\nx/4dw sp\\nfinish\\n' | typevisor debug prog.s
  $ typevisor debug cat.s --fs ./data --stdin input.txt -- notes.txt
`,
    )
    .action((file: string, args: string[], opts: DebugOptions) => debug(file, args, opts));
}
