; idle.s — idle: waits in wfi for a timer interrupt every TICK instructions
; of virtual time, TICKS times, with a line every PRINT_EVERY ticks. Almost
; all of its time is idle: nothing is dirtied while it sleeps.
;
; The interrupt handler keeps to s2 and s3 (the main loop never touches
; them), since it can land in the middle of a print.

TICK        = 20000             ; virtual time between timer interrupts
TICKS       = 400
PRINT_EVERY = 50
FILL        = 1                 ; 1: the rest of RAM holds data (written once at boot)

_start:
        li   a1, WS_BASE
        li   a2, FILL
        li   a3, 0
        call begin
        la   t0, handler
        csrw tvec, t0
        li   s0, 0              ; ticks seen
        li   s1, 0              ; ticks printed up to
        csrr t0, time
        li   t1, TICK
        add  t0, t0, t1
        csrw timecmp, t0
        li   t0, 1              ; the timer line
        csrw ie, t0
        csrs status, t0         ; interrupts on
loop:   wfi
        beq  s0, s1, loop
        mv   s1, s0
        li   t0, PRINT_EVERY
        remu t0, s0, t0
        bnez t0, 1f
        la   a0, m_tick
        call puts
        mv   a0, s0
        call putd
        la   a0, m_nl
        call puts
1:      li   t0, TICKS
        bltu s0, t0, loop
        li   a0, 0
        j    poweroff

handler:
        csrr s3, cause
        li   s2, 0x80000000     ; the timer interrupt: cause = interrupt bit | line 0
        bne  s3, s2, trap
        addi s0, s0, 1
        csrr s3, timecmp
        li   s2, TICK
        add  s3, s3, s2
        csrw timecmp, s3
        sret

m_tick: .asciz "tick "
m_nl:   .asciz "\n"
        .align 4
.include "workload.inc"
