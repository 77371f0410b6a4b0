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
; The block device (vm/devices/disk.ts) is driven with interrupts off
; (status.IE 0: no trap handler to get wrong) but its line enabled in `ie`:
; while a command is busy the guest waits in wfi, which ends when the line is
; raised. A disk that completes at once (native) never makes it wait; one
; that completes later (hosted) lets the vCPU sleep until the answer comes,
; where spinning on STATUS would burn the rest of its slice per command.

BLOCKS      = 64                ; blocks to write
SECTORS     = 8                 ; sectors per block (one DMA command each; at most 128)
SPIN        = 1000              ; delay loop iterations between two writes
SEED        = 7                 ; changes every word of the pattern
MODE        = 0                 ; 0: write, then check; 1: only check
PRINT_EVERY = 16                ; a line every so many blocks
WAIT        = 0                 ; 1: without a disk, wait for one to be plugged in (volume attach) instead of stopping
HOLD        = 0                 ; 1: before checking, say so and wait for a key on the console (a test moves the VM meanwhile)

.include "disk-writer.inc"
