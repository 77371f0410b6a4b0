; string.s — the few string routines the kernel needs, on kernel memory
; only (user strings are copied in first: vm.s, copyinstr).
;
; Like every kernel routine that returns, these change only a0..a3 and
; t0..t3.

.text

; streq(a0, a1 = strings) → a0 = 1 if equal, else 0
streq:
    lbu  t0, 0(a0)
    lbu  t1, 0(a1)
    bne  t0, t1, .differ
    beqz t0, .same
    addi a0, a0, 1
    addi a1, a1, 1
    j    streq
.same:
    li   a0, 1
    ret
.differ:
    li   a0, 0
    ret

; strlen(a0 = string) → a0 = bytes before its NUL
strlen:
    mv   t0, a0
1:  lbu  t1, 0(t0)
    beqz t1, 2f
    addi t0, t0, 1
    j    1b
2:  sub  a0, t0, a0
    ret

; stpcpy(a0 = dst, a1 = string) → a0 = the NUL written at the end of dst
stpcpy:
    lbu  t0, 0(a1)
    sb   t0, 0(a0)
    beqz t0, 1f
    addi a0, a0, 1
    addi a1, a1, 1
    j    stpcpy
1:  ret

; stpdec(a0 = dst, a1 = unsigned value) → a0 = the NUL after its digits
stpdec:
    push ra, s0
    addi sp, sp, -DEC_BUF_SIZE
    mv   s0, a0
    mv   a0, a1
    mv   a1, sp
    call utoa                   ; a0 = digits, a1 = how many
1:  lbu  t0, 0(a0)
    sb   t0, 0(s0)
    addi a0, a0, 1
    addi s0, s0, 1
    addi a1, a1, -1
    bnez a1, 1b
    sb   zero, 0(s0)
    mv   a0, s0
    addi sp, sp, DEC_BUF_SIZE
    pop  ra, s0
    ret

; utoa(a0 = value, a1 = buffer of DEC_BUF_SIZE bytes) → a0 = first digit, a1 = count
; Unsigned decimal, written backwards from the end of the buffer.
utoa:
    addi t3, a1, DEC_BUF_SIZE   ; t3 = one past the last digit
    mv   t2, t3
    li   t1, 10
.next:
    remu t0, a0, t1
    addi t0, t0, '0'
    addi t2, t2, -1
    sb   t0, 0(t2)
    divu a0, a0, t1
    bnez a0, .next
    sub  a1, t3, t2
    mv   a0, t2
    ret

