; dispatch.s — the dispatch floor's loop (bench section `dispatch`).
;
; Definition (every implementation of the section computes exactly this):
;   i = 0; s = 0; repeat: i = i + 1; s = (s + i) mod 2^32; until i = N.
;   N = 10^8 → 3adb7080, printed as 8 lowercase hex digits, the only output line.
;
; Three instructions a turn, none of them a fused pair (decoded.ts fuses
; addi+bne, so the add sits between them): one dispatch each. The section
; runs these three words under typevisor's interpreter, the bare switch, and
; two loops that do nothing but dispatch them (JavaScript and WebAssembly),
; so the difference between them is what the machine costs, and the last two
; are the floor a switch over these words can reach in each language.

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

N = 100000000

_start:
    li   t1, 0                  ; t1 = i
    li   s0, 0                  ; s0 = s
    li   t2, N
loop:
    addi t1, t1, 1
    add  s0, s0, t1
    bne  t1, t2, loop
    mv   a0, s0
    call put_hex
    exit 0
