; clock.s — measure code in instructions with the clock call.
;
; Shows: clock returns virtual time — instructions retired — in a0 (low word)
; and a1 (high word), so a measurement is exact and the same on every run,
; however fast or loaded the host is. Reading the clock costs instructions
; too: measure the empty interval first and subtract it.
;
; Between two clock calls back to back lie the first `syscall` itself, the
; `mv` that keeps its result and the `li t0` that the `sys` macro puts before
; the second: 3 instructions. Around the loop there are those 3, plus the
; `li` that sets the counter, plus 2 instructions (addi, bnez) per iteration.
;
; expect: back to back: 3 instructions
; expect: around a loop of 1000 iterations: 2004 instructions
; expect: the loop alone: 2001 = 1 to set the counter + 1000 x 2
; kernel: no
; (under the guest kernel the clock counts the kernel's own instructions
; too, such as a timer interrupt taken inside the loop.)

.include "../include/sys.inc"
.include "../include/lib.inc"

ITERATIONS = 1000

_start:
    sys  SYS_CLOCK              ; the empty interval
    mv   s0, a0
    sys  SYS_CLOCK
    sub  s1, a0, s0             ; s1 = the cost of measuring

    sys  SYS_CLOCK              ; the loop
    mv   s0, a0
    li   t1, ITERATIONS
1:  addi t1, t1, -1
    bnez t1, 1b
    sys  SYS_CLOCK
    sub  s2, a0, s0             ; s2 = loop + the cost of measuring

    print msg_empty
    mv   a0, s1
    call print_dec
    print msg_instructions

    print msg_loop
    mv   a0, s2
    call print_dec
    print msg_instructions

    print msg_alone             ; the loop alone: s2 − s1 = 1 + ITERATIONS × per_iteration
    sub  s3, s2, s1
    mv   a0, s3
    call print_dec
    print msg_equals
    li   a0, ITERATIONS
    call print_dec
    print msg_times
    addi a0, s3, -1
    li   t1, ITERATIONS
    divu a0, a0, t1
    call print_dec
    call print_nl
    exit 0

.data
msg_empty:          .asciz "back to back: "
msg_loop:           .asciz "around a loop of 1000 iterations: "
msg_instructions:   .asciz " instructions\n"
msg_alone:          .asciz "the loop alone: "
msg_equals:         .asciz " = 1 to set the counter + "
msg_times:          .asciz " x "
