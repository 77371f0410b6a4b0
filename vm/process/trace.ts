/**
 * The execution trace (`typevisor run --trace`): one line per instruction, in
 * the very format the disassembler prints, with the register it wrote:
 *
 *   00001008  addi a0, a0, 1          a0=0x00000003
 *   0000100c  syscall
 *     -> write(1, 0x2000, 14) = 14
 *
 * It steps the ProcessVM one instruction at a time, so it is slow and meant
 * for small programs and debugging.
 */
import { formatInstruction, writtenRegister } from '../../isa/disasm.js';
import { registerName } from '../../isa/registers.js';
import { syscallInfo } from '../../isa/syscalls.js';
import { instructionAt } from './fault.js';
import type { ProcessResult, ProcessVM } from './runtime.js';
import { errnoName, type SyscallEvent } from './syscalls.js';
import { bare8, hex8 } from '../../isa/hex.js';

const POINTER_ARGS = new Set(['buf', 'path', 'addr', 'status_ptr']);
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** `write(1, 0x2000, 14) = 14`, `open("data.txt", 0x0) = -13 (EACCES)`, `exit(0)`. */
export function formatSyscall(e: SyscallEvent): string {
  const names = syscallInfo(e.num)?.args ?? [];
  const args = e.args.map((v, i) => {
    const name = names[i];
    if (name === 'path' && e.path !== undefined) return JSON.stringify(e.path);
    if (name === 'flags') return hex(v);
    return name !== undefined && POINTER_ARGS.has(name) ? hex(v) : String(v);
  });
  const call = `${e.name}(${args.join(', ')})`;
  if (e.name === 'exit') return call;
  let result: string;
  if (e.result < 0) result = `${e.result} (${errnoName(-e.result)}${e.why === undefined ? '' : `: ${e.why}`})`;
  else if (e.name === 'brk') result = hex(e.result);
  else if (e.high !== undefined) result = String(e.high * 2 ** 32 + (e.result >>> 0));
  else result = String(e.result);
  return `${call} = ${result}`;
}

/** The disassembly takes this many columns (at least one space before the register). */
const DISASM_COLUMN = 24;

/**
 * One trace line: the address, the instruction, and — when it wrote a
 * register — that register's new value. `run --trace` and the debugger's
 * `step` print exactly this.
 */
export function traceLine(pc: number, text: string, written?: { readonly reg: number; readonly value: number }): string {
  const line = `${bare8(pc)}  ${text}`;
  return written === undefined ? line : `${line.padEnd(10 + DISASM_COLUMN - 1)} ${registerName(written.reg)}=${hex8(written.value)}`;
}

/** Run the program to the end, writing the trace line by line through `out`. */
export function traceRun(vm: ProcessVM, out: (line: string) => void): ProcessResult {
  const cpu = vm.machine.cpu;
  const calls: SyscallEvent[] = [];
  const unsubscribe = vm.syscall.subscribe((e) => calls.push(e));
  try {
    for (;;) {
      const pc = cpu.pc;
      const word = instructionAt(vm.machine, pc);
      const text = word === undefined ? '(cannot fetch)' : formatInstruction(word, pc, vm.symbols.at);
      const rd = word === undefined ? undefined : writtenRegister(word);
      // A line without a register goes out first, so a syscall's output follows its instruction.
      if (rd === undefined) out(traceLine(pc, text));
      const r = vm.step(1);
      if (rd !== undefined) out(r.kind === 'stepped' ? traceLine(pc, text, { reg: rd, value: cpu.regs[rd]! }) : traceLine(pc, text));
      for (const e of calls) out(`  -> ${formatSyscall(e)}`);
      calls.length = 0;
      if (r.kind !== 'stepped') return r;
    }
  } finally {
    unsubscribe();
  }
}
