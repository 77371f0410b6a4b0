/**
 * Test certificates, made with openssl into a temporary directory: a CA, a
 * daemon certificate for 127.0.0.1 (IP SAN; serverAuth and clientAuth, so a
 * daemon can present it to another), a client certificate from the same CA,
 * and a client and a daemon certificate from another CA (an impostor).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certs {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Another CA, and certificates it signed. */
  readonly otherCa: string;
  readonly otherClientCert: string;
  readonly otherClientKey: string;
  readonly otherServerCert: string;
  readonly otherServerKey: string;
  /** Signed by the right CA, for the wrong address (localhost.invalid only). */
  readonly wrongNameCert: string;
  readonly wrongNameKey: string;
  remove(): void;
}

const OPENSSL = '/usr/bin/openssl';

export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-tls-'));
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string): void => ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f(name));
  const ca = (name: string): void => {
    key(`${name}.key`);
    ssl('req', '-x509', '-new', '-key', f(`${name}.key`), '-subj', `/CN=${name}`, '-days', '2', '-out', f(`${name}.pem`), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const leaf = (name: string, caName: string, ext: string): void => {
    key(`${name}.key`);
    ssl('req', '-new', '-key', f(`${name}.key`), '-subj', `/CN=${name}`, '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.pem`), '-CAkey', f(`${caName}.key`), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  };
  const daemonExt = 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n';
  const clientExt = 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n';
  ca('ca');
  ca('other-ca');
  leaf('daemon', 'ca', daemonExt);
  leaf('client', 'ca', clientExt);
  leaf('other-client', 'other-ca', clientExt);
  leaf('other-daemon', 'other-ca', daemonExt);
  leaf('wrong-name', 'ca', 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost.invalid\nextendedKeyUsage=serverAuth,clientAuth\n');
  return {
    dir,
    ca: f('ca.pem'),
    serverCert: f('daemon.pem'),
    serverKey: f('daemon.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    otherCa: f('other-ca.pem'),
    otherClientCert: f('other-client.pem'),
    otherClientKey: f('other-client.key'),
    otherServerCert: f('other-daemon.pem'),
    otherServerKey: f('other-daemon.key'),
    wrongNameCert: f('wrong-name.pem'),
    wrongNameKey: f('wrong-name.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
