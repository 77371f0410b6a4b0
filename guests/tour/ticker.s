; ticker.s — the guest `typevisor demo` live-migrates: a page-incrementer
; that runs until it is told to stop, so it is still running whenever the
; migration comes.
;
; Each tick adds one to the first word of the next page of its working set,
; after checking that the word holds what the guest last wrote there — so a
; page lost or left stale by a migration is caught at once ("stale page").
; Every PRINT_EVERY ticks it prints the tick count.
; A 'q' on its console (or MAX_TICKS) ends it: it prints its last tick and
; powers off with status 0. Deterministic: the same lines up to the 'q',
; migrated or not.
;
; SPIN sets how fast it dirties its pages: ~500 a second under the
; translation tier, slow enough for pre-copy over the README's 8 MB/s link
; to converge, fast enough that the rounds show it.
;
; Built on the migration workloads' support (identity paging over all of
; RAM, resident data in every other page): ../workloads/workload.inc.

WS_PAGES    = 128               ; working set, pages
SPIN        = 2000000           ; delay loop iterations per tick
PRINT_EVERY = 250               ; a line every so many ticks
MAX_TICKS   = 200000            ; stop by itself after this many
CONSOLE_RX  = 4

_start:
        li   a1, WS_BASE + WS_PAGES * 4096
        li   a2, 1              ; the rest of RAM holds data
        li   a3, 1              ; identity paging on
        call begin              ; a0: RAM size, from the firmware
        la   a0, m_hello
        call puts
        li   s0, 0              ; ticks done
        li   s1, 0              ; the page this tick writes
tick:   slli s2, s1, 12
        li   t0, WS_BASE
        add  s2, s2, t0
        lw   t0, 0(s2)
        li   t1, WS_PAGES       ; what this page should hold: the ticks that wrote it so far
        divu t1, s0, t1
        bne  t0, t1, stale
        addi t0, t0, 1
        sw   t0, 0(s2)
        li   t1, SPIN
1:      addi t1, t1, -1
        bnez t1, 1b
        addi s0, s0, 1
        addi s1, s1, 1
        li   t0, WS_PAGES
        bltu s1, t0, 2f
        li   s1, 0
2:      li   t0, PRINT_EVERY
        remu t0, s0, t0
        bnez t0, 3f
        la   a0, m_tick
        call puts
        mv   a0, s0
        call putd
        la   a0, m_nl
        call puts
3:      li   t0, CONSOLE        ; a 'q' typed? (-1: nothing waiting)
        lw   t1, CONSOLE_RX(t0)
        li   t0, 'q'
        beq  t1, t0, done
        li   t0, MAX_TICKS
        bltu s0, t0, tick
done:   la   a0, m_done
        call puts
        mv   a0, s0
        call putd
        la   a0, m_ticks
        call puts
        li   a0, 0
        j    poweroff

stale:  mv   s3, t0
        la   a0, m_stale
        call puts
        mv   a0, s1
        call putd
        la   a0, m_found
        call puts
        mv   a0, s3
        call putd
        la   a0, m_nl
        call puts
        li   a0, 2
        j    poweroff

m_hello: .asciz "ticker: running (type q to stop)\n"
m_tick:  .asciz "tick "
m_nl:    .asciz "\n"
m_done:  .asciz "ticker: stopped after "
m_ticks: .asciz " ticks\n"
m_stale: .asciz "stale page "
m_found: .asciz ": found "
        .align 4
.include "../workloads/workload.inc"
