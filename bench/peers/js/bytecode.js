// bytecode — an interpreter in the guest: a stack machine with 11 operations
// (0 halt, 1 push k, 2 load v, 3 store v, 4 add, 5 sub, 6 mul, 7 dup,
// 8 jnz t — pop, jump if not zero, 9 xor, 10 shr k — logical), 32-bit
// wrapping arithmetic, two variables, instructions as (op, argument) pairs.
// It runs this program, which loops `iterations` times:
//
//    0 push N    1 store 0   2 load 1    3 push 31   4 mul      5 load 0
//    6 add       7 load 0    8 shr 3     9 xor      10 store 1  11 load 0
//   12 push 1   13 sub      14 dup      15 store 0  16 jnz 2    17 load 1
//   18 halt
//
// i.e. i = N; do { acc = (acc·31 + i) xor (i >>> 3) } while (−−i ≠ 0), and
// prints acc as 8 hex digits. N = 300,000 (5.4 million operations) → 1e6036d4.
//
// A peer for typevisor's bench/guests/bytecode.s. Plain JavaScript, no imports:
// the same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(iterations = 300000) {
  const code = [1, iterations, 3, 0, 2, 1, 1, 31, 6, 0, 2, 0, 4, 0, 2, 0, 10, 3, 9, 0, 3, 1, 2, 0, 1, 1, 5, 0, 7, 0, 3, 0, 8, 2, 2, 1, 0, 0];
  const stack = new Int32Array(64);
  const vars = new Int32Array(2);
  let sp = 0;
  let pc = 0;
  for (;;) {
    const op = code[pc];
    const arg = code[pc + 1];
    pc += 2;
    switch (op) {
      case 0: return (stack[sp - 1] >>> 0).toString(16).padStart(8, '0');
      case 1: stack[sp++] = arg; break;
      case 2: stack[sp++] = vars[arg]; break;
      case 3: vars[arg] = stack[--sp]; break;
      case 4: sp--; stack[sp - 1] = stack[sp - 1] + stack[sp]; break;
      case 5: sp--; stack[sp - 1] = stack[sp - 1] - stack[sp]; break;
      case 6: sp--; stack[sp - 1] = Math.imul(stack[sp - 1], stack[sp]); break;
      case 7: stack[sp] = stack[sp - 1]; sp++; break;
      case 8: if (stack[--sp] !== 0) pc = arg * 2; break;
      case 9: sp--; stack[sp - 1] = stack[sp - 1] ^ stack[sp]; break;
      case 10: stack[sp - 1] = stack[sp - 1] >>> arg; break;
      default: throw new Error(`bytecode: bad op ${op} at ${pc - 2}`);
    }
  }
}
