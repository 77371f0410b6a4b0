/**
 * The protocol's pieces on their own: messages in and out, parameter checks,
 * tokens, addresses, and JSON lines that can hand a socket over mid-stream.
 */
import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { AddressError, formatAddress, isLoopback, parseAddress } from '../../../hypervisor/control/address.js';
import { LineReader } from '../../../hypervisor/control/lines.js';
import { checkParams } from '../../../hypervisor/control/params.js';
import { parseClientMessage, parseServerMessage, type Request } from '../../../hypervisor/control/protocol.js';
import { generateToken, resolveToken, tokensMatch } from '../../../hypervisor/control/token.js';

describe('messages', () => {
  test('a hello, a request and a cancel parse; anything else is named as wrong', () => {
    expect(parseClientMessage('{"type":"hello","version":1,"token":"t","client":"cli"}')).toEqual({ type: 'hello', version: 1, token: 't', client: 'cli' });
    expect(parseClientMessage('{"type":"request","id":3,"op":"vm.list","params":{}}')).toEqual({ type: 'request', id: 3, op: 'vm.list', params: {} });
    expect(parseClientMessage('{"type":"cancel","id":3}')).toEqual({ type: 'cancel', id: 3 });
    expect(parseClientMessage('{nope')).toBe('not JSON');
    expect(parseClientMessage('[1]')).toBe('not a JSON object');
    expect(parseClientMessage('{"type":"request","id":1,"op":"vm.explode","params":{}}')).toBe('unknown op "vm.explode"');
    expect(parseClientMessage('{"type":"request","id":"x","op":"vm.list","params":{}}')).toBe('request needs a whole-number id');
    expect(parseClientMessage('{"type":"hello","version":1}')).toMatch(/token/);
  });

  test('server messages: a failed response must carry its error', () => {
    expect(parseServerMessage('{"type":"response","id":1,"ok":false}')).toBe('failed response without an error');
    expect(parseServerMessage('{"type":"response","id":1,"ok":true,"result":{}}')).toEqual({ type: 'response', id: 1, ok: true, result: {} });
    expect(parseServerMessage('{"type":"event","id":1,"event":{"kind":"console","data":""}}')).toMatchObject({ type: 'event', id: 1 });
  });
});

describe('parameters are checked before anything acts on them', () => {
  const req = (op: Request['op'], params: object): Request => ({ type: 'request', id: 1, op, params } as Request);

  test('missing, mistyped, out of range and unknown fields are each named', () => {
    expect(checkParams(req('vm.stop', {}))).toBe('name is missing');
    expect(checkParams(req('vm.stop', { name: '../etc' }))).toMatch(/^name must be 1-64 letters/);
    expect(checkParams(req('vm.start', { kernel: 'k', image: '', memSize: -4096, share: 1 }))).toBe('memSize must be a positive multiple of 4 KiB, at most 1024 MiB');
    expect(checkParams(req('vm.list', { extra: 1 }))).toBe('unknown parameter "extra"');
    expect(checkParams(req('migrate', { name: 'a', to: 'h:1', toToken: 't', strategy: 'teleport' }))).toBe('strategy must be one of stop-and-copy, pre-copy, post-copy, hybrid');
    expect(checkParams(req('vm.input', { name: 'a', data: 'not base64!' }))).toBe('data must be base64 or null');
  });

  test('a moving disk (migrate --disk-mode, migration.incoming) is checked field by field', () => {
    const piece = (disk: object) => req('migration.incoming', { name: 'a', from: 'h:1', strategy: 'pre-copy', monitor: 'native', kernel: 'k', memSize: 2 << 20, share: 1, recover: false, disk: { mode: 'copy', ...disk } });
    expect(checkParams(req('migrate', { name: 'a', to: 'h:1', toToken: 't', strategy: 'pre-copy', diskMode: 'mirror' }))).toBe('diskMode must be one of copy, shared');
    expect(checkParams(piece({ kind: 'transient', sectors: 1 }))).toBeUndefined();
    expect(checkParams(piece({ kind: 'volume', name: 'data', sectors: 1 }))).toBeUndefined();
    expect(checkParams(piece({ kind: 'file', path: '/d.img', sectors: 1, dev: 2049, ino: 12 }))).toBeUndefined();
    expect(checkParams(piece({ kind: 'file', path: 'd.img', sectors: 1, dev: 2049, ino: 12 }))).toBe('disk file: path must be absolute, dev and ino whole numbers');
    expect(checkParams(piece({ kind: 'volume', name: '../x', sectors: 1 }))).toBe('disk volume: name must be a volume name');
    expect(checkParams(piece({ kind: 'transient', sectors: 0 }))).toBe('disk .sectors must be a positive whole number');
    expect(checkParams(piece({ kind: 'tape', sectors: 1 }))).toBe('disk .kind must be transient, volume or file');
    expect(checkParams(piece({ kind: 'transient', sectors: 1, path: '/x' }))).toBe('disk transient: only kind, sectors and mode');
  });

  test('a VM\'s share and memory are bounded by the daemon, not only by the CLI', () => {
    const start = (memSize: number, share: number): Request => req('vm.start', { kernel: 'k', image: 'AAAA', memSize, share });
    expect(checkParams(start(4096, 1e9))).toBe('share must be a whole number from 1 to 1000');
    expect(checkParams(start(4096, 1001))).toBe('share must be a whole number from 1 to 1000');
    expect(checkParams(start(4096, 0))).toBe('share must be a whole number from 1 to 1000');
    expect(checkParams(start(4096, 1.5))).toBe('share must be a whole number from 1 to 1000');
    expect(checkParams(start(4096, 1000))).toBeUndefined();
    expect(checkParams(start(2 ** 40, 1))).toMatch(/^memSize must be .* at most 1024 MiB$/);
    expect(checkParams(start(4097, 1))).toMatch(/^memSize must be a positive multiple of 4 KiB/);
    const incoming = { name: 'a', from: 'h:1', strategy: 'post-copy', monitor: 'native', kernel: 'k', memSize: 4096, recover: false };
    expect(checkParams(req('migration.incoming', { ...incoming, share: 1e9 }))).toBe('share must be a whole number from 1 to 1000');
    expect(checkParams(req('migration.incoming', { ...incoming, share: 1, memSize: 2 ** 40 }))).toMatch(/^memSize must be/);
  });

  test('a VM\'s disk request is one kind with its one field: an absolute file, a volume name or a size', () => {
    const start = (disk: unknown): Request => req('vm.start', { kernel: 'k', image: 'AAAA', memSize: 4096, share: 1, disk });
    expect(checkParams(start({ kind: 'file', path: '/tmp/d.img' }))).toBeUndefined();
    expect(checkParams(start({ kind: 'volume', name: 'data' }))).toBeUndefined();
    expect(checkParams(start({ kind: 'scratch', size: 65536 }))).toBeUndefined();
    expect(checkParams(start({ kind: 'file', path: 'd.img' }))).toBe('disk file: path must be an absolute path (and nothing else)');
    expect(checkParams(start({ kind: 'file', path: '/d.img', name: 'x' }))).toBe('disk file: path must be an absolute path (and nothing else)');
    expect(checkParams(start({ kind: 'volume', name: '../x' }))).toBe('disk volume: name must be a volume name (and nothing else)');
    expect(checkParams(start({ kind: 'scratch', size: -1 }))).toBe('disk scratch: size must be a positive whole number of bytes (and nothing else)');
    expect(checkParams(start({ kind: 'nfs' }))).toBe('disk must be {kind:"file",path}, {kind:"volume",name} or {kind:"scratch",size}');
    expect(checkParams(start('disk.img'))).toBe('disk must be {kind:"file",path}, {kind:"volume",name} or {kind:"scratch",size}');
    expect(checkParams(req('volume.create', { name: 'v', size: 0 }))).toBe('size must be a positive whole number');
    expect(checkParams(req('volume.attach', { name: 'v' }))).toBe('vm is missing');
  });

  test('good parameters pass, optional ones may be left out', () => {
    expect(checkParams(req('vm.start', { kernel: 'k.s', image: 'AAAA', memSize: 4096, share: 1 }))).toBeUndefined();
    expect(checkParams(req('migrate', { name: 'a', to: 'h:1', toToken: 't', strategy: 'post-copy', onStall: 'cancel' }))).toBeUndefined();
    expect(checkParams(req('vm.input', { name: 'a', data: null }))).toBeUndefined();
  });
});

describe('tokens', () => {
  test('only the same token matches, whatever the lengths', () => {
    expect(tokensMatch('s3cret', 's3cret')).toBe(true);
    expect(tokensMatch('s3cret', 's3cres')).toBe(false);
    expect(tokensMatch('s3cret', 's3cret-and-more')).toBe(false);
    expect(tokensMatch('s3cret', '')).toBe(false);
  });

  test('--token wins over the environment; empty means none; generated tokens differ', () => {
    expect(resolveToken('a', { TYPEVISOR_TOKEN: 'b' })).toBe('a');
    expect(resolveToken(undefined, { TYPEVISOR_TOKEN: 'b' })).toBe('b');
    expect(resolveToken(undefined, { TYPEVISOR_TOKEN: '' })).toBeUndefined();
    expect(generateToken()).toMatch(/^[0-9a-f]{32}$/);
    expect(generateToken()).not.toBe(generateToken());
  });
});

describe('addresses', () => {
  test('a bare port means 127.0.0.1, never every interface', () => {
    expect(parseAddress('7480')).toEqual({ host: '127.0.0.1', port: 7480 });
    expect(parseAddress(':7480')).toEqual({ host: '127.0.0.1', port: 7480 });
    expect(parseAddress('0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
    expect(parseAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(formatAddress({ host: '::1', port: 9 })).toBe('[::1]:9');
  });

  test('port 0 only where a free one is meant; bad text is an AddressError', () => {
    expect(parseAddress('127.0.0.1:0', true).port).toBe(0);
    expect(() => parseAddress('127.0.0.1:0')).toThrow(AddressError);
    expect(() => parseAddress('host:http')).toThrow(/not HOST:PORT/);
    expect(() => parseAddress('1.2.3.4:70000')).toThrow(/1..65535/);
  });

  test('loopback is 127/8, ::1 and localhost', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('JSON lines', () => {
  async function pair(): Promise<{ a: Socket; b: Socket; close: () => void }> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    const a = connect(port, '127.0.0.1');
    const b = await accepted;
    return { a, b, close: () => (a.destroy(), b.destroy(), server.close()) };
  }

  test('lines split across chunks arrive whole; detaching hands the bytes after the last line back to the socket', async () => {
    const { a, b, close } = await pair();
    try {
      const lines: string[] = [];
      let reader: LineReader | undefined;
      const rest = new Promise<Buffer>((resolve) => {
        reader = new LineReader(b, (line) => {
          lines.push(line);
          if (line === 'switch') {
            reader!.detach();
            const got: Buffer[] = [];
            b.on('data', (d: Buffer) => {
              got.push(d);
              if (Buffer.concat(got).length >= 6) resolve(Buffer.concat(got));
            });
            b.resume();
          }
        }, () => {});
      });
      a.write('{"x":');
      await new Promise((r) => setTimeout(r, 20));
      a.write('1}\nswitch\n\x00\x01TM');
      a.write('\x02\x03');
      expect((await rest).toString('latin1')).toBe('\x00\x01TM\x02\x03');
      expect(lines).toEqual(['{"x":1}', 'switch']);
    } finally {
      close();
    }
  });
});
