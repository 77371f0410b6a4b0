; copy.s — copy SRC DST: copy one file to another and say how many bytes.
;
; Shows: open with flags made of constants (O_WRONLY | O_CREAT | O_TRUNC, so
; an existing, longer DST is cut back rather than partly overwritten); a
; read/write loop that counts; checking every call's result; usage errors.
;
; Exit status: 0; 1 if a file cannot be opened, read or written; 2 for usage.
;
; fs: text
; args: poem.txt old.txt
; expect: copied 90 bytes from poem.txt to old.txt
; expect-file: old.txt So much depends
; expect-file: old.txt upon
; expect-file: old.txt a red wheel
; expect-file: old.txt barrow
; expect-file: old.txt glazed with rain
; expect-file: old.txt water
; expect-file: old.txt beside the white
; expect-file: old.txt chickens.
; kernel: no
; (it opens files, which needs --fs.)

.include "../include/sys.inc"
.include "../include/lib.inc"

PATH_MAX = 256
BUF_SIZE = 32                   ; small on purpose: the copy takes several rounds

_start:
    sys  SYS_ARGC
    li   t1, 3
    bne  a0, t1, .usage

    li   a0, 1                  ; argv(1, src, PATH_MAX), argv(2, dst, PATH_MAX)
    la   a1, src
    li   a2, PATH_MAX
    sys  SYS_ARGV
    li   t1, PATH_MAX
    bge  a0, t1, .usage
    li   a0, 2
    la   a1, dst
    li   a2, PATH_MAX
    sys  SYS_ARGV
    li   t1, PATH_MAX
    bge  a0, t1, .usage

    la   a0, src                ; in = open(src, O_RDONLY)
    li   a1, O_RDONLY
    sys  SYS_OPEN
    la   a1, src
    bltz a0, .failed
    mv   s0, a0                 ; s0 = in

    la   a0, dst                ; out = open(dst, O_WRONLY | O_CREAT | O_TRUNC)
    li   a1, O_WRONLY | O_CREAT | O_TRUNC
    sys  SYS_OPEN
    la   a1, dst
    bltz a0, .failed
    mv   s1, a0                 ; s1 = out

    li   s2, 0                  ; s2 = bytes copied
.copy:
    mv   a0, s0                 ; n = read(in, buf, BUF_SIZE)
    la   a1, buf
    li   a2, BUF_SIZE
    sys  SYS_READ
    beqz a0, .copied
    la   a1, src
    bltz a0, .failed
    mv   s3, a0                 ; s3 = n
    mv   a0, s1                 ; write(out, buf, n)
    la   a1, buf
    mv   a2, s3
    sys  SYS_WRITE
    la   a1, dst
    bltz a0, .failed
    bne  a0, s3, .short         ; a file write is all or nothing; anything else is a bug
    add  s2, s2, s3
    j    .copy

.copied:
    mv   a0, s0
    sys  SYS_CLOSE
    mv   a0, s1
    sys  SYS_CLOSE
    la   a1, dst
    bltz a0, .failed            ; close reports errors a write may have deferred

    print msg_copied            ; "copied N bytes from SRC to DST"
    mv   a0, s2
    call print_dec
    print msg_from
    print src
    print msg_to
    print dst
    call print_nl
    exit 0

.short:
    li   a0, -EIO
.failed:                        ; a0 = −errno, a1 = the file's name
    mv   a2, a0
    la   a0, me
    call warn
    exit 1

.usage:
    eprint msg_usage
    exit 2

.data
me:         .asciz "copy"
msg_usage:  .asciz "usage: copy SRC DST\n"
msg_copied: .asciz "copied "
msg_from:   .asciz " bytes from "
msg_to:     .asciz " to "

.bss
src:        .space PATH_MAX
dst:        .space PATH_MAX
buf:        .space BUF_SIZE
