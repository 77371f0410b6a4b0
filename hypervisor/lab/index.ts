/**
 * The migration lab: the engine (hypervisor/migration) composed with native
 * monitors on a simulated link in virtual time — one migration start to
 * finish, the baseline that never migrates, the strategy comparison and its
 * HTML report, and the workloads they run.
 */
export { runBaseline, simulateMigration, type SimulationResult, type SimulationSpec } from './simulate.js';
export { compareStrategies, comparisonRows, describeComparison, type Comparison, type ComparisonSpec } from './compare.js';
export { renderHtml } from './html-report.js';
export { DEVICE_WORKLOAD_NAMES, isDeviceWorkload, loadWorkload, parseParams, WORKLOAD_NAMES, workloadParams, type DeviceWorkloadName, type Workload, type WorkloadName } from './workloads.js';
