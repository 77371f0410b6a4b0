; cpu.s — CPU-bound: a xorshift generator stepped ITERATIONS times, a line
; of progress every PRINT_EVERY steps. It touches almost no memory, so any
; strategy moves it with a tiny dirty set.

ITERATIONS  = 4000000
PRINT_EVERY = 500000
FILL        = 1                 ; 1: the rest of RAM holds data (written once at boot)

_start:
        li   a1, WS_BASE
        li   a2, FILL
        li   a3, 0
        call begin
        li   s0, 2463534242     ; xorshift32 state
        li   s1, 0
loop:   slli t0, s0, 13
        xor  s0, s0, t0
        srli t0, s0, 17
        xor  s0, s0, t0
        slli t0, s0, 5
        xor  s0, s0, t0
        addi s1, s1, 1
        li   t0, PRINT_EVERY
        remu t0, s1, t0
        bnez t0, 1f
        la   a0, m_step
        call puts
        mv   a0, s1
        call putd
        la   a0, m_x
        call puts
        mv   a0, s0
        call putd
        la   a0, m_nl
        call puts
1:      li   t0, ITERATIONS
        bltu s1, t0, loop
        li   a0, 0
        j    poweroff

m_step: .asciz "cpu "
m_x:    .asciz " x="
m_nl:   .asciz "\n"
        .align 4
.include "workload.inc"
