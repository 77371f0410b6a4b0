; sieve.s — the sieve of Eratosthenes: the primes below 10000.
;
; Shows: a byte array in .bss (zeroed by the loader, no bytes in the image),
; indexed with lbu/sb; nested loops; mul for i·i.
;
; composite[k] = 1 once k is known to have a factor. For each i from 2 while
; i·i < N that is still prime, cross out i·i, i·i + i, … (smaller multiples
; of i were crossed out by a smaller factor already).
;
; expect: primes below 10000: 1229
; expect: the last five: 9931 9941 9949 9967 9973

.include "../include/sys.inc"
.include "../include/lib.inc"

N = 10000

_start:
    la   s0, composite          ; s0 = the array; composite[0], [1] are never read
    li   s1, N

    ; Cross out the multiples of every prime i with i·i < N.
    li   t1, 2                  ; t1 = i
.outer:
    mul  t2, t1, t1             ; t2 = i·i
    bge  t2, s1, .counted
    add  t3, s0, t1
    lbu  t3, 0(t3)
    bnez t3, .next_i            ; i is composite: its multiples are done
.cross:
    add  t3, s0, t2
    li   a0, 1
    sb   a0, 0(t3)              ; composite[j] = 1
    add  t2, t2, t1             ; j += i
    blt  t2, s1, .cross
.next_i:
    addi t1, t1, 1
    j    .outer

    ; Count the primes: the indices 2..N-1 still zero.
.counted:
    li   s2, 0                  ; s2 = count
    li   t1, 2
.count:
    add  t3, s0, t1
    lbu  t3, 0(t3)
    bnez t3, 1f
    addi s2, s2, 1
1:  addi t1, t1, 1
    blt  t1, s1, .count

    print msg_count
    mv   a0, s2
    call print_dec
    call print_nl

    ; Find the fifth prime from the top, walking down ...
    addi s2, s1, -1             ; s2 = k
    li   s3, 5                  ; primes still to pass
.down:
    add  t3, s0, s2
    lbu  t3, 0(t3)
    bnez t3, 1f
    addi s3, s3, -1
    beqz s3, .up
1:  addi s2, s2, -1
    j    .down

    ; ... then print the primes from there up, in ascending order.
.up:
    print msg_last
.print:
    add  t3, s0, s2
    lbu  t3, 0(t3)
    bnez t3, 1f
    li   a0, ' '
    call print_char
    mv   a0, s2
    call print_dec
1:  addi s2, s2, 1
    blt  s2, s1, .print
    call print_nl
    exit 0

.data
msg_count:  .asciz "primes below 10000: "
msg_last:   .asciz "the last five:"

.bss
composite:  .space N
