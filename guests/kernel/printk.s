; printk.s — the kernel's own output: characters, strings, numbers.
;
; Why separate from console.s: these write straight to the console's
; transmitter (always ready on this machine) and never sleep, so the kernel
; can print from anywhere — boot, a trap, a panic — with no process around.
; User output goes through console.s, which checks the user's buffer first.
;
; Every routine here clobbers only a0..a3 and t0..t3 (the caller-saved ones).

.text

; kputc(a0 = byte) — one byte to the console
kputc:
    li   t0, CONSOLE_BASE
    sw   a0, CONSOLE_TX(t0)
    ret

; kputs(a0 = NUL-terminated string)
kputs:
    li   t0, CONSOLE_BASE
.loop:
    lbu  t1, 0(a0)
    beqz t1, .done
    sw   t1, CONSOLE_TX(t0)
    addi a0, a0, 1
    j    .loop
.done:
    ret

; kputn(a0 = bytes, a1 = count) — count bytes
kputn:
    li   t0, CONSOLE_BASE
1:  blez a1, 2f
    lbu  t1, 0(a0)
    sw   t1, CONSOLE_TX(t0)
    addi a0, a0, 1
    addi a1, a1, -1
    j    1b
2:  ret

; kspaces(a0 = n) — n spaces (none if n ≤ 0)
kspaces:
    li   t0, CONSOLE_BASE
    li   t1, ' '
1:  blez a0, 2f
    sw   t1, CONSOLE_TX(t0)
    addi a0, a0, -1
    j    1b
2:  ret

; kputs_w(a0 = string, a1 = width) — the string, then spaces up to width
kputs_w:
    push ra, s0, s1
    mv   s0, a0
    mv   s1, a1
    call kputs                  ; leaves a0 at the NUL
    sub  a0, a0, s0             ; the length
    sub  a0, s1, a0
    call kspaces
    pop  ra, s0, s1
    ret

; kputdec_w(a0 = unsigned value, a1 = width) — right-aligned in width
kputdec_w:
    push ra, s0, s1, s2
    addi sp, sp, -DEC_BUF_SIZE  ; the digits' buffer
    mv   s0, a1                 ; s0 = width
    mv   a1, sp
    call utoa
    mv   s1, a0                 ; s1 = the digits
    mv   s2, a1                 ; s2 = how many
    sub  a0, s0, s2
    call kspaces
    mv   a0, s1
    mv   a1, s2
    call kputn
    addi sp, sp, DEC_BUF_SIZE
    pop  ra, s0, s1, s2
    ret

; kputdec(a0 = unsigned value)
kputdec:
    li   a1, 0
    j    kputdec_w

; kputhex(a0 = value) — "0x" and eight lowercase hex digits
kputhex:
    li   t0, CONSOLE_BASE
    li   t1, '0'
    sw   t1, CONSOLE_TX(t0)
    li   t1, 'x'
    sw   t1, CONSOLE_TX(t0)
    li   t2, 32 - 4             ; shift for the top nibble
.next:
    srl  t1, a0, t2
    andi t1, t1, 0xf
    la   t3, hex_digits
    add  t3, t3, t1
    lbu  t1, 0(t3)
    sw   t1, CONSOLE_TX(t0)
    addi t2, t2, -4
    bgez t2, .next
    ret

; kputnl() — a newline
kputnl:
    li   a0, '\n'
    j    kputc

; cause_name(a0 = cause) → a0 = its name as vm/trap.ts spells it
cause_name:
    li   t0, NCAUSES
    bgeu a0, t0, .unknown
    slli a0, a0, 2
    la   t0, cause_names
    add  t0, t0, a0
    lw   a0, 0(t0)
    ret
.unknown:
    la   a0, s_cause_unknown
    ret

.data
hex_digits:     .ascii "0123456789abcdef"
.align 4
cause_names:
    .word s_c0, s_c1, s_c2, s_c3, s_c4, s_c5, s_c6, s_c7, s_c8, s_c9, s_c10
s_c0:   .asciz "misaligned-fetch"
s_c1:   .asciz "fetch-fault"
s_c2:   .asciz "illegal-instruction"
s_c3:   .asciz "privileged-instruction"
s_c4:   .asciz "breakpoint"
s_c5:   .asciz "misaligned-load"
s_c6:   .asciz "load-fault"
s_c7:   .asciz "misaligned-store"
s_c8:   .asciz "store-fault"
s_c9:   .asciz "syscall"
s_c10:  .asciz "divide-by-zero"
s_cause_unknown: .asciz "unknown-cause"
.text
