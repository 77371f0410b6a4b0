; evil-priv.s — turn paging off.
;
; csrw is privileged: in user mode it traps (privileged-instruction; badaddr
; holds the instruction word) and the kernel kills us.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

_start:
    print msg_try
fault:
    csrw ptbase, zero
    print msg_survived
    exit 0

.data
msg_try:      .asciz "evil-priv: writing ptbase\n"
msg_survived: .asciz "evil-priv: paging is off!\n"
