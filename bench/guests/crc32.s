; crc32.s — benchmark: bitwise CRC-32 over a 1 MiB buffer on the heap.
;
; Definition (every implementation in the suite computes exactly this):
;   a 1 MiB buffer with byte i = (i·13 + (i >> 10)) & 255; crc = 0xFFFFFFFF;
;   four passes over the buffer, each byte xored in and then 8 steps of
;   crc = (crc >>> 1) xor (0xEDB88320 & −(crc & 1)); the result is not crc.
;   → 13e98207, printed as 8 lowercase hex digits as the only output line.
;
; A byte load, then a short inner loop of branch-free bit twiddling: the
; classic table-less CRC. The buffer comes from brk. The sizes are SIZE and
; PASSES below (the tests assemble it with smaller ones).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

SIZE = 1048576
PASSES = 4
POLY = 0xEDB88320               ; the reflected CRC-32 polynomial

_start:
    li   a0, 0                  ; brk(0): where the heap starts
    sys  SYS_BRK
    mv   s0, a0                 ; s0 = buf
    li   t1, SIZE
    add  s1, s0, t1             ; s1 = buf + SIZE, the end
    mv   a0, s1
    sys  SYS_BRK
    bne  a0, s1, .nomem

    ; buf[i] = (i·13 + (i >> 10)) & 255 — the byte store keeps the low 8 bits.
    mv   t3, s0                 ; t3 = &buf[i]
    li   t1, 0                  ; t1 = i
    li   a1, 13
.fill:
    mul  t2, t1, a1
    srli a2, t1, 10
    add  t2, t2, a2
    sb   t2, 0(t3)
    addi t1, t1, 1
    addi t3, t3, 1
    bltu t3, s1, .fill

    li   s2, -1                 ; s2 = crc = 0xFFFFFFFF
    li   s3, POLY
    li   a3, PASSES             ; a3 = passes left
.pass:
    mv   t1, s0                 ; t1 = the next byte
.byte:
    lbu  t2, 0(t1)
    xor  s2, s2, t2
    li   t3, 8                  ; t3 = steps left
.step:
    andi t2, s2, 1
    neg  t2, t2                 ; −(crc & 1): all ones or all zeros
    and  t2, t2, s3
    srli s2, s2, 1
    xor  s2, s2, t2
    addi t3, t3, -1
    bnez t3, .step
    addi t1, t1, 1
    bltu t1, s1, .byte
    addi a3, a3, -1
    bnez a3, .pass

    not  a0, s2
    call put_hex
    exit 0

.nomem:
    eprint msg_nomem
    exit 1

.data
msg_nomem:  .asciz "crc32: brk could not grow the heap\n"
