; boot.s — where the kernel starts: from the firmware's hand-off to the
; scheduler.
;
; The bare machine (vm/bare.ts) loads this image at 0x8000_0000 and starts
; it in supervisor mode, paging off, interrupts off, every CSR zero, with
; a0 = the size of RAM. That is the whole boot protocol. From there:
;
;   1. a stack (the boot stack, which becomes the scheduler's),
;   2. the page pool: every page of RAM after the kernel image,
;   3. the kernel page table, then paging on,
;   4. the trap vector,
;   5. the console's receive interrupt and the disk's filesystem,
;   6. the banner, the boot programs, and the scheduler, for good.

.text

_start:
    la   sp, boot_stack_top
    la   t0, ram_size
    sw   a0, 0(t0)              ; the boot protocol: a0 = RAM size

    ; The pool is the RAM above the kernel's last byte, page aligned.
    la   a0, kernel_end
    addi a0, a0, PAGE_SIZE - 1
    srli a0, a0, PAGE_SHIFT
    slli a0, a0, PAGE_SHIFT
    la   t0, ram_size
    lw   a1, 0(t0)
    li   t0, RAM_BASE
    add  a1, a1, t0             ; a1 = end of RAM
    call kinit
    la   t0, kmem_nfree
    lw   t0, 0(t0)
    la   t1, boot_pages
    sw   t0, 0(t1)              ; for the banner: free pages before anyone ran

    call kvminit
    ; Paging on. The kernel is identity mapped (VA = PA) in this table, so
    ; the fetch after this instruction finds the very next word: the switch
    ; is seamless.
    la   t0, kernel_pt
    lw   t0, 0(t0)
    ori  t0, t0, PTBASE_ON
    csrw ptbase, t0

    ; From now on every trap and interrupt lands in trap.s. scratch stays 0
    ; while the kernel runs: that is how the vector tells a trap from the
    ; kernel (a bug: panic) from one from user mode.
    la   t0, trap_vector
    csrw tvec, t0
    csrw scratch, zero

    call console_init
    call fs_init                ; reads the disk's directory, if there is a disk
    call banner
    call start_first            ; --init NAME, or the boot programs (spawnv.s)
    j    scheduler              ; never returns

; banner() — "typevisor kernel: 16384 KiB RAM, N programs, ..." and the disk
banner:
    push ra, s0
    la   a0, s_banner
    call kputs
    la   t0, ram_size
    lw   a0, 0(t0)
    srli a0, a0, KIB_SHIFT
    call kputdec
    la   a0, s_kib
    call kputs
    call count_programs
    mv   s0, a0
    call kputdec
    la   a0, s_programs
    call kputs
    li   t0, 1
    beq  s0, t0, 1f
    li   a0, 's'
    call kputc
1:  la   a0, s_comma
    call kputs
    la   t0, boot_pages
    lw   a0, 0(t0)
    call kputdec
    la   a0, s_pages
    call kputs
    call fs_describe
    pop  ra, s0
    ret

.data
s_banner:   .asciz "typevisor kernel: "
s_kib:      .asciz " KiB RAM, "
s_programs: .asciz " program"
s_comma:    .asciz ", "
s_pages:    .asciz " free pages\n"

.bss
.align 4
ram_size:   .space 4
boot_pages: .space 4
boot_stack: .space BOOT_STACK_SIZE
boot_stack_top:
.text
