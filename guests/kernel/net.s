; net.s — the network device as processes see it: open("net") gives an fd
; whose reads and writes are the byte stream to and from the peer.
;
; The device (vm/devices/net.ts) holds one connection at a time: bytes in a
; receive queue, a connected bit, and a closed bit once the peer has gone.
; Under the hosted monitor the peer is a TCP socket (--net-listen,
; --net-connect); on the bare machine and the native monitor no cable is
; plugged in, so a reader simply waits.
;
; Delivery is byte-wise, like a pipe: a read returns as soon as any bytes
; are waiting, at most NET_CHUNK of them; with none it sleeps until the
; device interrupts. Once the peer has closed and every byte it sent is
; read, a read returns 0 (end of file). A write before any peer has
; connected waits for one; a write after the peer closed fails with -EIO.
;
; The interrupt is level-triggered and the kernel keeps no queue of its
; own, so net_intr switches the interrupt off and wakes every waiter; a
; waiter switches it back on just before it sleeps. Reading STATUS
; acknowledges a connection change, so whoever reads it (net_poll) wakes
; the waiters too: none of them can miss the change.
;
; Also here, because the network is what makes them more than tvfs: the
; system calls on fds ≥ 3 (open, read, write, seek) choose between the
; network and a tvfs file (fs.s). The name "net" is the network's (a tvfs
; file of that name is out of reach). An fd open on the network has FD_SLOT =
; NET_SLOT; close needs no help (close_entry just frees the fd).

.text

; file_open(path, flags) → fd: "net" is the network, any other name a tvfs file
file_open:
    push ra, a0, a1
    addi sp, sp, -NAME_MAX
    mv   a1, sp
    call fetchname
    bltz a0, .file              ; a bad pointer or name: fs_open says which
    mv   a0, sp
    la   a1, s_net
    call streq
    bnez a0, .net
.file:
    addi sp, sp, NAME_MAX
    pop  ra, a0, a1
    j    fs_open
.net:
    addi sp, sp, NAME_MAX
    pop  ra, a0, a1
    push ra, a1
    call free_fd
    pop  ra, a1
    beqz a0, .toomany
    li   t0, NET_SLOT
    sw   t0, FD_SLOT(a0)
    sw   zero, FD_OFF(a0)
    sw   a1, FD_FLAGS(a0)
    la   t0, curproc            ; the fd: the entry's index, after 0, 1, 2
    lw   t0, 0(t0)
    addi t0, t0, P_FILES
    sub  a0, a0, t0
    li   t0, FD_SIZE
    divu a0, a0, t0
    addi a0, a0, FIRST_FILE_FD
    ret
.toomany:
    li   a0, -EMFILE
    ret

; file_read, file_write, file_seek (fd, …) — the network's routine for an
; fd open on it; otherwise the filesystem's (which also reports a bad fd)
file_read:
    la   t2, net_read
    la   t3, fs_read
    j    file_call
file_write:
    la   t2, net_write
    la   t3, fs_write
    j    file_call
file_seek:
    la   t2, net_seek
    la   t3, fs_seek
; file_call(a0 = fd, a1.. = arguments, t2 = network routine, t3 = tvfs
; routine) — tail-call one of them with the arguments as they came
file_call:
    push ra, a0, t2, t3
    call fd_entry               ; a0 = the open file, or 0 (clobbers t0)
    mv   t1, a0
    pop  ra, a0, t2, t3
    beqz t1, 1f
    lw   t1, FD_SLOT(t1)
    li   t0, NET_SLOT
    bne  t1, t0, 1f
    jr   t2
1:  jr   t3

; net_seek → -EINVAL: a stream has no offsets
net_seek:
    li   a0, -EINVAL
    ret

; net_read(a0 = fd, a1 = buf, a2 = len) → bytes read, 0 once the peer has
; closed and every byte it sent has been read, or -EFAULT
net_read:
    push ra, s0, s1, s2
    mv   s0, a1                 ; s0 = buf
    mv   s1, a2                 ; s1 = len, at most one chunk
    li   t0, NET_CHUNK
    bgeu t0, s1, 1f
    mv   s1, t0
1:  mv   a0, s0
    mv   a1, s1
    li   a2, PTE_W              ; the kernel will store into the buffer
    call ucheck
    bnez a0, .out
.take:
    li   s2, 0                  ; s2 = bytes taken from the device
    li   t0, NET_BASE
    la   t1, net_buf
.byte:
    beq  s2, s1, .copy
    lw   t2, NET_RX(t0)
    bltz t2, .drained           ; -1: the queue is empty
    add  t3, t1, s2
    sb   t2, 0(t3)
    addi s2, s2, 1
    j    .byte
.drained:
    bnez s2, .copy              ; what we have will do
    call net_poll
    andi t0, a0, NET_STATUS_RX
    bnez t0, .take              ; a byte came in meanwhile
    andi t0, a0, NET_STATUS_CLOSED
    bnez t0, .copy              ; the peer has gone: end of file (s2 = 0)
    call net_wait
    j    .take
.copy:
    call cur_pt
    mv   a1, s0
    la   a2, net_buf
    mv   a3, s2
    call uput
    mv   a0, s2
.out:
    pop  ra, s0, s1, s2
    ret

; net_write(a0 = fd, a1 = buf, a2 = len) → len, -EIO if the peer has closed,
; or -EFAULT. The bytes go through net_buf a chunk at a time.
net_write:
    push ra, s0, s1, s2
    mv   s0, a1                 ; s0 = buf
    mv   s1, a2                 ; s1 = len
    mv   a0, s0
    mv   a1, s1
    li   a2, PTE_R              ; the kernel will read the buffer
    call ucheck
    bnez a0, .out
    beqz s1, .done              ; nothing to send: no need for a peer
.connected:
    call net_poll
    andi t0, a0, NET_STATUS_CONNECTED
    bnez t0, .send
    andi t0, a0, NET_STATUS_CLOSED
    bnez t0, .closed
    call net_wait               ; no peer yet: wait for one
    j    .connected
.send:
    li   s2, 0                  ; s2 = bytes sent
.chunk:
    sub  t1, s1, s2             ; t1 = bytes left …
    beqz t1, .done
    li   t0, NET_CHUNK
    bgeu t0, t1, 1f
    mv   t1, t0                 ; … or a chunk
1:  push t1
    call cur_pt
    la   a1, net_buf
    add  a2, s0, s2
    lw   a3, 0(sp)
    call uget
    pop  t1
    li   t0, NET_BASE
    la   a0, net_buf
    add  t2, a0, t1             ; t2 = the chunk's end
2:  lbu  t3, 0(a0)
    sw   t3, NET_TX(t0)
    addi a0, a0, 1
    bltu a0, t2, 2b
    add  s2, s2, t1
    j    .chunk
.done:
    mv   a0, s1
.out:
    pop  ra, s0, s1, s2
    ret
.closed:
    li   a0, -EIO
    j    .out

; net_intr() — the network interrupt: quiet it, wake whoever waits
net_intr:
    li   t0, NET_BASE
    sw   zero, NET_CTRL(t0)     ; off until a waiter asks again (net_wait)
    j    net_poll

; net_poll() → a0 = STATUS, having woken every process waiting on the
; network (the read acknowledged any connection change they wait for)
net_poll:
    push ra, s0
    li   t0, NET_BASE
    lw   s0, NET_STATUS(t0)
    la   a0, net_chan
    call wakeup
    mv   a0, s0
    pop  ra, s0
    ret

; net_wait() — sleep until the device has news: a byte, or a connection
; change. The kernel runs with interrupts off, so nothing can slip in
; between switching the interrupt on and going to sleep.
net_wait:
    li   t0, NET_BASE
    li   t1, NET_CTRL_IRQ
    sw   t1, NET_CTRL(t0)
    la   a0, net_chan
    j    sleep

.data
s_net: .asciz "net"

.bss
.align 4
net_chan: .space 4              ; the channel waiters sleep on
net_buf:  .space NET_CHUNK      ; bytes on their way between the device and a process
.text
