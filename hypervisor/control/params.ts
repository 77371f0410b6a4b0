/**
 * Checking a request's parameters before anything acts on them: a daemon
 * takes input from the network, so every field is looked at — its presence,
 * its type, its range — and a bad one is named in the error.
 */
import type { MigrateRequestOptions, Request } from './protocol.js';
import { MONITORS } from '../core/host.js';
import { STALL_POLICIES, STRATEGY_NAMES } from './engine.js';
import { PAGE_SIZE, RAM_MAX } from '../../vm/memmap.js';

type Rule = 'string' | 'string?' | 'name' | 'name?' | 'count' | 'count?' | 'offset?' | 'bool' | 'bool?' | 'number?' | 'bytes?' | 'share' | 'memSize' | 'net?' | 'netEvents' | 'disk?' | 'movingDisk?' | 'index' | readonly string[];

/** The most connection events one vm.net.attach may carry (a device queue's worth of bytes and then some). */
export const MAX_NET_EVENTS = 4096;

/**
 * The largest CPU share a VM may have. A native VM's turn is `slice × share`
 * guest instructions; the monitor cuts long turns at a wall-time budget, so a
 * large share cannot stall the daemon, but it still starves every other VM:
 * the daemon, not only the CLI, holds it to this.
 */
export const MAX_SHARE = 1000;
/** The most RAM one VM may ask for: the machine's whole RAM (a host's own capacity is checked when it places the VM). */
export const MAX_MEM_SIZE = RAM_MAX;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The migration knobs a client may set (MigrateRequestOptions), every one of them. */
const MIGRATE_OPTION_RULES: { readonly [K in keyof Required<MigrateRequestOptions>]: Rule } = {
  bandwidth: 'count?',
  downtimeLimitMs: 'number?',
  maxRounds: 'count?',
  onStall: [...STALL_POLICIES, '?'],
};

const RULES: { readonly [op in Request['op']]: { readonly [field: string]: Rule } } = {
  'daemon.info': {},
  'vm.start': { name: 'name?', kernel: 'string', image: 'string', memSize: 'memSize', share: 'share', monitor: [...MONITORS, '?'], net: 'net?', disk: 'disk?' },
  'vm.list': {},
  'vm.stats': { name: 'name' },
  'vm.stop': { name: 'name' },
  'vm.pause': { name: 'name' },
  'vm.resume': { name: 'name' },
  'vm.console': { name: 'name', history: 'bool', since: 'offset?' },
  'vm.input': { name: 'name', data: 'bytes?' },
  'vm.debug': { name: 'name' },
  'vm.debug.command': { name: 'name', line: 'string' },
  migrate: { name: 'name', to: 'string', toToken: 'string', strategy: STRATEGY_NAMES, monitor: [...MONITORS, '?'], netListen: 'string?', diskMode: ['copy', 'shared', '?'], ...MIGRATE_OPTION_RULES },
  'migrate.recover': { name: 'name', to: 'string', toToken: 'string' },
  'migration.incoming': { name: 'name', from: 'string', strategy: STRATEGY_NAMES, monitor: MONITORS, kernel: 'string', memSize: 'memSize', share: 'share', recover: 'bool', net: 'net?', disk: 'movingDisk?' },
  'migration.abandon': { name: 'name', reason: 'string' },
  'migration.finish': { name: 'name', console: 'bytes?', consoleTotal: 'offset?' },
  'vm.net.attach': { name: 'name', events: 'netEvents', socket: ['carried', 'new', 'none'] },
  'volume.create': { name: 'name', size: 'count', from: 'bytes?' },
  'volume.list': {},
  'volume.rm': { name: 'name' },
  'volume.attach': { name: 'name', vm: 'name' },
  'volume.detach': { name: 'name' },
  'vm.snapshot': { name: 'name', path: 'string', live: 'bool', stop: 'bool' },
  'vm.restore': { path: 'string', name: 'name?', lazy: 'bool', monitor: [...MONITORS, '?'], share: 'share', force: 'bool?', instances: 'count?', restart: 'bool?' },
};

/** Why the request's parameters are unacceptable, or undefined when they are fine. */
export function checkParams(req: Request): string | undefined {
  const params = req.params as Readonly<Record<string, unknown>>;
  const rules = RULES[req.op];
  for (const key of Object.keys(params)) if (!(key in rules)) return `unknown parameter ${JSON.stringify(key)}`;
  for (const [field, rule] of Object.entries(rules)) {
    const v = params[field];
    const problem = check(v, rule);
    if (problem) return `${field} ${problem}`;
  }
  return undefined;
}

function check(v: unknown, rule: Rule): string | undefined {
  if (typeof rule !== 'string') {
    if (v === undefined && rule.includes('?')) return undefined;
    return typeof v === 'string' && rule.includes(v) && v !== '?' ? undefined : `must be one of ${rule.filter((r) => r !== '?').join(', ')}`;
  }
  const optional = rule.endsWith('?');
  if (v === undefined) return optional ? undefined : 'is missing';
  switch (rule.replace('?', '')) {
    case 'string':
      return typeof v === 'string' ? undefined : 'must be a string';
    case 'name':
      return typeof v === 'string' && NAME.test(v) ? undefined : 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';
    case 'count':
      return Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'must be a positive whole number';
    case 'share':
      return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_SHARE ? undefined : `must be a whole number from 1 to ${MAX_SHARE}`;
    case 'memSize':
      return Number.isSafeInteger(v) && (v as number) > 0 && (v as number) % PAGE_SIZE === 0 && (v as number) <= MAX_MEM_SIZE
        ? undefined
        : `must be a positive multiple of ${PAGE_SIZE / 1024} KiB, at most ${MAX_MEM_SIZE / 1024 / 1024} MiB`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'must be a number ≥ 0';
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'disk':
      return checkDisk(v);
    case 'movingDisk':
      return checkMovingDisk(v);
    case 'index':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number ≥ 0';
    case 'bytes':
      return v === null || (typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v)) ? undefined : 'must be base64 or null';
    case 'offset':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number ≥ 0';
    case 'net':
      return checkNet(v);
    case 'netEvents':
      return checkNetEvents(v);
    default:
      return 'has no rule';
  }
}

export const VM_NAME_RULE = NAME;

function checkNet(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object {mode, address, public?}';
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['mode', 'address', 'public'].includes(k)) return `has an unknown field ${JSON.stringify(k)}`;
  if (o['mode'] !== 'listen' && o['mode'] !== 'connect') return '.mode must be listen or connect';
  if (typeof o['address'] !== 'string' || o['address'].length > 300) return '.address must be a HOST:PORT string';
  if (o['public'] !== undefined && typeof o['public'] !== 'boolean') return '.public must be true or false';
  return undefined;
}

function checkNetEvents(v: unknown): string | undefined {
  if (!Array.isArray(v)) return 'must be an array';
  if (v.length > MAX_NET_EVENTS) return `has more than ${MAX_NET_EVENTS} events`;
  for (let i = 0; i < v.length; i++) {
    const e = v[i] as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) return `[${i}] must be an object`;
    if (e['kind'] === 'connected' || e['kind'] === 'closed') continue;
    if (e['kind'] !== 'data' || typeof e['data'] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(e['data'])) return `[${i}] must be {kind: connected|closed} or {kind: data, data: base64}`;
  }
  return undefined;
}

/** A disk moving with its VM (vm-disks.ts MovingDisk), with `mode` in migration.incoming. */
function checkMovingDisk(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object {kind, sectors, …}';
  const d = v as Record<string, unknown>;
  const only = (keys: readonly string[]): boolean => Object.keys(d).every((k) => [...keys, 'kind', 'sectors', 'mode'].includes(k));
  if (!Number.isSafeInteger(d['sectors']) || (d['sectors'] as number) <= 0) return '.sectors must be a positive whole number';
  if (d['mode'] !== undefined && d['mode'] !== 'copy' && d['mode'] !== 'shared') return '.mode must be copy or shared';
  switch (d['kind']) {
    case 'transient':
      return only([]) ? undefined : 'transient: only kind, sectors and mode';
    case 'volume':
      if (d['generation'] !== undefined && !(Number.isSafeInteger(d['generation']) && (d['generation'] as number) >= 0)) return 'volume: .generation must be a whole number ≥ 0';
      return only(['name', 'generation']) && typeof d['name'] === 'string' && NAME.test(d['name']) ? undefined : 'volume: name must be a volume name';
    case 'file':
      return only(['path', 'dev', 'ino']) && typeof d['path'] === 'string' && d['path'].startsWith('/') && Number.isSafeInteger(d['dev']) && Number.isSafeInteger(d['ino'])
        ? undefined
        : 'file: path must be absolute, dev and ino whole numbers';
    default:
      return '.kind must be transient, volume or file';
  }
}

/** A vm.start disk request (vm-disks.ts DiskRequest): exactly one kind, its one field. */
function checkDisk(v: unknown): string | undefined {
  const want = 'must be {kind:"file",path}, {kind:"volume",name} or {kind:"scratch",size}';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return want;
  const d = v as Record<string, unknown>;
  const only = (keys: readonly string[]): boolean => Object.keys(d).every((k) => keys.includes(k));
  switch (d['kind']) {
    case 'file':
      return only(['kind', 'path']) && typeof d['path'] === 'string' && d['path'].startsWith('/') ? undefined : 'file: path must be an absolute path (and nothing else)';
    case 'volume':
      return only(['kind', 'name']) && typeof d['name'] === 'string' && NAME.test(d['name']) ? undefined : 'volume: name must be a volume name (and nothing else)';
    case 'scratch':
      return only(['kind', 'size']) && Number.isSafeInteger(d['size']) && (d['size'] as number) > 0 ? undefined : 'scratch: size must be a positive whole number of bytes (and nothing else)';
    default:
      return want;
  }
}
