/** Live migration: the engine's public face (see README.md, "The API"). */
export { TICKS_PER_MS, WallClock, type MigrationClock } from './clock.js';
export { VirtualClock } from './virtual-clock.js';
export { LinkError, MigrationError, PeerError } from './migration-error.js';
export type { AbortCause, MigrationEvent, MigrationOutcome, MigrationPhase } from './events.js';
export { IncomingMigration, type IncomingConfig, type IncomingOutcome } from './incoming.js';
export { readOpening, type Opening } from './opening.js';
export { DEFAULT_MIGRATION_OPTIONS, STALL_POLICIES, STRATEGY_NAMES, withDefaults, type MigrationOptions, type StallPolicy, type StrategyName } from './options.js';
export { OutgoingMigration, type OutgoingConfig } from './outgoing.js';
export { isMigrationStream, ProtocolError } from './protocol.js';
export { ArrivingDisk } from './arriving-disk.js';
export type { SourceDisk } from './disk-region.js';
export { formatBytes, renderReport, reportRows, timeUnit, type DiskReport, type DiskRoundReport, type MigrationReport, type RoundReport } from './migration-report.js';
export type { Transport } from './transport.js';
export { connectTcp, TcpTransport } from './transports/tcp.js';
export { formatRate, SimulatedLink, type LinkSpec } from './transports/simulated.js';
export { parseCountWithSuffix, parseDuration, parseLink, parseRate, UnitError } from './units.js';

export { warmUpSwitchover } from './warm-up.js';
