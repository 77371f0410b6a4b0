; heap.s — grow the heap with brk, use it, give it back.
;
; Shows: brk(0) to ask where the heap ends; brk(addr) to move that end (the
; runtime maps fresh zeroed pages, or unmaps them when it shrinks); a failed
; request leaving the break where it was; filling a 64 KiB buffer with a
; hash of each index and folding it into a checksum (rotate and xor).
;
; expect: the heap starts on a page boundary
; expect: grew the heap by 65536 bytes
; expect: fresh heap memory reads as zero
; expect: checksum of 16384 words: 0x09d4d86f
; expect: asking for 1 GiB more is refused: the break stays put
; expect: shrank the heap back to where it started

.include "../include/sys.inc"
.include "../include/lib.inc"

SIZE = 64 * 1024
WORDS = SIZE / 4
HASH = 0x9e3779b1               ; 2^32 / golden ratio: spreads the indices' bits

_start:
    li   a0, 0                  ; start = brk(0): just ask
    sys  SYS_BRK
    mv   s0, a0                 ; s0 = start
    andi t1, s0, 0xfff
    bnez t1, .fail
    print msg_page

    li   t1, SIZE               ; brk(start + SIZE) returns the new break
    add  a0, s0, t1
    mv   s1, a0                 ; s1 = the end we asked for
    sys  SYS_BRK
    bne  a0, s1, .fail
    print msg_grew

    ; The new pages start out as zeros: or them all together.
    mv   t1, s0
    li   t3, 0
.zero:
    lw   t2, 0(t1)
    or   t3, t3, t2
    addi t1, t1, 4
    bltu t1, s1, .zero
    bnez t3, .fail
    print msg_zero

    ; heap[i] = i · HASH
    mv   t1, s0                 ; t1 = &heap[i]
    li   t2, 0                  ; t2 = i
    li   t3, HASH
.fill:
    mul  a0, t2, t3
    sw   a0, 0(t1)
    addi t2, t2, 1
    addi t1, t1, 4
    bltu t1, s1, .fill

    ; sum = rotl(sum, 5) ^ heap[i], over every word
    mv   t1, s0
    li   s2, 0                  ; s2 = sum
.sum:
    slli t2, s2, 5
    srli t3, s2, 27
    or   s2, t2, t3
    lw   t2, 0(t1)
    xor  s2, s2, t2
    addi t1, t1, 4
    bltu t1, s1, .sum
    print msg_sum
    mv   a0, s2
    call print_hex
    call print_nl

    ; Too much: the call fails and says so by returning the old break.
    li   t1, 0x40000000         ; 1 GiB
    add  a0, s1, t1
    sys  SYS_BRK
    bne  a0, s1, .fail
    print msg_refused

    mv   a0, s0                 ; brk(start): hand the pages back
    sys  SYS_BRK
    bne  a0, s0, .fail
    li   a0, 0
    sys  SYS_BRK
    bne  a0, s0, .fail
    print msg_shrank
    exit 0

.fail:
    eprint msg_fail
    exit 1

.data
msg_page:    .asciz "the heap starts on a page boundary\n"
msg_grew:    .asciz "grew the heap by 65536 bytes\n"
msg_zero:    .asciz "fresh heap memory reads as zero\n"
msg_sum:     .asciz "checksum of 16384 words: "
msg_refused: .asciz "asking for 1 GiB more is refused: the break stays put\n"
msg_shrank:  .asciz "shrank the heap back to where it started\n"
msg_fail:    .asciz "heap: brk did not do what it should\n"
