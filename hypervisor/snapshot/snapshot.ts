/**
 * A snapshot as a typed record: everything needed to bring a VM back where
 * it was — its versioned state (core/state.ts), its guest-physical memory,
 * and its disk, by reference (a volume) or by value (a transient disk's
 * bytes). What the record means on disk is snapshot-format.ts; the layout,
 * with every offset, is README.md beside it.
 */
import type { VmState } from '../core/state.js';

/** Where the snapshot was taken: the bare machine, or a VM under a monitor. */
export const TAKEN_ON = ['bare', 'native', 'hosted'] as const;
export type TakenOn = (typeof TAKEN_ON)[number];

/**
 * The VM's disk, if it has one. A volume outlives its VM, so a snapshot
 * records only which one and which generation of it (restoring needs that
 * volume at that generation); a transient disk dies with its VM, so its
 * bytes travel in the snapshot.
 */
export type DiskBinding =
  | { readonly kind: 'volume'; readonly name: string; readonly generation: number }
  | { readonly kind: 'transient'; readonly bytes: Uint8Array };

export interface SnapshotInfo {
  readonly takenOn: TakenOn;
  /** The kernel the VM was booted from (a file name, for people). */
  readonly kernel: string;
  /** Guest RAM in bytes (a positive multiple of 4 KiB). */
  readonly memSize: number;
}

export interface Snapshot {
  readonly info: SnapshotInfo;
  readonly state: VmState;
  /** Guest-physical RAM, memSize bytes. */
  readonly memory: Uint8Array;
  readonly disk?: DiskBinding;
}
