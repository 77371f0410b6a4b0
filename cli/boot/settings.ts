import type { Tier } from '../../vm/machine.js';

/** The parsed, checked options of `typevisor boot`, shared by the bare and monitor paths. */
export interface BootSettings {
  readonly memSize: number;
  readonly maxInstructions: number | undefined;
  readonly traceTraps: boolean;
  readonly stats: boolean;
  readonly json: boolean;
  readonly consoleDir: string | undefined;
  readonly shares: readonly number[];
  readonly tier: Tier;
}
