; evil-peek.s — read memory that is not ours.
;
; Each process has its own page table, so another process's pages are not
; reachable at any address: all a process can name is its own space. Here
; we read where another program's heap would be (0x00400000): unmapped for
; us, so a load-fault, and the kernel kills us.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

ELSEWHERE = 0x00400000

_start:
    print msg_peek
    li   t1, ELSEWHERE
fault:
    lw   a0, 0(t1)
    print msg_survived
    exit 0

.data
msg_peek:     .asciz "evil-peek: reading 0x00400000\n"
msg_survived: .asciz "evil-peek: read it!\n"
