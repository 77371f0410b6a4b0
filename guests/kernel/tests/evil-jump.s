; evil-jump.s — run the kernel's code.
;
; The kernel's pages are mapped in every process's page table, but without
; the U bit: user mode may not execute there either. The jump lands on
; 0x80000000 and the fetch faults (fetch-fault, pc and address 0x80000000);
; the kernel kills us.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

KERNEL = 0x80000000

_start:
    print msg_jump
    li   t1, KERNEL
fault:
    jr   t1
    print msg_survived
    exit 0

.data
msg_jump:     .asciz "evil-jump: jumping to 0x80000000\n"
msg_survived: .asciz "evil-jump: ran kernel code!\n"
