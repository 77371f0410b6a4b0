/**
 * Warming a daemon's migration paths when it starts.
 *
 * The first migration a daemon takes part in runs the switchover's code
 * cold: saving and encoding the VM's state, packing the post-copy bitmap,
 * framing, parsing, decoding, restoring. A few milliseconds of that fall
 * between the guest's last instruction on the source and its first on the
 * destination — inside its downtime. So a daemon runs those steps once on a
 * throwaway VM as it starts (a few milliseconds no guest waits for).
 */
import { PAGE_SIZE } from '../../vm/memmap.js';
import { PhysicalMemory } from '../../vm/memory.js';
import { placeVm } from '../core/layout.js';
import { decodeVmState, encodeVmState } from '../core/state-format.js';
import { VirtualMachine } from '../core/vm.js';
import { encodeFrame, FrameReader, FrameType, packBitmap, StateMode, unpackBitmap, type Frame } from './protocol.js';

const PAGES = 256;
const SHADOW_PAGES = 8;

/** Run the switchover's steps on a throwaway VM; returns the frames that crossed (for its test). */
export function warmUpSwitchover(rounds = 3): number {
  const host = new PhysicalMemory((SHADOW_PAGES + PAGES) * PAGE_SIZE);
  const { window, shadow } = placeVm(host, 0, SHADOW_PAGES * PAGE_SIZE, PAGES * PAGE_SIZE, SHADOW_PAGES);
  const vm = new VirtualMachine('warm-up', window, shadow);
  const marks = new Uint8Array(PAGES).fill(1);
  let crossed = 0;
  for (let r = 0; r < rounds; r++) {
    const reader = new FrameReader();
    const frames: Frame[] = [
      { type: FrameType.STATE, mode: StateMode.POSTCOPY, state: encodeVmState(vm.save('native', 'migrating-out')), onSource: packBitmap(marks) },
      { type: FrameType.STATE_ACK },
      { type: FrameType.GO },
      { type: FrameType.RESUMED, at: r },
    ];
    frames.forEach((f, seq) => reader.push(encodeFrame(f, seq)));
    for (let f = reader.next(); f; f = reader.next()) {
      crossed++;
      if (f.type === FrameType.STATE) {
        unpackBitmap(f.onSource, PAGES);
        vm.restore(decodeVmState(f.state));
      }
    }
  }
  return crossed;
}
