/**
 * Volumes in a state directory, in-process: metadata that round-trips, every
 * damaged form of it refused naming the file (and the field where there is
 * one), the generation counting attaches, one holder at a time, and the
 * state directory's lock.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { ControlError } from '../../../hypervisor/control/control-error.js';
import { StateDir } from '../../../hypervisor/control/state-dir.js';
import { parseVolume, VolumeStore, VOLUME_FORMAT, VOLUME_VERSION, type Volume } from '../../../hypervisor/control/volume-store.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-volstore-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let dirs = 0;
const store = (): { store: VolumeStore; dir: StateDir } => {
  const dir = new StateDir(join(temp, `s${dirs++}`), () => '127.0.0.1:7480');
  return { store: new VolumeStore(dir), dir };
};

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const volume: fc.Arbitrary<Volume> = fc.record({
  name,
  size: fc.integer({ min: 1, max: 1 << 20 }).map((n) => n * 512),
  generation: fc.nat(),
  attachedTo: fc.option(name, { nil: null }),
  created: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
});
const stored = (v: Volume): string => JSON.stringify({ format: VOLUME_FORMAT, version: VOLUME_VERSION, ...v });

function refusal(text: string): ControlError {
  try {
    parseVolume(text, 'v.json');
  } catch (e) {
    if (e instanceof ControlError) return e;
    throw e;
  }
  throw new Error(`accepted: ${text}`);
}

describe('volume metadata', () => {
  test('what is written reads back the same', () => {
    fc.assert(fc.property(volume, (v) => {
      expect(parseVolume(stored(v), 'v.json')).toEqual(v);
    }));
  });

  test('every proper prefix is refused as bad-volume, naming the file', () => {
    fc.assert(
      fc.property(volume, (v) => {
        const text = stored(v);
        for (let n = 0; n < text.length; n++) {
          const e = refusal(text.slice(0, n));
          expect(e.code).toBe('bad-volume');
          expect(e.message.startsWith('v.json: ')).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
  });

  test('a field given a wrong value is refused naming that field; a right one is read', () => {
    const fields = ['format', 'version', 'name', 'size', 'generation', 'attachedTo', 'created'] as const;
    fc.assert(
      fc.property(volume, fc.constantFrom(...fields), fc.jsonValue(), (v, field, value) => {
        const o: Record<string, unknown> = { format: VOLUME_FORMAT, version: VOLUME_VERSION, ...v, [field]: value };
        let read: Volume | undefined;
        try {
          read = parseVolume(JSON.stringify(o), 'v.json');
        } catch (e) {
          expect(e).toBeInstanceOf(ControlError);
          expect((e as ControlError).code).toBe('bad-volume');
          expect((e as ControlError).message).toMatch(new RegExp(`^v\\.json: field ${field} `));
          return;
        }
        if (field !== 'format' && field !== 'version') expect((read as unknown as Record<string, unknown>)[field]).toEqual(JSON.parse(JSON.stringify(value))); // (as JSON has it: -0 is 0)
      }),
    );
  });

  test('a newer version is refused as such; a missing field is named', () => {
    expect(refusal(JSON.stringify({ format: VOLUME_FORMAT, version: VOLUME_VERSION + 1 })).message).toBe(`v.json: field version is ${VOLUME_VERSION + 1}: written by a newer typevisor (this one reads version ${VOLUME_VERSION})`);
    expect(refusal(JSON.stringify({ format: VOLUME_FORMAT, version: 1, name: 'a', size: 512, attachedTo: null, created: new Date(0).toISOString() })).message).toBe('v.json: field generation is missing; it must be a whole number ≥ 0');
    expect(refusal('[1]').message).toBe('v.json: not a JSON object');
  });
});

describe('the volume store', () => {
  test('each attach bumps the generation; a second holder is refused by name; detach frees it; metadata lands whole', () => {
    const { store: s } = store();
    const v = s.create('data', 4096, new Uint8Array([1, 2, 3]));
    expect(v).toMatchObject({ name: 'data', size: 4096, generation: 0, attachedTo: null });
    expect(readFileSync(s.diskPath('data')).subarray(0, 4)).toEqual(Buffer.from([1, 2, 3, 0]));
    expect(s.attach('data', 'a').generation).toBe(1);
    expect(() => s.attach('data', 'b')).toThrow('volume data is attached to a; detach it first');
    s.detach('data', 'b'); // not the holder: nothing happens
    expect(s.get('data').attachedTo).toBe('a');
    s.detach('data', 'a');
    expect(s.attach('data', 'b')).toMatchObject({ generation: 2, attachedTo: 'b' });
    expect(readdirSync(join(s.diskPath('data'), '..')).sort()).toEqual(['data.disk', 'data.json']); // no temp file left
    expect(() => s.create('data', 512)).toThrow('a volume named data already exists');
    expect(() => s.remove('data')).toThrow('volume data is attached to b');
  });

  test('sectors that do not match the metadata, or are missing, are refused; the volume is listed as damaged', () => {
    const { store: s } = store();
    s.create('short', 8192);
    s.create('fine', 512);
    truncateSync(s.diskPath('short'), 4096);
    expect(() => s.get('short')).toThrow(`volume short: ${s.diskPath('short')} holds 4096 bytes, but its metadata (field size) says 8192`);
    const l = s.list();
    expect(l.volumes.map((v) => v.name)).toEqual(['fine']);
    expect(l.damaged).toEqual([{ name: 'short', problem: expect.stringContaining('holds 4096 bytes') }]);
    rmSync(s.diskPath('short'));
    expect(() => s.get('short')).toThrow('its sectors');
    expect(() => s.get('absent')).toThrow('no volume named absent');
  });

  test('the state directory: a live daemon\'s lock is refused naming it; a dead one\'s is taken over, freeing its volumes', () => {
    const { store: s, dir } = store();
    s.create('v', 512);
    s.attach('v', 'old-vm');
    dir.release();
    expect(existsSync(join(dir.path, 'daemon.lock'))).toBe(false);
    // A lock of a live process that is not us (our parent): refused.
    writeFileSync(join(dir.path, 'daemon.lock'), JSON.stringify({ pid: process.ppid, listen: '127.0.0.1:9999' }));
    const other = new VolumeStore(new StateDir(dir.path, () => '127.0.0.1:7481'));
    expect(() => other.list()).toThrow(`state directory ${dir.path} is in use by the daemon on 127.0.0.1:9999 (pid ${process.ppid})`);
    // A lock whose process has ended: taken over; what it held is free.
    writeFileSync(join(dir.path, 'daemon.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, listen: '127.0.0.1:9999' }));
    writeFileSync(join(dir.scratch, 'gone.disk'), 'x');
    const next = new VolumeStore(new StateDir(dir.path, () => '127.0.0.1:7481'));
    expect(next.get('v').attachedTo).toBeNull();
    expect(readdirSync(dir.scratch)).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir.path, 'daemon.lock'), 'utf8'))).toEqual({ pid: process.pid, listen: '127.0.0.1:7481' });
  });
});
