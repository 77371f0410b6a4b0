; hello.s — the smallest useful program: one write, one exit.
;
; Shows: the system-call sequence (number in t0, arguments in a0..a3,
; `syscall`), a string in .data, and where a program starts (_start).
;
; expect: Hello, world!

.include "../include/sys.inc"
.include "../include/lib.inc"

_start:
    li   a0, STDOUT         ; write(STDOUT, msg, msg_len)
    la   a1, msg
    li   a2, msg_len
    sys  SYS_WRITE
    exit 0

.data
msg:    .ascii "Hello, world!\n"
msg_len = . - msg
