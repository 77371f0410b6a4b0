; trap.s — every way into the kernel after boot, and the one way out to
; user mode.
;
; A trap or interrupt from user mode lands at trap_vector (tvec) in
; supervisor mode with interrupts off. The vector saves the user's registers
; in the process's trap frame, moves to the process's kernel stack, and
; calls usertrap, which sorts it out by cause: a system call, an interrupt
; (timer: preempt; console; disk; network), or a fault (the process is killed).
; usertrapret restores a process's registers from its frame and `sret`s.
;
; The kernel itself runs with interrupts off (status.IE = 0), so it is never
; interrupted: a trap taken in supervisor mode is a kernel bug, and panics.
; The idle loop waits with wfi and handles what woke it by hand (devpoll).

.text

; ---------------------------------------------------------------------------
; trap_vector — user mode → kernel.
;
; Every user register is live, and we may not clobber one before it is
; saved. The `scratch` CSR holds the address of the running process's trap
; frame (usertrapret put it there); `csrrw` swaps it with t0 in one step, so
; t0 becomes our base register and the user's t0 waits in scratch.
trap_vector:
    csrrw t0, scratch, t0
    ; scratch is 0 whenever the kernel runs: if it was 0, this trap came
    ; from supervisor mode — the kernel faulted.
    beqz t0, kernel_trap
    sw   t1, TF_T1(t0)
    sw   t2, TF_T2(t0)
    ; The user's time ends here: charge it, less the kernel's own
    ; instructions on the way out and in (USER_TIME_OVERHEAD).
    csrr t1, time
    lw   t2, P_TENTER - P_TF(t0)
    sub  t1, t1, t2
    addi t1, t1, -USER_TIME_OVERHEAD
    lw   t2, P_UTIME - P_TF(t0)
    add  t2, t2, t1
    sw   t2, P_UTIME - P_TF(t0)
    sw   ra, TF_RA(t0)
    sw   sp, TF_SP(t0)
    sw   fp, TF_FP(t0)
    sw   a0, TF_A0(t0)
    sw   a1, TF_A1(t0)
    sw   a2, TF_A2(t0)
    sw   a3, TF_A3(t0)
    sw   t3, TF_T3(t0)
    sw   s0, TF_S0(t0)
    sw   s1, TF_S1(t0)
    sw   s2, TF_S2(t0)
    sw   s3, TF_S3(t0)
    csrr t1, scratch            ; the user's t0, parked there by the swap
    sw   t1, TF_T0(t0)
    csrw scratch, zero          ; we are the kernel now (see above)
    ; epc is where the user was: the faulting or syscall instruction, or
    ; (interrupt) the next one to run. Saved, because another trap — in
    ; another process, after a switch — will overwrite the CSR.
    csrr t1, epc
    sw   t1, TF_EPC(t0)
    lw   sp, TF_KSP(t0)         ; this process's kernel stack
    j    usertrap

; usertrap — the process's kernel half, on its kernel stack
usertrap:
    la   t0, curproc
    lw   s0, 0(t0)              ; s0 = the process
    csrr a0, cause
    bltz a0, .interrupt         ; bit 31: an interrupt
    li   t0, CAUSE_SYSCALL
    bne  a0, t0, .fault
    ; epc points at the syscall instruction; return to the next one.
    lw   t0, P_TF + TF_EPC(s0)
    addi t0, t0, INSN_SIZE
    sw   t0, P_TF + TF_EPC(s0)
    call syscall
    j    usertrapret
.interrupt:
    li   t0, ~CAUSE_INTERRUPT
    and  a0, a0, t0             ; the line
    call devintr
    j    usertrapret
.fault:
    csrr a1, epc
    csrr a2, badaddr
    call kill                   ; never returns

; usertrapret — kernel → user mode, for the current process
usertrapret:
    la   t0, curproc
    lw   t0, 0(t0)
    addi t0, t0, P_TF           ; t0 = its trap frame
    ; sret will take the mode from status.PM (0: user) and IE from
    ; status.PIE (1: the user runs with interrupts on, so the timer can
    ; take the CPU back).
    li   t1, STATUS_PIE
    csrw status, t1
    lw   t1, TF_EPC(t0)
    csrw epc, t1
    ; The next trap finds this frame through scratch.
    csrw scratch, t0
    lw   ra, TF_RA(t0)
    lw   sp, TF_SP(t0)
    lw   fp, TF_FP(t0)
    lw   a0, TF_A0(t0)
    lw   a1, TF_A1(t0)
    lw   a2, TF_A2(t0)
    lw   a3, TF_A3(t0)
    lw   t2, TF_T2(t0)
    lw   t3, TF_T3(t0)
    lw   s0, TF_S0(t0)
    lw   s1, TF_S1(t0)
    lw   s2, TF_S2(t0)
    lw   s3, TF_S3(t0)
    ; The user's time starts here (trap_vector stops it).
    csrr t1, time
    sw   t1, P_TENTER - P_TF(t0)
    lw   t1, TF_T1(t0)
    lw   t0, TF_T0(t0)          ; the base register, last
    sret

; ---------------------------------------------------------------------------
; Interrupts.

; devintr(a0 = line) — an interrupt taken from user mode
devintr:
    li   t0, IRQ_TIMER
    beq  a0, t0, .timer
    li   t0, IRQ_CONSOLE
    beq  a0, t0, console_intr   ; tail calls: they return to our caller
    li   t0, IRQ_DISK
    beq  a0, t0, disk_intr
    li   t0, IRQ_NET
    beq  a0, t0, net_intr
    ret
.timer:
    ; The quantum is up: round robin. The scheduler sets a new deadline
    ; (writing timecmp, which also clears this interrupt) when it picks
    ; the next process.
    j    yield

; devpoll() — handle the devices wfi woke us for. In the idle loop the
; kernel waits with interrupts off; wfi still ends when a line enabled in
; `ie` is pending, and we look at `ip` ourselves.
devpoll:
    push ra, s0
    csrr s0, ip
    csrr t0, ie
    and  s0, s0, t0
    andi t0, s0, IE_CONSOLE
    beqz t0, 1f
    call console_intr
1:  andi t0, s0, IE_DISK
    beqz t0, 2f
    call disk_intr
2:  andi t0, s0, IE_NET
    beqz t0, 3f
    call net_intr
3:  pop  ra, s0
    ret

; ---------------------------------------------------------------------------
; Faults in the kernel itself.

; kernel_trap — a trap from supervisor mode: there is no one to blame but
; us. Say where, and power off with a non-zero status.
kernel_trap:
    la   sp, panic_stack_top    ; the kernel's stack may be what broke
    la   a0, s_panic_trap
    call kputs
    csrr a0, cause
    call cause_name
    call kputs
    la   a0, s_at_pc
    call kputs
    csrr a0, epc
    call kputhex
    la   a0, s_badaddr
    call kputs
    csrr a0, badaddr
    call kputhex
    call kputnl
    j    poweroff_panic

; panic(a0 = message) — a state the kernel cannot go on from
panic:
    la   sp, panic_stack_top
    push a0
    la   a0, s_panic
    call kputs
    pop  a0
    call kputs
    call kputnl
poweroff_panic:
    li   t0, POWER_BASE
    li   t1, POWEROFF_PANIC
    sw   t1, POWER_OFF(t0)
1:  j    1b                     ; the power device stops the machine at once

.data
s_panic_trap: .asciz "kernel panic: "
s_panic:      .asciz "kernel panic: "
s_at_pc:      .asciz " at pc "
s_badaddr:    .asciz ", badaddr "

.bss
.align 4
panic_stack:  .space PANIC_STACK_SIZE
panic_stack_top:
.text
