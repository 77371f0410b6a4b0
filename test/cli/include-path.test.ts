/**
 * A newcomer's first program: the README's hello.s, copied into an empty
 * folder, assembles and runs there; -I and TYPEVISOR_INCLUDE add folders;
 * a kernel of one's own lists programs beside itself.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { KERNEL_DIR } from '../helpers/kernel.js';

/** The first ```asm block after "## Write a program" in the README: the program a reader copies. */
function readmeHello(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Write a program'));
  const m = /```asm\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README has no asm block under "Write a program"');
  return m[1]!;
}

describe('the include path from the command line', () => {
  test("the README's hello.s assembles and runs from an empty folder", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-newbie-'));
    writeFileSync(join(dir, 'hello.s'), readmeHello());
    const asm = runCli(['asm', 'hello.s'], { cwd: dir });
    expect(asm.stderr).toBe('');
    expect(asm.status).toBe(0);
    const run = runCli(['run', 'hello.img'], { cwd: dir });
    expect(run.stdout).toBe('Hello from typevisor!\n');
    expect(runCli(['run', 'hello.s'], { cwd: dir }).stdout).toBe('Hello from typevisor!\n');
  });

  test('-I and TYPEVISOR_INCLUDE add folders, -I first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-newbie-'));
    for (const [sub, text] of [['one', 'hi'], ['two', 'ho']] as const) {
      mkdirSync(join(dir, sub));
      writeFileSync(join(dir, sub, 'greeting.inc'), `.macro greet\n print msg\n.data\nmsg: .asciz "${text}\\n"\n.text\n.endm\n`);
    }
    writeFileSync(join(dir, 'p.s'), '.include "sys.inc"\n.include "lib.inc"\n.include "greeting.inc"\n_start:\n greet\n exit 0\n');
    const missing = runCli(['run', 'p.s'], { cwd: dir });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("cannot include 'greeting.inc': no such file");
    expect(runCli(['run', '-I', 'one', 'p.s'], { cwd: dir }).stdout).toBe('hi\n');
    expect(runCli(['run', 'p.s'], { cwd: dir, env: { TYPEVISOR_INCLUDE: join(dir, 'two') } }).stdout).toBe('ho\n');
    expect(runCli(['run', '-I', 'one', 'p.s'], { cwd: dir, env: { TYPEVISOR_INCLUDE: join(dir, 'two') } }).stdout).toBe('hi\n');
    const asm = runCli(['asm', '--include', 'two', 'p.s', '-o', 'p.img'], { cwd: dir });
    expect(asm.status).toBe(0);
    expect(runCli(['run', 'p.img'], { cwd: dir }).stdout).toBe('ho\n');
  });

  test("a kernel of one's own: the program macro's paths are relative to the file that uses it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-newbie-'));
    writeFileSync(join(dir, 'mine.s'), '.include "sys.inc"\n.include "lib.inc"\n_start:\n print msg\n exit 0\n.data\nmsg: .asciz "mine runs\\n"\n');
    writeFileSync(join(dir, 'mykernel.s'), '.include "core.s"\n.data\n.align 4\nprograms:\n    program "mine", "mine.s", PROG_BOOT, ""\nprogram_table_end\n');
    const r = runCli(['boot', 'mykernel.s', '-I', KERNEL_DIR], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('mine runs\n');
    expect(r.status).toBe(0);
  });
});
