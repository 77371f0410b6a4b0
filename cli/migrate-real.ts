/**
 * migrate-compare --real: the same comparison between two real `typevisor
 * serve` daemons on 127.0.0.1, over TCP, in wall time. For each strategy the
 * workload is started on the first daemon, runs until it has retired --at
 * instructions, is migrated with `migrate` (the control plane's path, the
 * same one `typevisor migrate` takes), and runs to its end on the second;
 * its console — followed on the source until it leaves, then on the
 * destination — is checked against the workload never migrated. Wall-time numbers vary from run to run; the simulated
 * comparison is the one to reproduce.
 */
import { writeImage } from '../isa/image.js';
import { parseAddress } from '../hypervisor/control/address.js';
import { ControlClient } from '../hypervisor/control/client.js';
import { migrateRequestOptions } from '../hypervisor/control/protocol.js';
import type { Comparison, ComparisonSpec, StrategyRun } from '../hypervisor/lab/compare.js';
import { runBaseline } from '../hypervisor/lab/simulate.js';
import { measureLoopback } from '../hypervisor/migration/loopback.js';
import { daemonCapacity, startTourDaemons } from './control/tour-daemons.js';

/** Give up on one strategy after this long (ms). */
const STEP_TIMEOUT = 120_000;

export async function compareOverTcp(spec: ComparisonSpec, cliPath: string, cwd: string): Promise<Comparison> {
  const ref = spec.verify === false ? undefined : await runBaseline(spec.image, spec.memSize);
  spec.progress?.('raw loopback TCP…');
  const loopback = await measureLoopback();
  const daemons = await startTourDaemons(cliPath, cwd, 2, ['--capacity', daemonCapacity(spec.memSize)]);
  const [a, b] = daemons.daemons;
  const connect = (address: string): Promise<ControlClient> => ControlClient.connect({ address: parseAddress(address), token: daemons.token, client: 'migrate-compare' });
  const runs: StrategyRun[] = [];
  try {
    for (const strategy of spec.strategies) {
      spec.progress?.(`${strategy} (over TCP)…`);
      const name = `compare-${strategy}`;
      const src = await connect(a!.address);
      const dst = await connect(b!.address);
      try {
        await src.start({ name, kernel: `${spec.workload}.s`, image: Buffer.from(writeImage(spec.image)).toString('base64'), memSize: spec.memSize, share: 1 });
        // What it prints here: its history and everything until it leaves.
        let here = '';
        const watch = src.console(name, true, (bytes) => (here += Buffer.from(bytes).toString('latin1')));
        await until(async () => (await src.stats(name)).instructions >= spec.at || (await src.stats(name)).state !== 'running', `${name} to retire ${spec.at} instructions`);
        const call = src.migrate({ name, to: b!.address, toToken: daemons.token, strategy, ...migrateRequestOptions(spec.options ?? {}) }, () => {});
        const outcome = await call.result;
        let verified: boolean | null = null;
        let verdict = 'not checked';
        if (ref && outcome.kind === 'completed') {
          await until(async () => (await dst.stats(name)).state === 'off', `${name} to power off on the destination`);
          await watch.result;
          let there = '';
          await dst.console(name, true, (bytes) => (there += Buffer.from(bytes).toString('latin1'))).result;
          // The source hands its history over after the migration, best effort: it may be there already or not yet.
          const out = there.startsWith(here) ? there : here + there;
          verified = out === ref.output;
          verdict = verified ? 'same output as never migrated' : `console output differs from the unmigrated run: ${firstDifference(out, ref.output)}`;
        } else if (outcome.kind !== 'completed') {
          verdict = `${outcome.kind}: ${outcome.reason}`;
        }
        watch.cancel();
        runs.push({ strategy, report: outcome.report, verified, verdict });
        for (const [c, what] of [[src, 'source'], [dst, 'destination']] as const) await c.stop(name).catch(() => what);
      } finally {
        src.close();
        dst.close();
      }
    }
  } finally {
    await daemons.stop();
  }
  return { mode: 'real', workload: spec.workload, params: spec.params, memSize: spec.memSize, link: spec.link, at: spec.at, runs, loopback };
}

export async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > STEP_TIMEOUT) throw new Error(`migrate-compare --real: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Where two outputs part, for the verdict. */
export function firstDifference(got: string, want: string): string {
  const a = got.split('\n');
  const b = want.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1} is ${JSON.stringify(a[i] ?? '(missing)')}, expected ${JSON.stringify(b[i] ?? '(nothing)')}`;
  }
  return 'same lines';
}
