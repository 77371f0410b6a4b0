; echo.s — copy stdin to stdout, upper-casing ASCII letters.
;
; Shows: a read loop that runs until read returns 0 (end of input) and takes
; whatever each read gives (a pipe may hand over a few bytes at a time);
; unsigned range checks on bytes; an error path for a failed read.
;
; stdin: Hello, World!
; stdin: the quick brown fox jumps over the lazy dog 0123456789 {x}
; stdin: already UPPER, ünïcode stays as it is
; expect: HELLO, WORLD!
; expect: THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 {X}
; expect: ALREADY UPPER, üNïCODE STAYS AS IT IS

.include "../include/sys.inc"
.include "../include/lib.inc"

BUF_SIZE = 256

_start:
.read:
    li   a0, STDIN              ; n = read(STDIN, buf, BUF_SIZE)
    la   a1, buf
    li   a2, BUF_SIZE
    sys  SYS_READ
    beqz a0, .eof
    bltz a0, .failed
    mv   s0, a0                 ; s0 = n

    ; buf[i] -= 'a' - 'A' for every i with 'a' <= buf[i] <= 'z'
    la   t1, buf                ; t1 = p
    add  t2, t1, s0             ; t2 = end
    li   t3, 'z' - 'a'
.upper:
    lbu  a0, 0(t1)
    addi a1, a0, -'a'           ; a1 = c - 'a': a letter when 0..25; unsigned, so
    bgtu a1, t3, .keep          ; anything below 'a' wraps round to huge and is kept
    addi a0, a0, 'A' - 'a'
    sb   a0, 0(t1)
.keep:
    addi t1, t1, 1
    bltu t1, t2, .upper

    li   a0, STDOUT             ; write(STDOUT, buf, n)
    la   a1, buf
    mv   a2, s0
    sys  SYS_WRITE
    j    .read

.eof:
    exit 0
.failed:
    eprint msg_failed
    exit 1

.data
msg_failed: .asciz "echo: read failed\n"

.bss
buf:        .space BUF_SIZE
