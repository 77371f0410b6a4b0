; vm.s — physical pages and page tables: the page pool, the kernel's map,
; each process's address space, and moving bytes across the user boundary.
;
; Why it matters: this is the protection. A user page has U set, a kernel
; page does not, and user space ends at USER_LIMIT; every pointer a process
; hands the kernel is checked here (mapped, U, the right permission, the
; whole range) before the kernel touches a byte of it. The kernel reaches
; user memory through the physical address the walk finds — RAM is identity
; mapped in every table, so a physical address is also a kernel address.
;
; Addresses at or above 0x8000_0000 are negative as signed numbers: every
; comparison of addresses here is unsigned (bltu, bgeu).

.text

; ---------------------------------------------------------------------------
; The page pool: a list threaded through the free pages themselves.

; kinit(a0 = first page, a1 = end of RAM) — give every page in between to the pool
kinit:
    push ra, s0, s1
    mv   s0, a0
    mv   s1, a1
1:  addi t0, s0, PAGE_SIZE
    bltu s1, t0, 2f             ; a whole page must fit
    mv   a0, s0
    call kfree
    addi s0, s0, PAGE_SIZE
    j    1b
2:  pop  ra, s0, s1
    ret

; kfree(a0 = page) — back to the pool
kfree:
    la   t0, kmem_free
    lw   t1, 0(t0)
    sw   t1, 0(a0)              ; the page's first word links to the next free one
    sw   a0, 0(t0)
    la   t0, kmem_nfree
    lw   t1, 0(t0)
    addi t1, t1, 1
    sw   t1, 0(t0)
    ret

; kalloc() → a0 = a zeroed page, or 0 when the pool is empty
kalloc:
    la   t0, kmem_free
    lw   a0, 0(t0)
    beqz a0, .empty
    lw   t1, 0(a0)
    sw   t1, 0(t0)
    la   t0, kmem_nfree
    lw   t1, 0(t0)
    addi t1, t1, -1
    sw   t1, 0(t0)
    ; Zero it: a fresh page must not show a user what it held before.
    mv   t0, a0
    addi t1, a0, PAGE_SIZE
1:  sw   zero, 0(t0)
    sw   zero, 4(t0)
    sw   zero, 8(t0)
    sw   zero, 12(t0)
    addi t0, t0, 16
    bltu t0, t1, 1b
.empty:
    ret

; ---------------------------------------------------------------------------
; Page tables.

; walk(a0 = root, a1 = va, a2 = allocate?) → a0 = address of va's level-0
; PTE, or 0 (no level-0 table and none allocated, or the pool is empty)
walk:
    srli t0, a1, L1_SHIFT
    slli t0, t0, 2
    add  t0, a0, t0             ; t0 = the level-1 entry
    lw   t1, 0(t0)
    andi t2, t1, PTE_V
    bnez t2, .have
    beqz a2, .none
    push ra, a1, t0
    call kalloc
    pop  ra, a1, t0
    beqz a0, .none
    ori  t1, a0, PTE_V          ; a level-1 entry points at a table: no R/W/X
    sw   t1, 0(t0)
.have:
    srli t1, t1, PAGE_SHIFT
    slli t1, t1, PAGE_SHIFT     ; t1 = the level-0 table
    srli t2, a1, PAGE_SHIFT
    andi t2, t2, L0_MASK
    slli t2, t2, 2
    add  a0, t1, t2
    ret
.none:
    li   a0, 0
    ret

; mappages(a0 = root, a1 = va, a2 = end, a3 = PTE bits) → a0 = 0, or
; -ENOMEM. Maps [va, end) to the same physical addresses (identity): the
; kernel's own map.
mappages:
    push ra, s0, s1, s2, s3
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
    ori  s3, a3, PTE_V
.next:
    bgeu s1, s2, .done
    mv   a0, s0
    mv   a1, s1
    li   a2, 1
    call walk
    beqz a0, .oom
    or   t0, s1, s3
    sw   t0, 0(a0)
    addi s1, s1, PAGE_SIZE
    bnez s1, .next              ; the last page of the address space: stop at the wrap
.done:
    li   a0, 0
    pop  ra, s0, s1, s2, s3
    ret
.oom:
    li   a0, -ENOMEM
    pop  ra, s0, s1, s2, s3
    ret

; kvminit() — the kernel page table: RAM identity mapped, supervisor only
; (text read+execute, the rest read+write), and the device pages.
kvminit:
    push ra, s0, s1
    call kalloc
    beqz a0, .oom
    mv   s0, a0
    la   t0, kernel_pt
    sw   s0, 0(t0)
    la   s1, etext              ; s1 = the first page after the kernel's code
    addi s1, s1, PAGE_SIZE - 1
    srli s1, s1, PAGE_SHIFT
    slli s1, s1, PAGE_SHIFT
    mv   a0, s0                 ; code: read and execute, never written
    li   a1, RAM_BASE
    mv   a2, s1
    li   a3, PTE_R | PTE_X
    call mappages
    bnez a0, .oom
    mv   a0, s0                 ; everything after it: data, never executed
    mv   a1, s1
    la   t0, ram_size
    lw   a2, 0(t0)
    li   t0, RAM_BASE
    add  a2, a2, t0
    li   a3, PTE_R | PTE_W
    call mappages
    bnez a0, .oom
    mv   a0, s0                 ; the devices, each one page
    li   a1, CONSOLE_BASE
    li   a2, NET_BASE + PAGE_SIZE   ; the last device, the network
    li   a3, PTE_R | PTE_W
    call mappages
    bnez a0, .oom
    pop  ra, s0, s1
    ret
.oom:
    la   a0, s_no_pages
    j    panic

; ---------------------------------------------------------------------------
; User address spaces.

; uvm_create() → a0 = a root table whose kernel half is the kernel's, or 0
uvm_create:
    push ra
    call kalloc
    beqz a0, .out
    la   t0, kernel_pt
    lw   t0, 0(t0)
    li   t1, KERNEL_L1_FIRST * 4
    li   t3, L1_ENTRIES * 4
.copy:                          ; the same level-0 tables: one kernel, mapped everywhere
    add  t2, t0, t1
    lw   t2, 0(t2)
    add  a1, a0, t1
    sw   t2, 0(a1)
    addi t1, t1, 4
    bltu t1, t3, .copy
.out:
    pop  ra
    ret

; uvm_map(a0 = root, a1 = va, a2 = end, a3 = PTE bits) → a0 = 0, or -ENOMEM
; Fresh zeroed user pages for [va, end). A page already mapped keeps its
; frame and gains the bits: two sections sharing a page both get what they
; need. On -ENOMEM the pages mapped so far stay (the caller undoes them).
uvm_map:
    push ra, s0, s1, s2, s3
    mv   s0, a0
    srli s1, a1, PAGE_SHIFT
    slli s1, s1, PAGE_SHIFT
    mv   s2, a2
    ori  s3, a3, PTE_V | PTE_U
.next:
    bgeu s1, s2, .done
    mv   a0, s0
    mv   a1, s1
    li   a2, 1
    call walk
    beqz a0, .oom
    lw   t0, 0(a0)
    andi t1, t0, PTE_V
    beqz t1, .fresh
    or   t0, t0, s3             ; already there: add the permissions
    sw   t0, 0(a0)
    j    .advance
.fresh:
    push a0
    call kalloc
    pop  t1
    beqz a0, .oom
    or   a0, a0, s3
    sw   a0, 0(t1)
.advance:
    addi s1, s1, PAGE_SIZE
    j    .next
.done:
    tlbflush                    ; permissions may have grown on live pages
    li   a0, 0
    pop  ra, s0, s1, s2, s3
    ret
.oom:
    li   a0, -ENOMEM
    pop  ra, s0, s1, s2, s3
    ret

; uvm_unmap(a0 = root, a1 = va, a2 = end) — free the user pages of [va, end)
; (va page aligned) and forget them in the TLB
uvm_unmap:
    push ra, s0, s1, s2
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
.next:
    bgeu s1, s2, .done
    mv   a0, s0
    mv   a1, s1
    li   a2, 0
    call walk
    beqz a0, .advance
    lw   t0, 0(a0)
    andi t1, t0, PTE_V
    beqz t1, .advance
    sw   zero, 0(a0)
    srli a0, t0, PAGE_SHIFT
    slli a0, a0, PAGE_SHIFT
    call kfree
    tlbflush s1                 ; the TLB may still hold the old translation
.advance:
    addi s1, s1, PAGE_SIZE
    j    .next
.done:
    pop  ra, s0, s1, s2
    ret

; uvm_free(a0 = root) — free every user page, the level-0 tables of the
; user half, and the root. The kernel half is shared: left alone.
uvm_free:
    push ra, s0, s1, s2, s3
    mv   s0, a0
    li   s1, 0                  ; s1 = offset of the level-1 entry
.l1:
    add  t0, s0, s1
    lw   s2, 0(t0)
    andi t0, s2, PTE_V
    beqz t0, .l1_next
    srli s2, s2, PAGE_SHIFT
    slli s2, s2, PAGE_SHIFT     ; s2 = a level-0 table
    li   s3, 0
.l0:
    add  t0, s2, s3
    lw   a0, 0(t0)
    andi t0, a0, PTE_V
    beqz t0, .l0_next
    srli a0, a0, PAGE_SHIFT
    slli a0, a0, PAGE_SHIFT
    call kfree
.l0_next:
    addi s3, s3, 4
    li   t0, PAGE_SIZE
    bltu s3, t0, .l0
    mv   a0, s2
    call kfree
.l1_next:
    addi s1, s1, 4
    li   t0, KERNEL_L1_FIRST * 4
    bltu s1, t0, .l1
    mv   a0, s0
    call kfree
    pop  ra, s0, s1, s2, s3
    ret

; ---------------------------------------------------------------------------
; Crossing the user boundary.

; uva2pa(a0 = root, a1 = va, a2 = PTE bits needed) → a0 = the physical
; address, or 0 unless va is a user address on a mapped U page with those bits
uva2pa:
    li   t0, USER_LIMIT
    bgeu a1, t0, .bad           ; the kernel's half: never a user's to name
    push ra, a1, a2
    li   a2, 0
    call walk
    pop  ra, a1, a2
    beqz a0, .bad
    lw   t0, 0(a0)
    ori  a2, a2, PTE_V | PTE_U
    and  t1, t0, a2
    bne  t1, a2, .bad
    srli t0, t0, PAGE_SHIFT
    slli t0, t0, PAGE_SHIFT
    andi a1, a1, PAGE_MASK
    or   a0, t0, a1
    ret
.bad:
    li   a0, 0
    ret

; uvalid(a0 = root, a1 = va, a2 = len, a3 = PTE bits) → a0 = 0, or -EFAULT
; unless every byte of [va, va+len) may be accessed so by the user
uvalid:
    beqz a2, .ok
    push ra, s0, s1, s2, s3
    mv   s0, a0
    add  s2, a1, a2             ; s2 = end
    bltu s2, a1, .fault         ; wrapped round
    li   t0, USER_LIMIT
    bltu t0, s2, .fault
    srli s1, a1, PAGE_SHIFT
    slli s1, s1, PAGE_SHIFT
    mv   s3, a3
.page:
    mv   a0, s0
    mv   a1, s1
    mv   a2, s3
    call uva2pa
    beqz a0, .fault
    addi s1, s1, PAGE_SIZE
    bltu s1, s2, .page
    pop  ra, s0, s1, s2, s3
.ok:
    li   a0, 0
    ret
.fault:
    li   a0, -EFAULT
    pop  ra, s0, s1, s2, s3
    ret

; uput(a0 = root, a1 = user va, a2 = kernel src, a3 = len) — copy kernel
; bytes into user pages; uget(a0 = root, a1 = kernel dst, a2 = user va,
; a3 = len) — the other way. Neither checks permissions: the caller has
; (uvalid), or owns the pages (exec filling .text).
uput:
    li   t3, 0                  ; t3 = direction: 0 into user pages
    j    ucopy
uget:
    mv   t0, a1                 ; the same arguments as uput's, and
    mv   a1, a2                 ; t3 = 1: out of user pages
    mv   a2, t0
    li   t3, 1
; ucopy(a0 = root, a1 = user va, a2 = kernel address, a3 = len, t3 = direction)
ucopy:
    push ra, s0, s1, s2, s3, fp
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
    mv   s3, a3
    mv   fp, t3
.chunk:
    blez s3, .done
    mv   a0, s0
    mv   a1, s1
    li   a2, 0
    call uva2pa                 ; a0 = where s1 is; copy to its page's end at most
    andi t0, s1, PAGE_MASK
    li   t1, PAGE_SIZE
    sub  t1, t1, t0
    bge  s3, t1, 1f
    mv   t1, s3                 ; t1 = bytes this round
1:  add  s1, s1, t1
    sub  s3, s3, t1
    mv   t2, s2                 ; t2 = the kernel side
    add  s2, s2, t1
    beqz fp, 2f                 ; into the user page: copy t2 → a0
    mv   t0, a0                 ; out of it: the other way, so swap them
    mv   a0, t2
    mv   t2, t0
2:  lbu  t0, 0(t2)
    sb   t0, 0(a0)
    addi t2, t2, 1
    addi a0, a0, 1
    addi t1, t1, -1
    bnez t1, 2b
    j    .chunk
.done:
    pop  ra, s0, s1, s2, s3, fp
    ret

; copyout(a0 = root, a1 = user dst, a2 = kernel src, a3 = len) → 0 or -EFAULT
copyout:
    push ra, a0, a1, a2, a3
    mv   a2, a3
    li   a3, PTE_W
    call uvalid
    mv   t0, a0
    pop  ra, a0, a1, a2, a3
    bnez t0, .fault
    push ra
    call uput
    pop  ra
    li   a0, 0
    ret
.fault:
    mv   a0, t0
    ret

; copyinstr(a0 = root, a1 = kernel dst, a2 = user string, a3 = size of dst)
; → a0 = the string's length, -EFAULT, or -ENAMETOOLONG if it and its NUL
; do not fit in dst
copyinstr:
    push ra, s0, s1, s2, s3
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
    mv   s3, a3
    li   t3, 0                  ; t3 = bytes copied
.byte:
    bgeu t3, s3, .long
    mv   a0, s0
    add  a1, s2, t3
    li   a2, PTE_R
    push t3
    call uva2pa
    pop  t3
    beqz a0, .fault
    lbu  t0, 0(a0)
    add  t1, s1, t3
    sb   t0, 0(t1)
    beqz t0, .done
    addi t3, t3, 1
    j    .byte
.done:
    mv   a0, t3
    pop  ra, s0, s1, s2, s3
    ret
.long:
    li   a0, -ENAMETOOLONG
    pop  ra, s0, s1, s2, s3
    ret
.fault:
    li   a0, -EFAULT
    pop  ra, s0, s1, s2, s3
    ret

.data
s_no_pages: .asciz "out of memory building the kernel page table"

.bss
.align 4
kmem_free:  .space 4            ; the first free page
kmem_nfree: .space 4            ; how many there are
kernel_pt:  .space 4            ; the kernel's root table
.text
