/**
 * Writes the README's Startup table from a real run of the bench's startup
 * section (bench/sections/startup.ts): the lines between
 * `<!-- startup-table: begin -->` and `<!-- startup-table: end -->`, each on a
 * line of its own, are replaced by the table and a line saying how it was
 * measured.
 *
 *   npm run build && node dist/bench/startup-readme.js [ROUNDS]   (16 by default)
 *
 * Not part of `npm run docs`'s check: the figures are a measurement, not a
 * transcript, and differ on every run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureStartup, startupMarkdown, type StartupData } from './sections/startup.js';
import { REPO_ROOT } from './sources.js';

const BEGIN = '<!-- startup-table: begin -->';
const END = '<!-- startup-table: end -->';

/** `markdown` with the text between the markers replaced by `data`'s table; throws when the markers are missing. */
export function withStartupTable(markdown: string, data: StartupData): string {
  // Markers on lines of their own: the README also names them in its text.
  const lineOf = (marker: string): number => new RegExp(`^${marker}$`, 'm').exec(markdown)?.index ?? -1;
  const begin = lineOf(BEGIN);
  const end = lineOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md: no '${BEGIN}' … '${END}' pair to write the startup table between`);
  const note = `Whole process, median of ${data.rounds} rounds interleaved in the same run, load average ${data.load.toFixed(1)} at the end.`;
  return `${markdown.slice(0, begin + BEGIN.length)}\n${startupMarkdown(data)}\n\n${note}\n${markdown.slice(end)}`;
}

function main(): void {
  const rounds = process.argv[2] === undefined ? 16 : Number(process.argv[2]);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`rounds: expected a whole number from 1, got '${process.argv[2]}'`);
  const data = measureStartup(rounds, (m) => process.stderr.write(`\r${m}   `));
  process.stderr.write('\n');
  const path = join(REPO_ROOT, 'README.md');
  writeFileSync(path, withStartupTable(readFileSync(path, 'utf8'), data));
  process.stdout.write(`${startupMarkdown(data)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
