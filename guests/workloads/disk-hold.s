; disk-hold.s — the disk writer (disk-writer.s) that holds between its writes
; and its check (HOLD = 1): it writes every block, says so, and waits for a
; key on its console before it reads them back. What a snapshot of a VM with
; a disk is taken of: saved while it holds, each VM restored from the file
; checks the blocks the saved one wrote, on its own copy of the disk.

BLOCKS      = 64                ; blocks to write
SECTORS     = 8                 ; sectors per block (one DMA command each; at most 128)
SPIN        = 1000              ; delay loop iterations between two writes
SEED        = 7                 ; changes every word of the pattern
MODE        = 0                 ; 0: write, then check; 1: only check
PRINT_EVERY = 16                ; a line every so many blocks
WAIT        = 0                 ; 1: without a disk, wait for one to be plugged in (volume attach) instead of stopping
HOLD        = 1                 ; 1: before checking, say so and wait for a key on the console

.include "disk-writer.inc"
