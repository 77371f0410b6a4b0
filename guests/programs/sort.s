; sort.s — read whole numbers from stdin, print them sorted.
;
; Shows: reading all of stdin into a buffer (read until 0, with room checks);
; parsing signed decimal text into words (atoi), including the most negative
; one; insertion sort on a word array in .bss with lw/sw and scaled indices.
;
; Numbers are separated by white space; anything else is an error (exit 1).
;
; stdin: 42
; stdin: -7
; stdin: 19
; stdin: 0
; stdin: 1000
; stdin:    -300   19 5
; stdin: -2147483648
; stdin: 2147483647
; expect: 10 numbers, sum 777
; expect: -2147483648 -300 -7 0 5 19 19 42 1000 2147483647

.include "../include/sys.inc"
.include "../include/lib.inc"

IN_SIZE = 4096
MAX_NUMBERS = 256

_start:
    ; Read stdin whole: s0 = bytes so far.
    li   s0, 0
.read:
    li   t1, IN_SIZE
    beq  s0, t1, .too_much      ; full, and not yet at the end
    li   a0, STDIN
    la   a1, text
    add  a1, a1, s0
    sub  a2, t1, s0
    sys  SYS_READ
    bltz a0, .bad_read
    add  s0, s0, a0
    bnez a0, .read

    ; Parse: s1 = p, s2 = end, s3 = count of numbers.
    la   s1, text
    add  s2, s1, s0
    li   s3, 0
.parse:
    mv   a0, s1
    mv   a1, s2
    call skip_space
    mv   s1, a0
    beq  s1, s2, .parsed
    li   t1, MAX_NUMBERS
    beq  s3, t1, .too_much
    mv   a0, s1                 ; (value, next) = atoi(p, end)
    mv   a1, s2
    call atoi
    beq  a1, s1, .not_a_number  ; no digits at all
    mv   s1, a1
    beq  s1, s2, 1f             ; a number must end at white space or the end
    lbu  t1, 0(s1)
    li   t2, ' '
    bgtu t1, t2, .not_a_number
1:  la   t1, numbers            ; numbers[count++] = value
    slli t2, s3, 2
    add  t1, t1, t2
    sw   a0, 0(t1)
    addi s3, s3, 1
    j    .parse

.parsed:
    la   a0, numbers
    mv   a1, s3
    call insertion_sort

    ; "N numbers, sum S", then the numbers in order.
    mv   a0, s3
    call print_dec
    print msg_numbers
    la   t1, numbers
    slli t2, s3, 2
    add  t2, t1, t2
    li   a0, 0
1:  beq  t1, t2, 2f
    lw   t3, 0(t1)
    add  a0, a0, t3             ; the sum wraps modulo 2^32, as in C
    addi t1, t1, 4
    j    1b
2:  call print_dec
    call print_nl

    la   s1, numbers
    slli t2, s3, 2
    add  s2, s1, t2
    beq  s1, s2, .end
.print:
    lw   a0, 0(s1)
    call print_dec
    addi s1, s1, 4
    beq  s1, s2, .end
    li   a0, ' '
    call print_char
    j    .print
.end:
    call print_nl
    exit 0

.too_much:
    eprint msg_too_much
    exit 1
.not_a_number:
    eprint msg_nan
    exit 1
.bad_read:
    eprint msg_bad_read
    exit 1

; skip_space(a0 = p, a1 = end) → a0 = the first byte that is not white space
; (anything at or below ' ' counts), or end
skip_space:
    li   t2, ' '
.loop:
    beq  a0, a1, .done
    lbu  t1, 0(a0)
    bgtu t1, t2, .done
    addi a0, a0, 1
    j    .loop
.done:
    ret

; atoi(a0 = p, a1 = end) → a0 = value, a1 = just past the last digit
; (a1 = p when there are no digits). An optional '-' goes in front.
atoi:
    mv   a3, a0                 ; a3 = p, to tell "no number" apart
    mv   t3, a0                 ; t3 = cursor
    li   a2, 0                  ; a2 = 1 if negative
    beq  t3, a1, .none
    lbu  t1, 0(t3)
    li   t2, '-'
    bne  t1, t2, .digits
    li   a2, 1
    addi t3, t3, 1
.digits:
    li   a0, 0                  ; a0 = value: a0 · 10 + digit, wrapping
.digit:
    beq  t3, a1, .end
    lbu  t1, 0(t3)
    addi t1, t1, -'0'
    li   t2, 9
    bgtu t1, t2, .end           ; not '0'..'9'
    slli t2, a0, 3              ; a0 · 10 = a0 · 8 + a0 · 2
    slli a0, a0, 1
    add  a0, a0, t2
    add  a0, a0, t1
    addi t3, t3, 1
    j    .digit
.end:
    add  t1, a3, a2             ; where the digits began, after any sign
    beq  t3, t1, .none          ; a sign with no digits is no number
    beqz a2, 1f
    neg  a0, a0                 ; 2147483648 wrapped to INT_MIN; negated it stays
1:  mv   a1, t3
    ret
.none:
    mv   a1, a3
    ret

; insertion_sort(a0 = words, a1 = count) — ascending, in place
insertion_sort:
    li   t1, 1                  ; t1 = i: words[0..i) are sorted
.outer:
    bge  t1, a1, .done
    slli t2, t1, 2
    add  t2, a0, t2             ; t2 = &words[j], j = i
    lw   a2, 0(t2)              ; a2 = the word to place
.inner:
    beq  t2, a0, .place         ; j = 0: it goes first
    lw   a3, -4(t2)
    ble  a3, a2, .place         ; words[j - 1] <= it: it goes at j
    sw   a3, 0(t2)              ; move words[j - 1] up one
    addi t2, t2, -4
    j    .inner
.place:
    sw   a2, 0(t2)
    addi t1, t1, 1
    j    .outer
.done:
    ret

.data
msg_numbers:  .asciz " numbers, sum "
msg_too_much: .asciz "sort: too much input\n"
msg_nan:      .asciz "sort: that is not a number\n"
msg_bad_read: .asciz "sort: read failed\n"

.bss
.align 4
numbers:      .space 4 * MAX_NUMBERS
text:         .space IN_SIZE
