; bintree.s — benchmark (real programs): binary trees on a brk heap with a
; free list.
;
; Definition (every implementation in the suite computes exactly this):
;   for d = 4, 6, … ≤ maxDepth, 2^(maxDepth − d + 4) times: build a complete
;   tree of depth d (a node is a pair of children, a leaf has none), count
;   its nodes by walking it, and drop it. The sum of the counts;
;   maxDepth = 12 → 649904, printed in decimal as the only output line.
;
; Nodes are 8 bytes (left, right; a leaf has left = 0) from an allocator of
; its own: a free list (linked through `left`) first, else the heap, grown
; with brk 64 KiB at a time. A dropped tree goes back on the free list, so
; after the first tree of each depth the heap stops growing and memory is
; reused. Three recursive walks per tree: build, count, free. The size is
; MAXD below (the tests assemble it with a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

MAXD = 12
CHUNK = 65536                   ; bytes the heap grows by

_start:
    li   a0, 0                  ; brk(0): where the heap starts
    sys  SYS_BRK
    la   t1, heap_next
    sw   a0, 0(t1)
    la   t1, heap_end
    sw   a0, 0(t1)

    li   s0, 0                  ; s0 = total
    li   s1, 4                  ; s1 = d
.depth:
    li   t1, MAXD
    bgt  s1, t1, .print
    li   t1, MAXD + 4
    sub  t1, t1, s1
    li   s2, 1
    sll  s2, s2, t1             ; s2 = trees left at this depth
.tree:
    mv   a0, s1
    call make
    mv   s3, a0                 ; s3 = the tree
    call count
    add  s0, s0, a0
    mv   a0, s3
    call free
    addi s2, s2, -1
    bnez s2, .tree
    addi s1, s1, 2
    j    .depth
.print:
    mv   a0, s0
    call put_dec
    exit 0

; alloc() → a0 = an 8-byte node, contents undefined
alloc:
    la   t1, free_list
    lw   a0, 0(t1)
    beqz a0, 1f
    lw   t2, 0(a0)              ; pop the free list
    sw   t2, 0(t1)
    ret
1:  la   t1, heap_next
    lw   a0, 0(t1)
    addi t2, a0, 8
    la   t3, heap_end
    lw   a1, 0(t3)
    bgtu t2, a1, 2f
    sw   t2, 0(t1)              ; bump
    ret
2:  mv   a2, a0                 ; the heap is full: grow it
    li   t2, CHUNK
    add  a0, a1, t2
    mv   a3, a0
    sys  SYS_BRK
    bne  a0, a3, .nomem
    la   t3, heap_end
    sw   a0, 0(t3)
    mv   a0, a2
    addi t2, a0, 8
    la   t1, heap_next
    sw   t2, 0(t1)
    ret
.nomem:
    eprint msg_nomem
    exit 1

; make(a0 = depth) → a0 = a complete tree of that depth
make:
    push ra, s0, s1
    mv   s0, a0
    beqz s0, .leaf
    addi a0, s0, -1
    call make
    mv   s1, a0                 ; s1 = left
    addi a0, s0, -1
    call make
    mv   s0, a0                 ; s0 = right
    call alloc
    sw   s1, 0(a0)
    sw   s0, 4(a0)
    pop  ra, s0, s1
    ret
.leaf:
    call alloc
    sw   zero, 0(a0)
    sw   zero, 4(a0)
    pop  ra, s0, s1
    ret

; count(a0 = tree) → a0 = its nodes
count:
    lw   t1, 0(a0)
    bnez t1, 1f
    li   a0, 1                  ; a leaf
    ret
1:  push ra, s0, s1
    lw   s0, 4(a0)              ; s0 = right
    mv   a0, t1
    call count
    mv   s1, a0
    mv   a0, s0
    call count
    add  a0, a0, s1
    addi a0, a0, 1
    pop  ra, s0, s1
    ret

; free(a0 = tree): every node back on the free list, children first
free:
    push ra, s0
    mv   s0, a0
    lw   a0, 0(s0)
    beqz a0, 1f                 ; a leaf
    call free
    lw   a0, 4(s0)
    call free
1:  la   t1, free_list
    lw   t2, 0(t1)
    sw   t2, 0(s0)
    sw   s0, 0(t1)
    pop  ra, s0
    ret

.data
.align 4
free_list:  .word 0
heap_next:  .word 0
heap_end:   .word 0
msg_nomem:  .asciz "bintree: brk could not grow the heap\n"
