/**
 * Every peer computes the suite's checksums: plain JS at full size (it is
 * fast, and that checks the full-size values in the suite table), the guest
 * images on the bare switch and on its twin in WebAssembly, the Lua
 * scripts under fengari in-process and under lua5.4 when installed, the JS
 * source inside QuickJS, the Python scripts when python3 is installed — each
 * at the reduced size. crc32 is also checked against zlib's CRC-32.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { getQuickJS } from 'quickjs-emscripten';
import { describe, expect, test } from 'vitest';
import { runBare } from '../../bench/runners/bare-switch.js';
import { runWasmSwitch, wasmSwitchModule } from '../../bench/runners/wasm-switch.js';
import { FengariScript } from '../../bench/runners/fengari.js';
import { runGuest } from '../../bench/runners/typevisor.js';
import { assembleGuest } from '../../bench/guests.js';
import { loadJsPeer } from '../../bench/runners/js.js';
import { LUA, parseTimes, PYTHON, runNativeScript } from '../../bench/runners/native.js';
import { asScript, QuickJsScript } from '../../bench/runners/quickjs.js';
import { jsPeer, luaPeer, pythonPeer } from '../../bench/sources.js';
import { BENCHMARKS, paramList } from '../../bench/suite.js';

const installed = (command: string): boolean => spawnSync(command, ['-v'], { stdio: 'ignore' }).error === undefined;
const hasLua = installed('lua5.4');
const hasPython = installed('python3');

const cases = BENCHMARKS.map((b) => [b.name, b] as const);

describe.each(cases)('%s', (name, bench) => {
  const small = paramList(bench.small.params);

  test(`plain JS prints ${bench.expected} at full size and ${bench.small.expected} reduced`, async () => {
    const checksum = await loadJsPeer(name);
    expect(checksum(...paramList(bench.params))).toBe(bench.expected);
    expect(checksum(...small)).toBe(bench.small.expected);
    // The defaults are the full size too, so `checksum()` alone is the benchmark.
    expect(checksum()).toBe(bench.expected);
  });

  test('the Lua script under fengari (32-bit integers) prints the reduced checksum', () => {
    const script = new FengariScript(luaPeer(name));
    try {
      expect(script.call(small)).toBe(bench.small.expected);
    } finally {
      script.close();
    }
  });

  test('the guest image on the bare switch prints the reduced checksum, retiring exactly the instructions typevisor does', () => {
    const image = assembleGuest(name, bench.small.params);
    const bare = runBare(image, name);
    expect(bare.output).toBe(bench.small.expected);
    expect(bare.instructions).toBe(runGuest(image, name, 'interp').instructions);
  });

  test('the guest image on the WebAssembly switch prints what the bare switch does, retiring the same instructions', async () => {
    const image = assembleGuest(name, bench.small.params);
    const bare = runBare(image, name);
    const wasm = runWasmSwitch(await wasmSwitchModule(), image, name);
    expect(wasm.output).toBe(bench.small.expected);
    expect(wasm.instructions).toBe(bare.instructions);
  });

  test('the JS source inside QuickJS prints the reduced checksum', async () => {
    const script = new QuickJsScript(await getQuickJS(), jsPeer(name));
    try {
      expect(script.call(small)).toBe(bench.small.expected);
    } finally {
      script.close();
    }
  });

  test.skipIf(!hasLua)('the Lua script under lua5.4 (64-bit integers) prints the reduced checksum', () => {
    expect(runNativeScript(LUA, name, small)).toBe(`${bench.small.expected}\n`);
  });

  test.skipIf(!hasPython)('the Python script prints the reduced checksum', () => {
    expect(runNativeScript(PYTHON, name, small)).toBe(`${bench.small.expected}\n`);
  });

  test('every script states the full-size checksum in its header', () => {
    for (const file of [jsPeer(name), luaPeer(name), pythonPeer(name)]) {
      expect(readFileSync(file, 'utf8').slice(0, 800), file).toContain(`→ ${bench.expected}`);
    }
  });
});

describe('crc32', () => {
  test('one pass is the standard CRC-32 (zlib) of the buffer, in every JS-hosted peer', async () => {
    const size = 3000;
    const buf = new Uint8Array(size).map((_, i) => (i * 13 + (i >> 10)) & 255);
    const want = crc32(buf).toString(16).padStart(8, '0');
    expect((await loadJsPeer('crc32'))(size, 1)).toBe(want);
    const lua = new FengariScript(luaPeer('crc32'));
    expect(lua.call([size, 1])).toBe(want);
    lua.close();
  });
});

describe('timed runs in a native interpreter', () => {
  test.skipIf(!hasLua)('lua5.4: a warm-up, then the timed runs, reported after the checksum', () => {
    const t = parseTimes('lua5.4', runNativeScript(LUA, 'fib', [15, '--time', 1, 4, 2, 1000]));
    expect(t.output).toBe('610');
    expect(t.times).toHaveLength(4);
  });

  test.skipIf(!hasPython)('python3: stops after the minimum runs once past the budget', () => {
    const t = parseTimes('python3', runNativeScript(PYTHON, 'fib', [15, '--time', 0, 5, 2, 0]));
    expect(t.output).toBe('610');
    expect(t.times).toHaveLength(2);
  });

  test('output without times is refused', () => {
    expect(() => parseTimes('lua5.4', '610\n')).toThrow(/not a checksum and its times/);
  });
});

test('QuickJS sees the peer as a script: only the export keyword goes', () => {
  expect(asScript('// export here stays\nexport function checksum(n = 1) {\n  return "export";\n}\n')).toBe('// export here stays\nfunction checksum(n = 1) {\n  return "export";\n}\n');
});
