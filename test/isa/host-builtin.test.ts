/** The one door from the layers to Node's modules: the real module under Node, a clear HostError where there is none. */
import * as fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { HostError, hostCwd, hostModule, nodeBuiltin, optionalBuiltin } from '../../isa/host-builtin.js';

describe('isa/host-builtin.ts', () => {
  test('under Node it hands out the built-in modules themselves', () => {
    expect(optionalBuiltin<typeof fs>('fs')?.readFileSync).toBe(fs.readFileSync);
    expect(nodeBuiltin<typeof fs>('fs', 'a test').readFileSync).toBe(fs.readFileSync);
    expect(hostModule<typeof fs>('fs', 'a test').openSync).toBe(fs.openSync);
    expect(hostCwd()).toBe(process.cwd());
  });

  test('a module the host does not have: undefined, or a HostError naming what needed it', () => {
    expect(optionalBuiltin('no-such-module')).toBeUndefined();
    expect(() => nodeBuiltin('no-such-module', 'reading a disk')).toThrow(HostError);
    expect(() => nodeBuiltin('no-such-module', 'reading a disk')).toThrow(/reading a disk needs the host's no-such-module module/);
    // The stand-in can be destructured at a module's top; only a call fails, and says why.
    const { readSync } = hostModule<{ readSync: () => number }>('no-such-module', 'a host fd');
    expect(() => readSync()).toThrow(/a host fd needs/);
    try {
      readSync();
    } catch (e) {
      expect((e as HostError).code).toBe('ENOSYS');
    }
  });
});
