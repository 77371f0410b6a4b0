; qsort.s — benchmark (real programs): recursive quicksort of 32K words.
;
; Definition (every implementation in the suite computes exactly this):
;   x = 12345; each round fills a[i] = x >>> 8 after
;   x = (x·1103515245 + 12345) mod 2^32 (the generator carries on from round
;   to round), sorts a[0..n−1] with
;     qs(lo, hi): if lo ≥ hi return; p = a[(lo + hi) >> 1]; i = lo; j = hi;
;       while i ≤ j { while a[i] < p: i++; while a[j] > p: j−−;
;                     if i ≤ j: swap a[i], a[j]; i++; j−− }
;       qs(lo, j); qs(i, hi)
;   then folds every element into chk = (chk·31 + a[i]) mod 2^32.
;   n = 32768, 10 rounds → 79a25a82, printed as 8 lowercase hex digits.
;
; Two calls per partition, data-dependent branches in the scans: what a
; compiled sort does. Indexes are pointers here (lo, hi, i, j are addresses).
; The sizes are N and ROUNDS below (the tests assemble it with smaller ones).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 32768
ROUNDS = 10

_start:
    li   s0, 12345              ; s0 = x
    li   s1, 0                  ; s1 = chk
    li   s2, ROUNDS             ; s2 = rounds left
    li   s3, 1103515245
.round:
    la   t1, array
    li   t2, N * 4
    add  t2, t1, t2             ; t2 = the end of the array
.fill:
    mul  s0, s0, s3
    addi s0, s0, 12345
    srli t3, s0, 8
    sw   t3, 0(t1)
    addi t1, t1, 4
    bltu t1, t2, .fill

    la   a0, array              ; qs(&a[0], &a[n − 1])
    addi a1, t2, -4
    call qs

    la   t1, array
    li   t2, N * 4
    add  t2, t1, t2
    li   t3, 31
.fold:
    lw   a0, 0(t1)
    mul  s1, s1, t3
    add  s1, s1, a0
    addi t1, t1, 4
    bltu t1, t2, .fold

    addi s2, s2, -1
    bnez s2, .round
    mv   a0, s1
    call put_hex
    exit 0

; qs(a0 = &a[lo], a1 = &a[hi]). Addresses compare unsigned; j may end one
; word below lo, which is still above 0.
qs:
    bgeu a0, a1, .done          ; lo ≥ hi
    push ra, s0, s1
    add  t1, a0, a1             ; &a[(lo + hi) >> 1]: the array is word-aligned,
    srli t1, t1, 3              ; so halving the sum of the addresses and
    slli t1, t1, 2              ; clearing the low two bits finds it
    lw   t1, 0(t1)              ; t1 = p
    mv   t2, a0                 ; t2 = i
    mv   t3, a1                 ; t3 = j
.scan:
    bgtu t2, t3, .split         ; while i ≤ j
.left:
    lw   a2, 0(t2)
    bge  a2, t1, .right         ; while a[i] < p: i++
    addi t2, t2, 4
    j    .left
.right:
    lw   a3, 0(t3)
    ble  a3, t1, .swap          ; while a[j] > p: j−−
    addi t3, t3, -4
    j    .right
.swap:
    bgtu t2, t3, .split         ; if i ≤ j: swap, i++, j−−
    sw   a3, 0(t2)
    sw   a2, 0(t3)
    addi t2, t2, 4
    addi t3, t3, -4
    j    .scan
.split:
    mv   s0, t2                 ; i, kept across the first call
    mv   s1, a1                 ; hi
    mv   a1, t3                 ; qs(lo, j)
    call qs
    mv   a0, s0                 ; qs(i, hi)
    mv   a1, s1
    call qs
    pop  ra, s0, s1
.done:
    ret

.bss
.align 4
array:      .space N * 4
