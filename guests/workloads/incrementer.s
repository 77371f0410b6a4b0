; incrementer.s — a page-incrementer: every page of its working set has its
; first word count up, one page after another, once per pass. Before each
; increment it checks the word holds the pass number before this one, so a
; page that was lost (zero) or is stale (an old copy) is caught at once:
;
;   stale page P at pass N: found V
;
; and the guest powers off with status 2. At the end it checks every page
; and prints a checksum. Deterministic: the same lines every run, migrated or not.

WS_PAGES    = 256               ; working set, pages
PASSES      = 40                ; each page counts up to this
SPIN        = 20                ; delay loop iterations after each increment (lower: faster dirtying)
PRINT_EVERY = 10                ; a line every so many passes
PAGING      = 1                 ; 1: run with identity page tables
FILL        = 1                 ; 1: the rest of RAM holds data (written once at boot)

_start:
        li   a1, WS_BASE + WS_PAGES * 4096
        li   a2, FILL
        li   a3, PAGING
        call begin
        li   s0, 1              ; pass
pass:   li   s1, 0              ; page index
page:   slli s2, s1, 12
        li   t0, WS_BASE
        add  s2, s2, t0
        lw   t0, 0(s2)
        addi t1, s0, -1
        bne  t0, t1, stale
        addi t0, t0, 1
        sw   t0, 0(s2)
        li   t1, SPIN
        beqz t1, 3f
2:      addi t1, t1, -1
        bnez t1, 2b
3:      addi s1, s1, 1
        li   t0, WS_PAGES
        bltu s1, t0, page
        li   t0, PRINT_EVERY
        remu t0, s0, t0
        bnez t0, 4f
        la   a0, m_pass
        call puts
        mv   a0, s0
        call putd
        la   a0, m_nl
        call puts
4:      addi s0, s0, 1
        li   t0, PASSES
        bleu s0, t0, pass
        ; every page must now hold PASSES; the checksum weighs each by its index
        li   s1, 0
        li   s3, 0
5:      slli s2, s1, 12
        li   t0, WS_BASE
        add  s2, s2, t0
        lw   t0, 0(s2)
        li   t1, PASSES
        addi s0, t1, 1          ; as if at the pass after the last: "stale" reports PASSES expected
        bne  t0, t1, stale
        addi t1, s1, 1
        mul  t1, t1, t0
        add  s3, s3, t1
        addi s1, s1, 1
        li   t0, WS_PAGES
        bltu s1, t0, 5b
        la   a0, m_ok
        call puts
        li   a0, WS_PAGES
        call putd
        la   a0, m_x
        call puts
        li   a0, PASSES
        call putd
        la   a0, m_sum
        call puts
        mv   a0, s3
        call putd
        la   a0, m_nl
        call puts
        li   a0, 0
        j    poweroff

stale:  mv   s3, t0
        la   a0, m_stale
        call puts
        mv   a0, s1
        call putd
        la   a0, m_at
        call puts
        mv   a0, s0
        call putd
        la   a0, m_found
        call puts
        mv   a0, s3
        call putd
        la   a0, m_nl
        call puts
        li   a0, 2
        j    poweroff

m_pass:  .asciz "pass "
m_ok:    .asciz "incrementer ok: "
m_x:     .asciz " pages x "
m_sum:   .asciz " passes, checksum "
m_stale: .asciz "stale page "
m_at:    .asciz " at pass "
m_found: .asciz ": found "
m_nl:    .asciz "\n"
        .align 4
.include "workload.inc"
