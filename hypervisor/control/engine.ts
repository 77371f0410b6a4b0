/**
 * The migration engine as the control plane sees it: the one file that binds
 * to hypervisor/migration's API (its README, "The API"). Everything else in
 * this folder imports the engine's names from here, so a change there is one
 * edit here.
 */
export {
  ArrivingDisk,
  IncomingMigration,
  OutgoingMigration,
  STALL_POLICIES,
  STRATEGY_NAMES,
  TcpTransport,
  WallClock,
  renderReport,
  warmUpSwitchover,
  type AbortCause,
  type IncomingOutcome,
  type MigrationEvent,
  type MigrationOptions,
  type MigrationOutcome,
  type MigrationPhase,
  type DiskReport,
  type MigrationReport,
  type SourceDisk,
  type StallPolicy,
  type StrategyName,
} from '../migration/index.js';
