; strings.s — C strings in assembly: length, reversal, numbers to text.
;
; Shows: the string routines of lib.inc at work (strlen, strrev, itoa with
; negative numbers and the two extremes, xtoa for hex), and two written
; here: strcpy and strcmp, which together with strrev tell a palindrome.
; Tables of pointers and of numbers in .data, walked with lw.
;
; expect: strlen("typevisor") = 9
; expect: strlen("") = 0
; expect: strrev("stressed") = "desserts"
; expect: itoa: "0" "7" "-7" "1234567" "-1234567" "2147483647" "-2147483648"
; expect: lengths: 1 1 2 7 8 10 11
; expect: xtoa: 00000000 0000002a deadbeef ffffffff
; expect: "racecar" is a palindrome
; expect: "level" is a palindrome
; expect: "typevisor" is not a palindrome
; expect: strcmp: -1 0 1

.include "../include/sys.inc"
.include "../include/lib.inc"

_start:
    ; strlen of two strings
    la   a0, s_typevisor
    call show_strlen
    la   a0, s_empty
    call show_strlen

    ; strrev("stressed"), on a copy: .data is writable, but keep the original
    la   a0, scratch
    la   a1, s_stressed
    call strcpy
    print msg_strrev
    print s_stressed
    print msg_gives
    la   a0, scratch
    call strrev
    call print_str
    print msg_close

    ; itoa over a table of numbers; then the lengths it returned
    print msg_itoa
    la   s0, numbers
    la   s1, lengths
.itoa:
    lw   a0, 0(s0)
    la   a1, scratch
    call itoa
    sb   a0, 0(s1)              ; keep the length for the next line
    addi s1, s1, 1
    print msg_space_quote
    print scratch
    li   a0, '"'
    call print_char
    addi s0, s0, 4
    la   t1, numbers_end
    bltu s0, t1, .itoa
    call print_nl

    print msg_lengths
    la   s0, lengths
.length:
    li   a0, ' '
    call print_char
    lbu  a0, 0(s0)
    call print_dec
    addi s0, s0, 1
    bltu s0, s1, .length
    call print_nl

    ; xtoa: always eight digits, zeros in front
    print msg_xtoa
    la   s0, hexes
.hex:
    li   a0, ' '
    call print_char
    lw   a0, 0(s0)
    la   a1, scratch
    call xtoa
    print scratch
    addi s0, s0, 4
    la   t1, hexes_end
    bltu s0, t1, .hex
    call print_nl

    ; palindromes, through a table of string pointers
    la   s0, words
.palindromes:
    lw   s1, 0(s0)              ; s1 = the word
    beqz s1, .compare
    li   a0, '"'
    call print_char
    mv   a0, s1
    call print_str
    mv   a0, s1
    call is_palindrome
    la   t1, msg_is
    bnez a0, 1f
    la   t1, msg_is_not
1:  mv   a0, t1
    call print_str
    addi s0, s0, 4
    j    .palindromes

    ; strcmp answers with a sign
.compare:
    print msg_strcmp
    la   a0, s_level
    la   a1, s_racecar
    call show_strcmp
    la   a0, s_level
    la   a1, s_level
    call show_strcmp
    la   a0, s_typevisor
    la   a1, s_stressed
    call show_strcmp
    call print_nl
    exit 0

; show_strlen(a0 = s) — print strlen("s") = n
show_strlen:
    push ra, s0
    mv   s0, a0
    print msg_strlen
    mv   a0, s0
    call print_str
    print msg_equals
    mv   a0, s0
    call strlen
    call print_dec
    call print_nl
    pop  ra, s0
    ret

; show_strcmp(a0 = s, a1 = t) — print " -1", " 0" or " 1"
show_strcmp:
    push ra, s0
    call strcmp
    slt  t1, zero, a0           ; sign(a0) = (0 < a0) − (a0 < 0)
    slt  t2, a0, zero
    sub  s0, t1, t2
    li   a0, ' '
    call print_char
    mv   a0, s0
    call print_dec
    pop  ra, s0
    ret

; strcpy(a0 = dst, a1 = src) → a0 = dst
strcpy:
    mv   t3, a0
.loop:
    lbu  t1, 0(a1)
    sb   t1, 0(t3)
    addi a1, a1, 1
    addi t3, t3, 1
    bnez t1, .loop              ; the NUL is copied too, then we stop
    ret

; strcmp(a0 = s, a1 = t) → a0 < 0, 0 or > 0 as s sorts before, with or after t
strcmp:
    lbu  t1, 0(a0)
    lbu  t2, 0(a1)
    bne  t1, t2, .differ
    beqz t1, .differ            ; both ended: t1 − t2 = 0
    addi a0, a0, 1
    addi a1, a1, 1
    j    strcmp
.differ:
    sub  a0, t1, t2
    ret

; is_palindrome(a0 = s) → a0 = 1 if s reads the same backwards
is_palindrome:
    push ra, s0
    mv   s0, a0
    mv   a1, a0                 ; copy, reverse the copy, compare
    la   a0, scratch
    call strcpy
    call strrev
    mv   a1, s0
    call strcmp
    seqz a0, a0
    pop  ra, s0
    ret

.data
s_typevisor:    .asciz "typevisor"
s_empty:        .asciz ""
s_stressed:     .asciz "stressed"
s_racecar:      .asciz "racecar"
s_level:        .asciz "level"
msg_strlen:     .asciz "strlen(\""
msg_equals:     .asciz "\") = "
msg_strrev:     .asciz "strrev(\""
msg_gives:      .asciz "\") = \""
msg_close:      .asciz "\"\n"
msg_itoa:       .asciz "itoa:"
msg_space_quote: .asciz " \""
msg_lengths:    .asciz "lengths:"
msg_xtoa:       .asciz "xtoa:"
msg_is:         .asciz "\" is a palindrome\n"
msg_is_not:     .asciz "\" is not a palindrome\n"
msg_strcmp:     .asciz "strcmp:"
.align 4
numbers:        .word 0, 7, -7, 1234567, -1234567, 0x7fffffff, 0x80000000
numbers_end:
hexes:          .word 0, 42, 0xdeadbeef, -1
hexes_end:
words:          .word s_racecar, s_level, s_typevisor, 0

.bss
scratch:        .space 32
lengths:        .space 8
