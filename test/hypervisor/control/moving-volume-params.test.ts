/**
 * A volume moving with its VM names its generation at the source
 * (migration.incoming and the disk's first piece): a whole number ≥ 0, or
 * absent (a source from before it was sent) — anything else is refused,
 * naming the field, before the destination acts on it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Request } from '../../../hypervisor/control/protocol.js';
import { checkParams } from '../../../hypervisor/control/params.js';

const incoming = (disk: object): Request =>
  ({ type: 'request', id: 1, op: 'migration.incoming', params: { name: 'vm1', from: '127.0.0.1:1', strategy: 'pre-copy', monitor: 'native', kernel: 'k', memSize: 2 ** 21, share: 1, recover: false, disk } }) as Request;
const piece = (disk: object): Request => ({ type: 'request', id: 1, op: 'migration.disk', params: { name: 'vm1', size: 4096, offset: 0, fresh: true, disk } }) as Request;

describe('a moving volume\'s generation', () => {
  test('a whole number ≥ 0, or none, is taken', () => {
    fc.assert(
      fc.property(fc.option(fc.nat(), { nil: undefined }), (generation) => {
        const disk = { kind: 'volume', name: 'data', sectors: 8, ...(generation === undefined ? {} : { generation }) };
        expect(checkParams(incoming({ ...disk, mode: 'copy' }))).toBeUndefined();
        expect(checkParams(piece(disk))).toBeUndefined();
      }),
    );
  });

  test('anything else is refused, naming it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }), fc.string(), fc.constant(null)), (generation) => {
        expect(checkParams(incoming({ kind: 'volume', name: 'data', sectors: 8, generation, mode: 'copy' }))).toMatch(/volume: \.generation must be a whole number ≥ 0/);
      }),
    );
    // Only a volume has one.
    expect(checkParams(piece({ kind: 'transient', sectors: 8, generation: 1 }))).toMatch(/transient: only kind, sectors and mode/);
  });
});
