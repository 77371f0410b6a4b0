; syscall.s — the system-call ABI (isa/syscalls.ts), the same one the
; process VM serves: number in t0, arguments in a0..a3, result in a0 (a
; negative result is −errno), every other register preserved.
;
; The user's registers are in its trap frame; the dispatcher hands a0..a3 to
; the handler as its arguments and puts what it returns into the frame's a0,
; which usertrapret restores. Pointers arrive as plain numbers: each handler
; checks them (vm.s: uvalid, copyout, copyinstr) before use.

.text

; syscall() — serve the current process's call (usertrap has stepped epc past it)
syscall:
    push ra, s0
    la   t0, curproc
    lw   s0, 0(t0)
    lw   t1, P_TF + TF_T0(s0)   ; the number
    addi t1, t1, -1
    li   t2, NSYSCALLS - 1
    bgeu t1, t2, .unknown       ; below 1 wraps round to a huge number
    slli t1, t1, 2
    la   t2, syscalls
    add  t2, t2, t1
    lw   t2, 0(t2)
    lw   a0, P_TF + TF_A0(s0)
    lw   a1, P_TF + TF_A1(s0)
    lw   a2, P_TF + TF_A2(s0)
    lw   a3, P_TF + TF_A3(s0)
    jalr ra, t2, 0
    j    .result
.unknown:
    li   a0, -ENOSYS
.result:
    sw   a0, P_TF + TF_A0(s0)
    pop  ra, s0
    ret

; cur_pt() → a0 = the current process's root page table (clobbers t0)
cur_pt:
    la   t0, curproc
    lw   a0, 0(t0)
    lw   a0, P_PT(a0)
    ret

; exit(status)
sys_exit:
    andi a0, a0, EXIT_STATUS_MASK
    li   a1, 0
    j    exit

; read(fd, buf, len) — fd 0 is the console; 3 and up, open files or the network
sys_read:
    li   t0, FIRST_FILE_FD
    bge  a0, t0, file_read
    bnez a0, .bad
    li   a3, PTE_W              ; the kernel will store into the buffer
    la   t3, console_read
    j    console_io
.bad:
    li   a0, -EBADF
    ret

; write(fd, buf, len) — fds 1 and 2 are the console; 3 and up, open files or the network
sys_write:
    li   t0, FIRST_FILE_FD
    bge  a0, t0, file_write
    addi t0, a0, -STDOUT
    li   t1, STDERR - STDOUT + 1
    bgeu t0, t1, .bad           ; neither 1 nor 2
    li   a3, PTE_R
    la   t3, console_write
    j    console_io
.bad:
    li   a0, -EBADF
    ret

; console_io(a1 = buf, a2 = len, a3 = PTE bits the buffer needs,
; t3 = console_read or console_write) → what t3 returns, having called it
; with (buf, len) once the buffer is checked; 0 for len 0, or -EFAULT
console_io:
    beqz a2, .none
    push ra, a1, a2, t3
    mv   a0, a1
    mv   a1, a2
    mv   a2, a3
    call ucheck
    pop  ra, a1, a2, t3
    bnez a0, .out
    push ra
    mv   a0, a1
    mv   a1, a2
    jalr ra, t3, 0
    pop  ra
.out:
    ret
.none:
    li   a0, 0
    ret

; ucheck(a0 = user address, a1 = len, a2 = PTE bits) → a0 = 0, or -EFAULT
; unless the current process may access all of [a0, a0 + len) so
ucheck:
    mv   a3, a2
    mv   a2, a1
    mv   a1, a0
    la   t0, curproc
    lw   a0, 0(t0)
    lw   a0, P_PT(a0)
    j    uvalid

; fetchname(a0 = user string, a1 = kernel buffer of NAME_MAX bytes) →
; a0 = its length, -EFAULT or -ENAMETOOLONG
fetchname:
    mv   a2, a0
    la   t0, curproc
    lw   a0, 0(t0)
    lw   a0, P_PT(a0)
    li   a3, NAME_MAX
    j    copyinstr

; brk(addr) → the break. 0 asks; below the heap's start, into the guard page
; under the stack, or more than memory holds: refused, the break stays.
sys_brk:
    push ra, s0, s1, s2
    la   t0, curproc
    lw   s0, 0(t0)
    beqz a0, .same
    lw   t0, P_HEAP(s0)
    bltu a0, t0, .same
    li   t0, HEAP_LIMIT
    bltu t0, a0, .same
    mv   s1, a0                 ; s1 = the new break
    lw   a1, P_BRK(s0)          ; page-granular underneath:
    addi a1, a1, PAGE_SIZE - 1  ;   a1 = end of the pages the heap has,
    srli a1, a1, PAGE_SHIFT
    slli a1, a1, PAGE_SHIFT
    addi a2, s1, PAGE_SIZE - 1  ;   a2 = end of the pages it needs
    srli a2, a2, PAGE_SHIFT
    slli a2, a2, PAGE_SHIFT
    bltu a2, a1, .shrink
    beq  a2, a1, .set
    ; Grow. Refuse at once what the pool cannot hold (a page table for
    ; each 4 MiB included), rather than fill memory and give it all back.
    sub  t0, a2, a1
    srli t0, t0, PAGE_SHIFT
    srli t1, t0, L0_SHIFT
    add  t0, t0, t1
    addi t0, t0, 1
    la   t1, kmem_nfree
    lw   t1, 0(t1)
    bltu t1, t0, .same
    mv   s2, a1                 ; s2 = where the new pages start
    lw   a0, P_PT(s0)
    li   a3, PTE_R | PTE_W
    call uvm_map
    bgez a0, .set
    lw   a0, P_PT(s0)           ; out of memory half way: undo
    mv   a1, s2
    mv   a2, s1
    addi a2, a2, PAGE_SIZE - 1
    srli a2, a2, PAGE_SHIFT
    slli a2, a2, PAGE_SHIFT
    call uvm_unmap
    j    .same
.shrink:
    mv   t0, a1
    mv   a1, a2
    mv   a2, t0
    lw   a0, P_PT(s0)
    call uvm_unmap
.set:
    sw   s1, P_BRK(s0)
.same:
    lw   a0, P_BRK(s0)
    pop  ra, s0, s1, s2
    ret

; clock() → virtual time since boot: low word in a0, high in a1
sys_clock:
    la   t0, curproc
    lw   t0, 0(t0)
    csrr t1, timeh
    sw   t1, P_TF + TF_A1(t0)
    csrr a0, time
    ret

; argc() → 1 + the table entry's extra arguments
sys_argc:
    la   t0, curproc
    lw   t0, 0(t0)
    lw   t0, P_PROG(t0)
    lw   t0, PROG_ARGS(t0)
    li   a0, 1
1:  lbu  t1, 0(t0)              ; an empty string ends the list
    beqz t1, 3f
    addi a0, a0, 1
2:  lbu  t1, 0(t0)              ; skip this one, NUL included
    addi t0, t0, 1
    bnez t1, 2b
    j    1b
3:  ret

; argv(i, buf, len) → the length of argument i, having copied it,
; NUL-terminated and cut to len bytes, into buf; -EINVAL if there is no such
; argument. Argument 0 is the program's name in the table.
sys_argv:
    push ra, s0, s1, s2, s3
    mv   s1, a1                 ; s1 = buf
    mv   s2, a2                 ; s2 = len
    la   t0, curproc
    lw   t0, 0(t0)
    lw   t0, P_PROG(t0)
    lw   s0, PROG_NAME(t0)      ; s0 = argument 0
    beqz a0, .found
    lw   s0, PROG_ARGS(t0)      ; s0 = argument 1; skip i - 1 more
    addi a0, a0, -1
1:  lbu  t1, 0(s0)
    beqz t1, .missing           ; the empty string: the list has ended
    beqz a0, .found
    addi a0, a0, -1
2:  lbu  t1, 0(s0)
    addi s0, s0, 1
    bnez t1, 2b
    j    1b
.found:
    mv   a0, s0
    call strlen
    mv   s3, a0                 ; s3 = its full length
    beqz s2, .done
    addi s2, s2, -1             ; room for the NUL
    bltu s2, s3, 3f
    mv   s2, s3                 ; s2 = bytes of it that fit
3:  mv   a0, s1
    addi a1, s2, 1
    li   a2, PTE_W
    call ucheck
    bnez a0, .out
    call cur_pt
    mv   a1, s1
    mv   a2, s0
    mv   a3, s2
    call uput
    call cur_pt
    add  a1, s1, s2
    la   a2, zero_byte
    li   a3, 1
    call uput
.done:
    mv   a0, s3
.out:
    pop  ra, s0, s1, s2, s3
    ret
.missing:
    li   a0, -EINVAL
    j    .out

; yield() → 0
sys_yield:
    push ra
    call yield
    pop  ra
    li   a0, 0
    ret

; getpid()
sys_getpid:
    la   t0, curproc
    lw   t0, 0(t0)
    lw   a0, P_PID(t0)
    ret

; wait(status_ptr) — proc.s does the work
sys_wait:
    j    wait

; readdir(i, buf, len) → the size in bytes of the disk's i-th file, its
; name copied NUL-terminated into buf (len ≥ DE_NAME_MAX: names are at most
; 19 bytes, else -EINVAL); -ENOENT past the last file, -EACCES without a
; tvfs disk
sys_readdir:
    push ra, s0, s1
    mv   s1, a1
    li   t0, DE_NAME_MAX
    bltu a2, t0, .inval
    la   t0, fs_ok
    lw   t0, 0(t0)
    beqz t0, .noacc
    la   s0, fs_sb + FS_DIR
    li   t1, FS_MAX_FILES
.next:
    beqz t1, .noent
    lbu  t2, DE_NAME(s0)
    beqz t2, .skip              ; a free slot
    beqz a0, .found
    addi a0, a0, -1
.skip:
    addi s0, s0, DE_SIZE
    addi t1, t1, -1
    j    .next
.found:
    addi a0, s0, DE_NAME
    call strlen
    addi a3, a0, 1
    call cur_pt
    mv   a1, s1
    addi a2, s0, DE_NAME
    call copyout
    bnez a0, .out
    lw   a0, DE_BYTES(s0)
.out:
    pop  ra, s0, s1
    ret
.inval:
    li   a0, -EINVAL
    j    .out
.noacc:
    li   a0, -EACCES
    j    .out
.noent:
    li   a0, -ENOENT
    j    .out

.data
.align 4
; The table, by number (1..16).
syscalls:
    .word sys_exit, sys_read, sys_write, file_open, fs_close, file_seek, sys_brk
    .word sys_clock, sys_argc, sys_argv, sys_yield, sys_getpid, sys_wait, sys_spawn
    .word sys_spawnv, sys_readdir
zero_byte: .byte 0
.text
