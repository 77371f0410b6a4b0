/**
 * `typevisor demo` (what `npm start` runs): a guided tour that runs the real
 * commands, one after another, each shown as you would type it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { paint } from '../color.js';
import { startTourDaemons, type TourDaemons } from '../control/tour-daemons.js';
import { fleetTour } from '../control/tour-fleet.js';

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
  /**
   * Talks to the tour's two daemons (started before the first such step,
   * shut down after the last): {A} and {B} in args are their addresses.
   */
  readonly daemons?: boolean;
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
  {
    title: 'A guest on a monitor daemon',
    why: 'typevisor serve runs a daemon that hosts VMs; two are running now, on 127.0.0.1 with a generated token. vm start assembles the guest here and starts it on the first: a page-incrementer that runs until told to stop.',
    args: ['vm', 'start', 'guests/tour/ticker.s', '--name', 'ticker', '--mem', '4M', '--connect', '{A}'],
    needs: ['guests/tour/ticker.s'],
    daemons: true,
  },
  {
    title: 'Live-migrate it to the second daemon while it runs — onto the other monitor',
    why: 'Pre-copy: memory crosses while the guest keeps running, then the pages it dirtied meanwhile, in rounds; it stops only for the last few and its CPU state. It left the native monitor (the daemon\'s shared machine, virtual time) and arrives on the hosted one (a thread of its own, host time): the VM\'s state is one format both read. The link is capped at 8 MiB/s so the rounds are worth watching; the report says what it cost.',
    args: ['migrate', 'ticker', '--to', '{B}', '--connect', '{A}', '--strategy', 'pre-copy', '--bandwidth', '8M', '--monitor', 'hosted'],
    needs: ['guests/tour/ticker.s'],
    daemons: true,
  },
  {
    title: 'One copy, on the second daemon',
    why: 'The first daemon no longer has it; the second runs it, on the hosted monitor. At no moment did it run on both.',
    args: ['vm', 'list', '--connect', '{B}'],
    needs: ['guests/tour/ticker.s'],
    daemons: true,
  },
  {
    title: 'Save it to a snapshot file',
    why: 'The daemon pauses it, copies its memory (zero pages are only a flag) and its versioned state into a file written atomically, and lets it go on.',
    args: ['vm', 'snapshot', 'ticker', '{DIR}/ticker.snap', '--connect', '{B}'],
    needs: ['guests/tour/ticker.s'],
    daemons: true,
  },
  {
    title: 'Launch two instances from that image, on the first daemon',
    why: 'Each instance is a VM of its own with its own copy of the saved memory: they go on from the same instant and diverge from there. The snapshot came from the hosted monitor; these run on the native one.',
    args: ['vm', 'start', '--from', '{DIR}/ticker.snap', '--count', '2', '--name', 'web', '--monitor', 'native', '--connect', '{A}'],
    needs: ['guests/tour/ticker.s'],
    daemons: true,
  },
  {
    title: 'Its console, before and after the move',
    why: 'The output it wrote on the first daemon came along; the ticks go on from where they were. A "q" tells it to stop; every page was checked on every tick.',
    args: ['vm', 'console', 'ticker', '--connect', '{B}'],
    input: 'q',
    needs: ['guests/tour/ticker.s'],
    daemons: true,
  },
];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a guided tour: runs programs, boots the kernel, runs VMs — each step as the command you would type')
    .addHelpText('after', `
Run from the repository (it uses guests/); takes about a minute. Each step
prints the command it runs, why, and its output; the daemons it starts for
the migration steps listen on 127.0.0.1 and are stopped at the end.

Examples:
  typevisor demo
  npm start                       the same`)
    .action(async () => {
      const c = paint();
      const steps = STEPS.filter((s) => (s.needs ?? []).every((f) => existsSync(join(root, f))));
      let failed = 0;
      let tour: TourDaemons | undefined;
      const lastDaemonStep = steps.map((s) => s.daemons === true).lastIndexOf(true);
      // Where the tour's snapshot goes (gone after the tour).
      const dir = mkdtempSync(join(tmpdir(), 'typevisor-tour-'));
      for (const [i, s] of steps.entries()) {
        process.stdout.write(`\n${c.bold.cyan(`── ${i + 1}/${steps.length} ${s.title} `)}\n${c.dim(s.why)}\n`);
        let env = process.env;
        let args = s.args;
        if (s.daemons) {
          tour ??= await startDaemons(c);
          if (!tour) {
            failed++;
            break;
          }
          const [a, b] = tour.daemons;
          env = { ...process.env, TYPEVISOR_TOKEN: tour.token };
          args = s.args.map((x) => x.replace('{A}', a!.address).replace('{B}', b!.address).replace('{DIR}', dir));
        }
        const shown = args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ');
        process.stdout.write(`${c.green('$')} ${s.input ? `echo ${JSON.stringify(s.input.trimEnd())} | ` : ''}typevisor ${shown}\n`);
        const r = spawnSync(process.execPath, [cliPath, ...args], {
          cwd: root,
          input: s.input ?? '',
          stdio: ['pipe', 'inherit', 'inherit'],
          env,
        });
        const expectFault = s.args.includes('guests/programs/fault-null.s');
        if (r.status !== 0 && !expectFault) failed++;
        process.stdout.write(c.dim(`(exit status ${r.status})\n`));
        if (tour && i === lastDaemonStep) {
          process.stdout.write(`${c.green('$')} kill -TERM ${tour.daemons.map((d) => d.proc.pid).join(' ')}   ${c.dim('# both daemons shut down')}\n`);
          if (!(await tour.stop())) failed++;
          tour = undefined;
        }
      }
      await tour?.stop();
      rmSync(dir, { recursive: true, force: true });
      // Last, a fleet on etcd (or how to install etcd, when it is not).
      if (existsSync(join(root, 'guests/tour/ticker.s'))) failed += await fleetTour(c, cliPath, root, (title, why) => void process.stdout.write(`\n${c.bold.cyan(`── ${title} `)}\n${c.dim(why)}\n`));
      process.stdout.write(`\n${c.bold('That was the tour.')} Next: the README (${relative(process.cwd(), join(root, 'README.md')) || 'README.md'}) shows how to write, trace and debug your own programs.\n`);
      if (failed > 0) process.exitCode = 1;
    });
}

/** The tour's two daemons, shown as the commands that start them. */
async function startDaemons(c: ChalkInstance): Promise<TourDaemons | undefined> {
  try {
    const tour = await startTourDaemons(cliPath, root, 2);
    process.stdout.write(`${c.green('$')} export TYPEVISOR_TOKEN=${tour.token}\n`);
    for (const d of tour.daemons) {
      process.stdout.write(`${c.green('$')} typevisor serve --listen ${d.address} &\n`);
      process.stdout.write(`typevisor daemon listening on ${d.address} (pid ${d.proc.pid})\n`);
    }
    return tour;
  } catch (e) {
    process.stdout.write(`${c.red('could not start the daemons:')} ${(e as Error).message}\n`);
    return undefined;
  }
}
