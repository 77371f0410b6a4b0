/**
 * The system-call ABI. The process VM's runtime serves it in host code; the
 * guest kernel serves it in assembly; a user program cannot tell which.
 *
 * Calling sequence: number in t0, arguments in a0..a3, `syscall`. The result
 * comes back in a0 (a1 holds the high word where a call says so); a negative
 * result is −errno. Every other register is preserved.
 */

export const enum Sys {
  EXIT = 1,
  READ = 2,
  WRITE = 3,
  OPEN = 4,
  CLOSE = 5,
  SEEK = 6,
  BRK = 7,
  CLOCK = 8,
  ARGC = 9,
  ARGV = 10,
  YIELD = 11,
  GETPID = 12,
  WAIT = 13,
  SPAWN = 14,
  SPAWNV = 15,
  READDIR = 16,
}

export interface SyscallInfo {
  readonly num: number;
  readonly name: string;
  readonly args: readonly string[];
  readonly returns: string;
  readonly doc: string;
}

export const SYSCALLS: readonly SyscallInfo[] = [
  { num: Sys.EXIT, name: 'exit', args: ['status'], returns: 'does not return', doc: 'End the process with an exit status (0..255 by convention; the low 8 bits are reported).' },
  { num: Sys.READ, name: 'read', args: ['fd', 'buf', 'len'], returns: 'bytes read, 0 at end of file', doc: 'Read up to len bytes into buf. fd 0 is standard input.' },
  { num: Sys.WRITE, name: 'write', args: ['fd', 'buf', 'len'], returns: 'bytes written', doc: 'Write len bytes from buf. fd 1 is standard output, 2 standard error. The guest kernel writes a file in one transaction of its log: at most 8192 bytes, else −EFBIG.' },
  { num: Sys.OPEN, name: 'open', args: ['path', 'flags'], returns: 'a new fd', doc: 'Open a NUL-terminated path inside the granted directory (process VM: `--fs DIR`). flags: O_RDONLY 0, O_WRONLY 1, O_RDWR 2, O_CREAT 0x40, O_TRUNC 0x200, O_APPEND 0x400. Paths that leave the directory (`..`, symlinks) fail with EACCES; under `--fs` only regular files open (a directory is EISDIR, a FIFO or device EACCES, `file/` ENOTDIR).' },
  { num: Sys.CLOSE, name: 'close', args: ['fd'], returns: '0', doc: 'Close a file descriptor.' },
  { num: Sys.SEEK, name: 'seek', args: ['fd', 'offset', 'whence'], returns: 'the new offset', doc: 'whence: 0 from the start, 1 from the current offset, 2 from the end.' },
  { num: Sys.BRK, name: 'brk', args: ['addr'], returns: 'the current break', doc: 'Move the end of the heap to addr (page-granular underneath). addr 0 asks for the current break without moving it. Failure leaves the break where it was and returns it.' },
  { num: Sys.CLOCK, name: 'clock', args: [], returns: 'virtual time: low word in a0, high word in a1', doc: 'Instructions retired since the process started (the process VM) or the machine booted (the kernel).' },
  { num: Sys.ARGC, name: 'argc', args: [], returns: 'the number of arguments', doc: 'Argument 0 is the program name.' },
  { num: Sys.ARGV, name: 'argv', args: ['i', 'buf', 'len'], returns: 'the length of argument i', doc: 'Copy argument i, NUL-terminated and truncated to len bytes, into buf. The return value is its full length without the NUL.' },
  { num: Sys.YIELD, name: 'yield', args: [], returns: '0', doc: 'Give up the CPU to the next runnable process.' },
  { num: Sys.GETPID, name: 'getpid', args: [], returns: 'the process id', doc: 'The process VM runs one process, pid 1.' },
  { num: Sys.WAIT, name: 'wait', args: ['status_ptr'], returns: 'pid of an exited child, or −ECHILD', doc: 'Wait for a child process to exit; store its status at status_ptr unless it is 0.' },
  { num: Sys.SPAWN, name: 'spawn', args: ['name'], returns: 'the new process id', doc: 'Start another process running the program with this NUL-terminated name (the guest kernel: a file of that name on its tvfs disk holding a program image, else one of the programs linked into it, else −ENOENT; a file that is not an image is −EINVAL). The process VM runs a single process: −ENOSYS.' },
  { num: Sys.SPAWNV, name: 'spawnv', args: ['name', 'args'], returns: 'the new process id', doc: 'spawn, with arguments: args is 0 (the program\'s own) or argv[1..] as NUL-terminated strings one after another, ended by an empty string (at most 4048 bytes, else −ENAMETOOLONG); the child reads them with argc/argv. Guest kernel only: the process VM answers −ENOSYS.' },
  { num: Sys.READDIR, name: 'readdir', args: ['i', 'buf', 'len'], returns: 'the size of file i in bytes, −ENOENT past the last', doc: 'Copy the name of the i-th file (from 0) of the disk, NUL-terminated, into buf; len must be at least 20 (names have at most 19 bytes), else −EINVAL; −EACCES without a tvfs disk. Guest kernel only: the process VM answers −ENOSYS.' },
];

/** Error numbers (Linux values, so they read familiarly). */
export const ERRNO = {
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  ECHILD: 10,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  EFBIG: 27,
  ENOSPC: 28,
  ENOSYS: 38,
  ENAMETOOLONG: 36,
} as const;

export const OPEN_FLAGS = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0x40,
  O_TRUNC: 0x200,
  O_APPEND: 0x400,
} as const;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

const BY_NUM = new Map(SYSCALLS.map((s) => [s.num, s]));
export function syscallInfo(num: number): SyscallInfo | undefined {
  return BY_NUM.get(num);
}

/**
 * The user address-space layout both runtimes give a program (see SPEC.md):
 * page 0 unmapped so a null pointer traps; sections at their link addresses
 * (user programs link at 0x1000 unless they say otherwise); the heap from the
 * first page after the last section, grown by brk; a 64 KiB stack under an
 * unmapped guard page at the top. Everything from 0x8000_0000 up belongs to
 * the kernel (or, in the process VM, to nobody).
 */
export const USER_TEXT_BASE = 0x0000_1000;
export const USER_STACK_TOP = 0x7fff_f000;
export const USER_STACK_SIZE = 0x0001_0000;
export const USER_LIMIT = 0x8000_0000;
