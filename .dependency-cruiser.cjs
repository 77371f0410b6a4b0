/**
 * The layering, checked by `npm run layers` (part of `npm test`):
 *
 *   isa → vm → hypervisor/core → {hypervisor/native, hypervisor/hosted,
 *   hypervisor/migration, hypervisor/snapshot, hypervisor/control} → hypervisor/cluster → cli
 *   (hypervisor/lab sits beside cluster, above control)
 *
 * web/ (the browser playground) sits on the layers that run in a page.
 *
 * Data flows down; nothing imports upward. bench/ sits beside cli and may use
 * the layers; test/ may import anything, and nothing else may import test/.
 *
 * Paths in the rules are relative to the folder depcruise runs in (the repo
 * root), so `^vm/` is the vm layer. Type-only imports count: a type from an
 * upper layer couples a lower one to it just as a value does.
 *
 * test/layers.test.ts runs these same rules on a small tree of violating
 * imports, so a rule that stops matching fails the test suite.
 */

/** Anything of the project: not a Node built-in and not an installed package. */
const notProject = { dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'] };

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'isa-imports-only-isa',
      severity: 'error',
      comment:
        'isa/ is the bottom layer: the instruction set, encoding, assembler and image format. ' +
        'Everything else is built on it, so it may not depend on any other part of the project.',
      from: { path: '^isa/' },
      to: { pathNot: '^isa/', ...notProject },
    },
    {
      name: 'vm-imports-only-isa-and-vm',
      severity: 'error',
      comment:
        'vm/ is the machine (CPU, memory, MMU, interpreter, devices, process VM). It runs on the ISA ' +
        'and knows nothing of the monitors, the CLI or the bench that are built on top of it.',
      from: { path: '^vm/' },
      to: { pathNot: '^(isa|vm)/', ...notProject },
    },
    {
      name: 'core-imports-only-isa-vm-and-core',
      severity: 'error',
      comment:
        'hypervisor/core/ (vCPUs, trap-and-emulate, shadow paging, the host interface) is what every ' +
        'monitor, migration and the control plane share. If it imported one of them it would drag that ' +
        'one into all the others.',
      from: { path: '^hypervisor/core/' },
      to: { pathNot: '^(isa|vm|hypervisor/core)/', ...notProject },
    },
    {
      name: 'snapshot-imports-only-isa-vm-and-core',
      severity: 'error',
      comment:
        'hypervisor/snapshot/ (the snapshot file format, taking and restoring a snapshot of a Guest) works ' +
        'on any monitor through the host interface in core, like migration; the daemon (control) and the ' +
        'CLI use it. If it imported a monitor, migration or control, a snapshot would only work there.',
      from: { path: '^hypervisor/snapshot/' },
      to: { pathNot: '^(isa|vm|hypervisor/(core|snapshot))/', ...notProject },
    },
    {
      name: 'native-does-not-import-hosted',
      severity: 'error',
      comment:
        'The native and hosted monitors are peers built on hypervisor/core. What both need belongs in ' +
        'core, not in one of them.',
      from: { path: '^hypervisor/native/' },
      to: { path: '^hypervisor/hosted/' },
    },
    {
      name: 'hosted-does-not-import-native',
      severity: 'error',
      comment:
        'The hosted and native monitors are peers built on hypervisor/core. What both need (config ' +
        'errors, defaults) belongs in core, not in one of them.',
      from: { path: '^hypervisor/hosted/' },
      to: { path: '^hypervisor/native/' },
    },
    {
      name: 'migration-and-control-reach-vms-through-core',
      severity: 'error',
      comment:
        'Migration and the control plane drive VMs only through the host interface in hypervisor/core, ' +
        'so they work with any monitor. Composing them with a particular monitor is the job of ' +
        'hypervisor/lab/ (simulations) or cli/ (the commands).',
      from: { path: '^hypervisor/(migration|control)/' },
      to: { path: '^hypervisor/(native|hosted)/' },
    },
    {
      name: 'migration-does-not-import-control',
      severity: 'error',
      comment:
        'The control plane (the daemon) uses the migration engine, not the other way round: migration ' +
        'must stay usable without a daemon (simulations, the bench, tests).',
      from: { path: '^hypervisor/migration/' },
      to: { path: '^hypervisor/control/' },
    },
    {
      name: 'nothing-below-lab-imports-lab',
      severity: 'error',
      comment:
        'hypervisor/lab/ composes a monitor with the migration engine (simulations, workloads, ' +
        'comparisons). It sits above core, the monitors, migration and control; they may not depend on it.',
      // (core is held to isa, vm and core by its own rule)
      from: { path: '^hypervisor/(native|hosted|migration|control)/' },
      to: { path: '^hypervisor/lab/' },
    },
    {
      name: 'only-the-cli-imports-cluster',
      severity: 'error',
      comment:
        'hypervisor/cluster/ (the fleet on etcd: membership, directory, placement, failover) sits above ' +
        'control: it wires a daemon into the fleet through the hooks control offers (control/fleet-hooks.ts). ' +
        'The daemon, the monitors and migration work without a fleet, so none of them may import it; ' +
        'only cli/ (which loads it for --cluster alone) and the lab above may.',
      from: { path: '^hypervisor/(core|native|hosted|migration|snapshot|control)/' },
      to: { path: '^hypervisor/cluster/' },
    },
    {
      name: 'hypervisor-does-not-import-cli-or-bench',
      severity: 'error',
      comment:
        'cli/ is the top layer and bench/ a client of the layers; the hypervisor is a library they use, ' +
        'so it may not reach up into either.',
      from: { path: '^hypervisor/', pathNot: '^hypervisor/core/' },
      to: { path: '^(cli|bench)/' },
    },
    {
      name: 'cli-does-not-import-bench',
      severity: 'error',
      comment:
        'The typevisor command ships in the package; the benchmark suite is a development tool with its ' +
        'own peers. Something both need (e.g. cli/table.ts) lives in cli/, where bench may use it.',
      from: { path: '^cli/' },
      to: { path: '^bench/' },
    },
    {
      name: 'bench-uses-only-shared-cli-helpers',
      severity: 'error',
      comment:
        'bench/ measures the layers, not the command. It may use the small output helpers cli/ shares ' +
        '(colour, tables) and the launcher of real daemons (cli/control/tour-daemons.ts: the migration ' +
        'throughput section measures two serve processes, as a user runs them; cli/control/local-etcd.ts: ' +
        'the fleet bench starts the same throwaway etcd the tour does), and nothing else of cli/; ' +
        'add a module here only when bench really needs it.',
      from: { path: '^bench/' },
      to: { path: '^cli/', pathNot: '^cli/(color|table|control/tour-daemons|control/local-etcd)\\.ts$' },
    },
    {
      name: 'web-uses-only-the-browser-safe-layers',
      severity: 'error',
      comment:
        'web/ is the browser playground: it bundles isa, vm, hypervisor/core, the native monitor, migration ' +
        'and the lab (what runs in a page), never the hosted monitor (worker threads, files, sockets), the ' +
        'daemon, the CLI or the bench. web/build.mjs is the Node script that bundles it, not part of the page.',
      from: { path: '^web/', pathNot: '^web/build\\.mjs$' },
      to: { pathNot: '^((isa|vm|hypervisor/(core|native|migration|lab)|web)/|virtual:guest-sources$)', ...notProject },
    },
    {
      name: 'web-imports-no-node-built-in',
      severity: 'error',
      comment:
        'A browser has no fs, net or worker_threads. This catches web/\'s own imports; one reached through a ' +
        'layer fails `npm run web` itself (esbuild bundles for the browser platform and refuses Node built-ins).',
      from: { path: '^web/', pathNot: '^web/build\\.mjs$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'production-does-not-import-test',
      severity: 'error',
      comment:
        'test/ is not built or shipped; production code that imported a test helper would break the ' +
        'build from dist/ and couple the product to its tests.',
      // (isa, vm and core are held to what is below them by their own rules)
      from: { pathNot: '^(test|isa|vm|hypervisor/core)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle of imports makes its modules one unit whose load order decides what is defined when; ' +
        'across layers it is always an upward import. Break it by moving the shared part down. Cycles ' +
        'closed only by an `import type` (the interpreter and the JIT naming the Machine that owns them) ' +
        'are erased by the compiler and do not count.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import depcruise cannot resolve is an import none of the rules above can see; it must resolve ' +
        'so the layering is checked on every edge.',
      // (virtual:guest-sources is made by web/build.mjs: the guest sources as text)
      from: {},
      to: { couldNotResolve: true, pathNot: '^virtual:guest-sources$' },
    },
  ],
  options: {
    // Analyse the TypeScript sources with the project's own compiler settings, never dist/.
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '^dist/' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
