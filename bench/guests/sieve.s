; sieve.s — benchmark: the sieve of Eratosthenes over a 2 MB byte array.
;
; Definition (every implementation in the suite computes exactly this):
;   byte flags for 0..n, zeroed; for i from 2 while i·i ≤ n, if flags[i] is 0
;   mark every j = i·i, i·i + i, … ≤ n; count the zeros in 2..n. Three times,
;   each with a freshly zeroed array. n = 2,000,000 → 148933 (primes ≤ n),
;   printed in decimal as the only output line.
;
; Byte loads and stores with strided access over 489 pages: the TLB and the
; memory fast path. The sizes are N and REPS below (the tests assemble it
; with smaller ones).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 2000000
REPS = 3

_start:
    la   s0, flags              ; s0 = flags
    li   s1, N                  ; s1 = n
    li   s2, REPS               ; s2 = passes left
.pass:
    ; A fresh array: zero flags[0..n], a word at a time (it is padded to whole words).
    mv   t1, s0
    la   t2, flags_end
.zero:
    sw   zero, 0(t1)
    addi t1, t1, 4
    bltu t1, t2, .zero

    li   t1, 2                  ; t1 = i
.outer:
    mul  t2, t1, t1             ; t2 = j = i·i
    bgt  t2, s1, .count         ; while i·i ≤ n
    add  t3, s0, t1
    lbu  t3, 0(t3)
    bnez t3, .next_i            ; i is composite: its multiples are marked already
    li   a0, 1
.mark:
    add  t3, s0, t2
    sb   a0, 0(t3)              ; flags[j] = 1
    add  t2, t2, t1             ; j += i
    ble  t2, s1, .mark
.next_i:
    addi t1, t1, 1
    j    .outer

.count:
    li   s3, 0                  ; s3 = zeros in 2..n
    addi t1, s0, 2              ; t1 = &flags[2]
    add  t2, s0, s1             ; t2 = &flags[n]
.count_next:
    lbu  t3, 0(t1)
    bnez t3, 1f
    addi s3, s3, 1
1:  addi t1, t1, 1
    bleu t1, t2, .count_next

    addi s2, s2, -1
    bnez s2, .pass
    mv   a0, s3
    call put_dec
    exit 0

.bss
.align 4
flags:      .space (N + 4) & ~3 ; flags[0..n], padded to whole words for the zeroing loop
flags_end:
