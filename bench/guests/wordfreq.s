; wordfreq.s — benchmark (real programs): word frequencies in a hash table.
;
; Definition (every implementation in the suite computes exactly this):
;   a text of `words` words, each followed by one space: x = 42; per word
;   x = (x·1103515245 + 12345) mod 2^32 and its length is
;   1 + (x >>> 16) mod 4, then per letter the same step and the letter is
;   'a' + (x >>> 16) mod 10. Count each distinct word in a hash table, then
;   print the number of distinct words and the sum of the squares of the
;   counts mod 2^32. 200,000 words → 11034 278557674.
;
; The text goes on the heap (brk). The table is open-addressed, 32768 slots
; of (word, length, hash, count), FNV-1a hashes, linear probing, and a word
; is compared byte by byte on a hash match: loads all over half a megabyte,
; and branches that depend on the data. The size is WORDS below (the tests
; assemble it with a smaller one).

.include "../../guests/include/sys.inc"
.include "../../guests/include/lib.inc"
.include "checksum.inc"

WORDS = 200000
SLOTS = 32768                   ; a power of two, above the 11,110 possible words
FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 16777619

_start:
    li   a0, 0                  ; brk(0): where the heap starts
    sys  SYS_BRK
    mv   s0, a0                 ; s0 = text
    li   t1, WORDS * 5          ; at most four letters and a space per word
    add  a0, s0, t1
    mv   s1, a0
    sys  SYS_BRK
    bne  a0, s1, .nomem

    ; The text.
    mv   t3, s0                 ; t3 = where the next byte goes
    li   s1, 42                 ; s1 = x
    li   s2, 1103515245
    li   s3, WORDS              ; s3 = words left
    li   t2, 10
.word:
    mul  s1, s1, s2
    addi s1, s1, 12345
    srli a1, s1, 16
    andi a1, a1, 3
    addi a1, a1, 1              ; a1 = letters in this word
.letter:
    mul  s1, s1, s2
    addi s1, s1, 12345
    srli t1, s1, 16
    remu t1, t1, t2
    addi t1, t1, 'a'
    sb   t1, 0(t3)
    addi t3, t3, 1
    addi a1, a1, -1
    bnez a1, .letter
    li   t1, ' '
    sb   t1, 0(t3)
    addi t3, t3, 1
    addi s3, s3, -1
    bnez s3, .word

    ; Count.
    mv   a0, s0                 ; a0 = the next word
    mv   s1, t3                 ; s1 = the end of the text
    li   s2, FNV_PRIME
    la   s3, table
.scan:
    bgeu a0, s1, .tally
    mv   a1, a0                 ; a1 = the word
    li   a2, FNV_OFFSET         ; a2 = its hash
    li   t2, ' '
.hash:
    lbu  t1, 0(a0)
    beq  t1, t2, .lookup
    xor  a2, a2, t1
    mul  a2, a2, s2
    addi a0, a0, 1
    j    .hash
.lookup:
    sub  a3, a0, a1             ; a3 = its length; a0 is at the space after it
    li   t1, SLOTS - 1
    and  t1, a2, t1             ; t1 = the slot index
.probe:
    slli t2, t1, 4
    add  t2, t2, s3             ; t2 = &table[index]
    lw   t3, 0(t2)
    beqz t3, .insert            ; an empty slot: the word is new
    lw   t0, 8(t2)
    bne  t0, a2, .next_slot
    lw   t0, 4(t2)
    bne  t0, a3, .next_slot
    mv   s0, a1                 ; same hash and length: compare the letters
.compare:
    bgeu s0, a0, .found
    lbu  t0, 0(s0)
    lbu  fp, 0(t3)
    bne  t0, fp, .next_slot
    addi s0, s0, 1
    addi t3, t3, 1
    j    .compare
.found:
    lw   t0, 12(t2)
    addi t0, t0, 1
    sw   t0, 12(t2)
    addi a0, a0, 1              ; over the space
    j    .scan
.next_slot:
    addi t1, t1, 1
    li   t0, SLOTS - 1
    and  t1, t1, t0
    j    .probe
.insert:
    sw   a1, 0(t2)
    sw   a3, 4(t2)
    sw   a2, 8(t2)
    li   t0, 1
    sw   t0, 12(t2)
    addi a0, a0, 1
    j    .scan

.tally:
    la   t1, table
    li   t2, SLOTS * 16
    add  t2, t1, t2
    li   s0, 0                  ; s0 = distinct words
    li   s1, 0                  ; s1 = Σ count²
.slot:
    lw   t3, 0(t1)
    beqz t3, 1f
    addi s0, s0, 1
    lw   t3, 12(t1)
    mul  t3, t3, t3
    add  s1, s1, t3
1:  addi t1, t1, 16
    bltu t1, t2, .slot
    mv   a0, s0
    call print_dec
    li   a0, ' '
    call print_char
    mv   a0, s1
    call put_dec
    exit 0

.nomem:
    eprint msg_nomem
    exit 1

.data
msg_nomem:  .asciz "wordfreq: brk could not grow the heap\n"

.bss
.align 4
table:      .space SLOTS * 16
