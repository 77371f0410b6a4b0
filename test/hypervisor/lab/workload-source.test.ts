/** A workload assembled from its text and a reader (the playground's way) is the one loadWorkload reads from guests/workloads. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { writeImage } from '../../../isa/image.js';
import { assembleWorkload, paramsInSource } from '../../../hypervisor/lab/workload-source.js';
import { loadWorkload, WORKLOAD_NAMES, workloadParams } from '../../../hypervisor/lab/workloads.js';
import { MigrationError } from '../../../hypervisor/migration/migration-error.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const DIR = join(REPO_ROOT, 'guests', 'workloads');
/** Reads only what the map holds, as a browser's bundled files do. */
const inMemory = (name: string): string => readFileSync(name, 'utf8');

describe('hypervisor/lab/workload-source.ts', () => {
  test.each([...WORKLOAD_NAMES])('%s: the same parameters and image from its text as from its file', (name) => {
    const file = join(DIR, `${name}.s`);
    const text = readFileSync(file, 'utf8');
    expect(paramsInSource(text)).toEqual(workloadParams(DIR, name));
    const defaults = paramsInSource(text);
    const key = Object.keys(defaults)[0];
    const overrides = key === undefined ? {} : { [key]: defaults[key]! + 1 };
    const a = assembleWorkload({ name, file, text, readFile: inMemory }, overrides);
    const b = loadWorkload(DIR, name, overrides);
    expect(a.params).toEqual(b.params);
    expect(writeImage(a.image)).toEqual(writeImage(b.image));
  });

  test('an unknown parameter or a non-integer is refused, naming it', () => {
    const file = join(DIR, 'writes.s');
    const text = readFileSync(file, 'utf8');
    expect(() => assembleWorkload({ name: 'writes', file, text }, { NOPE: 1 })).toThrow(MigrationError);
    expect(() => assembleWorkload({ name: 'writes', file, text }, { NOPE: 1 })).toThrow(/has no parameter NOPE/);
    expect(() => assembleWorkload({ name: 'writes', file, text }, { WS_PAGES: 1.5 })).toThrow(/WS_PAGES must be an integer/);
  });
});
