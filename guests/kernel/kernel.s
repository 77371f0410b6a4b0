; kernel.s — the typevisor guest kernel: `typevisor boot guests/kernel/kernel.s`.
;
; A small Unix-like kernel in the spirit of xv6: preemptive round-robin
; processes in their own address spaces, the process VM's system calls,
; a console, and a flat filesystem on the disk. Its boot programs are linked
; into it (programs.s); spawn by name also loads programs from the disk
; (spawnv.s, diskexec.s), and `typevisor boot --init sh` starts the shell
; (user/sh.s) instead of the boot programs.
;
; Read in this order:
;   memlayout.inc  the machine, the memory maps, every constant
;   boot.s         from the firmware's hand-off to the scheduler
;   trap.s         into the kernel and back out to user mode
;   proc.s         processes: the scheduler, sleep/wakeup, exit/kill/wait
;   exec.s         the program table, and loading a program's image
;   spawnv.s       starting a program by name, with arguments; --init
;   diskexec.s     loading a program's image from the disk
;   syscall.s      the system-call table and the simple calls
;   vm.s           the page pool, page tables, checking user pointers
;   console.s      console input and output for processes
;   disk.s, fs.s   the block driver and the tvfs filesystem
;   net.s          the network as an fd (open("net")), and fds ≥ 3 routed
;                  to it or to tvfs
;   printk.s       the kernel's own printing
;   string.s       a few string routines
;
; core.s includes them all (and documents the register conventions); this
; file adds the program table.

.include "core.s"
.include "programs.s"
