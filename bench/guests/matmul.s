; matmul.s — benchmark: 64 × 64 integer matrix multiplication, 50 times.
;
; Definition (every implementation in the suite computes exactly this):
;   n = 64; for rep = 0 .. 49: a[i][j] = (7i + 3j + rep) & 255,
;   b[i][j] = (5i + 11j + 3·rep) & 255, c = a·b in 32-bit wrapping
;   arithmetic, checksum += every element of c mod 2^32.
;   → 0ae60000, printed as 8 lowercase hex digits as the only output line.
;
; Word loads along a row of a and down a column of b, one mul-add each: the
; inner loop walks both with pointers, as a compiler would. Matrices are
; row-major words in .bss. The sizes are N and REPS below (the tests
; assemble it with smaller ones).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 64
REPS = 50
ROW = N * 4                     ; bytes in a row

_start:
    li   s3, 0                  ; s3 = checksum
    li   s2, 0                  ; s2 = rep
.rep:
    ; Fill a and b. Along a row a's value grows by 3 and b's by 11.
    la   t1, mat_a              ; t1 = &a[i][j]
    la   t2, mat_b              ; t2 = &b[i][j]
    li   a0, 0                  ; a0 = i
.fill_row:
    li   t3, 7
    mul  a2, a0, t3
    add  a2, a2, s2             ; a2 = 7i + rep
    li   t3, 5
    mul  a3, a0, t3
    li   t3, 3
    mul  t3, s2, t3
    add  a3, a3, t3             ; a3 = 5i + 3·rep
    li   a1, N                  ; a1 = columns left
.fill:
    andi t3, a2, 255
    sw   t3, 0(t1)
    andi t3, a3, 255
    sw   t3, 0(t2)
    addi a2, a2, 3
    addi a3, a3, 11
    addi t1, t1, 4
    addi t2, t2, 4
    addi a1, a1, -1
    bnez a1, .fill
    addi a0, a0, 1
    li   t3, N
    blt  a0, t3, .fill_row

    ; c = a·b: c[i][j] = Σk a[i][k]·b[k][j]
    la   s0, mat_a              ; s0 = &a[i][0]
    la   s1, mat_c              ; s1 = &c[i][j]
.row:
    addi t3, s0, ROW            ; t3 = the end of a's row i
    la   a1, mat_b              ; a1 = &b[0][j]
    li   a2, N                  ; a2 = columns left
.col:
    mv   t1, s0                 ; t1 = &a[i][k]
    mv   t2, a1                 ; t2 = &b[k][j]
    li   a3, 0                  ; a3 = sum
.k:
    lw   a0, 0(t1)
    lw   t0, 0(t2)
    mul  a0, a0, t0
    add  a3, a3, a0
    addi t1, t1, 4
    addi t2, t2, ROW
    bne  t1, t3, .k
    sw   a3, 0(s1)
    addi s1, s1, 4
    addi a1, a1, 4
    addi a2, a2, -1
    bnez a2, .col
    mv   s0, t3                 ; the next row of a
    la   t0, mat_b              ; b follows a: past a's last row
    bltu s0, t0, .row

    ; checksum += every element of c
    la   t1, mat_c
    la   t2, mat_c_end
.sum:
    lw   t3, 0(t1)
    add  s3, s3, t3
    addi t1, t1, 4
    bltu t1, t2, .sum

    addi s2, s2, 1
    li   t3, REPS
    blt  s2, t3, .rep
    mv   a0, s3
    call put_hex
    exit 0

.bss
.align 4
mat_a:      .space N * N * 4
mat_b:      .space N * N * 4
mat_c:      .space N * N * 4
mat_c_end:
