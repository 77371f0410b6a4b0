; proc.s — processes: the table, creating one (exec.s fills it with a
; program), the scheduler, sleep and wakeup, and how a process ends.
;
; The life of a process:
;
;   UNUSED ──spawn──▶ RUNNABLE ◀──yield/timer/wakeup── RUNNING ──exit/kill──▶ ZOMBIE
;                        └────── scheduler ──────▶───────┘  │                  │
;                                                  sleep ▼                    │ wait (parent),
;                                                SLEEPING                     │ or the scheduler
;                                                                             ▼ (no parent)
;                                                                           UNUSED
;
; One CPU, and the kernel never takes an interrupt (status.IE = 0 while it
; runs), so nothing here needs a lock: a check and the sleep that follows it
; cannot be split by a wakeup.
;
; Each process has its own kernel stack. A process that must wait inside the
; kernel (read, wait, the disk) calls sleep, which calls sched, which swtch-es
; to the scheduler's context on the boot stack; the scheduler later swtch-es
; back and sleep returns. swtch saves only what a call preserves (ra, sp, fp,
; s0..s3): everything else is the caller's to lose anyway.

.text

; ---------------------------------------------------------------------------
; Creating a process.

; proc_spawn(a0 = table entry, a1 = parent proc or 0, a2 = a page the
; process owns from now on (ENT_*, spawnv.s) or 0) → a0 = pid, or -ENOMEM
; (no free slot or memory), -EINVAL (a malformed image), -EIO (the disk);
; the page is freed if the process could not be made
proc_spawn:
    push ra, s0, s1, s2, s3
    mv   s1, a0
    mv   s2, a1
    mv   s3, a2
    call allocproc
    beqz a0, .nomem
    mv   s0, a0
    sw   s3, P_ENTPAGE(s0)
    mv   a1, s1
    call exec
    bltz a0, .failed
    sw   s2, P_PARENT(s0)
    li   t0, RUNNABLE
    sw   t0, P_STATE(s0)
    lw   a0, P_PID(s0)
    pop  ra, s0, s1, s2, s3
    ret
.failed:
    mv   s1, a0
    lw   a0, P_PT(s0)
    call uvm_free
    mv   a0, s0
    call freeproc
    mv   a0, s1
    pop  ra, s0, s1, s2, s3
    ret
.nomem:
    beqz s3, 1f
    mv   a0, s3
    call kfree
1:  li   a0, -ENOMEM
    pop  ra, s0, s1, s2, s3
    ret

; allocproc() → a0 = a cleared process with a pid, a kernel stack and an
; empty address space, still UNUSED (the caller makes it RUNNABLE); or 0
allocproc:
    push ra, s0
    la   s0, proc
    la   t1, proc_end
.find:
    bgeu s0, t1, .none
    lw   t0, P_STATE(s0)
    beqz t0, .found             ; UNUSED
    addi s0, s0, P_SIZE
    j    .find
.found:
    mv   t0, s0                 ; clear the whole slot
    addi t1, s0, P_SIZE
1:  sw   zero, 0(t0)
    addi t0, t0, 4
    bltu t0, t1, 1b
    call kalloc
    beqz a0, .none
    sw   a0, P_KSTACK(s0)
    call uvm_create
    beqz a0, .no_table
    sw   a0, P_PT(s0)
    la   t0, nextpid
    lw   t1, 0(t0)
    addi t1, t1, 1
    sw   t1, 0(t0)
    sw   t1, P_PID(s0)
    ; Its first swtch "returns" into proc_start, on the top of its own
    ; kernel stack, which is also where its traps will start.
    lw   t0, P_KSTACK(s0)
    addi t0, t0, KSTACK_SIZE
    sw   t0, P_CTX + CTX_SP(s0)
    sw   t0, P_TF + TF_KSP(s0)
    la   t0, proc_start
    sw   t0, P_CTX + CTX_RA(s0)
    mv   a0, s0
    pop  ra, s0
    ret
.no_table:
    lw   a0, P_KSTACK(s0)
    call kfree
.none:
    li   a0, 0
    pop  ra, s0
    ret

; proc_start — where a new process's kernel life begins: off to user mode
proc_start:
    j    usertrapret

; freeproc(a0 = proc) — its kernel stack back to the pool, its slot free.
; (Its address space is gone already: exit frees it.)
freeproc:
    push ra, s0
    mv   s0, a0
    lw   a0, P_KSTACK(s0)
    call kfree
    lw   a0, P_ENTPAGE(s0)
    beqz a0, 1f
    call kfree
    sw   zero, P_ENTPAGE(s0)
1:
    sw   zero, P_PARENT(s0)     ; no longer anyone's child
    sw   zero, P_STATE(s0)      ; UNUSED
    pop  ra, s0
    ret

; ---------------------------------------------------------------------------
; The scheduler.

; scheduler — the boot stack's loop, for good: pick the next RUNNABLE
; process after the last one (round robin), run it for a quantum, repeat.
scheduler:
    call reap_orphans
    call any_alive
    beqz a0, shutdown
    call pick_next
    beqz a0, .idle
    mv   s0, a0
    li   t0, RUNNING
    sw   t0, P_STATE(s0)
    la   t0, curproc
    sw   s0, 0(t0)
    ; Its page table: the user half is its own, the kernel half the same
    ; as everyone's, so the next instruction runs on unchanged.
    lw   t0, P_PT(s0)
    ori  t0, t0, PTBASE_ON
    csrw ptbase, t0
    ; A quantum from now the timer interrupts it (writing timecmp also
    ; clears an interrupt left pending by the last one).
    csrr t0, time
    li   t1, QUANTUM
    add  t0, t0, t1
    csrw timecmp, t0
    li   t0, IE_TIMER | IE_DEVICES
    csrw ie, t0
    la   a0, sched_ctx
    addi a1, s0, P_CTX
    call swtch                  ; ... runs until it yields, sleeps or exits
    la   t0, curproc
    sw   zero, 0(t0)
    la   t0, kernel_pt          ; its table may be about to be freed
    lw   t0, 0(t0)
    ori  t0, t0, PTBASE_ON
    csrw ptbase, t0
    j    scheduler
.idle:
    ; Everyone is asleep: wait for a device. wfi ends when a line enabled
    ; in `ie` is pending — with status.IE off it does not trap, it just
    ; returns, and devpoll handles what is pending. The timer is left out
    ; of `ie`: no process needs preempting, and its interrupt stays pending
    ; once a quantum has run out, which would end every wfi at once.
    li   t0, IE_DEVICES
    csrw ie, t0
    wfi
    call devpoll
    j    scheduler

; pick_next() → a0 = the first RUNNABLE process after the last one picked, or 0
pick_next:
    la   t3, last_picked
    lw   t0, 0(t3)              ; t0 = slot index to start after
    li   t1, 0                  ; t1 = slots looked at
.look:
    li   t2, NPROC
    bge  t1, t2, .none
    addi t0, t0, 1
    blt  t0, t2, 1f
    li   t0, 0
1:  addi t1, t1, 1
    li   t2, P_SIZE
    mul  a0, t0, t2
    la   t2, proc
    add  a0, a0, t2
    lw   t2, P_STATE(a0)
    li   a1, RUNNABLE
    bne  t2, a1, .look
    sw   t0, 0(t3)
    ret
.none:
    li   a0, 0
    ret

; any_alive() → a0 = 1 if any slot is in use
any_alive:
    la   t0, proc
    la   t1, proc_end
1:  lw   a0, P_STATE(t0)
    bnez a0, 2f
    addi t0, t0, P_SIZE
    bltu t0, t1, 1b
    ret                         ; a0 = 0 (UNUSED)
2:  li   a0, 1
    ret

; reap_orphans() — free ZOMBIEs nobody will wait for. A process cannot free
; its own kernel stack (it is standing on it), so this happens here, on the
; scheduler's stack.
reap_orphans:
    push ra, s0
    la   s0, proc
.next:
    la   t0, proc_end
    bgeu s0, t0, .done
    lw   t0, P_STATE(s0)
    li   t1, ZOMBIE
    bne  t0, t1, .skip
    lw   t0, P_PARENT(s0)
    bnez t0, .skip
    mv   a0, s0
    call freeproc
.skip:
    addi s0, s0, P_SIZE
    j    .next
.done:
    pop  ra, s0
    ret

; swtch(a0 = where to save this context, a1 = the context to resume)
swtch:
    sw   ra, CTX_RA(a0)
    sw   sp, CTX_SP(a0)
    sw   fp, CTX_FP(a0)
    sw   s0, CTX_S0(a0)
    sw   s1, CTX_S1(a0)
    sw   s2, CTX_S2(a0)
    sw   s3, CTX_S3(a0)
    lw   ra, CTX_RA(a1)
    lw   sp, CTX_SP(a1)
    lw   fp, CTX_FP(a1)
    lw   s0, CTX_S0(a1)
    lw   s1, CTX_S1(a1)
    lw   s2, CTX_S2(a1)
    lw   s3, CTX_S3(a1)
    ret                         ; into the other context's caller

; sched() — the current process gives the CPU back to the scheduler (its
; state already says why); returns when the scheduler picks it again
sched:
    push ra
    la   t0, curproc
    lw   a0, 0(t0)
    addi a0, a0, P_CTX
    la   a1, sched_ctx
    call swtch
    pop  ra
    ret

; yield() — to the back of the queue
yield:
    la   t0, curproc
    lw   t0, 0(t0)
    li   t1, RUNNABLE
    sw   t1, P_STATE(t0)
    j    sched

; sleep(a0 = channel) — wait until someone calls wakeup(channel). A channel
; is any address that names what is awaited. Callers check their condition
; again when this returns: another process may have got there first.
sleep:
    push ra, s0
    la   t0, curproc
    lw   s0, 0(t0)
    sw   a0, P_CHAN(s0)
    li   t0, SLEEPING
    sw   t0, P_STATE(s0)
    call sched
    sw   zero, P_CHAN(s0)
    pop  ra, s0
    ret

; wakeup(a0 = channel) — make every process sleeping on it RUNNABLE
wakeup:
    la   t0, proc
    la   t1, proc_end
.next:
    lw   t2, P_STATE(t0)
    li   t3, SLEEPING
    bne  t2, t3, .skip
    lw   t2, P_CHAN(t0)
    bne  t2, a0, .skip
    li   t3, RUNNABLE
    sw   t3, P_STATE(t0)
.skip:
    addi t0, t0, P_SIZE
    bltu t0, t1, .next
    ret

; ---------------------------------------------------------------------------
; The end of a process.

; exit(a0 = status as wait reports it, a1 = 0, or the cause + 1 if killed)
; — never returns
exit:
    la   t0, curproc
    lw   s0, 0(t0)              ; s0 = the process (nothing to preserve now)
    sw   a0, P_XSTATUS(s0)
    mv   s1, a1
    la   t0, nexited
    lw   t1, 0(t0)
    addi t1, t1, 1
    sw   t1, 0(t0)
    ; A line for the final table.
    la   t0, nlog
    lw   t1, 0(t0)
    li   t2, MAXLOG
    bgeu t1, t2, .logged        ; full: the table says how many it missed
    addi t2, t1, 1
    sw   t2, 0(t0)
    li   t2, LOG_SIZE
    mul  t1, t1, t2
    la   t2, exitlog
    add  t1, t1, t2
    lw   t2, P_PID(s0)
    sw   t2, LOG_PID(t1)
    lw   t2, P_PROG(s0)
    sw   t2, LOG_PROG(t1)
    sw   a0, LOG_STATUS(t1)
    sw   s1, LOG_CAUSE(t1)
    lw   t2, P_UTIME(s0)
    sw   t2, LOG_UTIME(t1)
    lw   t2, P_PROG(s0)         ; its name, copied: a program from the disk's
    lw   t2, PROG_NAME(t2)      ; entry goes with its slot
    addi t1, t1, LOG_NAME
    li   t3, LOG_NAME_MAX - 1
1:  lbu  t0, 0(t2)
    beqz t0, 2f
    beqz t3, 2f
    sb   t0, 0(t1)
    addi t1, t1, 1
    addi t2, t2, 1
    addi t3, t3, -1
    j    1b
2:  sb   zero, 0(t1)
.logged:
    mv   a0, s0
    call fs_closeall            ; sizes of written files go back to the disk
    ; Off its page table before freeing it: we run on the kernel's now.
    la   t0, kernel_pt
    lw   t0, 0(t0)
    ori  t0, t0, PTBASE_ON
    csrw ptbase, t0
    lw   a0, P_PT(s0)
    call uvm_free
    sw   zero, P_PT(s0)
    ; Its children have no one to wait for them now.
    la   t0, proc
    la   t1, proc_end
1:  lw   t2, P_PARENT(t0)
    bne  t2, s0, 2f
    sw   zero, P_PARENT(t0)
2:  addi t0, t0, P_SIZE
    bltu t0, t1, 1b
    li   t0, ZOMBIE
    sw   t0, P_STATE(s0)
    lw   a0, P_PARENT(s0)       ; a parent in wait sleeps on itself
    call wakeup
    call sched
    la   a0, s_zombie_ran
    j    panic

; kill(a0 = cause, a1 = pc, a2 = badaddr) — the current process faulted:
; one line saying so, then it exits with 128 + cause, as a shell reports a
; process killed by a signal. Never returns.
kill:
    mv   s1, a0
    mv   s2, a1
    mv   s3, a2
    la   t0, curproc
    lw   s0, 0(t0)
    la   a0, s_killed
    call kputs
    lw   a0, P_PID(s0)
    call kputdec
    la   a0, s_open_paren
    call kputs
    lw   t0, P_PROG(s0)
    lw   a0, PROG_NAME(t0)
    call kputs
    la   a0, s_paren_colon
    call kputs
    mv   a0, s1
    call cause_name
    call kputs
    la   a0, s_at_pc
    call kputs
    mv   a0, s2
    call kputhex
    ; What badaddr holds depends on the cause (vm/trap.ts).
    li   t0, CAUSE_ILLEGAL
    beq  s1, t0, .instruction
    li   t0, CAUSE_PRIVILEGED
    beq  s1, t0, .instruction
    li   t0, CAUSE_BREAKPOINT
    beq  s1, t0, .end
    li   t0, CAUSE_DIVIDE_BY_ZERO
    beq  s1, t0, .end
    la   a0, s_address
    j    .value
.instruction:
    la   a0, s_instruction
.value:
    call kputs
    mv   a0, s3
    call kputhex
.end:
    call kputnl
    addi a0, s1, KILLED_STATUS
    addi a1, s1, 1
    j    exit

; wait(a0 = where to store the status, 0 for nowhere) → a0 = a child's pid,
; -ECHILD (no children), -EFAULT (bad pointer; the child stays a zombie)
wait:
    push ra, s0, s1, s2
    mv   s1, a0
    la   t0, curproc
    lw   s0, 0(t0)
.scan:
    li   s2, 0                  ; s2 = has children
    la   t0, proc
.next:
    lw   t1, P_PARENT(t0)
    bne  t1, s0, .skip
    li   s2, 1
    lw   t1, P_STATE(t0)
    li   t2, ZOMBIE
    beq  t1, t2, .reap
.skip:
    addi t0, t0, P_SIZE
    la   t1, proc_end
    bltu t0, t1, .next
    beqz s2, .none
    mv   a0, s0                 ; exit wakes the parent's own address
    call sleep
    j    .scan
.reap:
    mv   s2, t0                 ; s2 = the child
    beqz s1, .free
    lw   a0, P_PT(s0)
    mv   a1, s1
    addi a2, s2, P_XSTATUS
    li   a3, 4
    call copyout
    bltz a0, .out
.free:
    lw   s1, P_PID(s2)
    mv   a0, s2
    call freeproc
    mv   a0, s1
.out:
    pop  ra, s0, s1, s2
    ret
.none:
    li   a0, -ECHILD
    j    .out

; ---------------------------------------------------------------------------
; The end of everything.

; shutdown — the last process has exited: the table, then power off (status 0)
shutdown:
    la   a0, s_all_done
    call kputs
    la   a0, s_table_head
    call kputs
    li   s0, 1                  ; s0 = pid: the table goes in pid order
.pid:
    la   t0, nextpid
    lw   t0, 0(t0)
    bgt  s0, t0, .missed
    mv   a0, s0
    call find_log
    beqz a0, .next
    call print_log_line
.next:
    addi s0, s0, 1
    j    .pid
.missed:
    la   t0, nexited
    lw   a0, 0(t0)
    la   t0, nlog
    lw   t0, 0(t0)
    sub  s0, a0, t0             ; processes that exited without a table line
    beqz s0, .off
    mv   a0, s0
    call kputdec
    la   a0, s_missed
    call kputs
.off:
    li   t0, POWER_BASE
    sw   zero, POWER_OFF(t0)
1:  j    1b

; find_log(a0 = pid) → a0 = its line in the exit log, or 0
find_log:
    la   t0, exitlog
    la   t1, nlog
    lw   t1, 0(t1)
    li   t2, LOG_SIZE
    mul  t1, t1, t2
    add  t1, t1, t0             ; t1 = end of the used part
1:  bgeu t0, t1, 2f
    lw   t2, LOG_PID(t0)
    beq  t2, a0, 3f
    addi t0, t0, LOG_SIZE
    j    1b
2:  li   t0, 0
3:  mv   a0, t0
    ret

; print_log_line(a0 = exit-log line) — pid, name, status, instructions
print_log_line:
    push ra, s0, s1
    addi sp, sp, -STATUS_TEXT_SIZE ; the status text is put together here
    mv   s0, a0
    lw   a0, LOG_PID(s0)
    li   a1, COL_PID
    call kputdec_w
    li   a0, COL_GAP
    call kspaces
    addi a0, s0, LOG_NAME
    li   a1, COL_NAME
    call kputs_w
    mv   a0, sp
    lw   t0, LOG_CAUSE(s0)
    bnez t0, .killed
    la   a1, s_exit             ; "exit 3"
    call stpcpy
    lw   a1, LOG_STATUS(s0)
    andi a1, a1, EXIT_STATUS_MASK
    call stpdec
    j    .print
.killed:
    la   a1, s_killed_paren     ; "killed (load-fault)"
    call stpcpy
    mv   s1, a0
    lw   a0, LOG_CAUSE(s0)
    addi a0, a0, -1
    call cause_name
    mv   a1, a0
    mv   a0, s1
    call stpcpy
    la   a1, s_close
    call stpcpy
.print:
    mv   a0, sp
    li   a1, COL_STATUS
    call kputs_w
    lw   a0, LOG_UTIME(s0)
    li   a1, COL_INSNS
    call kputdec_w
    call kputnl
    addi sp, sp, STATUS_TEXT_SIZE
    pop  ra, s0, s1
    ret

.data
.align 4
last_picked: .word NPROC - 1    ; the slot the scheduler picked last (so it starts at 0)
s_zombie_ran:   .asciz "a process ran after it exited"
s_killed:       .asciz "kernel: killed pid "
s_open_paren:   .asciz " ("
s_paren_colon:  .asciz "): "
s_address:      .asciz ", address "
s_instruction:  .asciz ", instruction "
s_all_done:     .asciz "kernel: all processes have exited\n"
s_table_head:   .asciz "  pid  name          status                  instructions\n"
s_exit:         .asciz "exit "
s_killed_paren: .asciz "killed ("
s_close:        .asciz ")"
s_missed:       .asciz " more processes exited (the table is full)\n"

.bss
.align 4
proc:        .space NPROC * P_SIZE
proc_end:
curproc:     .space 4           ; the process running, 0 in the scheduler
nextpid:     .space 4           ; the last pid handed out
sched_ctx:   .space CTX_SIZE          ; the scheduler's swtch context
nexited:     .space 4           ; processes that have exited
nlog:        .space 4           ; lines in exitlog
exitlog:     .space MAXLOG * LOG_SIZE
.text
