/**
 * The debuggers' command language: the kernel debugger's table, and what
 * both debuggers (this one and the process VM's, `typevisor debug`) share —
 * turning a typed word into a command the way gdb does (an exact name or
 * alias, else a unique prefix; `x/4xw` carries its format after a slash),
 * `help` with one line a command, one line of usage for a malformed use.
 * Parsing only: what a command does is the engine's business.
 */

export interface CommandSpec {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly help: string;
}

export const KERNEL_COMMANDS: readonly CommandSpec[] = [
  { name: 'step', aliases: ['s', 'si', 'stepi'], usage: 'step [N]', help: 'run N ticks (default 1): an instruction, or the entry into a trap' },
  { name: 'next', aliases: ['n', 'ni', 'nexti'], usage: 'next [N]', help: 'like step, but a call runs until it returns' },
  { name: 'finish', aliases: ['fin'], usage: 'finish', help: 'run until the current function returns (in the trap vector: until the trap returns)' },
  { name: 'until', aliases: ['u', 'advance'], usage: 'until LOC', help: 'run until pc reaches LOC (or a breakpoint)' },
  { name: 'continue', aliases: ['c', 'cont'], usage: 'continue', help: 'run until a breakpoint, a watchpoint, power-off or a stuck guest' },
  { name: 'break', aliases: ['b', 'br'], usage: 'break LOC [if EXPR]', help: 'stop at a symbol or address; also: break trap CAUSE | break syscall [N] | break mode-switch' },
  { name: 'tbreak', aliases: ['tb'], usage: 'tbreak LOC [if EXPR]', help: 'a breakpoint that is deleted when it is hit' },
  { name: 'watch', aliases: ['w'], usage: 'watch ADDR [LEN]', help: 'stop after a tick that changes any of LEN bytes (default 4) at virtual ADDR' },
  { name: 'delete', aliases: ['d'], usage: 'delete [N...]', help: 'delete breakpoints/watchpoints by number (all when none given)' },
  { name: 'display', aliases: ['disp'], usage: 'display EXPR', help: 'print EXPR at every stop; undisplay N removes it' },
  { name: 'undisplay', aliases: [], usage: 'undisplay [N...]', help: 'stop displaying (all when none given)' },
  { name: 'print', aliases: ['p', 'inspect'], usage: 'print[/x|d|u|c] EXPR', help: 'value of EXPR: registers, $csr, symbols, *ADDR, p[i], + - * / & | ^ << >> ( )' },
  { name: 'set', aliases: [], usage: 'set REG|$CSR|pc|*ADDR = EXPR', help: 'change a register, a CSR, pc or a word of memory' },
  { name: 'x', aliases: [], usage: 'x[/NFU] ADDR', help: 'examine memory: N units, format x d u c s i, unit b h w (default 1xw)' },
  { name: 'disassemble', aliases: ['disas'], usage: 'disassemble [ADDR] [N]', help: 'N instructions (default 8) from ADDR (default pc)' },
  { name: 'registers', aliases: ['r', 'regs'], usage: 'registers', help: 'registers, pc, the mode the guest believes it is in, and its CSRs' },
  { name: 'backtrace', aliases: ['bt', 'where'], usage: 'backtrace', help: 'the frame chain, read from each function\'s prologue (saved ra, sp)' },
  { name: 'translate', aliases: ['tr'], usage: 'translate VA', help: 'walk the guest\'s page tables for VA, each level with its flags (A/D too)' },
  { name: 'info', aliases: ['i'], usage: 'info WHAT', help: 'breakpoints, registers, traps [N], tlb, pagetable [ROOT], vm, display, history, frame' },
  { name: 'reverse-step', aliases: ['rs', 'rsi', 'reverse-stepi'], usage: 'reverse-step [N]', help: 'go back N ticks (replayed from a checkpoint)' },
  { name: 'reverse-next', aliases: ['rn', 'rni', 'reverse-nexti'], usage: 'reverse-next [N]', help: 'go back one instruction in this function, over calls' },
  { name: 'reverse-continue', aliases: ['rc'], usage: 'reverse-continue', help: 'go back to the previous breakpoint or watchpoint hit' },
  { name: 'goto', aliases: [], usage: 'goto N', help: 'go to where N instructions had retired (back or forward)' },
  { name: 'help', aliases: ['h', '?'], usage: 'help [COMMAND]', help: 'this list, or one command' },
  { name: 'quit', aliases: ['q', 'exit', 'detach'], usage: 'quit', help: 'leave the debugger (a daemon VM resumes)' },
];

export type Resolved<C extends CommandSpec = CommandSpec> =
  | { readonly ok: true; readonly spec: C; readonly format: string | undefined }
  | { readonly ok: false; readonly error: string };

/**
 * The command a typed word names in a table, gdb's way: an exact name or
 * alias, else a unique prefix of a name or of an alias longer than two
 * letters (`regi` for registers; `s` is only ever step's own alias). A format
 * after a slash rides along: `x/4xw` → x with `4xw`, `p/x` → print with `x`.
 * Shared by both debuggers, so they abbreviate alike.
 */
export function resolveIn<C extends CommandSpec>(table: readonly C[], word: string): Resolved<C> {
  const slash = word.indexOf('/');
  const head = (slash >= 0 ? word.slice(0, slash) : word).toLowerCase();
  const format = slash >= 0 ? word.slice(slash + 1) : undefined;
  const exact = table.find((c) => c.name === head || c.aliases.includes(head));
  if (exact) return { ok: true, spec: exact, format };
  // One word per command: the first of its name and longer aliases that the typed word begins.
  const matches = new Map<C, string>();
  for (const c of table) {
    const hit = head === '' ? undefined : [c.name, ...c.aliases.filter((a) => a.length > 2)].find((n) => n.startsWith(head));
    if (hit !== undefined) matches.set(c, hit);
  }
  if (matches.size === 1) return { ok: true, spec: [...matches.keys()][0]!, format };
  if (matches.size > 1) return { ok: false, error: `ambiguous command '${head}': ${[...matches.values()].join(', ')}` };
  return { ok: false, error: `unknown command '${head}' — type help` };
}

/** `help` for a table: a heading, one line a command (usage, short forms, what it does), then `notes`. */
export function helpFor(table: readonly CommandSpec[], width: number, notes: readonly string[]): string[] {
  return [
    'commands (a unique prefix will do; short forms in brackets):',
    ...table.map((c) => `  ${(c.usage + (c.aliases.length > 0 ? ` [${c.aliases.join(', ')}]` : '')).padEnd(width)} ${c.help}`),
    ...notes,
  ];
}

/** One line of usage for a command of a table, for a malformed use. */
export function usageIn(table: readonly CommandSpec[], name: string): string {
  const c = table.find((k) => k.name === name)!;
  return `usage: ${c.usage} — ${c.help}`;
}

/** The kernel debugger's command a typed word names. */
export function resolveCommand(word: string): Resolved {
  return resolveIn(KERNEL_COMMANDS, word);
}

/** `help` as lines. */
export function helpLines(): string[] {
  return helpFor(KERNEL_COMMANDS, 44, [
    'LOC, ADDR and EXPR: 0x80001000, 42, registers (a0, sp), pc, $csr ($cause, $epc), symbols, *ADDR, p[i], arithmetic',
    'an empty line repeats the last step, next or x; lines starting with # are ignored',
  ]);
}

/** One line of usage for a command, for a malformed use. */
export function usageOf(name: string): string {
  return usageIn(KERNEL_COMMANDS, name);
}

/** A count argument: decimal or 0x hex, positive. */
export function parseCount(text: string): number | undefined {
  const clean = text.replace(/_/g, '');
  const n = /^\d+$/.test(clean) ? Number(clean) : /^0x[0-9a-f]+$/i.test(clean) ? Number.parseInt(clean.slice(2), 16) : NaN;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}
