; sh.s — the shell: a prompt, a line, a program.
;
; Kernel only (it spawns and waits). `typevisor boot guests/kernel/kernel.s
; --disk my.img --init sh` starts it first. Each line is words separated by
; spaces; the first word names what to run:
;
;   ls             the files on the disk, with their sizes (readdir)
;   cat FILE...    each file's bytes to stdout
;   echo WORD...   the words, one space between them
;   exit           the shell ends (and with it, the kernel: nothing is left)
;   NAME ARG...    the program NAME — linked into the kernel, or a program
;                  image on the disk — with argv[1..] = ARG..., and wait for it
;
; No quotes, pipes, redirections or `;`: a line with one of ' " | < > & ;
; is refused with a message, as is a line longer than LINE_MAX. End of input
; (Ctrl-D) ends the shell as exit does.

.include "../../include/sys.inc"
.include "../../include/lib.inc"

LINE_MAX = 200
NAME_BUF = 20                   ; readdir's name buffer: at most 19 bytes and the NUL
IO_BUF = 256

_start:
.prompt:
    print s_prompt
    call read_line              ; a0 = length, -1 at end of input, -2 too long
    bltz a0, .not_a_line
    call split                  ; a0 = words, or -1 if it cannot be parsed
    bltz a0, .syntax
    beqz a0, .prompt            ; an empty line
    call run_words
    j    .prompt
.not_a_line:
    li   t0, -1
    beq  a0, t0, .eof
    eprint s_too_long
    j    .prompt
.syntax:
    eprint s_syntax
    j    .prompt
.eof:
    call print_nl
    exit 0

; read_line() → a0 = its length (line holds it, NUL-terminated, no newline);
; -1 at end of input with nothing read; -2 if longer than LINE_MAX (the rest
; of it read and dropped)
read_line:
    push ra, s0, s1
    li   s0, 0                  ; s0 = bytes kept
    li   s1, 0                  ; s1 = 1 once the line is too long
.byte:
    li   a0, STDIN
    la   a1, ch
    li   a2, 1
    sys  SYS_READ
    blez a0, .end
    la   t0, ch
    lbu  t1, 0(t0)
    li   t2, '\n'
    beq  t1, t2, .line
    li   t2, LINE_MAX
    bgeu s0, t2, .long
    la   t0, line
    add  t0, t0, s0
    sb   t1, 0(t0)
    addi s0, s0, 1
    j    .byte
.long:
    li   s1, 1
    j    .byte
.end:
    bnez s0, .line              ; a last line without its newline
    bnez s1, .line
    li   a0, -1
    j    .out
.line:
    la   t0, line
    add  t0, t0, s0
    sb   zero, 0(t0)
    mv   a0, s0
    beqz s1, .out
    li   a0, -2
.out:
    pop  ra, s0, s1
    ret

; split() → a0 = the number of words in line, copied to words as
; NUL-terminated strings one after another and an empty one after the last
; (spawnv's argument format); -1 if the line has a character the shell does
; not parse
split:
    la   t0, line               ; t0 = in
    la   t1, words              ; t1 = out
    li   a0, 0                  ; a0 = words
.skip:
    lbu  t2, 0(t0)
    beqz t2, .done
    li   t3, ' '
    bne  t2, t3, .word
    addi t0, t0, 1
    j    .skip
.word:
    addi a0, a0, 1
.char:
    lbu  t2, 0(t0)
    beqz t2, .end_word
    li   t3, ' '
    beq  t2, t3, .end_word
    la   t3, s_special
.special:
    lbu  a1, 0(t3)
    beqz a1, .keep
    beq  a1, t2, .bad
    addi t3, t3, 1
    j    .special
.keep:
    sb   t2, 0(t1)
    addi t0, t0, 1
    addi t1, t1, 1
    j    .char
.end_word:
    sb   zero, 0(t1)
    addi t1, t1, 1
    j    .skip
.done:
    sb   zero, 0(t1)            ; the empty string that ends them
    ret
.bad:
    li   a0, -1
    ret

; run_words(a0 = number of words) — a builtin, or spawn the program and wait
run_words:
    push ra, s0, s1
    la   s0, words              ; s0 = the command's name
    mv   a0, s0
    call next_word
    mv   s1, a0                 ; s1 = its first argument (or the end)
    mv   a0, s0
    la   a1, s_exit
    call streq
    bnez a0, .exit
    mv   a0, s0
    la   a1, s_echo
    call streq
    bnez a0, .echo
    mv   a0, s0
    la   a1, s_ls
    call streq
    bnez a0, .ls
    mv   a0, s0
    la   a1, s_cat
    call streq
    bnez a0, .cat
    mv   a0, s0                 ; a program: spawnv(name, args), then wait
    mv   a1, s1
    sys  SYS_SPAWNV
    bltz a0, .no_spawn
    mv   s1, a0                 ; s1 = the child's pid
.wait:
    la   a0, status
    sys  SYS_WAIT
    bltz a0, .out               ; no children left
    bne  a0, s1, .wait          ; an earlier child of ours
    j    .out
.no_spawn:
    mv   a2, a0
    la   a0, s_sh
    mv   a1, s0
    call warn
    j    .out
.exit:
    exit 0
.echo:
    lbu  t0, 0(s1)
    beqz t0, .echo_nl
    mv   a0, s1
    call print_str
    mv   a0, s1
    call next_word
    mv   s1, a0
    lbu  t0, 0(s1)
    beqz t0, .echo_nl
    li   a0, ' '
    call print_char
    j    .echo
.echo_nl:
    call print_nl
    j    .out
.ls:
    call list
    j    .out
.cat:
    lbu  t0, 0(s1)
    beqz t0, .out
    mv   a0, s1
    call cat_file
    mv   a0, s1
    call next_word
    mv   s1, a0
    j    .cat
.out:
    pop  ra, s0, s1
    ret

; next_word(a0 = a word in words) → a0 = the one after it
next_word:
    lbu  t0, 0(a0)
    addi a0, a0, 1
    bnez t0, next_word
    ret

; streq(a0, a1 = strings) → a0 = 1 if they are equal, else 0
streq:
    lbu  t0, 0(a0)
    lbu  t1, 0(a1)
    bne  t0, t1, .differ
    beqz t0, .same
    addi a0, a0, 1
    addi a1, a1, 1
    j    streq
.same:
    li   a0, 1
    ret
.differ:
    li   a0, 0
    ret

; list() — ls: "NAME  SIZE" for each file on the disk
list:
    push ra, s0, s1
    li   s0, 0                  ; s0 = i
.next:
    mv   a0, s0
    la   a1, name_buf
    li   a2, NAME_BUF
    sys  SYS_READDIR
    bltz a0, .end
    mv   s1, a0                 ; s1 = its size
    la   a0, name_buf
    call print_str
    la   a0, name_buf
    call strlen
    li   t0, NAME_BUF
.pad:                           ; pad the name to NAME_BUF columns
    bgeu a0, t0, .size
    push a0, t0
    li   a0, ' '
    call print_char
    pop  a0, t0
    addi a0, a0, 1
    j    .pad
.size:
    mv   a0, s1
    call print_dec
    call print_nl
    addi s0, s0, 1
    j    .next
.end:
    li   t0, -ENOENT
    beq  a0, t0, .out           ; past the last file
    mv   a2, a0
    la   a0, s_ls
    la   a1, s_disk
    call warn
.out:
    pop  ra, s0, s1
    ret

; cat_file(a0 = name) — its bytes to stdout, or a message
cat_file:
    push ra, s0, s1
    mv   s0, a0
    li   a1, O_RDONLY
    sys  SYS_OPEN
    bltz a0, .failed
    mv   s1, a0                 ; s1 = fd
.read:
    mv   a0, s1
    la   a1, io_buf
    li   a2, IO_BUF
    sys  SYS_READ
    beqz a0, .close
    bltz a0, .failed_open
    mv   a2, a0
    li   a0, STDOUT
    la   a1, io_buf
    sys  SYS_WRITE
    j    .read
.failed_open:
    push a0
    mv   a0, s1
    sys  SYS_CLOSE
    pop  a0
.failed:
    mv   a2, a0
    la   a0, s_cat
    mv   a1, s0
    call warn
    j    .out
.close:
    mv   a0, s1
    sys  SYS_CLOSE
.out:
    pop  ra, s0, s1
    ret

.data
s_prompt:   .asciz "$ "
s_sh:       .asciz "sh"
s_exit:     .asciz "exit"
s_echo:     .asciz "echo"
s_ls:       .asciz "ls"
s_cat:      .asciz "cat"
s_disk:     .asciz "the disk"
s_special:  .asciz "'\"|<>&;"
s_syntax:   .asciz "sh: cannot parse that line: quotes, pipes, redirections, & and ; are not supported\n"
s_too_long: .asciz "sh: line too long (at most 200 bytes)\n"

.bss
.align 4
status:     .space 4
ch:         .space 4
name_buf:   .space NAME_BUF
line:       .space LINE_MAX + 1
words:      .space LINE_MAX + 2
io_buf:     .space IO_BUF
