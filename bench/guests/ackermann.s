; ackermann.s — benchmark (real programs): Ackermann's function, deep recursion.
;
; Definition (every implementation in the suite computes exactly this):
;   ack(m, n) = n + 1 if m = 0; ack(m − 1, 1) if n = 0;
;   else ack(m − 1, ack(m, n − 1)).
;   ack(3, 8) → 2045, printed in decimal as the only output line.
;
; About 2.8 million calls, recursion some 2,000 frames deep (8 bytes each),
; and the two tail calls a compiler makes jumps. The sizes are M and N below
; (the tests assemble it with smaller ones).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

M = 3
N = 8

_start:
    li   a0, M
    li   a1, N
    call ack
    call put_dec
    exit 0

; ack(a0 = m, a1 = n) → a0
ack:
    bnez a0, 1f
    addi a0, a1, 1              ; m = 0: n + 1
    ret
1:  bnez a1, 2f
    addi a0, a0, -1             ; n = 0: ack(m − 1, 1), a tail call
    li   a1, 1
    j    ack
2:  push ra, s0
    mv   s0, a0                 ; s0 = m
    addi a1, a1, -1
    call ack                    ; a0 = ack(m, n − 1)
    mv   a1, a0
    addi a0, s0, -1
    pop  ra, s0
    j    ack                    ; ack(m − 1, that), a tail call
