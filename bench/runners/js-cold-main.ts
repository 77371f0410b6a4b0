/**
 * The child process behind the "JS cold" column: load one peer module, time
 * its first call (inside the process, so process start and module loading are
 * not counted), print `{"output", "seconds"}` as JSON.
 *
 *   node dist/bench/runners/js-cold-main.js NAME [PARAM ...]
 */
import { loadJsPeer } from './js.js';

const [name, ...params] = process.argv.slice(2);
if (name === undefined) {
  process.stderr.write('usage: js-cold-main.js NAME [PARAM ...]\n');
  process.exit(2);
}
const checksum = await loadJsPeer(name);
const args = params.map(Number);
const t0 = performance.now();
const output = checksum(...args);
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ output, seconds })}\n`);
