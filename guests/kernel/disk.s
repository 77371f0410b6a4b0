; disk.s — the block-device driver: move sectors between the disk and a
; kernel buffer by DMA, one request at a time.
;
; A request fills SECTOR/ADDR/COUNT, writes CMD, and waits for the disk's
; completion interrupt; only then does the driver read STATUS (in
; disk_intr), and ACK it. The bare machine happens to complete a command the
; moment it is written, but a hosted monitor completes it later, from host
; I/O — so the caller always waits for the interrupt and never assumes.
;
; Waiting: a process sleeps until disk_intr wakes it. At boot there is no
; process to put to sleep (fs_init reads the directory), so the kernel waits
; with wfi and handles the interrupt itself (devpoll).
;
; The DMA address is physical. Kernel buffers are identity mapped, so a
; kernel address is its own physical address.

.text

; disk_rw(a0 = sector, a1 = buffer, a2 = count, a3 = DISK_CMD_READ or
; DISK_CMD_WRITE) → a0 = 0, or -EIO
disk_rw:
    push ra, s0, s1, s2, s3
    mv   s0, a0
    mv   s1, a1
    mv   s2, a2
    mv   s3, a3
.claim:                         ; one request at a time
    la   t0, disk_busy
    lw   t1, 0(t0)
    beqz t1, .mine
    la   a0, disk_busy
    call disk_sleep
    j    .claim
.mine:
    li   t1, 1
    sw   t1, 0(t0)
    la   t0, disk_done
    sw   zero, 0(t0)
    li   t0, DISK_BASE
    sw   s0, DISK_SECTOR(t0)
    sw   s1, DISK_ADDR(t0)
    sw   s2, DISK_COUNT(t0)
    sw   s3, DISK_CMD(t0)       ; go
.wait:
    la   t0, disk_done
    lw   t1, 0(t0)
    bnez t1, .finished
    la   a0, disk_done
    call disk_sleep
    j    .wait
.finished:
    la   t0, disk_status
    lw   t1, 0(t0)
    li   s0, 0
    li   t2, DISK_STATUS_DONE
    beq  t1, t2, 1f
    li   s0, -EIO               ; the device said error (sector range, address…)
1:  la   t0, disk_busy
    sw   zero, 0(t0)
    la   a0, disk_busy
    call wakeup                 ; the next request may go
    mv   a0, s0
    pop  ra, s0, s1, s2, s3
    ret

; disk_intr() — the completion interrupt: read the outcome, acknowledge,
; wake the requester
disk_intr:
    li   t0, DISK_BASE
    lw   t1, DISK_STATUS(t0)    ; read only now, after the interrupt
    la   t2, disk_status
    sw   t1, 0(t2)
    sw   zero, DISK_ACK(t0)     ; status back to idle, interrupt line down
    la   t0, disk_done
    li   t1, 1
    sw   t1, 0(t0)
    la   a0, disk_done
    j    wakeup

; disk_sleep(a0 = channel) — wait for a disk event: asleep if a process is
; running, else (boot) wfi until a device interrupt is pending
disk_sleep:
    la   t0, curproc
    lw   t0, 0(t0)
    bnez t0, sleep
    push ra
    li   t0, IE_DEVICES         ; wfi ends only for lines enabled in ie
    csrw ie, t0
    wfi
    call devpoll
    pop  ra
    ret

.bss
.align 4
disk_busy:   .space 4           ; a request is in flight
disk_done:   .space 4           ; its interrupt has come
disk_status: .space 4           ; STATUS as disk_intr found it
.text
