; cat.s — print the files named in the arguments, one after another.
;
; Shows: argc/argv; open, read, write and close; errors as negative return
; values turned into messages (strerror); carrying on after a failure and
; reporting it in the exit status, as Unix cat does.
;
;   cat FILE...    each FILE in turn ("-" means standard input)
;   cat            standard input
; A file that cannot be opened gets "cat: NAME: why" on stderr; the others
; are still printed, and the exit status is 1.
;
; fs: text
; args: hello.txt - missing.txt poem.txt
; stdin: this line came from standard input
; expect: hello from a file
; expect: this line came from standard input
; expect: So much depends
; expect: upon
; expect: a red wheel
; expect: barrow
; expect: glazed with rain
; expect: water
; expect: beside the white
; expect: chickens.
; expect-stderr-contains: cat: missing.txt: no such file or directory
; exit: 1
; kernel: no
; (it opens files, which needs --fs.)

.include "../include/sys.inc"
.include "../include/lib.inc"

PATH_MAX = 256
BUF_SIZE = 64                   ; small on purpose: files take several reads

_start:
    sys  SYS_ARGC
    mv   s0, a0                 ; s0 = argc
    li   s2, 0                  ; s2 = exit status
    li   t1, 2
    bge  s0, t1, .files
    li   a0, STDIN              ; no arguments: standard input only
    call cat_fd
    la   a1, dash               ; name it "-" if the read failed
    bltz a0, .read_failed
    exit 0

.files:
    li   s1, 1                  ; s1 = i, from argument 1
.next:
    bge  s1, s0, .done
    mv   a0, s1                 ; argv(i, path, PATH_MAX)
    la   a1, path
    li   a2, PATH_MAX
    sys  SYS_ARGV
    li   t1, PATH_MAX
    bge  a0, t1, .too_long      ; the name did not fit: path holds only its start

    la   a0, path               ; "-" is standard input
    la   a1, dash
    call streq
    beqz a0, .open
    li   a0, STDIN
    call cat_fd
    la   a1, path
    bltz a0, .read_failed
    j    .advance

.open:
    la   a0, path               ; fd = open(path, O_RDONLY)
    li   a1, O_RDONLY
    sys  SYS_OPEN
    bltz a0, .cannot_open
    mv   s3, a0                 ; s3 = fd
    call cat_fd
    la   a1, path
    bltz a0, .read_failed
    mv   a0, s3                 ; close(fd)
    sys  SYS_CLOSE
    j    .advance

.too_long:
    li   a0, -ENAMETOOLONG
.cannot_open:
    mv   a2, a0                 ; "cat: NAME: why"; go on with the next file
    la   a0, me
    la   a1, path
    call warn
    li   s2, 1
.advance:
    addi s1, s1, 1
    j    .next
.done:
    mv   a0, s2
    sys  SYS_EXIT

.read_failed:                   ; a0 = −errno, a1 = the name: give up at once
    mv   a2, a0
    la   a0, me
    call warn
    exit 1

; cat_fd(a0 = fd) → a0 = 0, or −errno if a read failed: copy fd to stdout
cat_fd:
    push ra, s0
    mv   s0, a0
.loop:
    mv   a0, s0                 ; n = read(fd, buf, BUF_SIZE)
    la   a1, buf
    li   a2, BUF_SIZE
    sys  SYS_READ
    blez a0, .out               ; 0: end of file; negative: an error
    mv   a2, a0                 ; write(STDOUT, buf, n)
    la   a1, buf
    li   a0, STDOUT
    sys  SYS_WRITE
    j    .loop
.out:
    pop  ra, s0
    ret

; streq(a0 = s, a1 = t) → a0 = 1 if the strings are equal, else 0
streq:
    lbu  t1, 0(a0)
    lbu  t2, 0(a1)
    bne  t1, t2, .differ
    beqz t1, .same              ; both ended together
    addi a0, a0, 1
    addi a1, a1, 1
    j    streq
.differ:
    li   a0, 0
    ret
.same:
    li   a0, 1
    ret

.data
me:     .asciz "cat"
dash:   .asciz "-"

.bss
path:   .space PATH_MAX
buf:    .space BUF_SIZE
