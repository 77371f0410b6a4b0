; spin.s — a CPU-bound process that reports now and then.
;
; Shows: a long computation between short bursts of output. Under the guest
; kernel several of these run at once: the timer preempts each one in the
; middle of its busy loop (no yield here), and their lines interleave in the
; order the scheduler happened to run them — the same order on every run,
; because time is counted in instructions. The process VM runs one process,
; pid 1, straight through.
;
; expect: spin 1: round 1 of 4
; expect: spin 1: round 2 of 4
; expect: spin 1: round 3 of 4
; expect: spin 1: round 4 of 4
; expect: spin 1: done

.include "../include/sys.inc"
.include "../include/lib.inc"

ROUNDS = 4
SPIN = 40000                    ; busy iterations per round: ~120k instructions

_start:
    sys  SYS_GETPID
    mv   s0, a0                 ; s0 = pid
    li   s1, 1                  ; s1 = round
.round:
    li   t1, SPIN               ; busy work first, then the report
    li   t2, 0
1:  add  t2, t2, t1
    addi t1, t1, -1
    bnez t1, 1b
    call say_name
    print msg_round
    mv   a0, s1
    call print_dec
    print msg_of
    addi s1, s1, 1
    li   t1, ROUNDS
    ble  s1, t1, .round
    call say_name
    print msg_done
    exit 0

; say_name() — "spin N: "
say_name:
    push ra
    print msg_spin
    mv   a0, s0
    call print_dec
    print msg_colon
    pop  ra
    ret

.data
msg_spin:   .asciz "spin "
msg_colon:  .asciz ": "
msg_round:  .asciz "round "
msg_of:     .asciz " of 4\n"
msg_done:   .asciz "done\n"
