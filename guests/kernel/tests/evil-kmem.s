; evil-kmem.s — write into the kernel's memory.
;
; RAM is mapped in every process's page table, at 0x8000_0000 and up, but
; without the U bit: user mode may not touch it. The store faults
; (store-fault, address 0x80000000) and the kernel kills the process. Before
; that, it hands the kernel a pointer into kernel memory: the system call
; refuses it with -EFAULT rather than read kernel bytes out for us.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

KERNEL = 0x80000000

_start:
    li   a0, STDOUT             ; write(1, KERNEL, 16): the kernel must say no
    li   a1, KERNEL
    li   a2, 16
    sys  SYS_WRITE
    mv   s0, a0
    print msg_write
    mv   a0, s0
    call print_dec
    call print_nl
    print msg_store
    li   t1, KERNEL
    li   t2, 0x0badf00d
fault:                          ; the kernel kills us here
    sw   t2, 0(t1)
    print msg_survived
    exit 0

.data
msg_write:    .asciz "evil-kmem: write(1, 0x80000000, 16) = "
msg_store:    .asciz "evil-kmem: storing to 0x80000000\n"
msg_survived: .asciz "evil-kmem: the store went through!\n"
