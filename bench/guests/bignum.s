; bignum.s — benchmark (real programs): a factorial in bignum arithmetic.
;
; Definition (every implementation in the suite computes exactly this):
;   n! in base-10,000 limbs, least significant first: start from [1]; for
;   k = 2 … n, multiply every limb by k with a carry (v = limb·k + carry,
;   limb = v mod 10000, carry = ⌊v / 10000⌋), then append the carry's limbs.
;   Print the sum of the decimal digits of n!. n = 3000 → 37602, in decimal
;   as the only output line.
;
; A multiply, a divide and a remainder per limb, over a number that grows to
; 2,283 limbs. Each k below 10,000 adds at most one limb, so n limbs of room
; is enough (N must stay below 10,000). The size is N below (the tests
; assemble it with a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 3000

_start:
    la   s0, limbs              ; s0 = the least significant limb
    li   t1, 1
    sw   t1, 0(s0)
    addi s1, s0, 4              ; s1 = the end of the number
    li   s2, 2                  ; s2 = k
    li   s3, 10000
.k:
    li   t1, N
    bgt  s2, t1, .digits
    mv   t1, s0                 ; t1 = the limb
    li   t2, 0                  ; t2 = carry
.limb:
    lw   t3, 0(t1)
    mul  t3, t3, s2
    add  t3, t3, t2             ; v = limb·k + carry
    divu t2, t3, s3
    remu t3, t3, s3
    sw   t3, 0(t1)
    addi t1, t1, 4
    bltu t1, s1, .limb
.carry:
    beqz t2, .next_k
    remu t3, t2, s3
    sw   t3, 0(s1)
    addi s1, s1, 4
    divu t2, t2, s3
    j    .carry
.next_k:
    addi s2, s2, 1
    j    .k

.digits:
    li   a0, 0                  ; a0 = the digit sum
    mv   t1, s0
    li   t2, 10
.limb_digits:
    lw   t3, 0(t1)
1:  beqz t3, 2f
    remu a1, t3, t2
    add  a0, a0, a1
    divu t3, t3, t2
    j    1b
2:  addi t1, t1, 4
    bltu t1, s1, .limb_digits
    call put_dec
    exit 0

.bss
.align 4
limbs:      .space N * 4
