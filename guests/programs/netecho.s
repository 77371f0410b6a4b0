; netecho.s — echo the network back to its sender until the peer closes.
;
; Shows: open("net") — under the guest kernel, the network device as a file
; descriptor; a read loop that ends when the peer hangs up (read returns 0);
; writing back exactly what each read gave. At the end one console line says
; how much went round. Boot it under the hosted monitor with a socket:
;
;   typevisor boot KERNEL --monitor hosted --net-listen 127.0.0.1:7000
;
; (KERNEL: guests/kernel/core.s plus a program table with this program; see
; guests/kernel/programs.s), then talk to it: `nc 127.0.0.1 7000`.
;
; kernel: no
; (it needs a peer on the network: only the hosted monitor plugs one in.)
; vm: no
; (the process VM has no network: open("net") is refused.)

.include "../include/sys.inc"
.include "../include/lib.inc"

BUF_SIZE = 256

_start:
    la   a0, path               ; fd = open("net", O_RDWR)
    li   a1, O_RDWR
    sys  SYS_OPEN
    bltz a0, .failed
    mv   s0, a0                 ; s0 = fd
    li   s1, 0                  ; s1 = bytes echoed
.read:
    mv   a0, s0                 ; n = read(fd, buf, BUF_SIZE)
    la   a1, buf
    li   a2, BUF_SIZE
    sys  SYS_READ
    beqz a0, .closed
    bltz a0, .failed
    mv   s2, a0                 ; s2 = n
    mv   a0, s0                 ; write(fd, buf, n)
    la   a1, buf
    mv   a2, s2
    sys  SYS_WRITE
    bltz a0, .failed
    add  s1, s1, s2
    j    .read

.closed:
    print msg_echoed            ; "netecho: echoed N bytes"
    mv   a0, s1
    call print_dec
    print msg_bytes
    exit 0

.failed:                        ; a0 = −errno
    mv   a2, a0
    la   a0, me
    la   a1, path
    call warn
    exit 1

.data
me:         .asciz "netecho"
path:       .asciz "net"
msg_echoed: .asciz "netecho: echoed "
msg_bytes:  .asciz " bytes\n"

.bss
buf:        .space BUF_SIZE
