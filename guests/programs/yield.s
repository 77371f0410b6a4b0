; yield.s — a polite process: say who it is, give up the CPU, repeat.
;
; Shows: getpid and yield. Under a kernel with several processes, yield lets
; the next one run, and their lines interleave; the process VM runs just
; this one (pid 1), so yield returns at once and the output is always the
; same. A spin of busy work between rounds stands in for real computation.
;
; expect: pid 1: round 1 of 3
; expect: pid 1: round 2 of 3
; expect: pid 1: round 3 of 3
; expect: pid 1: done, every yield returned 0

.include "../include/sys.inc"
.include "../include/lib.inc"

ROUNDS = 3
SPIN = 500                      ; busy iterations per round

_start:
    sys  SYS_GETPID
    mv   s0, a0                 ; s0 = pid
    li   s1, 1                  ; s1 = round
    li   s2, 0                  ; s2 = the yields' results or-ed together
.round:
    mv   a0, s0
    call say_pid
    print msg_round
    mv   a0, s1
    call print_dec
    print msg_of
    call print_nl

    li   t1, SPIN               ; busy work
1:  addi t1, t1, -1
    bnez t1, 1b

    sys  SYS_YIELD
    or   s2, s2, a0
    addi s1, s1, 1
    li   t1, ROUNDS
    ble  s1, t1, .round

    mv   a0, s0
    call say_pid
    bnez s2, .odd
    print msg_done
    exit 0
.odd:
    print msg_odd
    exit 1

; say_pid(a0 = pid) — print "pid N:"
say_pid:
    push ra, s0
    mv   s0, a0
    print msg_pid
    mv   a0, s0
    call print_dec
    li   a0, ':'
    call print_char
    pop  ra, s0
    ret

.data
msg_pid:    .asciz "pid "
msg_round:  .asciz " round "
msg_of:     .asciz " of 3"
msg_done:   .asciz " done, every yield returned 0\n"
msg_odd:    .asciz " a yield returned an error\n"
