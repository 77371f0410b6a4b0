; console.s — the console as processes see it: fd 0 in, fds 1 and 2 out.
;
; Output goes straight to the transmitter, which on this machine is always
; ready. Input arrives by interrupt: console_intr drains the device's receive
; queue into a ring buffer here and wakes whoever sleeps in console_read.
;
; Delivery is byte-wise, like a pipe: a read returns as soon as any input
; is buffered, with up to len bytes of it (it does not wait for a whole
; line). A read with nothing buffered sleeps until something arrives.
;
; End of input: when the host's input ends (a pipe closes), the device says
; so in STATUS once its queue is empty, with one more interrupt; from then on
; a read with nothing buffered returns 0 (end of file). On a terminal, Ctrl-D
; (0x04) ends input the same way: a read stops before it, and a read that
; finds it first consumes it and returns 0.
;
; When the ring is full the receive interrupt is switched off (the device
; keeps further bytes, and it would otherwise interrupt again at once);
; console_read switches it back on once it has made room.

.text

; console_init() — receive interrupts on
console_init:
    li   t0, CONSOLE_BASE
    li   t1, CONSOLE_CTRL_IRQ
    sw   t1, CONSOLE_CTRL(t0)
    ret

; console_intr() — the receive interrupt: move bytes into the ring, wake readers
console_intr:
    push ra
    li   t0, CONSOLE_BASE
    la   t1, cons_r
    lw   t1, 0(t1)
    la   t2, cons_w
    lw   t2, 0(t2)
.more:
    sub  t3, t2, t1
    li   a0, CONS_BUF_SIZE
    bgeu t3, a0, .full
    lw   a0, CONSOLE_RX(t0)
    bltz a0, .drained           ; -1: the device's queue is empty
    andi t3, t2, CONS_BUF_SIZE - 1
    la   a1, cons_buf
    add  a1, a1, t3
    sb   a0, 0(a1)
    addi t2, t2, 1
    j    .more
.full:
    sw   zero, CONSOLE_CTRL(t0) ; no room: stop interrupting until a read makes some
.drained:
    lw   a0, CONSOLE_STATUS(t0) ; (reading STATUS acknowledges an end-of-input interrupt)
    andi a0, a0, CONSOLE_STATUS_ENDED
    beqz a0, 1f
    la   a1, cons_eof           ; no more input will ever come
    li   a0, 1
    sw   a0, 0(a1)
1:  la   t3, cons_w
    sw   t2, 0(t3)
    la   a0, cons_r             ; readers sleep on the ring
    call wakeup
    pop  ra
    ret

; console_read(a0 = user buffer, a1 = len > 0) → a0 = bytes read, 0 at end
; of input. The buffer has been checked (sys_read).
console_read:
    push ra, s0, s1, s2
    mv   s0, a0
    mv   s1, a1
.wait:
    la   t0, cons_r
    lw   t1, 0(t0)
    la   t0, cons_w
    lw   t2, 0(t0)
    bne  t1, t2, .copy
    li   s2, 0
    la   t0, cons_eof           ; nothing buffered and input has ended: end of file
    lw   t0, 0(t0)
    bnez t0, .done
    la   a0, cons_r
    call sleep
    j    .wait
.copy:
    li   s2, 0                  ; s2 = bytes delivered
.byte:
    beq  s2, s1, .done
    la   t0, cons_r
    lw   t1, 0(t0)
    la   t0, cons_w
    lw   t2, 0(t0)
    beq  t1, t2, .done          ; the ring is empty: what we have will do
    andi t2, t1, CONS_BUF_SIZE - 1
    la   a2, cons_buf
    add  a2, a2, t2             ; a2 = the byte
    lbu  t2, 0(a2)
    li   t3, CONS_EOF
    bne  t2, t3, .deliver
    bnez s2, .done              ; Ctrl-D after data: this read ends before it
    addi t1, t1, 1              ; Ctrl-D first: consume it, report end of file
    la   t0, cons_r
    sw   t1, 0(t0)
    j    .done
.deliver:
    addi t1, t1, 1
    la   t0, cons_r
    sw   t1, 0(t0)
    call cur_pt
    add  a1, s0, s2
    li   a3, 1
    call uput
    addi s2, s2, 1
    j    .byte
.done:
    call console_init           ; there is room in the ring again
    mv   a0, s2
    pop  ra, s0, s1, s2
    ret

; console_write(a0 = user buffer, a1 = len) → a0 = len. The buffer has been
; checked (sys_write); we walk it page by page to find its bytes.
console_write:
    push ra, s0, s1, s2
    mv   s0, a0                 ; s0 = where we are
    add  s1, a0, a1             ; s1 = the end
    mv   s2, a1
.chunk:
    bgeu s0, s1, .done
    call cur_pt
    mv   a1, s0
    li   a2, 0
    call uva2pa                 ; a0 = the byte's physical address
    li   t0, CONSOLE_BASE
1:  lbu  t1, 0(a0)
    sw   t1, CONSOLE_TX(t0)
    addi a0, a0, 1
    addi s0, s0, 1
    bgeu s0, s1, .done
    andi t1, s0, PAGE_MASK
    bnez t1, 1b                 ; until the page ends
    j    .chunk
.done:
    mv   a0, s2
    pop  ra, s0, s1, s2
    ret

.bss
.align 4
cons_r:   .space 4              ; next byte to read (counts up forever;
cons_w:   .space 4              ;   the ring index is the low bits)
cons_eof: .space 4              ; the host's input has ended
cons_buf: .space CONS_BUF_SIZE
.text
