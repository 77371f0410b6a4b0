; queens.s — benchmark (real programs): n-queens by backtracking.
;
; Definition (every implementation in the suite computes exactly this):
;   the number of ways to place n queens on an n × n board, none attacking
;   another, by backtracking row by row over three byte arrays (the columns
;   and both diagonals in use). n = 11 → 2680, printed in decimal as the
;   only output line.
;
; A recursive call per placement, three byte loads and a data-dependent
; branch per square tried. The size is N below (the tests assemble it with
; a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 11

_start:
    li   a0, 0
    call place
    call put_dec
    exit 0

; place(a0 = row) → a0 = the solutions with rows 0..row−1 as they are
place:
    li   t1, N
    bne  a0, t1, 1f
    li   a0, 1                  ; every row has its queen
    ret
1:  push ra, s0, s1, s2
    mv   s0, a0                 ; s0 = row
    li   s1, 0                  ; s1 = c
    li   s2, 0                  ; s2 = count
.col:
    la   t1, cols
    add  t1, t1, s1             ; t1 = &cols[c]
    lbu  a1, 0(t1)
    bnez a1, .next
    la   t2, up
    add  t2, t2, s0
    add  t2, t2, s1             ; t2 = &up[row + c]
    lbu  a1, 0(t2)
    bnez a1, .next
    la   t3, down
    add  t3, t3, s0
    sub  t3, t3, s1             ; t3 + N = &down[row − c + n]
    lbu  a1, N(t3)
    bnez a1, .next
    li   a1, 1
    sb   a1, 0(t1)
    sb   a1, 0(t2)
    sb   a1, N(t3)
    addi a0, s0, 1
    call place
    add  s2, s2, a0
    la   t1, cols               ; the call took the temporaries: find them again
    add  t1, t1, s1
    sb   zero, 0(t1)
    la   t2, up
    add  t2, t2, s0
    add  t2, t2, s1
    sb   zero, 0(t2)
    la   t3, down
    add  t3, t3, s0
    sub  t3, t3, s1
    sb   zero, N(t3)
.next:
    addi s1, s1, 1
    li   t1, N
    blt  s1, t1, .col
    mv   a0, s2
    pop  ra, s0, s1, s2
    ret

.bss
cols:       .space N
up:         .space 2 * N
down:       .space 2 * N
