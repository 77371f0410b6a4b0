; core.s — the whole kernel except its program table.
;
; kernel.s is this plus programs.s. A test builds a kernel with programs of
; its own choosing the same way: a top file that includes this file and then
; a table of its own (see programs.s for the format).
;
; Register conventions, everywhere in the kernel (the user ABI's):
;   a0..a3   arguments; a0 (a1) results; a negative result is -errno
;   t0..t3   temporaries: any call may change them (t0 included)
;   s0..s3, fp, sp   preserved by every routine that returns
;   ra       return address (push it before making a call)
; Routines that never return (exit, kill, panic, the scheduler) use the
; s registers freely. The kernel runs with interrupts off, and with paging
; on from early in boot: RAM is identity mapped, so addresses of kernel data
; are physical addresses too (DMA, page tables).

.include "memlayout.inc"
.include "boot.s"
.include "trap.s"
.include "syscall.s"
.include "proc.s"
.include "exec.s"
.include "spawnv.s"
.include "diskexec.s"
.include "vm.s"
.include "console.s"
.include "disk.s"
.include "fs.s"
.include "net.s"
.include "printk.s"
.include "string.s"

; The end of the kernel's code: executable pages stop here (vm.s: kvminit).
; The program table's images and names follow in .text, on pages mapped
; read+write like .data: the kernel reads them, never runs them.
.text
etext:

; The end of the kernel image: the page pool starts on the next page. The
; program table adds nothing to .bss, and .bss comes last in memory.
.bss
.align 4
kernel_end:
.text
