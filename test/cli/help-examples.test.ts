/** Every command's and subcommand's --help teaches by example. */
import { describe, expect, test } from 'vitest';
import { COMMANDS } from '../../cli/commands/index.js';
import { runCli } from '../helpers/cli.js';

/** The subcommand names a command's --help lists (none for a leaf command). */
function subcommands(help: string): string[] {
  const block = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
  return [...block.matchAll(/^  ([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

describe('--help has examples', () => {
  test.each(Object.keys(COMMANDS))('%s and its subcommands', (name) => {
    const help = runCli([name, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/\nExamples?:\n {2}\S/);
    for (const sub of subcommands(help.stdout)) {
      const subHelp = runCli([name, sub, '--help']);
      expect(subHelp.status, `${name} ${sub}`).toBe(0);
      expect(subHelp.stdout, `${name} ${sub} --help`).toMatch(/\nExamples?:\n {2}\S/);
    }
  });
});
