; evil-text.s — patch our own code.
;
; .text is mapped read+execute, never write: the store faults (store-fault,
; at an address in .text) and the kernel kills us.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

_start:
    print msg_try
    la   t1, _start
fault:
    sw   zero, 0(t1)
    print msg_survived
    exit 0

.data
msg_try:      .asciz "evil-text: overwriting _start\n"
msg_survived: .asciz "evil-text: code patched!\n"
