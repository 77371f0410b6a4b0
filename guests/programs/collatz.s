; collatz.s — the Collatz (3n + 1) walk for every start below 3000.
;
; Shows: a tight loop full of branches, arithmetic without mul or div
; (n / 2 is a shift, 3n + 1 is a shift and two adds), keeping several
; running records in registers, and a checksum — the total of all the
; walks — that any mistake in a single step would change.
;
; From n: halve it if even, else take 3n + 1; count the steps to reach 1.
;
; expect: longest walk below 3000: 2919 takes 216 steps
; expect: highest point: 1276936, on the walk from 1819
; expect: total steps (checksum): 215015

.include "../include/sys.inc"
.include "../include/lib.inc"

LIMIT = 3000

_start:
    li   s0, 1                  ; s0 = start
    li   s1, 0                  ; s1 = total steps
    li   s2, 0                  ; s2 = the longest walk's start; its length in a2
    li   a2, -1
    li   s3, 0                  ; s3 = the highest value seen; its walk's start in a3
    li   a3, 0
.start:
    mv   t1, s0                 ; t1 = n
    li   t2, 0                  ; t2 = steps
    li   t3, 1
.step:
    beq  t1, t3, .arrived
    bgeu s3, t1, 1f             ; a new high point?
    mv   s3, t1
    mv   a3, s0
1:  andi a0, t1, 1
    bnez a0, .odd
    srli t1, t1, 1              ; even: n / 2
    j    .counted
.odd:
    slli a0, t1, 1              ; odd: 3n + 1 = 2n + n + 1
    add  t1, t1, a0
    addi t1, t1, 1
.counted:
    addi t2, t2, 1
    j    .step
.arrived:
    add  s1, s1, t2
    bge  a2, t2, 1f             ; a longer walk? (ties keep the smaller start)
    mv   a2, t2
    mv   s2, s0
1:  addi s0, s0, 1
    li   t1, LIMIT
    blt  s0, t1, .start

    ; The printing routines may change a2 and a3: move the records to safety.
    mv   s0, a2
    push a3
    print msg_longest
    mv   a0, s2
    call print_dec
    print msg_takes
    mv   a0, s0
    call print_dec
    print msg_steps

    print msg_highest
    mv   a0, s3
    call print_dec
    print msg_from
    pop  a0
    call print_dec
    call print_nl

    print msg_total
    mv   a0, s1
    call print_dec
    call print_nl
    exit 0

.data
msg_longest: .asciz "longest walk below 3000: "
msg_takes:   .asciz " takes "
msg_steps:   .asciz " steps\n"
msg_highest: .asciz "highest point: "
msg_from:    .asciz ", on the walk from "
msg_total:   .asciz "total steps (checksum): "
