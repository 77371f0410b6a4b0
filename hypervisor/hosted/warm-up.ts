/**
 * Warming a spare vCPU thread before a VM needs it.
 *
 * A fresh thread is a fresh V8 isolate: the first time it restores a state,
 * runs a slice, answers a pause or hands over the dirty log, it runs that
 * code cold — a millisecond here and there, which a VM arriving by post-copy
 * would spend inside its downtime (its restore is the first thing its thread
 * does). So a spare thread first runs a throwaway guest through the same
 * paths a migration takes — run, dirty log, pause, save, restore, resume —
 * against a scripted main thread, and only then waits for
 * its VM.
 */
import { Op } from '../../isa/opcodes.js';
import { encode } from '../../isa/encoding.js';
import type { Image } from '../../isa/image.js';
import { PAGE_SIZE, RAM_BASE } from '../../vm/memmap.js';
import { Doorbell, VmStatus, type FromVcpu, type ToVcpu, type VcpuConfig } from './channel.js';
import { HostedVcpu } from './vcpu.js';

const MEM = 16 * PAGE_SIZE;
const SHADOW_PAGES = 16;

/** A guest that stores a counter to its RAM forever: `loop: addi t, t, 1; sw t, 0x1000(base); jal loop`. */
function spinner(): Image {
  const words = [
    encode({ op: Op.LUI, rd: 2, rs1: 0, rs2: 0, imm: RAM_BASE >>> 16 }),
    encode({ op: Op.ADDI, rd: 1, rs1: 1, rs2: 0, imm: 1 }),
    encode({ op: Op.SW, rd: 0, rs1: 2, rs2: 1, imm: 0x1000 }),
    encode({ op: Op.JAL, rd: 0, rs1: 0, rs2: 0, imm: -8 }),
  ];
  const data = new Uint8Array(new Uint32Array(words).buffer);
  return { entry: RAM_BASE, sections: [{ name: '.text', addr: RAM_BASE, flags: 5, size: data.length, data }], symbols: [] };
}

/** What the warm-up went through (for its test: a warm-up that ran nothing would warm nothing). */
export interface WarmUp {
  readonly replies: number;
  readonly restores: number;
  readonly instructions: number;
  readonly dirtyPages: number;
}

/** Run the paths a migration takes once, on this thread, and throw the guest away. */
export function warmUp(rounds = 3): WarmUp {
  const bell = new Doorbell();
  const status = new VmStatus();
  const missing = new SharedArrayBuffer(MEM / PAGE_SIZE);
  const config: VcpuConfig = {
    name: 'warm-up',
    image: spinner(),
    ram: new SharedArrayBuffer(SHADOW_PAGES * PAGE_SIZE + MEM),
    memSize: MEM,
    shadowPages: SHADOW_PAGES,
    bell: bell.buffer,
    tier: undefined,
    slice: 2_000,
    maxInstructions: undefined,
    trace: false,
    consoleOpen: true,
    diskSectors: 0,
    net: false,
    host: { paused: false, status: status.buffer, missing },
  };
  // The main thread's part, scripted: one message per round of the vCPU's loop (so slices run
  // between them), each request once the last is answered; a saved state is restored and the
  // guest resumed, as a destination does.
  const queue: ToVcpu[] = [];
  let id = 0;
  for (let r = 0; r < rounds; r++) {
    queue.push({ kind: 'dirty-start', id: id++ }, { kind: 'dirty-take', id: id++ }, { kind: 'pause', id: id++ }, { kind: 'save', id: id++, lifecycle: 'migrating-out' });
  }
  queue.push({ kind: 'stop', reason: 'warmed up' });
  let waiting = false;
  let fresh = false;
  let replies = 0;
  let restores = 0;
  let dirtyPages = 0;
  const vcpu = new HostedVcpu(config, {
    receive: () => {
      if (waiting || !fresh) return undefined;
      fresh = false;
      const next = queue.shift();
      if (next && 'id' in next) waiting = true;
      return next;
    },
    send: (m: FromVcpu) => {
      if (m.kind !== 'reply') return;
      waiting = false;
      replies++;
      dirtyPages += m.pages?.length ?? 0;
      if (m.state) {
        restores++;
        queue.unshift({ kind: 'restore', id: id++, state: m.state }, { kind: 'resume' });
      }
    },
    bell: {
      read: () => {
        fresh = true;
        return 0;
      },
      wait: () => 'ok',
    },
  });
  const exit = vcpu.run();
  return { replies, restores, instructions: exit.instructions, dirtyPages };
}
