; disk-writer.s — a guest that writes its disk: BLOCKS blocks of SECTORS
; sectors each, every word a pattern of (block, word, SEED), with SPIN delay
; iterations between two writes (lower: a higher write rate); then reads
; every block back, checks it against the pattern and prints a checksum of
; what it read. Deterministic: the same parameters give the same checksum,
; whatever the disk is bound to (a file, a volume, a transient disk) and
; whichever monitor runs it.
;
; With MODE = 1 it writes nothing and only reads and checks: what a second VM
; runs on a volume the first one wrote.
;
; Exit status: 0 all blocks as written; 1 no disk; 2 the disk is too small;
; 3 a device error; 4 a block read back differs from the pattern.
;
; The block device (vm/devices/disk.ts) is driven by polling its STATUS, with
; interrupts off: no trap handler to get wrong, and the same code serves a
; disk that completes at once (native) and one that completes later (hosted).

BLOCKS      = 64                ; blocks to write
SECTORS     = 8                 ; sectors per block (one DMA command each; at most 128)
SPIN        = 1000              ; delay loop iterations between two writes
SEED        = 7                 ; changes every word of the pattern
MODE        = 0                 ; 0: write, then check; 1: only check
PRINT_EVERY = 16                ; a line every so many blocks

DISK        = 0xF0001000
BUF         = 0x80100000        ; the DMA buffer: RAM from 1 MiB up (give the VM 2 MiB or more)

_start:
        la   t0, trap
        csrw tvec, t0
        li   s3, DISK
        lw   t0, 0x1c(s3)       ; CAPACITY, in sectors
        bnez t0, 1f
        la   a0, m_nodisk
        call puts
        li   a0, 1
        j    poweroff
1:      li   t1, BLOCKS * SECTORS
        bgeu t0, t1, 2f
        la   a0, m_small
        call puts
        li   a0, 2
        j    poweroff
2:      li   t0, MODE
        bnez t0, check
        ; ---- write every block
        li   s0, 0              ; block
wloop:  mv   a0, s0
        call pattern
        mv   a0, s0
        li   a1, 2              ; CMD write
        call transfer
        li   t1, SPIN
        beqz t1, 4f
3:      addi t1, t1, -1
        bnez t1, 3b
4:      addi s0, s0, 1
        li   t0, PRINT_EVERY
        remu t0, s0, t0
        bnez t0, 5f
        la   a0, m_wrote
        call puts
        mv   a0, s0
        call putd
        la   a0, m_nl
        call puts
5:      li   t0, BLOCKS
        bltu s0, t0, wloop

        ; ---- read every block back: checksum what was read, count blocks that differ
check:  li   s0, 0              ; block
        li   s1, 0              ; checksum
        li   s2, 0              ; blocks that differ
rloop:  mv   a0, s0
        li   a1, 1              ; CMD read
        call transfer
        li   t0, BUF            ; t0 = the word, t2 = its index in the block
        li   t2, 0
6:      lw   t1, 0(t0)
        li   t3, 31
        mul  s1, s1, t3
        add  s1, s1, t1
        ; the pattern's word: ((block << 16) + index) * 2654435761 + SEED
        slli t3, s0, 16
        add  t3, t3, t2
        li   a2, 2654435761
        mul  t3, t3, a2
        addi t3, t3, SEED
        beq  t1, t3, 7f
        li   a3, 1              ; this block differs
7:      addi t0, t0, 4
        addi t2, t2, 1
        li   t3, SECTORS * 128
        bltu t2, t3, 6b
        beqz a3, 8f
        addi s2, s2, 1
        li   a3, 0
8:      addi s0, s0, 1
        li   t0, BLOCKS
        bltu s0, t0, rloop

        la   a0, m_done
        call puts
        li   a0, BLOCKS
        call putd
        la   a0, m_sum
        call puts
        mv   a0, s1
        call putd
        la   a0, m_bad
        call puts
        mv   a0, s2
        call putd
        la   a0, m_nl
        call puts
        li   a0, 0
        beqz s2, 9f
        li   a0, 4
9:      j    poweroff

; pattern: fill BUF with block a0's words. Clobbers t0..t3.
pattern:
        li   t0, BUF
        slli t1, a0, 16         ; (block << 16) + index
        li   t2, SECTORS * 128
        add  t2, t2, t1         ; the end index
1:      li   t3, 2654435761
        mul  t3, t1, t3
        addi t3, t3, SEED
        sw   t3, 0(t0)
        addi t0, t0, 4
        addi t1, t1, 1
        bltu t1, t2, 1b
        ret

; transfer: block a0 between the disk and BUF, command a1 (1 read, 2 write);
; waits for the device (polling), powers off with status 3 on a device error.
; Clobbers t0, t1, a0.
transfer:
        li   t0, SECTORS
        mul  a0, a0, t0
        sw   a0, 0x00(s3)       ; SECTOR
        li   t0, BUF
        sw   t0, 0x04(s3)       ; ADDR
        li   t0, SECTORS
        sw   t0, 0x08(s3)       ; COUNT
        sw   a1, 0x0c(s3)       ; CMD
1:      lw   t0, 0x10(s3)       ; STATUS: 1 busy, 2 done, 3 error
        li   t1, 1
        beq  t0, t1, 1b
        li   t1, 2
        bne  t0, t1, 2f
        sw   zero, 0x18(s3)     ; ACK
        ret
2:      la   a0, m_error
        call puts
        lw   a0, 0x14(s3)       ; ERROR
        call putd
        la   a0, m_nl
        call puts
        li   a0, 3
        j    poweroff

m_nodisk: .asciz "disk-writer: no disk\n"
m_small:  .asciz "disk-writer: the disk is too small for BLOCKS * SECTORS\n"
m_wrote:  .asciz "disk-writer: wrote "
m_done:   .asciz "disk-writer: read back "
m_sum:    .asciz " blocks, checksum "
m_bad:    .asciz ", differing "
m_error:  .asciz "disk-writer: device error "
m_nl:     .asciz "\n"
        .align 4
.include "workload.inc"
