/**
 * TLS between daemons and clients, on 127.0.0.1 with certificates made by
 * openssl for the test: vm start/list over TLS (options and environment),
 * mutual TLS refusing clients without the right certificate, a plaintext
 * client at a TLS daemon and a TLS client at a plaintext one (a clear error
 * each, no hang), a certificate for the wrong address, and a guest migrating
 * between two TLS daemons, finishing as if it had never moved.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { cleanup, cli, finishPages, referenceOutput, Relay, spawnDaemon, startCli, startPages, states, waitFor, TOKEN, type Daemon } from '../hypervisor/control/daemons.js';
import { makeCerts, type Certs } from '../helpers/tls-certs.js';

let certs: Certs;
let a: Daemon; // mutual TLS
let b: Daemon; // mutual TLS, the migration destination
let plain: Daemon;
let ca: ControlClient;
let cb: ControlClient;
let reference: string;

const mtls = (): string[] => ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca];
const clientArgs = (): string[] => ['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey];
const tlsClient = (d: Daemon): Promise<ControlClient> =>
  ControlClient.connect({ address: parseAddress(d.address), token: TOKEN, tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } });

beforeAll(async () => {
  certs = makeCerts();
  [a, b, plain, reference] = await Promise.all([spawnDaemon(mtls()), spawnDaemon(mtls()), spawnDaemon(), referenceOutput()]);
  [ca, cb] = await Promise.all([tlsClient(a), tlsClient(b)]);
}, 30_000);

afterAll(async () => {
  ca?.close();
  cb?.close();
  await cleanup();
  certs?.remove();
});

describe('the CLI over TLS', () => {
  test('the daemon says it requires TLS and client certificates', () => {
    expect(a.log()).toMatch(/^typevisor daemon listening on 127\.0\.0\.1:\d+ \(TLS with client certificates, pid \d+, /m);
  });

  test('on an address other machines reach, the daemon says what protects it', async () => {
    const withCa = await spawnDaemon(['--listen', '0.0.0.0:0', ...mtls()]);
    expect(withCa.log()).toContain('note: listening on 0.0.0.0, which other machines can reach: TLS encrypts the traffic; only clients with a certificate signed by --tls-ca and the token get in\n');
    expect(withCa.log()).not.toContain('warning');
    await withCa.kill();
    const serverOnly = await spawnDaemon(['--listen', '0.0.0.0:0', '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey]);
    expect(serverOnly.log()).toContain("note: listening on 0.0.0.0, which other machines can reach: TLS encrypts the traffic and proves this daemon's identity; the token is what keeps others out (add --tls-ca to require client certificates too)\n");
    expect(serverOnly.log()).toMatch(/listening on 0\.0\.0\.0:\d+ \(TLS, pid /);
    await serverOnly.kill();
  });

  test('vm start and vm list, with options and with the environment', async () => {
    const started = await cli(['vm', 'start', 'test/fixtures/control/pages.s', '--name', 'tls-vm', '--mem', '2M', '--connect', a.address, ...clientArgs()]);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    expect(started.stdout).toContain(`started tls-vm (pages.s, 2 MiB, native monitor) on ${a.address}`);
    const listed = await cli(['vm', 'list', '--connect', a.address], { env: { TYPEVISOR_TLS_CA: certs.ca, TYPEVISOR_TLS_CERT: certs.clientCert, TYPEVISOR_TLS_KEY: certs.clientKey } });
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/\ntls-vm +running +native +pages\.s/);
    await ca.stop('tls-vm');
  });
});

describe('refusals say who refused and why, at once', () => {
  test('a plaintext client at a TLS daemon', async () => {
    const t = Date.now();
    const r = await cli(['vm', 'list', '--connect', a.address]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: the daemon at ${a.address} refused the connection: this daemon requires TLS: connect with --tls-ca (its CA certificate) or $TYPEVISOR_TLS_CA\n`);
    expect(Date.now() - t).toBeLessThan(5000);
    await waitFor('the refusal in the log', () => a.log().includes('a plaintext connection, but this daemon requires TLS'));
  });

  test('a TLS client at a plaintext daemon', async () => {
    const t = Date.now();
    const r = await cli(['vm', 'list', '--connect', plain.address, '--tls-ca', certs.ca]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: the daemon at ${plain.address} does not speak TLS (it dropped or answered the TLS handshake in plaintext): connect without --tls-ca/--tls-cert, or start it with --tls-cert and --tls-key\n`);
    expect(Date.now() - t).toBeLessThan(5000);
    await waitFor('the refusal in the log', () => plain.log().includes('it began a TLS handshake, but this daemon does not use TLS'));
  });

  test('mutual TLS: no client certificate', async () => {
    const r = await cli(['vm', 'list', '--connect', a.address, '--tls-ca', certs.ca]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: the daemon at ${a.address} refused the connection: this daemon requires a client certificate signed by its CA (give one with --tls-cert and --tls-key)\n`);
    await waitFor('the refusal in the log', () => a.log().includes('the client presented no certificate'));
  });

  test('mutual TLS: a client certificate from another CA', async () => {
    const r = await cli(['vm', 'list', '--connect', a.address, '--tls-ca', certs.ca, '--tls-cert', certs.otherClientCert, '--tls-key', certs.otherClientKey]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: the daemon at ${a.address} refused the connection: the client certificate is not signed by this daemon's CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)\n`);
    await waitFor('the refusal in the log', () => a.log().includes("the client's certificate is not signed by this daemon's --tls-ca"));
  });

  test('the client does not trust the daemon\'s certificate', async () => {
    const r = await cli(['vm', 'list', '--connect', a.address, '--tls-ca', certs.otherCa, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: refused the daemon at ${a.address}: its certificate is not signed by the CA in --tls-ca \\(\\$TYPEVISOR_TLS_CA\\) \\([A-Z_]+\\)\n$`));
  });

  test('a daemon certificate for another address', async () => {
    const d = await spawnDaemon(['--tls-cert', certs.wrongNameCert, '--tls-key', certs.wrongNameKey]);
    const r = await cli(['vm', 'list', '--connect', d.address, '--tls-ca', certs.ca]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: refused the daemon at ${d.address}: its certificate is not for this address \\(.*127\\.0\\.0\\.1.*\\)\n$`));
    await d.kill();
  });

  test('serve: a certificate without its key, a missing file', async () => {
    let r = await cli(['serve', '--listen', '127.0.0.1:0', '--tls-cert', certs.serverCert]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("error: --tls-cert needs --tls-key (the certificate's private key)\n");
    r = await cli(['serve', '--listen', '127.0.0.1:0', '--tls-cert', certs.serverCert, '--tls-key', certs.clientKey]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: --tls-cert\/--tls-key: .* do not make a usable certificate and key \(.+\)\n$/);
    r = await cli(['vm', 'list', '--tls-ca', `${certs.dir}/nope.pem`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: --tls-ca: cannot read ${certs.dir}/nope.pem: no such file\n`);
  });
});

describe('migration between TLS daemons', () => {
  test('a guest migrates and finishes with the same console as unmigrated', async () => {
    await startPages(ca, 'mover');
    const r = await cli(['migrate', 'mover', '--connect', a.address, '--to', b.address, '--strategy', 'pre-copy', ...clientArgs()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`migrated mover to ${b.address}`);
    expect((await states(ca))['mover']).toBeUndefined();
    expect((await states(cb))['mover']).toBe('running');
    expect(await finishPages(cb, 'mover')).toBe(reference);
    await cb.stop('mover');
  });

  test('post-copy too', async () => {
    await startPages(ca, 'pc');
    const r = await cli(['migrate', 'pc', '--connect', a.address, '--to', b.address, '--strategy', 'post-copy', ...clientArgs()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await finishPages(cb, 'pc')).toBe(reference);
    await cb.stop('pc');
  });

  test('post-copy over TLS, the link cut after switchover: --recover reconnects over TLS and finishes', async () => {
    const relay = await Relay.to(b.address);
    await startPages(ca, 'cut');
    const m = startCli(['migrate', 'cut', '--connect', a.address, '--to', relay.address, '--json', '--bandwidth', '150K', '--strategy', 'post-copy', ...clientArgs()], { timeoutMs: 25_000 });
    await waitFor('post-copy under way', () => {
      const lines = m.stdout().split('\n');
      const at = lines.findIndex((l) => l.includes('"phase":"post-copy"'));
      return at >= 0 && lines.slice(at + 1).some((l) => l.includes('"kind":"progress"'));
    });
    relay.cut();
    const r = await m.done;
    expect(r.status).toBe(75);
    await waitFor('both sides paused', async () => (await states(cb))['cut'] === 'paused');
    const again = await cli(['migrate', 'cut', '--connect', a.address, '--to', relay.address, '--recover', ...clientArgs()]);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`migrated cut to ${relay.address}`);
    expect((await states(ca))['cut']).toBeUndefined();
    expect(await finishPages(cb, 'cut')).toBe(reference);
    await cb.stop('cut');
    await relay.close();
  }, 40_000);

  test('to a plaintext daemon: refused with the reason, the guest stays on the source', async () => {
    await startPages(ca, 'stays');
    const r = await cli(['migrate', 'stays', '--connect', a.address, '--to', plain.address, ...clientArgs()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: the daemon at ${plain.address} does not speak TLS (it dropped or answered the TLS handshake in plaintext): connect without --tls-ca/--tls-cert, or start it with --tls-cert and --tls-key\n`);
    expect((await states(ca))['stays']).toBe('running');
    await ca.stop('stays');
  });

  test('to a TLS daemon whose CA the source does not trust: the source refuses it', async () => {
    const other = await spawnDaemon(['--tls-cert', certs.otherServerCert, '--tls-key', certs.otherServerKey]);
    await startPages(ca, 'kept');
    const r = await cli(['migrate', 'kept', '--connect', a.address, '--to', other.address, ...clientArgs()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: refused the daemon at ${other.address}: its certificate is not signed by the CA in --tls-ca`));
    expect((await states(ca))['kept']).toBe('running');
    await ca.stop('kept');
    await other.kill();
  });
});
