; fib.s — benchmark: recursive Fibonacci, all calls and returns.
;
; Definition (every implementation in the suite computes exactly this):
;   fib(n) = n for n < 2, else fib(n − 1) + fib(n − 2).
;   fib(32) → 2178309, printed in decimal as the only output line.
;
; About 7 million calls, each saving ra and two callee-saved registers on the
; stack: the call, return and stack traffic of a recursive interpreter's
; worst case. The size is N below (the tests assemble it with a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 32

_start:
    li   a0, N
    call fib
    call put_dec
    exit 0

; fib(a0 = n) → a0 = fib(n)
fib:
    li   t1, 2
    blt  a0, t1, .base          ; fib(0) = 0 and fib(1) = 1: a0 already holds it
    push ra, s0, s1
    mv   s0, a0                 ; s0 = n, kept across the calls
    addi a0, s0, -1
    call fib
    mv   s1, a0                 ; s1 = fib(n − 1)
    addi a0, s0, -2
    call fib
    add  a0, a0, s1
    pop  ra, s0, s1
.base:
    ret
