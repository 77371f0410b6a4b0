; disk-check.s — the disk writer's check alone (disk-writer.s with MODE = 1):
; reads the blocks a disk writer with the same parameters wrote, checks each
; against the pattern and prints the same checksum line, without writing.
; What a second VM runs on a volume the first one wrote: status 0 and the
; writer's checksum say every block arrived.

BLOCKS      = 64                ; blocks to write
SECTORS     = 8                 ; sectors per block (one DMA command each; at most 128)
SPIN        = 1000              ; delay loop iterations between two writes
SEED        = 7                 ; changes every word of the pattern
MODE        = 1                 ; 0: write, then check; 1: only check
PRINT_EVERY = 16                ; a line every so many blocks
WAIT        = 0                 ; 1: without a disk, wait for one to be plugged in (volume attach) instead of stopping
HOLD        = 0                 ; 1: before checking, say so and wait for a key on the console (a test moves the VM meanwhile)

.include "disk-writer.inc"
