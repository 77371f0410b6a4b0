# A first look at the kernel with the debugger (the README's "Debug the kernel"):
#   typevisor boot guests/kernel/kernel.s --debug --batch guests/kernel/debug-trap.gdb
# Break in the trap handler on the first system call, walk the user's pc
# through the page tables, follow the call into sys_write, finish back to
# user mode, then step backwards and forwards again.
break trap_vector if $cause == 9
continue
info traps 2
x/2i $epc
translate $epc
tbreak sys_write
continue
bt
x/s a1
translate a1
finish
finish
finish
reverse-step 3
step 3
