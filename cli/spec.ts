/**
 * The ISA reference, generated from the tables themselves (opcodes, formats,
 * CSRs, trap causes, syscalls) so it cannot drift from what the machine does.
 * `npm run docs` writes it to isa/SPEC.md; `typevisor spec` prints it.
 */
import { CSRS, IRQ_NAMES } from '../isa/csr.js';
import { FORMATS, type Format } from '../isa/formats.js';
import { OPCODES, type Group } from '../isa/opcodes.js';
import { ABI_NAMES, REGISTER_ROLES } from '../isa/registers.js';
import { ERRNO, OPEN_FLAGS, SYSCALLS, USER_STACK_SIZE, USER_STACK_TOP, USER_TEXT_BASE } from '../isa/syscalls.js';
import { CAUSES } from '../vm/trap.js';
import { CONSOLE_BASE, DISK_BASE, MMIO_BASE, NET_BASE, POWER_BASE, RAM_BASE } from '../vm/memmap.js';

const hex = (n: number, w = 8): string => `0x${(n >>> 0).toString(16).padStart(w, '0')}`;

const SYNTAX: Record<Format, string> = {
  R: 'rd, rs1, rs2',
  I: 'rd, rs1, imm',
  IU: 'rd, rs1, imm',
  SH: 'rd, rs1, shamt',
  U: 'rd, imm',
  L: 'rd, imm(rs1)',
  S: 'rs2, imm(rs1)',
  B: 'rs1, rs2, target',
  J: 'rd, target',
  JR: 'rd, rs1, imm',
  N: '',
  CR: 'rd, csr',
  CW: 'csr, rs1',
  CRW: 'rd, csr, rs1',
  F: '[rs1]',
};

const GROUP_TITLES: Record<Group, string> = {
  'alu': 'Integer ALU, register–register',
  'alu-imm': 'Integer ALU, register–immediate',
  'memory': 'Loads and stores',
  'control': 'Branches and jumps',
  'system': 'System',
  'privileged': 'Privileged (supervisor mode only; trap in user mode)',
};

export function generateSpec(): string {
  const out: string[] = [];
  const p = (s = ''): void => {
    out.push(s);
  };
  p('# typevisor ISA reference');
  p();
  p('Generated from the tables in `isa/` and `vm/trap.ts` by `npm run docs` (or `typevisor spec`). Do not edit by hand.');
  p();
  p('## Machine model');
  p();
  p('- 32-bit words, byte-addressed 32-bit address space, little-endian.');
  p('- Fixed-width 32-bit instructions, 4-byte aligned. The opcode is the low byte; opcode 0 is never assigned, so executing zeroed memory traps.');
  p('- Sixteen 32-bit registers; r0 reads as zero and ignores writes.');
  p('- Two modes: user and supervisor. Every sensitive instruction (CSR access, return from trap, TLB flush, wait, halt) is privileged and traps in user mode; devices are memory-mapped and reachable only through supervisor mappings. The ISA is therefore classically virtualizable (Popek–Goldberg): a monitor runs a guest kernel in user mode and emulates each trap.');
  p('- Integer arithmetic wraps modulo 2^32. Shift amounts use their low five bits. `INT_MIN ÷ −1 = INT_MIN` and `INT_MIN rem −1 = 0`. Division by zero traps. Halfword and word accesses must be naturally aligned or they trap.');
  p('- Fields an instruction format does not use must be zero; a word with stray bits there is an illegal instruction.');
  p();
  p('## Registers');
  p();
  p('| register | ABI name | role |');
  p('|---|---|---|');
  ABI_NAMES.forEach((n, i) => p(`| r${i} | \`${n}\` | ${REGISTER_ROLES[i]} |`));
  p();
  p('## Formats');
  p();
  p('```');
  for (const f of Object.values(FORMATS)) p(`${f.format.padEnd(4)} ${f.layout}`);
  p('```');
  p();
  p('B and J offsets count words from the branch itself: target = pc + offset × 4. In assembly the operand is the target address (usually a label).');
  p();
  p('## Instructions');
  const groups = [...new Set(OPCODES.map((o) => o.group))];
  for (const g of groups) {
    p();
    p(`### ${GROUP_TITLES[g]}`);
    p();
    p('| instruction | opcode | format | semantics | traps |');
    p('|---|---|---|---|---|');
    for (const o of OPCODES.filter((x) => x.group === g)) {
      const syntax = `\`${o.name}${SYNTAX[o.format] ? ' ' + SYNTAX[o.format] : ''}\``;
      const traps = o.traps.length ? o.traps.join(', ') : '—';
      const sem = o.notes ? `${o.semantics}. ${o.notes}` : o.semantics;
      p(`| ${syntax} | 0x${o.op.toString(16).padStart(2, '0')} | ${o.format} | ${sem.replace(/\|/g, '\\|')} | ${traps} |`);
    }
  }
  p();
  p('Every instruction can also raise fetch-fault or misaligned-fetch while it is being fetched.');
  p();
  p('## Control and status registers');
  p();
  p('| number | name | access | meaning |');
  p('|---|---|---|---|');
  for (const c of CSRS) p(`| ${c.num} | \`${c.name}\` | ${c.writable ? 'read/write' : 'read-only'} | ${c.doc} |`);
  p();
  p(`Interrupt lines (bits of \`ie\`/\`ip\`): ${IRQ_NAMES.map((n, i) => `${i} ${n}`).join(', ')}. An interrupt is taken when \`status.IE\` is set and \`ip & ie\` is non-zero, lowest line first, between two instructions.`);
  p();
  p('## Traps');
  p();
  p('On a trap the CPU saves the mode into `status.PM` and IE into `status.PIE`, clears IE, enters supervisor mode, writes `epc`, `cause` and `badaddr`, and continues at `tvec`. `sret` undoes it. A trapping instruction does not retire: it is not counted in `time`.');
  p();
  p('| cause | name | epc | badaddr | when |');
  p('|---|---|---|---|---|');
  for (const c of CAUSES) p(`| ${c.code} | ${c.name} | ${c.epc} | ${c.badaddr} | ${c.doc} |`);
  p(`| 0x80000000 + line | interrupt | the next instruction | 0 | A pending, enabled interrupt. |`);
  p();
  p('## Paging');
  p();
  p('Two levels, 4 KiB pages, enabled by `ptbase` bit 0. A virtual address splits into a 10-bit level-1 index, a 10-bit level-0 index and a 12-bit offset. A PTE is `[31:12] physical page, [6] D, [5] A, [4] U, [3] X, [2] W, [1] R, [0] V`. Level-1 entries only point at level-0 tables (R, W and X must be 0). User mode may only touch U pages; supervisor mode may touch any. The hardware sets A on every access and D on every store that succeeds (an access that faults changes neither); writing `ptbase` flushes the TLB, and `tlbflush` flushes it explicitly after page-table edits.');
  p();
  p('## Physical memory map');
  p();
  p('| address | what |');
  p('|---|---|');
  p(`| ${hex(RAM_BASE)} | RAM (size set by \`--mem\`) |`);
  p(`| ${hex(MMIO_BASE)} | device registers, one 4 KiB page each: console ${hex(CONSOLE_BASE)}, disk ${hex(DISK_BASE)}, power ${hex(POWER_BASE)}, network ${hex(NET_BASE)} |`);
  p();
  p('## System-call ABI');
  p();
  p('Number in `t0`, arguments in `a0`..`a3`, then `syscall`. The result comes back in `a0` (and `a1` where noted); a negative result is −errno. All other registers are preserved. The process VM (`typevisor run`) and the guest kernel serve the same calls.');
  p();
  p('| number | call | arguments | returns | notes |');
  p('|---|---|---|---|---|');
  for (const s of SYSCALLS) p(`| ${s.num} | \`${s.name}\` | ${s.args.join(', ') || '—'} | ${s.returns} | ${s.doc} |`);
  p();
  p(`Errors: ${Object.entries(ERRNO).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  p();
  p(`Open flags: ${Object.entries(OPEN_FLAGS).map(([k, v]) => `${k} ${hex(v, 1)}`).join(', ')}.`);
  p();
  p('### User address space');
  p();
  p(`Page 0 is unmapped, so null pointers trap. Programs link at ${hex(USER_TEXT_BASE)} unless they say otherwise; \`.data\` starts on the page after \`.text\`. The heap starts on the first page after the last section and grows with \`brk\`. The stack is ${USER_STACK_SIZE / 1024} KiB below ${hex(USER_STACK_TOP)}, and \`sp\` starts at ${hex(USER_STACK_TOP)}. Addresses from ${hex(0x80000000)} up are not the program's.`);
  p();
  return out.join('\n');
}
