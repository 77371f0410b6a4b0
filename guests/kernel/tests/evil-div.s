; evil-div.s — divide by zero.
;
; The division traps (divide-by-zero) and the kernel kills us.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

_start:
    print msg_try
    li   t1, 42
    li   t2, 0
fault:
    div  a0, t1, t2
    print msg_survived
    exit 0

.data
msg_try:      .asciz "evil-div: 42 / 0\n"
msg_survived: .asciz "evil-div: got an answer!\n"
