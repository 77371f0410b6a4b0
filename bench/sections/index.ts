/** Every section of `npm run bench`, in the order they run. Later issues add theirs here. */
import type { BenchSection } from '../section.js';
import { interpreterSection, programsSection } from './interpreter.js';
import { migrationSection } from './migration.js';
import { migrationThroughputSection } from './migration-throughput.js';
import { diskMigrationSection } from './disk-migration.js';
import { dispatchSection } from './dispatch.js';
import { monitorsSection } from './monitors.js';
import { netRelaySection } from './net-relay.js';
import { snapshotSection } from './snapshot.js';
import { snapshotStoreSection } from './snapshot-store.js';
import { startupSection } from './startup.js';

export const SECTIONS: readonly BenchSection[] = [interpreterSection, programsSection, dispatchSection, monitorsSection, migrationSection, migrationThroughputSection, netRelaySection, diskMigrationSection, snapshotSection, snapshotStoreSection, startupSection];
