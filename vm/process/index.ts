/** The process VM: run a user program with its system calls served by the host. */
export { ProcessVM, exitCode, SLICE, EXIT_CODE_BUDGET, EXIT_CODE_FAULT_BASE } from './runtime.js';
export type { ProcessOptions, ProcessResult, ProcessStats, StepResult } from './runtime.js';
export { LoadError, checkUserLayout, loadImage } from './loader.js';
export { SandboxError, FsSandbox } from './fs-sandbox.js';
export { AddressSpace, HEAP_LIMIT, STACK_BOTTOM } from './address-space.js';
export { MAX_OPEN_FILES } from './file-table.js';
export type { InputSource, OutputSink } from './host-io.js';
export { errnoName, type SyscallEvent } from './syscalls.js';
export { formatRegisters, faultReport, instructionAt } from './fault.js';
export { traceRun, formatSyscall } from './trace.js';
export { Symbols } from './symbols.js';
