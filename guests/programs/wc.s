; wc.s — count the lines, words and bytes of standard input, like wc(1).
;
; Shows: a little state machine fed one byte at a time. Whether we are in
; the middle of a word is kept across reads, because a read may stop in the
; middle of one: the suite hands this program its input five bytes a time.
; A word is a run of bytes that are not white space (space, \t, \n, \v, \f,
; \r); a line is a \n.
;
; stdin: The quick brown fox
; stdin:   jumps over    the lazy dog
; stdin:
; stdin: a-hyphenated-word counts once
; expect: 4 lines, 12 words, 80 bytes

.include "../include/sys.inc"
.include "../include/lib.inc"

BUF_SIZE = 128

_start:
    li   s0, 0                  ; s0 = lines
    li   s1, 0                  ; s1 = words
    li   s2, 0                  ; s2 = bytes
    li   s3, 0                  ; s3 = 1 while inside a word
.read:
    li   a0, STDIN
    la   a1, buf
    li   a2, BUF_SIZE
    sys  SYS_READ
    beqz a0, .report
    bltz a0, .failed
    add  s2, s2, a0
    la   t1, buf                ; t1 = p
    add  t2, t1, a0             ; t2 = end
.byte:
    lbu  a0, 0(t1)
    li   t3, '\n'
    bne  a0, t3, 1f
    addi s0, s0, 1              ; a newline ends a line
1:  li   t3, ' '                ; space, or \t..\r (9..13): white space
    beq  a0, t3, .space
    addi a1, a0, -9
    sltiu a1, a1, 5
    bnez a1, .space
    bnez s3, .next              ; more of the same word
    li   s3, 1                  ; the start of a word
    addi s1, s1, 1
    j    .next
.space:
    li   s3, 0
.next:
    addi t1, t1, 1
    bltu t1, t2, .byte
    j    .read

.report:                        ; "L lines, W words, B bytes"
    mv   a0, s0
    call print_dec
    print msg_lines
    mv   a0, s1
    call print_dec
    print msg_words
    mv   a0, s2
    call print_dec
    print msg_bytes
    exit 0

.failed:
    eprint msg_failed
    exit 1

.data
msg_lines:  .asciz " lines, "
msg_words:  .asciz " words, "
msg_bytes:  .asciz " bytes\n"
msg_failed: .asciz "wc: read failed\n"

.bss
buf:        .space BUF_SIZE
