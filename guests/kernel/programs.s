; programs.s — the user programs linked into the kernel, in boot order.
;
; Each line is one entry (the `program` macro, proc.s):
;
;   program NAME, FILE, FLAGS, ARGS
;
; NAME is argv[0] and what spawn looks for; FILE is assembled as a program
; of its own and embedded whole (its TVIM image) — the path is relative to
; this file; FLAGS is PROG_BOOT (started at boot, in this order) or
; PROG_SPAWN (started only when a process spawns it); ARGS is argv[1..], one
; string with "\0" between arguments ("" for none).
;
; This set shows the kernel at work: output from several processes
; interleaved by the timer (yield, parent's spin children, sieve, collatz),
; a parent waiting for its children, and a program killed for touching the
; kernel's memory while the rest go on.

.data
.align 4
programs:
    program "hello",     "../programs/hello.s",      PROG_BOOT,  ""
    program "yield",     "../programs/yield.s",      PROG_BOOT,  ""
    program "parent",    "user/parent.s",            PROG_BOOT,  ""
    program "sieve",     "../programs/sieve.s",      PROG_BOOT,  ""
    program "evil-kmem", "tests/evil-kmem.s",        PROG_BOOT,  ""
    program "collatz",   "../programs/collatz.s",    PROG_BOOT,  ""
    program "spin",      "../programs/spin.s",       PROG_SPAWN, ""
    program "sh",        "user/sh.s",                PROG_SPAWN, ""
program_table_end
