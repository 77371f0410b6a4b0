; bytecode.s — benchmark (real programs): an interpreter in the guest.
;
; Definition (every implementation in the suite computes exactly this):
;   a stack machine with 11 operations (0 halt, 1 push k, 2 load v,
;   3 store v, 4 add, 5 sub, 6 mul, 7 dup, 8 jnz t — pop, jump if not zero,
;   9 xor, 10 shr k — logical), 32-bit wrapping arithmetic, two variables,
;   instructions as (op, argument) pairs, running the program below:
;   i = N; do { acc = (acc·31 + i) xor (i >>> 3) } while (−−i ≠ 0), then
;   print acc. N = 300,000 (5.4 million operations) → 1e6036d4, as 8
;   lowercase hex digits as the only output line.
;
; The dispatch loop of every bytecode interpreter: fetch, bounds check, an
; indirect jump through a table of handlers (`jr`), and back. The size is
; ITERATIONS below (the tests assemble it with a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

ITERATIONS = 300000
OPS = 11

_start:
    la   fp, program            ; fp = the program (jnz's targets count from it)
    mv   s0, fp                 ; s0 = pc: the next (op, argument) pair
    la   s1, stack              ; s1 = sp: the next free slot, growing up
    la   s2, vars
    la   s3, handlers
dispatch:
    lw   t1, 0(s0)              ; t1 = op
    lw   t2, 4(s0)              ; t2 = argument
    addi s0, s0, 8
    sltiu t3, t1, OPS
    beqz t3, bad_op
    slli t1, t1, 2
    add  t1, t1, s3
    lw   t1, 0(t1)
    jr   t1

op_halt:
    lw   a0, -4(s1)
    call put_hex
    exit 0
op_push:
    sw   t2, 0(s1)
    addi s1, s1, 4
    j    dispatch
op_load:
    slli t2, t2, 2
    add  t2, t2, s2
    lw   t3, 0(t2)
    sw   t3, 0(s1)
    addi s1, s1, 4
    j    dispatch
op_store:
    addi s1, s1, -4
    lw   t3, 0(s1)
    slli t2, t2, 2
    add  t2, t2, s2
    sw   t3, 0(t2)
    j    dispatch
op_add:
    addi s1, s1, -4
    lw   t3, 0(s1)
    lw   t1, -4(s1)
    add  t1, t1, t3
    sw   t1, -4(s1)
    j    dispatch
op_sub:
    addi s1, s1, -4
    lw   t3, 0(s1)
    lw   t1, -4(s1)
    sub  t1, t1, t3
    sw   t1, -4(s1)
    j    dispatch
op_mul:
    addi s1, s1, -4
    lw   t3, 0(s1)
    lw   t1, -4(s1)
    mul  t1, t1, t3
    sw   t1, -4(s1)
    j    dispatch
op_dup:
    lw   t3, -4(s1)
    sw   t3, 0(s1)
    addi s1, s1, 4
    j    dispatch
op_jnz:
    addi s1, s1, -4
    lw   t3, 0(s1)
    beqz t3, dispatch
    slli t2, t2, 3
    add  s0, fp, t2
    j    dispatch
op_xor:
    addi s1, s1, -4
    lw   t3, 0(s1)
    lw   t1, -4(s1)
    xor  t1, t1, t3
    sw   t1, -4(s1)
    j    dispatch
op_shr:
    lw   t3, -4(s1)
    srl  t3, t3, t2
    sw   t3, -4(s1)
    j    dispatch

bad_op:
    eprint msg_bad
    exit 1

.data
.align 4
program:
    .word 1, ITERATIONS         ;  0 push N
    .word 3, 0                  ;  1 store 0       i = N
    .word 2, 1                  ;  2 load 1        loop:
    .word 1, 31                 ;  3 push 31
    .word 6, 0                  ;  4 mul
    .word 2, 0                  ;  5 load 0
    .word 4, 0                  ;  6 add
    .word 2, 0                  ;  7 load 0
    .word 10, 3                 ;  8 shr 3
    .word 9, 0                  ;  9 xor
    .word 3, 1                  ; 10 store 1       acc = (acc·31 + i) xor (i >>> 3)
    .word 2, 0                  ; 11 load 0
    .word 1, 1                  ; 12 push 1
    .word 5, 0                  ; 13 sub
    .word 7, 0                  ; 14 dup
    .word 3, 0                  ; 15 store 0       i = i − 1
    .word 8, 2                  ; 16 jnz 2         while i ≠ 0
    .word 2, 1                  ; 17 load 1
    .word 0, 0                  ; 18 halt          acc
handlers:
    .word op_halt, op_push, op_load, op_store, op_add, op_sub, op_mul, op_dup, op_jnz, op_xor, op_shr
msg_bad:    .asciz "bytecode: no such operation\n"

.bss
.align 4
stack:      .space 256
vars:       .space 8
