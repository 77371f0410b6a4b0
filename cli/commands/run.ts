/**
 * `typevisor run FILE.s|FILE.img [options] [-- ARGS...]`: run a user program
 * in the process VM, its system calls served by the host. Thin: loading and
 * reporting here; the runtime is vm/process.
 *
 * Exit status: the program's exit status (low 8 bits); 128 + the trap's cause
 * code when it faults (load-fault → 134, breakpoint → 132…); 124 when
 * --max-instructions runs out; 1 when the program cannot be loaded at all.
 */
import type { Command } from 'commander';
import type { Tier } from '../../vm/machine.js';
import { SYSCALLS, USER_STACK_TOP, USER_TEXT_BASE } from '../../isa/syscalls.js';
import { exitCode, LoadError, ProcessVM, SandboxError, traceRun, type ProcessResult, type ProcessStats } from '../../vm/process/index.js';
import { paintErr } from '../color.js';
import { fail, loadProgram, parseCount, parseMem, writeOut, tierOption } from '../load.js';
import { hex8 } from '../../isa/hex.js';
import { jitDumpOption } from '../jit-dump.js';
import { includeOption } from '../include-dirs.js';

interface RunOptions {
  readonly tier: Tier;
  readonly fs?: string;
  readonly mem: string;
  readonly maxInstructions?: string;
  readonly trace?: boolean;
  readonly stats?: boolean;
  readonly json?: boolean;
  readonly include: string[];
}

function formatStats(s: ProcessStats): string {
  const list = (r: Readonly<Record<string, number>>): string =>
    Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const rows: [string, string][] = [
    ['instructions', String(s.instructions)],
    ['wall time', `${s.wallMs.toFixed(2)} ms`],
    ['MIPS', s.mips.toFixed(2)],
    ['traps', list(s.traps)],
    ['syscalls', list(s.syscalls) + (s.unknownSyscalls > 0 ? ` (${s.unknownSyscalls} unknown, answered ENOSYS)` : '')],
    ['memory', `${s.framesUsed} pages (${s.framesUsed * 4} KiB, page tables included), brk ${hex8(s.brk)}`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}

function resultJson(r: ProcessResult): Record<string, unknown> {
  const code = exitCode(r);
  switch (r.kind) {
    case 'exit': return { kind: 'exit', status: r.status, code };
    case 'fault': return { kind: 'fault', trap: r.trap, cause: r.cause, pc: r.pc, badaddr: r.badaddr, report: r.report, code };
    case 'budget': return { kind: 'budget', pc: r.pc, report: r.report, code };
    case 'breakpoint': return { kind: 'breakpoint', pc: r.pc, report: r.report, code };
  }
}

function run(file: string, args: readonly string[], opts: RunOptions): void {
  const memSize = parseMem(opts.mem);
  if (memSize === undefined) return;
  let maxInstructions: number | undefined;
  if (opts.maxInstructions !== undefined) {
    const n = parseCount(opts.maxInstructions, '--max-instructions');
    if (n === null) return;
    maxInstructions = n;
  }
  const image = loadProgram(file, { include: opts.include });
  if (image === undefined) return;

  const output: Uint8Array[] = [];
  let vm: ProcessVM;
  try {
    vm = new ProcessVM(image, {
      args: [file, ...args],
      memSize,
      tier: opts.tier,
      ...jitDumpOption(),
      ...(opts.fs === undefined ? {} : { fsRoot: opts.fs }),
      ...(maxInstructions === undefined ? {} : { maxInstructions }),
      ...(opts.json ? { stdout: (bytes: Uint8Array) => void output.push(bytes.slice()) } : {}),
    });
  } catch (err) {
    if (err instanceof SandboxError) fail(err.message);
    else if (err instanceof LoadError) fail(`${file}: ${err.message}`);
    else throw err;
    return;
  }

  const result = opts.trace ? traceRun(vm, (line) => writeOut(2, `${line}\n`)) : vm.run();
  if (result.kind !== 'exit') {
    const [first = '', ...rest] = result.report.split('\n');
    writeOut(2, `${paintErr().red(first)}\n${rest.map((l) => `${l}\n`).join('')}`);
  }
  if (vm.syscalls.refusedNoFs > 0) {
    writeOut(2, `note: the program tried to open files, which failed with EACCES: no directory is granted (run with --fs DIR)\n`);
  }
  const stats = vm.stats();
  if (opts.stats) writeOut(2, `${formatStats(stats)}\n`);
  if (opts.json) {
    const text = Buffer.concat(output).toString('utf8');
    writeOut(1, `${JSON.stringify({ exit: resultJson(result), stats, output: text })}\n`);
  }
  process.exitCode = exitCode(result);
}

function syscallTable(): string {
  return SYSCALLS.map((s) => `  ${String(s.num).padStart(2)}  ${`${s.name}(${s.args.join(', ')})`.padEnd(24)} → ${s.returns}`).join('\n');
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a user program in the process VM, its system calls served by the host')
    .argument('<file>', 'assembly source (FILE.s, assembled in memory) or an image (FILE.img)')
    .argument('[args...]', 'arguments for the program (after --); argv[0] is FILE as given')
    .option('--fs <dir>', 'grant the program this directory: open() paths resolve inside it; nothing outside is reachable')
    .option('--mem <size>', 'RAM for the machine, e.g. 16M, 512K, 1G', '16M')
    .addOption(tierOption())
    .addOption(includeOption())
    .option('--max-instructions <n>', 'stop after n instructions (exit status 124)')
    .option('--trace', 'print every instruction to stderr: address, disassembly, the register it wrote; and each system call')
    .option('--stats', 'print instructions, wall time, MIPS and traps by cause to stderr at the end')
    .option('--json', "print one JSON object to stdout at the end: {exit, stats, output}; the program's stdout goes into `output`")
    .addHelpText(
      'after',
      `
The program runs in user mode with paging on: its sections at their link
addresses (user programs link at ${hex8(USER_TEXT_BASE)}), page 0 unmapped so a null
pointer traps, a 64 KiB stack below sp = ${hex8(USER_STACK_TOP)}, a heap grown with brk.

System calls: put the number in t0 and the arguments in a0..a3, then
\`syscall\`. The result comes back in a0 (negative: -errno, Linux numbers);
every other register is preserved.
${syscallTable()}

Files: open() works only under --fs DIR. Paths resolve inside DIR (a leading
/ is DIR's root); anything that would leave it — '..' above DIR, a symlink
pointing outside — fails with EACCES (13). Without --fs every open fails
with EACCES. open flags: O_RDONLY 0, O_WRONLY 1, O_RDWR 2, O_CREAT 0x40,
O_TRUNC 0x200, O_APPEND 0x400; seek whence: 0 start, 1 current, 2 end.
fds 0, 1, 2 are the terminal's stdin, stdout and stderr; at most 32 are open.
\`typevisor spec\` has the whole ABI and the errno values.

Exit status: the program's exit status (low 8 bits); 128 + the trap's cause
code if it faults (the report goes to stderr: trap, pc, instruction, address,
registers); 124 if --max-instructions runs out; 1 if it cannot be loaded.

Examples:
  $ cat hello.s
      li   t0, 3            ; write(1, msg, 14)
      li   a0, 1
      la   a1, msg
      li   a2, 14
      syscall
      li   t0, 1            ; exit(0)
      li   a0, 0
      syscall
  .data
  msg: .asciz "Hello, world!\\n"
  $ typevisor run hello.s
  Hello, world!
  $ typevisor run cat.s --fs ./data -- notes.txt
  $ typevisor run prog.img --trace --max-instructions 200
  $ echo hi | typevisor run echo.s --json --stats
`,
    )
    .action((file: string, args: string[], opts: RunOptions) => run(file, args, opts));
}
