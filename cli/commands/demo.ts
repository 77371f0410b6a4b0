/**
 * `typevisor demo` (what `npm start` runs): a guided tour that runs the real
 * commands, one after another, each shown as you would type it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { paint } from '../color.js';

const cliPath = fileURLToPath(new URL('../main.js', import.meta.url));
/** The repository root (dist/cli/commands → three levels up). */
const root = join(dirname(cliPath), '..', '..');

interface Step {
  readonly title: string;
  readonly why: string;
  readonly args: readonly string[];
  readonly input?: string;
  /** Only when these files exist (later parts of the tour). */
  readonly needs?: readonly string[];
}

const STEPS: readonly Step[] = [
  {
    title: 'Run a program in the process VM',
    why: 'The assembler turns hello.s into an image; the interpreter runs it in user mode with paging on; the runtime serves its write and exit system calls.',
    args: ['run', 'guests/programs/hello.s', '--stats'],
  },
  {
    title: 'Recursion on a real call stack',
    why: 'fib.s calls itself with push/pop of ra and saved registers: memory- and call-heavy code.',
    args: ['run', 'guests/programs/fib.s', '--stats'],
  },
  {
    title: 'A sieve over a byte array',
    why: 'Loads and stores through the TLB, every access checked against the page tables.',
    args: ['run', 'guests/programs/sieve.s', '--stats'],
  },
  {
    title: 'Standard input',
    why: 'echo.s reads stdin and writes it upper-cased.',
    args: ['run', 'guests/programs/echo.s'],
    input: 'typed into a virtual machine\n',
  },
  {
    title: 'A fault, reported — not a crash',
    why: 'fault-null.s follows a null pointer: page 0 is unmapped, so the load traps; the runtime shows the instruction, the reason and the registers.',
    args: ['run', 'guests/programs/fault-null.s'],
  },
  {
    title: 'Boot the guest kernel on the bare machine',
    why: 'A kernel written in the ISA\'s assembly: page tables per process, a trap handler, round-robin scheduling on the timer interrupt. Its user programs are the same ones the process VM ran.',
    args: ['boot', 'guests/kernel/kernel.s', '--stats'],
    needs: ['guests/kernel/kernel.s'],
  },
  {
    title: 'Two copies of that kernel under the native monitor',
    why: 'Each kernel runs unmodified in the real CPU\'s user mode: every privileged instruction traps to the monitor, which emulates it; shadow page tables map each guest onto its own slice of RAM.',
    args: ['boot', 'guests/kernel/kernel.s', '--monitor', 'native', '--vms', '2', '--stats'],
    needs: ['guests/kernel/kernel.s'],
  },
];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a guided tour: runs programs, boots the kernel, runs VMs — each step as the command you would type')
    .action(() => {
      const c = paint();
      const steps = STEPS.filter((s) => (s.needs ?? []).every((f) => existsSync(join(root, f))));
      let failed = 0;
      steps.forEach((s, i) => {
        process.stdout.write(`\n${c.bold.cyan(`── ${i + 1}/${steps.length} ${s.title} `)}\n${c.dim(s.why)}\n`);
        const shown = s.args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ');
        process.stdout.write(`${c.green('$')} ${s.input ? `echo ${JSON.stringify(s.input.trimEnd())} | ` : ''}typevisor ${shown}\n`);
        const r = spawnSync(process.execPath, [cliPath, ...s.args], {
          cwd: root,
          input: s.input ?? '',
          stdio: ['pipe', 'inherit', 'inherit'],
          env: process.env,
        });
        const expectFault = s.args.includes('guests/programs/fault-null.s');
        if (r.status !== 0 && !expectFault) failed++;
        process.stdout.write(c.dim(`(exit status ${r.status})\n`));
      });
      process.stdout.write(`\n${c.bold('That was the tour.')} Next: the README (${relative(process.cwd(), join(root, 'README.md')) || 'README.md'}) shows how to write, trace and debug your own programs.\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
