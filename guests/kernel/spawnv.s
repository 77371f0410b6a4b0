; spawnv.s — starting a program by name with arguments: spawnv(name, args),
; spawn(name), and the boot command's --init NAME.
;
; A program started by name gets a kernel page of its own (ENT_*,
; memlayout.inc): a program entry, its name and its argument strings. The
; name is looked up on the tvfs disk first (diskexec.s loads it from there),
; then in the linked-in program table: a disk program named `hello` is what
; the shell's `hello` runs. (The boot programs are started from the table
; itself, so a disk cannot replace them.) The process owns the page
; (P_ENTPAGE) and freeproc gives it back, so argc/argv and the kill message
; read the entry as they read a table entry.

.text

; spawn(name) → the new pid: spawnv with the program's own arguments
sys_spawn:
    li   a1, 0
; spawnv(name, args) → the new pid; -ENOENT if no disk file and no linked-in
; program has that name. args: 0 (a linked-in program's own arguments; none for one
; from the disk), or argv[1..] as NUL-terminated strings one after another,
; ended by an empty one, at most ARGS_MAX bytes in all (else -ENAMETOOLONG)
sys_spawnv:
    push ra, s0, s1, s2
    mv   s1, a0                 ; s1 = the user's name
    mv   s2, a1                 ; s2 = the user's arguments, or 0
    call kalloc
    beqz a0, .nomem
    mv   s0, a0                 ; s0 = the entry page
    call cur_pt
    addi a1, s0, ENT_NAME
    mv   a2, s1
    li   a3, NAME_MAX
    call copyinstr
    bltz a0, .free
    beqz s2, .spawn
    addi s1, s0, ENT_ARGS       ; s1 = where the next argument goes
.arg:
    call cur_pt
    li   t0, PAGE_SIZE
    add  t0, t0, s0
    sub  a3, t0, s1             ; room left in the page
    mv   a1, s1
    mv   a2, s2
    call copyinstr
    bltz a0, .free
    beqz a0, .spawn             ; the empty string: the end
    addi a0, a0, 1
    add  s1, s1, a0
    add  s2, s2, a0
    j    .arg
.spawn:
    mv   a0, s0
    la   t0, curproc
    lw   a1, 0(t0)              ; the caller is the parent: it may wait
    mv   a2, s2
    call spawn_entry
    pop  ra, s0, s1, s2
    ret
.free:
    mv   s1, a0
    mv   a0, s0
    call kfree
    mv   a0, s1
    pop  ra, s0, s1, s2
    ret
.nomem:
    li   a0, -ENOMEM
    pop  ra, s0, s1, s2
    ret

; spawn_entry(a0 = entry page with ENT_NAME filled, and ENT_ARGS if a2 ≠ 0;
; a1 = parent or 0) → a0 = pid or -errno. The page goes to the new process,
; or back to the pool if there is none.
spawn_entry:
    push ra, s0, s1, s2
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
    addi t0, s0, ENT_NAME
    sw   t0, PROG_NAME(s0)
    addi t0, s0, ENT_ARGS
    sw   t0, PROG_ARGS(s0)
    addi a0, s0, ENT_NAME       ; the disk first, as a PATH would have it:
    call fs_find_file           ; a program of yours there shadows the kernel's
    bnez a0, .go                ; PROG_IMAGE stays 0: exec reads the file
    addi a0, s0, ENT_NAME
    call find_program
    beqz a0, .noent
    lw   t0, PROG_IMAGE(a0)     ; linked in: its image, and its own
    sw   t0, PROG_IMAGE(s0)     ; arguments unless some were given
    bnez s2, .go
    lw   t0, PROG_ARGS(a0)
    sw   t0, PROG_ARGS(s0)
.go:
    mv   a0, s0
    mv   a1, s1
    mv   a2, s0
    call proc_spawn
    pop  ra, s0, s1, s2
    ret
.noent:
    mv   a0, s0
    call kfree
    li   a0, -ENOENT
    pop  ra, s0, s1, s2
    ret

; start_first() — at boot: the --init program if the boot command named one
; (boot_init), else every PROG_BOOT program of the table
start_first:
    la   t0, boot_init
    lbu  t0, 0(t0)
    beqz t0, start_boot_programs
    push ra, s0
    call kalloc
    li   s0, -ENOMEM
    beqz a0, .failed
    mv   s0, a0
    addi a0, s0, ENT_NAME
    la   a1, boot_init
    call stpcpy
    mv   a0, s0
    li   a1, 0                  ; no parent: the kernel ends when it is done
    li   a2, 0
    call spawn_entry
    bgez a0, .out
    mv   s0, a0
.failed:
    la   a0, s_cannot_start
    call kputs
    la   a0, boot_init
    call kputs
    la   a0, s_error
    call kputs
    neg  a0, s0
    call kputdec
    la   a0, s_close_paren
    call kputs
.out:
    pop  ra, s0
    ret

.data
.align 4
; boot_init — the program to start instead of the boot programs: a
; NUL-terminated name, empty for none. `typevisor boot --init NAME` writes
; the name here, into the kernel image before it boots (cli/boot/init-arg.ts
; finds this symbol); NAME_MAX bytes, the NUL included.
boot_init: .space NAME_MAX
.text
