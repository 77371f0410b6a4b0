; writes.s — a writable working set: WRITES word stores spread over
; WS_PAGES pages, sequentially (page after page) or at random (a fixed
; pseudo-random sequence), with SPIN delay iterations between two stores —
; the working set's size and dirty rate are what pre-copy has to beat.
; Prints its progress, then a checksum of the working set; deterministic.

WS_PAGES    = 512               ; working set, pages
WRITES      = 200000            ; stores in all
SPIN        = 10                ; delay loop iterations between stores (lower: a higher dirty rate)
RANDOM      = 0                 ; 0: sequential, 1: random order
PRINT_EVERY = 20000             ; a line every so many stores
PAGING      = 1                 ; 1: run with identity page tables
FILL        = 1                 ; 1: the rest of RAM holds data (written once at boot)

_start:
        li   a1, WS_BASE + WS_PAGES * 4096
        li   a2, FILL
        li   a3, PAGING
        call begin
        li   s0, 0              ; stores done
        li   s1, 12345          ; random state
loop:   li   t0, RANDOM
        bnez t0, 2f
        li   t0, WS_PAGES       ; sequential: page = i mod WS_PAGES
        remu s2, s0, t0
        j    3f
2:      li   t0, 1103515245     ; random: an LCG, page = (x >> 8) mod WS_PAGES
        mul  s1, s1, t0
        li   t0, 12345
        add  s1, s1, t0
        srli s2, s1, 8
        li   t0, WS_PAGES
        remu s2, s2, t0
3:      slli s2, s2, 12         ; the word: page base + ((i * 388) mod 4096)
        li   t0, 388
        mul  t0, s0, t0
        andi t0, t0, 0xffc
        add  s2, s2, t0
        li   t0, WS_BASE
        add  s2, s2, t0
        addi s0, s0, 1
        sw   s0, 0(s2)
        li   t1, SPIN
        beqz t1, 5f
4:      addi t1, t1, -1
        bnez t1, 4b
5:      li   t0, PRINT_EVERY
        remu t0, s0, t0
        bnez t0, 6f
        la   a0, m_writes
        call puts
        mv   a0, s0
        call putd
        la   a0, m_nl
        call puts
6:      li   t0, WRITES
        bltu s0, t0, loop
        ; checksum: every word of the working set, in order (h = h * 31 + word)
        li   s1, WS_BASE
        li   s2, WS_PAGES
        slli s2, s2, 12
        add  s2, s2, s1
        li   s3, 0
7:      lw   t0, 0(s1)
        li   t1, 31
        mul  s3, s3, t1
        add  s3, s3, t0
        addi s1, s1, 4
        bltu s1, s2, 7b
        la   a0, m_done
        call puts
        mv   a0, s3
        call putd
        la   a0, m_nl
        call puts
        li   a0, 0
        j    poweroff

m_writes: .asciz "writes "
m_done:   .asciz "writes done, checksum "
m_nl:     .asciz "\n"
        .align 4
.include "workload.inc"
