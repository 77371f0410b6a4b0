; exec.s — the programs linked into the kernel, and starting one: the
; program table (programs.s) and loading a TVIM image into a fresh address
; space.
;
; The boot programs cannot come from a disk (a kernel may have none), so each
; is assembled on its own (`.image`, isa/asm/embed.ts) and its complete image
; file embedded in the kernel. exec reads the image as any loader would
; (isa/image.ts documents the format) and maps it exactly as the process VM
; does (vm/process/loader.ts): the same program runs the same under both.

.text

; ---------------------------------------------------------------------------
; The program table (programs.s) and starting programs.

; program NAME, FILE, FLAGS, ARGS — one entry of the program table: the
; name (argv[0], and what spawn looks for), the program's source (embedded
; as its assembled image; a relative path is relative to the file that calls
; the macro, then to this folder, then the include path), PROG_BOOT or
; PROG_SPAWN, and argv[1..] as one string with "\0" between arguments ("" for
; none). The entries follow one another in .data after the `programs:` label;
; what they point at goes in .text after the kernel's code (etext), on pages
; mapped as data: read, never executed.
.macro program name, file, flags, args
    .data
    .word .name\@, .image\@, \flags, .args\@
    .text
    .align 4
.image\@:
    .image \file
.name\@:
    .asciz \name
.args\@:
    .asciz \args
    .byte 0                     ; an empty string ends the arguments
.endm

; program_table_end — after the last `program`
.macro program_table_end
    .data
    .align 4
    .word 0, 0, 0, 0
.endm

; count_programs() → a0 = entries in the program table
count_programs:
    la   t0, programs
    li   a0, 0
1:  lw   t1, PROG_NAME(t0)
    beqz t1, 2f
    addi a0, a0, 1
    addi t0, t0, PROG_SIZE
    j    1b
2:  ret

; find_program(a0 = name) → a0 = its table entry, or 0
find_program:
    push ra, s0, s1
    mv   s0, a0
    la   s1, programs
.next:
    lw   a1, PROG_NAME(s1)
    beqz a1, .none
    mv   a0, s0
    call streq
    bnez a0, .found
    addi s1, s1, PROG_SIZE
    j    .next
.found:
    mv   a0, s1
    pop  ra, s0, s1
    ret
.none:
    li   a0, 0
    pop  ra, s0, s1
    ret

; start_boot_programs() — spawn every PROG_BOOT entry, in table order
start_boot_programs:
    push ra, s0
    la   s0, programs
.next:
    lw   t0, PROG_NAME(s0)
    beqz t0, .done
    lw   t0, PROG_FLAGS(s0)
    andi t0, t0, PROG_BOOT
    beqz t0, .skip
    mv   a0, s0
    li   a1, 0                  ; no parent: nobody waits for it
    li   a2, 0                  ; its entry is the table's
    call proc_spawn
    bgez a0, .skip
    mv   a1, a0
    mv   a0, s0
    call say_not_started
.skip:
    addi s0, s0, PROG_SIZE
    j    .next
.done:
    pop  ra, s0
    ret

; say_not_started(a0 = table entry, a1 = -errno) — "kernel: cannot start NAME (error N)"
say_not_started:
    push ra, s0, s1
    mv   s0, a0
    mv   s1, a1
    la   a0, s_cannot_start
    call kputs
    lw   a0, PROG_NAME(s0)
    call kputs
    la   a0, s_error
    call kputs
    neg  a0, s1
    call kputdec
    la   a0, s_close_paren
    call kputs
    pop  ra, s0, s1
    ret

; ---------------------------------------------------------------------------
; exec: an embedded TVIM image (isa/image.ts) → the process's address space.
;
; The header says where the section table is; each section says its address,
; size, flags and where its bytes are in the image. Sections are mapped at
; their link addresses (a page two sections share gets both's permissions),
; their bytes copied (a ZERO section, bss, stays as the fresh zeroed pages),
; then the stack, and the heap starts on the page after the highest section.
; The image came from our own assembler, so only what would hurt the kernel
; is checked: the magic, the version, and that sections stay in user space.

; exec(a0 = proc, a1 = program entry) → a0 = 0, -EINVAL, -ENOMEM, or
; -ENOENT/-EIO for a program on the disk. An entry without an image is a
; program on the disk: diskexec.s loads it.
exec:
    sw   a1, P_PROG(a0)
    lw   t0, PROG_IMAGE(a1)
    beqz t0, exec_disk
    push ra, s0, s1, s2, s3
    mv   s0, a0
    mv   s1, t0                 ; s1 = the image
    lw   t0, 0(s1)
    li   t1, IMG_MAGIC
    bne  t0, t1, .bad
    lhu  t0, IMG_VERSION(s1)
    li   t1, IMG_MAJOR
    bne  t0, t1, .bad
    lw   s2, IMG_NSECTIONS(s1)  ; s2 = sections left
    addi s3, s1, IMG_SECTIONS   ; s3 = the current section entry
    li   t0, USER_TEXT_BASE
    sw   t0, P_HEAP(s0)         ; the highest section end, so far
.section:
    beqz s2, .stack
    mv   a0, s0
    mv   a1, s1
    mv   a2, s3
    call load_section
    bltz a0, .out
    addi s2, s2, -1
    addi s3, s3, SEC_ENTRY_SIZE
    j    .section
.stack:
    mv   a0, s0
    mv   a1, s1
    call exec_finish
.out:
    pop  ra, s0, s1, s2, s3
    ret
.bad:
    li   a0, -EINVAL
    j    .out

; exec_finish(a0 = proc, a1 = image header) → a0 = 0 or -ENOMEM: the
; stack, the heap's start, the entry point — once the sections are mapped
exec_finish:
    push ra, s0, s1
    mv   s0, a0
    mv   s1, a1
    lw   a0, P_PT(s0)
    li   a1, STACK_BOTTOM
    li   a2, USER_STACK_TOP
    li   a3, PTE_R | PTE_W
    call uvm_map
    bltz a0, .out
    lw   t0, P_HEAP(s0)         ; the heap: the page after the last section
    addi t0, t0, PAGE_SIZE - 1
    srli t0, t0, PAGE_SHIFT
    slli t0, t0, PAGE_SHIFT
    sw   t0, P_HEAP(s0)
    sw   t0, P_BRK(s0)
    lw   t0, IMG_ENTRY(s1)
    sw   t0, P_TF + TF_EPC(s0)
    li   t0, USER_STACK_TOP
    sw   t0, P_TF + TF_SP(s0)
    li   a0, 0
.out:
    pop  ra, s0, s1
    ret

; load_section(a0 = proc, a1 = image, a2 = section entry) → a0 = 0, -EINVAL, -ENOMEM
load_section:
    li   a3, 0                  ; the bytes are in memory, at image + offset
; map_section(a0 = proc, a1 = image header, a2 = section entry, a3 = 0, or
; the directory entry of the disk file the bytes are in) → a0 = 0, -EINVAL,
; -ENOMEM, -EIO
map_section:
    push ra, s0, s1, s2, s3, fp
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
    mv   fp, a3
    lw   t0, SEC_SIZE(s2)
    beqz t0, .ok                ; nothing to map
    lw   t1, SEC_ADDR(s2)
    add  t2, t1, t0             ; t2 = end
    li   t3, USER_TEXT_BASE
    bltu t1, t3, .bad           ; page 0 stays unmapped
    bltu t2, t1, .bad           ; wrapped round
    li   t3, HEAP_LIMIT
    bltu t3, t2, .bad           ; into the stack, or the kernel
    lw   t3, P_HEAP(s0)
    bgeu t3, t2, 1f
    sw   t2, P_HEAP(s0)         ; the highest end yet
1:  lw   t3, SEC_FLAGS(s2)
    li   a3, PTE_R
    andi t0, t3, SECF_WRITE
    beqz t0, 2f
    ori  a3, a3, PTE_W
2:  andi t0, t3, SECF_EXEC
    beqz t0, 3f
    ori  a3, a3, PTE_X
3:  lw   a0, P_PT(s0)
    mv   a1, t1
    mv   a2, t2
    call uvm_map
    bltz a0, .out
    lw   t0, SEC_FLAGS(s2)
    andi t0, t0, SECF_ZERO
    bnez t0, .ok                ; bss: the fresh pages are zero already
    bnez fp, .from_disk
    lw   a0, P_PT(s0)
    lw   a1, SEC_ADDR(s2)
    lw   a2, SEC_OFFSET(s2)
    add  a2, s1, a2
    lw   a3, SEC_FILESIZE(s2)
    call uput
.ok:
    li   a0, 0
.out:
    pop  ra, s0, s1, s2, s3, fp
    ret
.from_disk:                     ; straight from the file into the pages
    lw   t0, SEC_FILESIZE(s2)
    lw   t1, SEC_SIZE(s2)
    bltu t1, t0, .bad           ; more bytes than the section holds
    lw   t1, SEC_OFFSET(s2)
    add  t2, t1, t0
    bltu t2, t1, .bad
    lw   t3, DE_BYTES(fp)
    bltu t3, t2, .bad           ; past the end of the file
    mv   a0, fp
    lw   a1, SEC_OFFSET(s2)
    lw   a2, SEC_ADDR(s2)
    mv   a3, t0
    lw   t3, P_PT(s0)
    call fs_pread
    bnez a0, .out
    j    .ok
.bad:
    li   a0, -EINVAL
    j    .out

.data
.align 4
s_cannot_start: .asciz "kernel: cannot start "
s_error:        .asciz " (error -"
s_close_paren:  .asciz ")\n"
.text
