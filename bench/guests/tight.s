; tight.s — benchmark: an ALU loop, no memory traffic.
;
; Definition (every implementation in the suite computes exactly this):
;   s = 0; for i in 0 .. 5·10^7 − 1: s = (s + i·i) mod 2^32; s = s xor (s >>> 3).
;   → e63a9c2c, printed as 8 lowercase hex digits as the only output line.
;
; Six instructions an iteration (mul, add, shift, xor, increment, branch):
; the interpreter's dispatch cost, nearly alone. The size is ITERATIONS below
; (the tests assemble it with a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

ITERATIONS = 50000000

_start:
    li   s0, 0                  ; s0 = s
    li   t1, 0                  ; t1 = i
    li   t2, ITERATIONS
.loop:
    mul  t3, t1, t1             ; the low 32 bits of i·i: all that counts mod 2^32
    add  s0, s0, t3
    srli t3, s0, 3
    xor  s0, s0, t3
    addi t1, t1, 1
    bltu t1, t2, .loop
    mv   a0, s0
    call put_hex
    exit 0
