; parent.s — start children with spawn, wait for each, report how they ended.
;
; Kernel only (the process VM runs a single process: spawn is -ENOSYS
; there). Shows: spawn by name from the kernel's program table, wait
; returning each child's pid and exit status as they finish, and the two
; errors: a name the table lacks (-ENOENT), and waiting with no children
; left (-ECHILD).

.include "../../include/sys.inc"
.include "../../include/lib.inc"

CHILDREN = 2

_start:
    li   s0, CHILDREN
.spawn:
    la   a0, name_spin
    sys  SYS_SPAWN
    mv   s1, a0
    print msg_started
    mv   a0, s1
    call print_dec
    call print_nl
    addi s0, s0, -1
    bnez s0, .spawn

    li   s0, CHILDREN
.wait:
    la   a0, status
    sys  SYS_WAIT
    mv   s1, a0
    print msg_child
    mv   a0, s1
    call print_dec
    print msg_status
    la   t0, status
    lw   a0, 0(t0)
    call print_dec
    call print_nl
    addi s0, s0, -1
    bnez s0, .wait

    la   a0, name_nosuch        ; not in the table
    sys  SYS_SPAWN
    mv   s1, a0
    print msg_nosuch
    mv   a0, s1
    call strerror
    call print_str
    call print_nl

    li   a0, 0                  ; nobody left to wait for
    sys  SYS_WAIT
    mv   s1, a0
    print msg_nochild
    mv   a0, s1
    call strerror
    call print_str
    call print_nl
    exit 0

.data
name_spin:    .asciz "spin"
name_nosuch:  .asciz "nosuch"
msg_started:  .asciz "parent: started spin as pid "
msg_child:    .asciz "parent: child "
msg_status:   .asciz " exited with status "
msg_nosuch:   .asciz "parent: spawn(\"nosuch\"): "
msg_nochild:  .asciz "parent: wait with no children: "
.align 4
status:       .word 0
