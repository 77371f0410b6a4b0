"""bytecode — an interpreter in the guest: a stack machine with 11 operations
(0 halt, 1 push k, 2 load v, 3 store v, 4 add, 5 sub, 6 mul, 7 dup,
8 jnz t — pop, jump if not zero, 9 xor, 10 shr k — logical), 32-bit wrapping
arithmetic, two variables, instructions as (op, argument) pairs, running
i = N; do { acc = (acc·31 + i) xor (i >>> 3) } while (−−i ≠ 0) (the program
is spelled out in bench/peers/js/bytecode.js) and printing acc as 8 hex
digits. N = 300,000 (5.4 million operations) → 1e6036d4.

A peer for typevisor's bench/guests/bytecode.s; see harness.py for how it
runs. Dispatch is an if-chain, ordered by number.
"""

from harness import main


def checksum(iterations):
    code = [1, iterations, 3, 0, 2, 1, 1, 31, 6, 0, 2, 0, 4, 0, 2, 0, 10, 3, 9, 0, 3, 1, 2, 0, 1, 1, 5, 0, 7, 0, 3, 0, 8, 2, 2, 1, 0, 0]
    stack = [0] * 64
    variables = [0, 0]
    sp = pc = 0
    while True:
        op = code[pc]
        arg = code[pc + 1]
        pc += 2
        if op == 0:
            return f"{stack[sp - 1]:08x}"
        elif op == 1:
            stack[sp] = arg
            sp += 1
        elif op == 2:
            stack[sp] = variables[arg]
            sp += 1
        elif op == 3:
            sp -= 1
            variables[arg] = stack[sp]
        elif op == 4:
            sp -= 1
            stack[sp - 1] = (stack[sp - 1] + stack[sp]) & 0xFFFFFFFF
        elif op == 5:
            sp -= 1
            stack[sp - 1] = (stack[sp - 1] - stack[sp]) & 0xFFFFFFFF
        elif op == 6:
            sp -= 1
            stack[sp - 1] = (stack[sp - 1] * stack[sp]) & 0xFFFFFFFF
        elif op == 7:
            stack[sp] = stack[sp - 1]
            sp += 1
        elif op == 8:
            sp -= 1
            if stack[sp] != 0:
                pc = arg * 2
        elif op == 9:
            sp -= 1
            stack[sp - 1] = stack[sp - 1] ^ stack[sp]
        elif op == 10:
            stack[sp - 1] = stack[sp - 1] >> arg
        else:
            raise ValueError(f"bytecode: bad op {op} at {pc - 2}")


if __name__ == "__main__":
    main(checksum, [300000])
