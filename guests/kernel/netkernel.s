; netkernel.s — the guest kernel with one program, netecho: a network echo
; server. Under the hosted monitor, give it a socket:
;
;   typevisor boot guests/kernel/netkernel.s --monitor hosted --net-listen 7000
;
; and talk to it (`nc 127.0.0.1 7000`): every line comes back, and when the
; peer hangs up netecho says how many bytes went round, the kernel prints its
; table and powers off. Elsewhere (the bare machine, the native monitor) no
; cable is plugged in, and netecho waits for a peer that never comes.

.include "core.s"

.data
.align 4
programs:
    program "netecho",   "../programs/netecho.s",    PROG_BOOT,  ""
program_table_end
