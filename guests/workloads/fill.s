; fill.s — memory full of data: writes a non-zero pattern over every word of
; RAM from WS_BASE to its end (word at address A = A + SEED), prints a
; checksum of it ("pass 1 checksum N"), then waits for console input; each
; byte received runs the checksum again and prints it with the next pass
; number ('q' powers off). Migrate it while it waits:
; the checksum printed on the destination equals the one printed on the
; source exactly when every page arrived intact. What a throughput
; measurement needs: no zero page to send as a flag, nothing dirtied while
; it waits.

SEED        = 0x13579bdf        ; the pattern: word at A = A + SEED (never 0 in RAM)

_start:
        li   a1, WS_BASE
        li   a2, 0              ; no FILL: this workload writes all of it itself
        li   a3, 0              ; no paging
        call begin
        ; fill [WS_BASE, end of RAM), eight words an iteration
        li   s0, WS_BASE
        li   s1, 0x80000000
        add  s1, s1, fp         ; the end of RAM
        li   s2, SEED
        mv   a0, s0
1:      add  t0, a0, s2
        sw   t0, 0(a0)
        addi t0, t0, 4
        sw   t0, 4(a0)
        addi t0, t0, 4
        sw   t0, 8(a0)
        addi t0, t0, 4
        sw   t0, 12(a0)
        addi t0, t0, 4
        sw   t0, 16(a0)
        addi t0, t0, 4
        sw   t0, 20(a0)
        addi t0, t0, 4
        sw   t0, 24(a0)
        addi t0, t0, 4
        sw   t0, 28(a0)
        addi a0, a0, 32
        bltu a0, s1, 1b
        la   a0, m_filled
        call puts
        mv   a0, s1
        sub  a0, a0, s0
        srli a0, a0, 12
        call putd
        la   a0, m_pages
        call puts
        ; the console interrupt ends a wfi (status.IE stays off: no handler runs)
        li   t0, CONSOLE
        li   t1, 1
        sw   t1, 12(t0)         ; CTRL: interrupt while a byte waits
        li   t0, 2              ; the console line
        csrw ie, t0
        li   s2, 0              ; passes (SEED is no longer needed)
check:  ; checksum: h = h * 31 + word over [WS_BASE, end of RAM)
        mv   a0, s0
        li   s3, 0
        li   t1, 31
2:      lw   t0, 0(a0)
        mul  s3, s3, t1
        add  s3, s3, t0
        addi a0, a0, 4
        bltu a0, s1, 2b
        addi s2, s2, 1
        la   a0, m_pass
        call puts
        mv   a0, s2
        call putd
        la   a0, m_sum
        call puts
        mv   a0, s3
        call putd
        la   a0, m_nl
        call puts
wait:   wfi
        li   t0, CONSOLE
        lw   t1, 8(t0)          ; STATUS
        andi t2, t1, 4
        bnez t2, off            ; input ended
        andi t2, t1, 1
        beqz t2, wait
        lw   t1, 4(t0)          ; RX
        li   t2, 'q'
        beq  t1, t2, off
        j    check
off:    li   a0, 0
        j    poweroff

m_filled: .asciz "filled "
m_pages:  .asciz " pages\n"
m_pass:   .asciz "pass "
m_sum:    .asciz " checksum "
m_nl:     .asciz "\n"
        .align 4
.include "workload.inc"
