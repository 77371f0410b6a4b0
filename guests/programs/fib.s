; fib.s — recursive Fibonacci on a real call stack.
;
; Shows: a recursive function that keeps what it needs across calls in
; callee-saved registers (s0, s1), saving them and its return address on the
; stack with push/pop; a loop in _start calling it; a global counter in .data.
;
; fib(n) = n for n < 2, else fib(n - 1) + fib(n - 2). The naive recursion
; makes 2·fib(n + 1) − 1 calls: fib(20) alone makes 21891.
;
; expect: 0 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987 1597 2584 4181 6765
; expect: fib(20) = 6765
; expect: calls for fib(20): 21891

.include "../include/sys.inc"
.include "../include/lib.inc"

N = 20

_start:
    ; Print fib(0) .. fib(N) on one line, separated by spaces.
    li   s0, 0                  ; s0 = n
.each:
    mv   a0, s0
    call fib
    call print_dec
    li   t1, N
    beq  s0, t1, .last
    li   a0, ' '
    call print_char
    addi s0, s0, 1
    j    .each
.last:
    call print_nl

    ; fib(N) once more, counting the calls it makes.
    la   s1, calls
    sw   zero, 0(s1)
    li   a0, N
    call fib
    mv   s0, a0
    print msg_fib
    mv   a0, s0
    call print_dec
    call print_nl
    print msg_calls
    lw   a0, 0(s1)
    call print_dec
    call print_nl
    exit 0

; fib(a0 = n) → a0 = fib(n)
fib:
    la   t1, calls              ; count this call
    lw   t2, 0(t1)
    addi t2, t2, 1
    sw   t2, 0(t1)
    li   t1, 2
    blt  a0, t1, .base          ; fib(0) = 0 and fib(1) = 1: a0 already holds it
    push ra, s0, s1             ; we make calls: save ra, and the s-registers we use
    mv   s0, a0                 ; s0 = n, safe across the calls below
    addi a0, s0, -1
    call fib
    mv   s1, a0                 ; s1 = fib(n - 1)
    addi a0, s0, -2
    call fib
    add  a0, a0, s1             ; fib(n - 2) + fib(n - 1)
    pop  ra, s0, s1             ; the same list as the push restores each register
.base:
    ret

.data
msg_fib:    .asciz "fib(20) = "
msg_calls:  .asciz "calls for fib(20): "
.align 4
calls:      .word 0
