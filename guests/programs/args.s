; args.s — print the argument count and every argument.
;
; Shows: the argc and argv calls. argv copies argument i into a buffer of
; ours, NUL-terminated, and returns its full length, so a program can tell
; when an argument did not fit (it prints what fitted and says so).
; Argument 0 is the program's name, as the runtime was given it.
;
; args: one two-words 3 a-much-longer-argument-than-the-thirty-two-byte-buffer
; expect: argc = 5
; expect: argv[0] = "args.s"
; expect: argv[1] = "one"
; expect: argv[2] = "two-words"
; expect: argv[3] = "3"
; expect: argv[4] = "a-much-longer-argument-than-the" (cut short: 54 bytes)

.include "../include/sys.inc"
.include "../include/lib.inc"

BUF_SIZE = 32

_start:
    sys  SYS_ARGC
    mv   s0, a0                 ; s0 = argc
    print msg_argc
    mv   a0, s0
    call print_dec
    call print_nl

    li   s1, 0                  ; s1 = i
.each:
    bge  s1, s0, .done
    mv   a0, s1                 ; len = argv(i, buf, BUF_SIZE)
    la   a1, buf
    li   a2, BUF_SIZE
    sys  SYS_ARGV
    mv   s2, a0                 ; s2 = the argument's full length

    print msg_argv              ; argv[i] = "…"
    mv   a0, s1
    call print_dec
    print msg_is
    print buf
    li   a0, '"'
    call print_char

    li   t1, BUF_SIZE           ; it fitted if len + NUL <= BUF_SIZE
    blt  s2, t1, .fitted
    print msg_cut               ;  (cut short: N bytes)
    mv   a0, s2
    call print_dec
    print msg_bytes
.fitted:
    call print_nl
    addi s1, s1, 1
    j    .each
.done:
    exit 0

.data
msg_argc:   .asciz "argc = "
msg_argv:   .asciz "argv["
msg_is:     .asciz "] = \""
msg_cut:    .asciz " (cut short: "
msg_bytes:  .asciz " bytes)"

.bss
buf:        .space BUF_SIZE
