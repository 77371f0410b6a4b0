; fault-null.s — follow a null pointer, on purpose.
;
; Shows: what happens when a program goes wrong. Page 0 is never mapped, so
; a load through a null pointer takes a load-fault (trap cause 6). The
; program cannot go on: the runtime ends it with a report on stderr (the
; instruction, the address, the registers) and exit status 128 + 6 = 134,
; as a shell reports a process killed by a signal. Output written before the
; fault is not lost.
;
; expect: following the pointer at 0x00000000 ...
; exit: 134
; expect-stderr-contains: load-fault

.include "../include/sys.inc"
.include "../include/lib.inc"

_start:
    la   s0, list_head          ; a list whose head pointer is null
    lw   s0, 0(s0)
    print msg_before
    mv   a0, s0
    call print_hex
    print msg_dots
    lw   a0, 0(s0)              ; the load that faults: s0 = 0
    print msg_after             ; never reached
    exit 0

.data
msg_before: .asciz "following the pointer at "
msg_dots:   .asciz " ...\n"
msg_after:  .asciz "survived?\n"
.align 4
list_head:  .word 0
