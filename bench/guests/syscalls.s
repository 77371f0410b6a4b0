; syscalls.s — benchmark: a trap-heavy workload. Every iteration is a system
; call (getpid), so under a kernel each one is a trap into the kernel and a
; return — and under a monitor, the kernel's privileged instructions on that
; path all trap to the monitor too. Prints the sum of the pids it got.
;
; The size is CALLS below (the monitor section runs it under the guest kernel).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"

CALLS = 20000

_start:
    li   s0, CALLS
    li   s1, 0
1:  sys  SYS_GETPID
    add  s1, s1, a0
    addi s0, s0, -1
    bnez s0, 1b
    mv   a0, s1
    call print_dec
    call print_nl
    exit 0
