; echo.s — a network service for migration: every byte a peer sends over
; the network device comes straight back (echo), and every line it ends with
; "\n" is counted on the console, "line N: B bytes" (N counts lines over all
; connections, B the bytes of this connection so far). When a peer hangs up:
; "closed after B bytes". So the console says exactly what the service
; received, and a test can tell a byte lost or repeated on either path.
;
; Between bytes it waits in wfi for the network line (ie bit 3; interrupts
; stay off, so wfi simply returns when a byte waits or the connection
; changes): an idle service costs nothing. After CONNECTIONS connections
; have ended it powers off (0: it serves until it is stopped).
;
; Start it on a daemon with a cable: typevisor vm start guests/workloads/echo.s --net-listen 7000

CONNECTIONS = 0
FILL        = 1                 ; 1: the rest of RAM holds data (written once at boot), so a migration has memory to move
NET_BASE    = 0xF0003000        ; TX +0, RX +4, STATUS +8, CTRL +12 (vm/devices/net.ts)

_start:
        li   a1, WS_BASE
        li   a2, FILL
        li   a3, 0
        call begin
        li   s3, NET_BASE
        li   t0, 1
        sw   t0, 12(s3)         ; CTRL: the line is up while a byte waits or the connection changed
        li   t0, 8              ; ie: the network line wakes wfi
        csrw ie, t0
        li   s0, 0              ; bytes of this connection
        li   s1, 0              ; lines seen
        li   s2, 0              ; connections ended
        li   a3, 0              ; 1 once this connection was seen open (puts and putd leave a3 alone)
        la   a0, m_ready
        call puts
loop:   lw   t0, 8(s3)          ; STATUS (reading it acknowledges a connection change)
        andi t1, t0, 4          ; connected
        beqz t1, 1f
        li   a3, 1
1:      andi t1, t0, 1          ; a byte waits
        beqz t1, 3f
        lw   t2, 4(s3)          ; RX
        sw   t2, 0(s3)          ; TX: back it goes
        addi s0, s0, 1
        li   t1, 10
        bne  t2, t1, loop
        addi s1, s1, 1
        la   a0, m_line
        call puts
        mv   a0, s1
        call putd
        la   a0, m_colon
        call puts
        mv   a0, s0
        call putd
        la   a0, m_bytes
        call puts
        j    loop
3:      andi t1, t0, 8          ; the peer closed, and nothing is left to read
        beqz t1, 5f
        or   t1, a3, s0
        beqz t1, 5f
        la   a0, m_closed
        call puts
        mv   a0, s0
        call putd
        la   a0, m_bytes
        call puts
        li   s0, 0
        li   a3, 0
        addi s2, s2, 1
        li   t0, CONNECTIONS
        beqz t0, 5f
        bltu s2, t0, 5f
        li   a0, 0
        j    poweroff
5:      wfi
        j    loop

m_ready:  .asciz "echo: ready\n"
m_line:   .asciz "line "
m_colon:  .asciz ": "
m_bytes:  .asciz " bytes\n"
m_closed: .asciz "closed after "
        .align 4
.include "workload.inc"
