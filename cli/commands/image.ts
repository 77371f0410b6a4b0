/**
 * `typevisor image ls [DIR]` and `image inspect FILE`: what snapshot files
 * hold — the images instances are launched from (vm start --from).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openSnapshotFile, isTempName } from '../../hypervisor/snapshot/snapshot-file.js';
import { readMemory, SNAPSHOT_MAGIC, SnapshotError, type SnapshotContents } from '../../hypervisor/snapshot/snapshot-format.js';
import type { DiskBinding } from '../../hypervisor/snapshot/snapshot.js';
import { storedSectors } from '../../hypervisor/control/snapshot-disks.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { paint } from '../color.js';
import { renderTable } from '../table.js';
import { fail, writeOut } from '../load.js';
import { readProblem } from '../../isa/fs-problem.js';

const mibText = (bytes: number): string => (bytes >= 1 << 20 && bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : `${Math.round(bytes / 1024)} KiB`);

function diskText(d: DiskBinding | undefined): string {
  if (!d) return 'none';
  return d.kind === 'volume'
    ? `volume ${d.name} (generation ${d.generation}), by reference`
    : `transient, ${mibText(d.bytes.length)} by value (${storedSectors(d.bytes)} of ${d.bytes.length / SECTOR_SIZE} sectors stored)`;
}

/** The summary `image inspect --json` prints (and ls, one row each). */
function summary(path: string, s: SnapshotContents, memoryHash?: string) {
  const st = s.state;
  return {
    file: path,
    format: `${s.major}.${s.minor}`,
    bytes: s.size,
    name: st.name,
    kernel: s.info.kernel,
    takenOn: s.info.takenOn,
    memSize: s.info.memSize,
    pages: s.pages,
    pagesPresent: s.presentCount,
    instructions: st.cpu.instret,
    virtualTime: st.cpu.instret + st.cpu.idle,
    pc: st.cpu.pc,
    mode: st.cpu.mode === 0 ? 'user' : 'supervisor',
    halted: st.vcpu.halted,
    devices: {
      console: { transmitted: st.devices.console.transmitted, queued: st.devices.console.rx.length, ended: st.devices.console.ended },
      disk: { status: st.devices.disk.status, reads: st.devices.disk.reads, writes: st.devices.disk.writes },
      net: { connected: st.devices.net.connected, transmitted: st.devices.net.transmitted, received: st.devices.net.received },
    },
    disk: s.disk ? (s.disk.kind === 'volume' ? { kind: 'volume', name: s.disk.name, generation: s.disk.generation } : { kind: 'transient', bytes: s.disk.bytes.length }) : null,
    ...(memoryHash ? { memoryHash } : {}),
  };
}

/** How long ago, in the largest whole unit: 45s, 12m, 3h, 2d (a snapshot store's files are minutes old, an image's days). */
function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function isSnapshotFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === SNAPSHOT_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function registerImage(program: Command): void {
  const image = program
    .command('image')
    .description('what snapshot files hold: the images VMs are restored and instances launched from')
    .addHelpText('after', `
Examples:
  typevisor image ls
  typevisor image ls snapshots/
  typevisor image inspect web.snap
  typevisor image inspect web.snap --json`);

  image
    .command('ls')
    .description('the snapshot files in DIR (default: here), one line each')
    .argument('[dir]', 'the directory to look in', '.')
    .option('--json', 'print them as JSON')
    .addHelpText('after', `
Every file whose first bytes are a snapshot's is listed — with the VM it
holds, the instruction count it was taken at and its age (since the file was
written) — and one that cannot be read (cut short, corrupt) with what is
wrong. The pages themselves are not read here (image inspect checks them).

On a snapshot store (serve --snapshot-every D --snapshot-dir DIR) that is each
VM's latest snapshot, NAME.tvsn: the AGE says how much work a restart from it
would lose, at most D plus the time to write it while the daemon lives.

Examples:
  typevisor image ls
  typevisor image ls /srv/typevisor/images        (a snapshot store)
  typevisor image ls /var/snapshots --json`)
    .action((dir: string, opts: { json?: boolean }) => {
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch (e) {
        return fail(`cannot list ${dir}: ${readProblem(e, 'directory')}`);
      }
      const rows: (ReturnType<typeof summary> & { modified: string })[] = [];
      const broken: { file: string; error: string }[] = [];
      for (const n of names) {
        const path = join(dir, n);
        const st = statSync(path, { throwIfNoEntry: false });
        if (isTempName(n) || !st?.isFile() || !isSnapshotFile(path)) continue;
        try {
          const f = openSnapshotFile(path, { pages: false });
          f.close();
          rows.push({ ...summary(n, f.contents), modified: st.mtime.toISOString() });
        } catch (e) {
          if (!(e instanceof SnapshotError)) throw e;
          broken.push({ file: n, error: e.message });
        }
      }
      if (opts.json) return void writeOut(1, JSON.stringify({ dir, images: rows, broken }) + '\n');
      if (rows.length === 0 && broken.length === 0) return void writeOut(1, `no snapshots in ${dir} (make one: typevisor vm snapshot NAME FILE)\n`);
      const c = paint();
      const now = Date.now();
      const table = renderTable(
        [{ align: 'left' }, { align: 'left' }, { align: 'left' }, { align: 'left' }, { align: 'right' }, { align: 'right' }, { align: 'right' }, { align: 'right' }, { align: 'left' }, { align: 'right' }],
        [
          ['FILE', 'VM', 'KERNEL', 'TAKEN ON', 'MEMORY', 'PAGES', 'INSTRUCTIONS', 'AGE', 'DISK', 'SIZE'].map((h) => c.bold(h)),
          ...rows.map((r) => [r.file, r.name, r.kernel, r.takenOn, mibText(r.memSize), `${r.pagesPresent}/${r.pages}`, String(r.instructions), ageText(now - Date.parse(r.modified)), r.disk === null ? 'none' : r.disk.kind, mibText(r.bytes)]),
        ],
      );
      writeOut(1, table.join('\n') + '\n' + broken.map((b) => `${c.red(b.file)}: ${b.error}\n`).join(''));
    });

  image
    .command('inspect')
    .description('what one snapshot file holds, every checksum checked')
    .argument('<file>')
    .option('--json', 'print it as JSON (with a SHA-256 of the guest memory)')
    .addHelpText('after', `
Reads the whole file and checks it as a restore would: a corrupt or cut-short
file is refused with the field and the offset that are wrong (exit 1).

Examples:
  typevisor image inspect web.snap
  typevisor image inspect web.snap --json`)
    .action((file: string, opts: { json?: boolean }) => {
      let f;
      try {
        f = openSnapshotFile(file, { pages: true });
      } catch (e) {
        if (e instanceof SnapshotError) return fail(`${file}: ${e.message}`);
        return fail(`cannot read ${file}: ${readProblem(e)}`);
      }
      const s = f.contents;
      const memoryHash = createHash('sha256').update(readMemory(f.src, s)).digest('hex');
      f.close();
      const j = summary(file, s, memoryHash);
      if (opts.json) return void writeOut(1, JSON.stringify(j) + '\n');
      const c = paint();
      const line = (k: string, v: string): string => `  ${k.padEnd(13)}${v}\n`;
      writeOut(1, [
        `${c.bold(file)}: snapshot format ${j.format}, ${j.bytes} bytes\n`,
        line('vm', `${j.name}, taken on the ${j.takenOn === 'bare' ? 'bare machine' : `${j.takenOn} monitor`}`),
        line('kernel', j.kernel),
        line('memory', `${mibText(j.memSize)}: ${j.pagesPresent} of ${j.pages} pages stored, ${j.pages - j.pagesPresent} zero`),
        line('instructions', `${j.instructions} (virtual time ${j.virtualTime}), pc 0x${(j.pc >>> 0).toString(16).padStart(8, '0')} in ${j.mode} mode${j.halted ? ', halted' : ''}`),
        line('console', `${j.devices.console.transmitted} bytes written, ${j.devices.console.queued} queued for input${j.devices.console.ended ? ', input ended' : ''}`),
        line('disk device', `${j.devices.disk.reads} reads, ${j.devices.disk.writes} writes`),
        line('network', `${j.devices.net.connected ? 'connected' : 'no cable'}, ${j.devices.net.transmitted} bytes sent, ${j.devices.net.received} received`),
        line('disk', diskText(s.disk)),
        line('memory hash', `sha256 ${memoryHash}`),
      ].join(''));
    });
}
