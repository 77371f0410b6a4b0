/**
 * The store client: the few etcd v3 calls the fleet makes (range, put,
 * delete, a compare-and-swap transaction, and leases), over etcd's v3 JSON
 * gateway with Node's own `fetch`.
 *
 * Why the gateway and not the `etcd3` npm client: the fleet needs leases,
 * keep-alive and txn compare-and-swap, all of which are one POST each on the
 * gateway (etcd 3.4 serves it on the client port: /v3/kv/range, /v3/kv/txn,
 * /v3/lease/grant, /v3/lease/keepalive…). `etcd3` brings @grpc/grpc-js and
 * @grpc/proto-loader, which read .proto files beside their own modules at
 * run time — they do not survive the CLI's bundling (cli/bundle.mjs) without
 * being kept out of it — and ~25 ms of module loading to every command that
 * touches the fleet, for calls that are each one request here. Watches are
 * not used: the fleet polls its two prefixes (a range of a few keys), which
 * keeps reconnecting to another endpoint trivial; failure detection is
 * bounded by the lease TTL, not by the poll.
 *
 * Keys and values are UTF-8 strings here (base64 on the wire, as the gateway
 * wants); int64 fields travel as decimal strings. Each call tries the
 * endpoints in turn, starting with the last that answered, and gives up with
 * an EtcdError naming them when none answers within its timeout.
 */

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    message: string,
    /** unreachable: no endpoint answered; refused: etcd answered with an error. */
    readonly code: 'unreachable' | 'refused',
  ) {
    super(message);
  }
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly lease: string;
}

/** One comparison of a transaction: a key's value or modification revision, or that it does not exist. */
export type Compare =
  | { readonly key: string; readonly modRevision: number }
  | { readonly key: string; readonly absent: true }
  | { readonly key: string; readonly value: string };

export type Op =
  | { readonly put: string; readonly value: string; readonly lease?: string }
  | { readonly delete: string };

/** How long one request may take before the next endpoint is tried. */
const DEFAULT_TIMEOUT_MS = 1500;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

/** The key just past every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      bytes[i]!++;
      return bytes.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key from `prefix` on
}

/** Endpoints from `--cluster URL[,URL…]`: http(s) URLs, checked; an error names the bad one. */
export function parseEndpoints(text: string): string[] {
  const urls = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (urls.length === 0) throw new EtcdError('--cluster: give at least one etcd URL (e.g. http://127.0.0.1:2379)', 'refused');
  return urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new EtcdError(`--cluster: ${JSON.stringify(u)} is not a URL (e.g. http://127.0.0.1:2379)`, 'refused');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EtcdError(`--cluster: ${u}: only http:// and https:// endpoints`, 'refused');
    return url.origin;
  });
}

export class EtcdClient {
  private current = 0;

  constructor(
    readonly endpoints: readonly string[],
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    if (endpoints.length === 0) throw new EtcdError('no etcd endpoints', 'refused');
  }

  /** Every key under `prefix`, in key order. */
  async range(prefix: string): Promise<KeyValue[]> {
    const r = await this.call('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix).toString('base64') });
    return ((r['kvs'] as RawKv[] | undefined) ?? []).map(kv);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.call('/v3/kv/range', { key: b64(key) });
    const kvs = (r['kvs'] as RawKv[] | undefined) ?? [];
    return kvs[0] ? kv(kvs[0]) : undefined;
  }

  async put(key: string, value: string, lease?: string): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) });
  }

  async delete(key: string): Promise<void> {
    await this.call('/v3/kv/deleterange', { key: b64(key) });
  }

  /** If every comparison holds, apply `then` and answer true; else apply `otherwise` (default nothing) and answer false. */
  async txn(compares: readonly Compare[], then: readonly Op[], otherwise: readonly Op[] = []): Promise<boolean> {
    const r = await this.call('/v3/kv/txn', { compare: compares.map(compare), success: then.map(op), failure: otherwise.map(op) });
    return r['succeeded'] === true;
  }

  /** A new lease of `ttlSeconds`; its id. */
  async grant(ttlSeconds: number): Promise<string> {
    const r = await this.call('/v3/lease/grant', { TTL: String(ttlSeconds) });
    const id = r['ID'];
    if (typeof id !== 'string') throw new EtcdError('etcd granted no lease id', 'refused');
    return id;
  }

  /** Renew a lease: its TTL in seconds, 0 when it has expired (or never was). */
  async keepAlive(id: string): Promise<number> {
    const r = await this.call('/v3/lease/keepalive', { ID: id });
    const result = r['result'] as Record<string, unknown> | undefined;
    return Number(result?.['TTL'] ?? 0);
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
    } catch (e) {
      // Already gone: what revoking wanted.
      if (!(e instanceof EtcdError && e.code === 'refused' && /lease not found/.test(e.message))) throw e;
    }
  }

  private async call(path: string, body: unknown): Promise<Record<string, unknown>> {
    const failures: string[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const at = (this.current + i) % this.endpoints.length;
      const url = this.endpoints[at]! + path;
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (e) {
        failures.push(`${this.endpoints[at]}: ${reason(e)}`);
        continue;
      }
      this.current = at;
      let parsed: Record<string, unknown>;
      try {
        parsed = (await res.json()) as Record<string, unknown>;
      } catch (e) {
        failures.push(`${this.endpoints[at]}: an answer that is not JSON (${reason(e)}; is this etcd's client port?)`);
        continue;
      }
      if (!res.ok || typeof parsed['error'] === 'string') {
        throw new EtcdError(`etcd ${this.endpoints[at]}${path}: ${String(parsed['message'] ?? parsed['error'] ?? res.statusText)}`, 'refused');
      }
      return parsed;
    }
    throw new EtcdError(`etcd unreachable (${failures.join('; ')})`, 'unreachable');
  }
}

interface RawKv {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}

function kv(raw: RawKv): KeyValue {
  return { key: unb64(raw.key), value: unb64(raw.value), createRevision: Number(raw.create_revision ?? 0), modRevision: Number(raw.mod_revision ?? 0), lease: raw.lease ?? '0' };
}

function compare(c: Compare): Record<string, unknown> {
  if ('absent' in c) return { key: b64(c.key), target: 'CREATE', result: 'EQUAL', create_revision: '0' };
  if ('modRevision' in c) return { key: b64(c.key), target: 'MOD', result: 'EQUAL', mod_revision: String(c.modRevision) };
  return { key: b64(c.key), target: 'VALUE', result: 'EQUAL', value: b64(c.value) };
}

function op(o: Op): Record<string, unknown> {
  if ('delete' in o) return { request_delete_range: { key: b64(o.delete) } };
  return { request_put: { key: b64(o.put), value: b64(o.value), ...(o.lease ? { lease: o.lease } : {}) } };
}

function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer in time';
  return err.cause?.code ?? err.cause?.message ?? err.message;
}
