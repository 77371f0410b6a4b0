; diskexec.s — loading a program from the disk, as xv6's exec does: the
; entry (spawnv.s) names a tvfs file holding a TVIM image (`typevisor mkdisk
; prog.s` assembles one and puts it there).
;
; The header and the section table are read into a kernel page (so a
; program has at most (PAGE_SIZE - IMG_SECTIONS) / SEC_ENTRY_SIZE sections);
; each section's bytes then go from the file straight into the new process's
; pages, a sector at a time through fs_buf. Unlike an embedded image, the
; file may be anything: every offset and size is checked against the file
; and the section, and a file that is not an image is -EINVAL.

.text

; exec_disk(a0 = proc, a1 = program entry without an image) → a0 = 0,
; -ENOENT (no such file), -EINVAL (not an image), -ENOMEM or -EIO.
; (exec.s has stored the entry in the proc.)
exec_disk:
    push ra, s0, s1, s2, s3, fp
    mv   s0, a0
    lw   a0, PROG_NAME(a1)
    call fs_find_file
    beqz a0, .noent
    mv   fp, a0                 ; fp = the file's directory entry
    call kalloc
    beqz a0, .nomem
    mv   s1, a0                 ; s1 = the header page
    lw   a3, DE_BYTES(fp)       ; read as much of the file as fits in it
    li   t0, PAGE_SIZE
    bgeu t0, a3, 1f
    mv   a3, t0
1:  li   t0, IMG_SECTIONS
    bltu a3, t0, .bad           ; shorter than a header
    mv   a0, fp
    li   a1, 0
    mv   a2, s1
    li   t3, 0                  ; into kernel memory
    call fs_pread
    bnez a0, .free
    lw   t0, 0(s1)
    li   t1, IMG_MAGIC
    bne  t0, t1, .bad
    lhu  t0, IMG_VERSION(s1)
    li   t1, IMG_MAJOR
    bne  t0, t1, .bad
    lw   s2, IMG_NSECTIONS(s1)  ; s2 = sections left
    li   t0, EXEC_MAX_SECTIONS
    bltu t0, s2, .bad           ; the table would not fit the page
    addi s3, s1, IMG_SECTIONS   ; s3 = the current section entry
    li   t0, USER_TEXT_BASE
    sw   t0, P_HEAP(s0)
.section:
    beqz s2, .finish
    mv   a0, s0
    mv   a1, s1
    mv   a2, s3
    mv   a3, fp
    call map_section
    bltz a0, .free
    addi s2, s2, -1
    addi s3, s3, SEC_ENTRY_SIZE
    j    .section
.finish:
    mv   a0, s0
    mv   a1, s1
    call exec_finish
.free:
    mv   s2, a0
    mv   a0, s1
    call kfree
    mv   a0, s2
.out:
    pop  ra, s0, s1, s2, s3, fp
    ret
.bad:
    li   a0, -EINVAL
    j    .free
.noent:
    li   a0, -ENOENT
    j    .out
.nomem:
    li   a0, -ENOMEM
    j    .out

; fs_find_file(a0 = name) → a0 = the directory entry of that file on the
; disk, or 0 (no such file, or no tvfs disk)
fs_find_file:
    la   t0, fs_ok
    lw   t0, 0(t0)
    bnez t0, fs_lookup
    li   a0, 0
    ret

; fs_pread(a0 = directory entry, a1 = offset, a2 = destination, a3 = len,
; t3 = the root page table the destination is a user address in, or 0 for a
; kernel address) → a0 = 0 or -EIO. The caller has checked that
; [offset, offset + len) is inside the file.
fs_pread:
    push ra, s0, s1, s2, s3, fp
    mv   s0, a0
    mv   s1, a1                 ; s1 = offset
    mv   s2, a2                 ; s2 = destination
    mv   s3, a3                 ; s3 = bytes left
    mv   fp, t3
.sector:
    beqz s3, .done
    andi t2, s1, SECTOR_SIZE - 1 ; t2 = where in the sector
    li   t1, SECTOR_SIZE
    sub  t1, t1, t2             ; t1 = bytes this round: the sector's rest
    bgeu s3, t1, 1f
    mv   t1, s3                 ; … or what is left
1:  push t1, t2
    lw   a0, DE_START(s0)
    srli t0, s1, SECTOR_SHIFT
    add  a0, a0, t0
    la   a1, fs_buf
    li   a2, 1
    li   a3, DISK_CMD_READ
    call disk_rw
    pop  t1, t2
    bnez a0, .out
    la   a2, fs_buf
    add  a2, a2, t2
    mv   a3, t1
    beqz fp, .kernel
    push t1
    mv   a0, fp
    mv   a1, s2
    call uput
    pop  t1
    j    .next
.kernel:
    mv   t0, s2
2:  lbu  t3, 0(a2)
    sb   t3, 0(t0)
    addi a2, a2, 1
    addi t0, t0, 1
    addi a3, a3, -1
    bnez a3, 2b
.next:
    add  s1, s1, t1
    add  s2, s2, t1
    sub  s3, s3, t1
    j    .sector
.done:
    li   a0, 0
.out:
    pop  ra, s0, s1, s2, s3, fp
    ret
