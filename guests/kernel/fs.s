; fs.s — tvfs, the disk's flat filesystem, behind open/read/write/seek/close.
;
; The format, version 2 (vm/devices/tvfs.ts writes it; `typevisor mkdisk`
; makes one):
;
;   sector 0   0x00 magic "TVFS" | 0x04 version 2 | 0x08 sectors | 0x0c slots (15)
;              0x10 log start (1) | 0x14 log sectors (1 + FS_LOG_SLOTS)
;              0x20 15 directory entries of 32 bytes:
;                   name[20] (NUL padded) | first sector | capacity (sectors) | size (bytes)
;              an entry whose name is empty is free
;   log start  the log header: n (0: nothing committed) | n home sectors
;   the next FS_LOG_SLOTS sectors: the log's slots, slot i holds home i's new contents
;   after it   the files: each one contiguous run of sectors, its capacity
;
; There are no directories: a path is a file name (a leading '/' is
; ignored). A file is written within its capacity (beyond it: a short write,
; then -ENOSPC); O_CREAT makes a new file with FS_NEW_SECTORS of capacity
; after the last one. The directory lives in memory (fs_sb).
;
; Crash safety: the write-ahead log, as in xv6's log.c. One write system
; call is one transaction: each sector it changes (and sector 0, if a size
; changed) goes first to a slot of the log, not to its home; then the log
; header, listing the home sectors, is written — the commit point; then the
; slots are installed at their homes, and the header cleared. A crash before
; the header is written leaves every home as it was; after it, fs_init
; installs the log again at the next boot ("kernel: disk: log replayed").
; Either way a write lands whole or not at all. A write may carry at most
; FS_WRITE_MAX bytes (more: -EFBIG, nothing written), so that it fits the
; log. One transaction at a time: log_busy; a file's new size from
; O_TRUNC alone, or from a new name (fs_create), goes to sector 0 directly
; (one sector), also holding the log so as not to land under a transaction.
;
; Without a disk, or with one that is not tvfs version 2, open fails with
; -EACCES: no filesystem was granted, as in the process VM without --fs.
;
; File data moves through one sector buffer, fs_buf. Sharing it is safe: a
; process only gives up the CPU inside disk_rw, and holds the disk (and so
; the buffer) from the command until disk_rw returns.

.text

; fs_init() — read the directory, if there is a tvfs disk; install a
; committed log first
fs_init:
    push ra
    li   t0, DISK_BASE
    lw   t0, DISK_CAPACITY(t0)
    beqz t0, .out               ; no disk
    call fs_readsb
    bnez a0, .out
    la   t0, fs_sb
    lw   t1, FS_HDR_MAGIC(t0)
    li   t2, FS_MAGIC
    bne  t1, t2, .out
    lw   t1, FS_HDR_VERSION(t0)
    li   t2, FS_VERSION
    beq  t1, t2, 1f
    li   t2, FS_VERSION_NOLOG
    bne  t1, t2, .out
    la   t0, fs_nolog           ; the banner says why open will fail
    sw   t1, 0(t0)
    j    .out
1:  lw   t1, FS_HDR_SLOTS(t0)
    li   t2, FS_MAX_FILES
    bne  t1, t2, .out
    lw   t1, FS_HDR_LOGSECTORS(t0)
    li   t2, FS_LOG_SLOTS + 1
    bltu t1, t2, .out           ; a log too small for a transaction
    lw   t2, FS_HDR_LOGSTART(t0)
    beqz t2, .out
    add  t1, t1, t2
    lw   t3, FS_HDR_SECTORS(t0)
    bltu t3, t1, .out           ; a log past the end
    la   t0, fs_logstart
    sw   t2, 0(t0)
    call log_recover
    bltz a0, .out               ; a log that cannot be read, or garbage
    la   t0, fs_replayed
    sw   a0, 0(t0)
    beqz a0, 2f
    call fs_readsb              ; the log may have held sector 0
    bnez a0, .out
2:  la   t0, fs_ok
    li   t1, 1
    sw   t1, 0(t0)
.out:
    pop  ra
    ret

; fs_readsb() → a0 = 0 or -EIO: sector 0 into fs_sb
fs_readsb:
    li   a0, 0
    la   a1, fs_sb
    li   a2, 1
    li   a3, DISK_CMD_READ
    j    disk_rw

; fs_describe() — the banner's second line: the disk, and what is on it
fs_describe:
    push ra
    la   a0, s_disk
    call kputs
    li   t0, DISK_BASE
    lw   a0, DISK_CAPACITY(t0)
    beqz a0, .none
    call kputdec
    la   a0, s_sectors
    call kputs
    la   t0, fs_ok
    lw   t0, 0(t0)
    beqz t0, .foreign
    la   a0, s_tvfs
    call kputs
    call fs_count
    call kputdec
    la   a0, s_files
    call kputs
    la   t0, fs_replayed        ; a line only when the log was installed
    lw   t0, 0(t0)
    beqz t0, .done
    la   a0, s_replayed
    call kputs
    la   t0, fs_replayed
    lw   a0, 0(t0)
    call kputdec
    la   a0, s_sectors_nl
    la   t0, fs_replayed
    lw   t0, 0(t0)
    li   t1, 1
    bne  t0, t1, .say
    la   a0, s_sector_nl
    j    .say
.none:
    la   a0, s_no_disk
    j    .say
.foreign:
    la   a0, s_not_tvfs
    la   t0, fs_nolog
    lw   t0, 0(t0)
    beqz t0, .say
    la   a0, s_nolog
.say:
    call kputs
.done:
    pop  ra
    ret

; fs_count() → a0 = files in the directory
fs_count:
    la   t0, fs_sb + FS_DIR
    li   t1, FS_MAX_FILES
    li   a0, 0
1:  lbu  t2, DE_NAME(t0)
    beqz t2, 2f
    addi a0, a0, 1
2:  addi t0, t0, DE_SIZE
    addi t1, t1, -1
    bnez t1, 1b
    ret

; fs_lookup(a0 = name) → a0 = its directory entry, or 0
fs_lookup:
    push ra, s0, s1
    mv   s0, a0
    la   s1, fs_sb + FS_DIR
.next:
    la   t0, fs_sb + FS_DIR + FS_MAX_FILES * DE_SIZE
    bgeu s1, t0, .none
    lbu  t0, DE_NAME(s1)
    beqz t0, .skip              ; a free slot
    mv   a0, s0
    addi a1, s1, DE_NAME
    call streq
    bnez a0, .found
.skip:
    addi s1, s1, DE_SIZE
    j    .next
.found:
    mv   a0, s1
    pop  ra, s0, s1
    ret
.none:
    li   a0, 0
    pop  ra, s0, s1
    ret

; fs_create(a0 = name) → a0 = a new, empty directory entry; or a0 = 0 and
; a1 = -ENOSPC or -ENAMETOOLONG. Its capacity goes after the furthest file.
; (Kernel addresses are negative numbers: an entry cannot share a0 with
; an errno.)
fs_create:
    push ra, s0, s1, s2
    mv   s0, a0
    call strlen
    li   t0, DE_NAME_MAX
    bgeu a0, t0, .long
    li   s1, 0                  ; s1 = a free slot
    li   s2, 1                  ; s2 = first sector after every file
    la   t0, fs_sb + FS_DIR
    li   t1, FS_MAX_FILES
.scan:
    lbu  t2, DE_NAME(t0)
    bnez t2, .used
    bnez s1, .advance
    mv   s1, t0
    j    .advance
.used:
    lw   t2, DE_START(t0)
    lw   t3, DE_CAP(t0)
    add  t2, t2, t3
    bgeu s2, t2, .advance
    mv   s2, t2
.advance:
    addi t0, t0, DE_SIZE
    addi t1, t1, -1
    bnez t1, .scan
    beqz s1, .full              ; no free slot
    addi t0, s2, FS_NEW_SECTORS
    la   t1, fs_sb
    lw   t1, FS_HDR_SECTORS(t1)
    bltu t1, t0, .full          ; no room at the end
    sw   s2, DE_START(s1)
    li   t0, FS_NEW_SECTORS
    sw   t0, DE_CAP(s1)
    sw   zero, DE_BYTES(s1)
    addi a0, s1, DE_NAME
    mv   a1, s0
    call stpcpy
    call fs_sync                ; a new name is worth writing at once
    mv   a0, s1
    j    .out
.long:
    li   a1, -ENAMETOOLONG
    li   a0, 0
    j    .out
.full:
    li   a1, -ENOSPC
    li   a0, 0
.out:
    pop  ra, s0, s1, s2
    ret

; fs_sync() → a0 = 0 or -EIO: the in-memory directory back to sector 0.
; One sector lands whole, so it needs no transaction; but it waits for the
; one in progress, whose install would otherwise write an older sector 0
; over it.
fs_sync:
    push ra
    call log_begin
    la   t0, fs_dirty
    sw   zero, 0(t0)
    li   a0, 0
    la   a1, fs_sb
    li   a2, 1
    li   a3, DISK_CMD_WRITE
    call disk_rw
    call log_end
    pop  ra
    ret

; ---------------------------------------------------------------------------
; The system calls.

; open(path, flags) → fd
fs_open:
    push ra, s0, s1, s2
    addi sp, sp, -NAME_MAX
    mv   s0, a1                 ; s0 = flags
    la   t0, fs_ok
    lw   t0, 0(t0)
    beqz t0, .noaccess
    mv   a1, sp
    call fetchname
    bltz a0, .out
    mv   s1, sp                 ; s1 = the name, without a leading '/'
    lbu  t0, 0(s1)
    li   t1, '/'
    bne  t0, t1, 1f
    addi s1, s1, 1
1:  call free_fd                ; a0 = a free slot in the process's table
    beqz a0, .toomany
    mv   s2, a0
    mv   a0, s1
    call fs_lookup
    bnez a0, .found
    andi t0, s0, O_CREAT
    beqz t0, .noent
    mv   a0, s1
    call fs_create
    bnez a0, .found
    mv   a0, a1                 ; no room, or the name is too long
    j    .out
.found:
    andi t0, s0, O_TRUNC        ; O_TRUNC empties a file opened for writing
    beqz t0, 2f
    andi t0, s0, O_ACCMODE
    beqz t0, 2f
    sw   zero, DE_BYTES(a0)
    la   t0, fs_dirty
    li   t1, 1
    sw   t1, 0(t0)
2:  la   t0, fs_sb + FS_DIR     ; the slot number, + 1 (0 means a free fd)
    sub  a0, a0, t0
    li   t0, DE_SIZE
    divu a0, a0, t0
    addi a0, a0, 1
    sw   a0, FD_SLOT(s2)
    sw   zero, FD_OFF(s2)
    sw   s0, FD_FLAGS(s2)
    la   t0, curproc            ; the fd: the entry's index, after 0, 1, 2
    lw   t0, 0(t0)
    addi t0, t0, P_FILES
    sub  a0, s2, t0
    li   t0, FD_SIZE
    divu a0, a0, t0
    addi a0, a0, FIRST_FILE_FD
.out:
    addi sp, sp, NAME_MAX
    pop  ra, s0, s1, s2
    ret
.noaccess:
    li   a0, -EACCES
    j    .out
.toomany:
    li   a0, -EMFILE
    j    .out
.noent:
    li   a0, -ENOENT
    j    .out

; free_fd() → a0 = a free entry in the current process's file table, or 0
free_fd:
    la   t0, curproc
    lw   a0, 0(t0)
    addi a0, a0, P_FILES
    addi t1, a0, NOFILE * FD_SIZE
1:  lw   t0, FD_SLOT(a0)
    beqz t0, 2f
    addi a0, a0, FD_SIZE
    bltu a0, t1, 1b
    li   a0, 0
2:  ret

; fd_entry(a0 = fd) → a0 = the open file, or 0 if fd is not open
fd_entry:
    addi a0, a0, -FIRST_FILE_FD
    li   t0, NOFILE
    bgeu a0, t0, .bad
    li   t0, FD_SIZE
    mul  a0, a0, t0
    la   t0, curproc
    lw   t0, 0(t0)
    add  a0, a0, t0
    addi a0, a0, P_FILES
    lw   t0, FD_SLOT(a0)
    beqz t0, .bad
    ret
.bad:
    li   a0, 0
    ret

; fd_dirent(a0 = open file) → a0 = its directory entry
fd_dirent:
    lw   t0, FD_SLOT(a0)
    addi t0, t0, -1
    li   t1, DE_SIZE
    mul  t0, t0, t1
    la   a0, fs_sb + FS_DIR
    add  a0, a0, t0
    ret

; close(fd) → 0
fs_close:
    push ra
    call fd_entry
    beqz a0, .bad
    call close_entry
    pop  ra
    ret
.bad:
    li   a0, -EBADF
    pop  ra
    ret

; close_entry(a0 = open file) → a0 = 0, or -EIO: free it; write the
; directory back if a size changed
close_entry:
    sw   zero, FD_SLOT(a0)
    la   t0, fs_dirty
    lw   t0, 0(t0)
    bnez t0, fs_sync
    li   a0, 0
    ret

; fs_closeall(a0 = proc) — close every file it has open (it is exiting)
fs_closeall:
    push ra, s0, s1
    addi s0, a0, P_FILES
    addi s1, s0, NOFILE * FD_SIZE
.next:
    lw   t0, FD_SLOT(s0)
    beqz t0, .skip
    mv   a0, s0
    call close_entry
.skip:
    addi s0, s0, FD_SIZE
    bltu s0, s1, .next
    pop  ra, s0, s1
    ret

; seek(fd, offset, whence) → the new offset (-EINVAL if it would be negative)
fs_seek:
    push ra, s0, s1, s2
    mv   s1, a1
    mv   s2, a2
    call fd_entry
    beqz a0, .bad
    mv   s0, a0
    li   t0, SEEK_SET
    beq  s2, t0, .set
    li   t0, SEEK_CUR
    beq  s2, t0, .cur
    li   t0, SEEK_END
    bne  s2, t0, .invalid
    call fd_dirent
    lw   t0, DE_BYTES(a0)
    add  s1, s1, t0
    j    .set
.cur:
    lw   t0, FD_OFF(s0)
    add  s1, s1, t0
.set:
    bltz s1, .invalid
    sw   s1, FD_OFF(s0)
    mv   a0, s1
    j    .out
.bad:
    li   a0, -EBADF
    j    .out
.invalid:
    li   a0, -EINVAL
.out:
    pop  ra, s0, s1, s2
    ret

; read(fd, buf, len) for fd ≥ 3 → bytes read, 0 at the end of the file
fs_read:
    push ra, s0, s1, s2, s3
    mv   s1, a1                 ; s1 = buf
    mv   s2, a2                 ; s2 = len
    li   a3, O_WRONLY           ; a file opened write-only cannot be read
    call fd_io
    beqz a0, .error
    mv   s0, a0                 ; s0 = the open file
    li   s3, 0                  ; s3 = bytes read
.sector:
    beq  s3, s2, .done
    mv   a0, s0
    call fd_dirent
    lw   t0, FD_OFF(s0)
    lw   t1, DE_BYTES(a0)
    bgeu t0, t1, .done          ; at the end of the file
    sub  t1, t1, t0             ; t1 = bytes left in the file
    sub  t2, s2, s3
    bgeu t2, t1, 1f
    mv   t1, t2                 ; … or wanted
1:  andi t2, t0, SECTOR_SIZE - 1
    li   t3, SECTOR_SIZE
    sub  t3, t3, t2
    bgeu t3, t1, 2f
    mv   t1, t3                 ; … or in this sector
2:  push t1, t2                 ; t1 = bytes this round, t2 = where in the sector
    lw   a0, DE_START(a0)
    srli t0, t0, SECTOR_SHIFT
    add  a0, a0, t0
    la   a1, fs_buf
    li   a2, 1
    li   a3, DISK_CMD_READ
    call disk_rw
    pop  t1, t2
    bnez a0, .out
    push t1
    call cur_pt
    add  a1, s1, s3
    la   a2, fs_buf
    add  a2, a2, t2
    mv   a3, t1
    call uput
    pop  t1
    add  s3, s3, t1
    lw   t0, FD_OFF(s0)
    add  t0, t0, t1
    sw   t0, FD_OFF(s0)
    j    .sector
.done:
    mv   a0, s3
.out:
    pop  ra, s0, s1, s2, s3
    ret
.error:
    mv   a0, a1
    j    .out

; write(fd, buf, len) for fd ≥ 3 → bytes written; a write that reaches the
; file's capacity is cut short there; one that starts there fails -ENOSPC;
; one of more than FS_WRITE_MAX bytes fails -EFBIG. One transaction: after a
; crash the disk holds all of it (with the file's new size) or none of it.
fs_write:
    push ra, s0, s1, s2, s3
    mv   s1, a1                 ; s1 = buf
    mv   s2, a2                 ; s2 = len
    li   a3, O_RDONLY           ; a file opened read-only cannot be written
    call fd_io
    beqz a0, .error
    mv   s0, a0                 ; s0 = the open file
    li   t0, FS_WRITE_MAX
    bltu t0, s2, .toobig        ; it would not fit in the log
    call log_begin
    mv   a0, s0
    mv   a1, s1
    mv   a2, s2
    call fs_write_log           ; the sectors, into the log
    blez a0, .end               ; nothing written, or an error
    mv   s3, a0                 ; s3 = bytes written
    la   t0, fs_dirty
    lw   t1, 0(t0)
    beqz t1, 1f
    sw   zero, 0(t0)            ; a new size: the directory goes with the data
    li   a0, 0
    la   a1, fs_sb
    call log_write
    bnez a0, .end
1:  call log_commit             ; commit, install
    bnez a0, .end
    mv   a0, s3
.end:
    call log_end                ; (an error drops what was not committed)
.out:
    pop  ra, s0, s1, s2, s3
    ret
.toobig:
    li   a0, -EFBIG
    j    .out
.error:
    mv   a0, a1
    j    .out

; fs_write_log(a0 = open file, a1 = buf, a2 = len) → bytes, or -errno: the
; body of write, each changed sector going to the log (log_write), none to
; its home. The caller holds the log and has checked len.
fs_write_log:
    push ra, s0, s1, s2, s3
    mv   s0, a0                 ; s0 = the open file
    mv   s1, a1                 ; s1 = buf
    mv   s2, a2                 ; s2 = len
    li   s3, 0                  ; s3 = bytes written
    lw   t0, FD_FLAGS(s0)
    andi t0, t0, O_APPEND
    beqz t0, .sector
    mv   a0, s0                 ; O_APPEND: every write goes at the end
    call fd_dirent
    lw   t0, DE_BYTES(a0)
    sw   t0, FD_OFF(s0)
.sector:
    beq  s3, s2, .done
    mv   a0, s0
    call fd_dirent
    lw   t0, FD_OFF(s0)
    lw   t1, DE_CAP(a0)
    slli t1, t1, SECTOR_SHIFT
    bgeu t0, t1, .full
    sub  t1, s2, s3             ; t1 = bytes wanted …
    andi t2, t0, SECTOR_SIZE - 1
    li   t3, SECTOR_SIZE
    sub  t3, t3, t2
    bgeu t3, t1, 1f
    mv   t1, t3                 ; … or left in this sector
1:  lw   a0, DE_START(a0)
    srli t0, t0, SECTOR_SHIFT
    add  a0, a0, t0             ; a0 = the sector
    push a0, t1, t2
    li   t0, SECTOR_SIZE
    beq  t1, t0, 2f             ; a whole sector: nothing of it to keep
    la   a1, fs_buf             ; part of one: read it, change that part
    li   a2, 1                  ; (its home is current: no log is pending)
    li   a3, DISK_CMD_READ
    call disk_rw
    bnez a0, .io
2:  call cur_pt
    lw   a3, 4(sp)              ; t1
    lw   t2, 0(sp)
    la   a1, fs_buf
    add  a1, a1, t2
    add  a2, s1, s3
    call uget
    lw   a0, 8(sp)              ; the sector
    la   a1, fs_buf
    call log_write
    bnez a0, .io
    pop  a0, t1, t2
    add  s3, s3, t1
    lw   t0, FD_OFF(s0)
    add  t0, t0, t1
    sw   t0, FD_OFF(s0)
    mv   a0, s0
    call fd_dirent
    lw   t1, DE_BYTES(a0)
    lw   t0, FD_OFF(s0)
    bgeu t1, t0, .sector
    sw   t0, DE_BYTES(a0)       ; the file grew
    la   t0, fs_dirty
    li   t1, 1
    sw   t1, 0(t0)
    j    .sector
.io:
    addi sp, sp, 12             ; drop the three words pushed above
    j    .out
.full:
    bnez s3, .done
    li   a0, -ENOSPC
    j    .out
.done:
    mv   a0, s3
.out:
    pop  ra, s0, s1, s2, s3
    ret

; ---------------------------------------------------------------------------
; The log (xv6's log.c, without its buffer cache: a slot is written to the
; disk when the sector is logged, and read back to install it).

; log_begin() — take the log, waiting while another transaction has it
log_begin:
    push ra
.wait:
    la   t0, log_busy
    lw   t1, 0(t0)
    beqz t1, .take
    la   a0, log_busy
    call sleep
    j    .wait
.take:
    li   t1, 1
    sw   t1, 0(t0)
    la   t0, log_n
    sw   zero, 0(t0)
    pop  ra
    ret

; log_end() — give the log back; whatever was logged and not committed is
; dropped. a0 is kept.
log_end:
    push ra, a0
    la   t0, log_n
    sw   zero, 0(t0)
    la   t0, log_busy
    sw   zero, 0(t0)
    la   a0, log_busy
    call wakeup
    pop  ra, a0
    ret

; log_write(a0 = home sector, a1 = its new contents, a sector) → a0 = 0,
; -EIO, or -EFBIG if the log is full: into the next slot of the log
log_write:
    push ra, s0
    la   t0, log_n
    lw   s0, 0(t0)              ; s0 = the slot
    li   t1, FS_LOG_SLOTS
    bgeu s0, t1, .full
    slli t1, s0, 2
    la   t2, log_hdr + LOG_HOME
    add  t2, t2, t1
    sw   a0, 0(t2)              ; its home, for the header
    la   t0, fs_logstart
    lw   a0, 0(t0)
    addi a0, a0, 1
    add  a0, a0, s0             ; the slot's sector
    li   a2, 1
    li   a3, DISK_CMD_WRITE
    call disk_rw
    bnez a0, .out
    addi s0, s0, 1
    la   t0, log_n
    sw   s0, 0(t0)
.out:
    pop  ra, s0
    ret
.full:
    li   a0, -EFBIG
    j    .out

; log_commit() → a0 = 0 or -EIO: write the header — from then on the
; transaction survives a crash — then install it
log_commit:
    push ra
    la   t0, log_n
    lw   t1, 0(t0)
    li   a0, 0
    beqz t1, .out               ; nothing logged
    la   t0, log_hdr
    sw   t1, LOG_N(t0)
    la   t0, fs_logstart
    lw   a0, 0(t0)
    la   a1, log_hdr
    li   a2, 1
    li   a3, DISK_CMD_WRITE
    call disk_rw                ; the commit point
    bnez a0, .out
    call log_install
.out:
    pop  ra
    ret

; log_install() → a0 = 0 or -EIO: copy the log_n slots to their homes (the
; header's list), then clear the header on the disk
log_install:
    push ra, s0, s1
    li   s0, 0
    la   t0, log_n
    lw   s1, 0(t0)
.next:
    beq  s0, s1, .clear
    la   t0, fs_logstart
    lw   a0, 0(t0)
    addi a0, a0, 1
    add  a0, a0, s0
    la   a1, fs_buf
    li   a2, 1
    li   a3, DISK_CMD_READ
    call disk_rw
    bnez a0, .out
    slli t0, s0, 2
    la   t1, log_hdr + LOG_HOME
    add  t1, t1, t0
    lw   a0, 0(t1)
    la   a1, fs_buf
    li   a2, 1
    li   a3, DISK_CMD_WRITE
    call disk_rw
    bnez a0, .out
    addi s0, s0, 1
    j    .next
.clear:
    la   t0, log_hdr
    sw   zero, LOG_N(t0)
    la   t0, log_n
    sw   zero, 0(t0)
    la   t0, fs_logstart
    lw   a0, 0(t0)
    la   a1, log_hdr
    li   a2, 1
    li   a3, DISK_CMD_WRITE
    call disk_rw
.out:
    pop  ra, s0, s1
    ret

; log_recover() → a0 = sectors installed (0: nothing was committed), or -1
; if the log header cannot be read or makes no sense. At boot.
log_recover:
    push ra, s0
    la   t0, fs_logstart
    lw   a0, 0(t0)
    la   a1, log_hdr
    li   a2, 1
    li   a3, DISK_CMD_READ
    call disk_rw
    bnez a0, .bad
    la   t0, log_hdr
    lw   s0, LOG_N(t0)
    beqz s0, .none
    li   t1, FS_LOG_SLOTS
    bltu t1, s0, .bad
    la   t0, log_n
    sw   s0, 0(t0)
    call log_install
    bnez a0, .bad
    mv   a0, s0
    j    .out
.none:
    li   a0, 0
    j    .out
.bad:
    li   a0, -1
.out:
    pop  ra, s0
    ret

; fd_io(a0 = fd, a1 = buf, a2 = len, a3 = the access mode that rules the
; transfer out: O_WRONLY for a read, O_RDONLY for a write) → a0 = the open
; file, the buffer checked too; or a0 = 0 and a1 = -EBADF or -EFAULT
fd_io:
    push ra, s0, s1, s2, s3
    mv   s1, a1
    mv   s2, a2
    mv   s3, a3
    call fd_entry
    beqz a0, .bad
    mv   s0, a0
    lw   t0, FD_FLAGS(s0)
    andi t0, t0, O_ACCMODE
    beq  t0, s3, .bad
    mv   a0, s1
    mv   a1, s2
    li   a2, PTE_R              ; a write reads the buffer,
    beqz s3, 1f
    li   a2, PTE_W              ; a read stores into it
1:  call ucheck
    bnez a0, .fault
    mv   a0, s0
    j    .out
.bad:
    li   a0, -EBADF
.fault:
    mv   a1, a0
    li   a0, 0
.out:
    pop  ra, s0, s1, s2, s3
    ret

.data
s_disk:     .asciz "kernel: disk: "
s_no_disk:  .asciz "none\n"
s_sectors:  .asciz " sectors, "
s_tvfs:     .asciz "tvfs, "
s_files:    .asciz " files\n"
s_not_tvfs: .asciz "not tvfs (open will fail)\n"
s_nolog:    .asciz "tvfs version 1, without a log: this kernel needs version 2 (open will fail; make a new disk with typevisor mkdisk)\n"
s_replayed: .asciz "kernel: disk: log replayed, "
s_sectors_nl: .asciz " sectors\n"
s_sector_nl:  .asciz " sector\n"

.bss
.align 4
fs_ok:    .space 4              ; a tvfs disk is attached
fs_dirty: .space 4              ; fs_sb has changes sector 0 lacks
fs_nolog: .space 4              ; the disk is tvfs version 1: refused
fs_replayed: .space 4           ; sectors the boot installed from the log
fs_logstart: .space 4           ; the log header's sector
log_busy: .space 4              ; a transaction holds the log
log_n:    .space 4              ; slots logged in it so far
log_hdr:  .space SECTOR_SIZE    ; the log header: LOG_N, then the homes
fs_sb:    .space SECTOR_SIZE    ; sector 0: the header and the directory
fs_buf:   .space SECTOR_SIZE    ; file data on its way to or from the disk
.text
