/** The strategies by name. */
import { MigrationError } from '../migration-error.js';
import type { StrategyName } from '../options.js';
import { HYBRID } from './hybrid.js';
import { POST_COPY } from './postcopy.js';
import { PRE_COPY } from './precopy.js';
import { STOP_AND_COPY } from './stop-and-copy.js';
import type { MigrationStrategy } from './strategy.js';

export const STRATEGIES: readonly MigrationStrategy[] = [STOP_AND_COPY, PRE_COPY, POST_COPY, HYBRID];

export function strategyFor(name: StrategyName): MigrationStrategy {
  const s = STRATEGIES.find((x) => x.name === name);
  if (!s) throw new MigrationError(`no strategy named ${name} (stop-and-copy, pre-copy, post-copy, hybrid)`);
  return s;
}
