/**
 * Clients that follow a VM when it migrates (migration transparency, from the
 * client's side). A daemon a VM left answers requests about it with `moved`
 * and where it went (hypervisor/control/forwarding.ts); a console stream it
 * was serving ends with the same, and the offset reached.
 *
 * Tokens: the client presents the token it already has (--token or
 * $TYPEVISOR_TOKEN) to the daemon the VM went to, and the same TLS
 * credentials. Daemons that migrate to each other commonly share one token;
 * where they do not, the destination refuses the client, which then says
 * where the VM is and that it needs that daemon's token — it never learns a
 * token from the source (a daemon hands no credentials to its clients).
 */
import { parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { ControlError } from '../../hypervisor/control/control-error.js';
import type { ConsoleEnd } from '../../hypervisor/control/protocol.js';
import { resolveToken } from '../../hypervisor/control/token.js';
import { paintErr } from '../color.js';
import { attachConsole, attachHint } from '../console.js';
import { writeOut } from '../load.js';
import { clientTls, connectDaemon, reportControlError, type ConnectOptions } from './connect.js';

/** The most daemons a client follows a VM through before it gives up (a loop of forwarding addresses ends). */
export const MAX_HOPS = 8;

export interface FollowOptions extends ConnectOptions {
  /** Follow a `moved` answer to the daemon the VM went to. */
  readonly follow?: boolean;
}

/**
 * Run `body` on the daemon that has the VM: with --follow, a `moved` answer
 * takes it to the daemon the VM went to (at most MAX_HOPS); without, the
 * answer is the error line, which says where.
 */
export async function withVmDaemon(opts: FollowOptions, body: (client: ControlClient) => Promise<void>): Promise<void> {
  let connect = opts;
  for (let hop = 0; ; hop++) {
    const client = await connectDaemon(connect);
    if (!client) return;
    try {
      await body(client);
      return;
    } catch (e) {
      if (e instanceof ControlError && e.code === 'moved' && e.movedTo && opts.follow && hop < MAX_HOPS) {
        writeOut(2, `${paintErr().dim(`[${e.message.split(' (')[0]}: following it there]`)}\n`);
        connect = { ...opts, connect: e.movedTo };
        continue;
      }
      return reportControlError(e);
    } finally {
      client.close();
    }
  }
}

export interface ConsoleFollowOptions extends FollowOptions {
  readonly history: boolean;
  readonly input: boolean;
}

/**
 * `vm console`: stream the VM's output, and keep streaming when it migrates:
 * the stream that ends with `movedTo` is picked up at the daemon it went to
 * from the byte it reached, so nothing is shown twice or skipped (each chunk
 * carries its offset; anything already shown is cut off).
 */
export async function followConsole(first: ControlClient, name: string, opts: ConsoleFollowOptions): Promise<void> {
  let client = first;
  let shown: number | undefined; // offset just past the last byte written
  const show = (bytes: Uint8Array, at: number | undefined): void => {
    if (at !== undefined && shown !== undefined && at < shown) {
      if (at + bytes.length <= shown) return;
      bytes = bytes.subarray(shown - at);
      at = shown;
    }
    writeOut(1, bytes);
    shown = (at ?? shown ?? 0) + bytes.length;
  };
  let call = client.console(name, opts.history, show);
  let detached = false;
  const hint = opts.input ? attachHint(name, process.stdin.isTTY === true) : undefined;
  if (hint) writeOut(2, `${paintErr().dim(hint)}\r\n`);
  const detach = opts.input
    ? attachConsole({ input: (bytes) => void client.input(name, bytes).catch(() => {}), expectInput: () => {} }, () => {
        detached = true;
        call.cancel();
      })
    : undefined;
  try {
    for (let hop = 0; ; hop++) {
      const end: ConsoleEnd = await call.result;
      if (!end.movedTo || detached || hop >= MAX_HOPS) {
        if (end.reason !== 'detached') writeOut(2, `${paintErr().dim(`[${name}: ${end.reason}]`)}\n`);
        return;
      }
      writeOut(2, `${paintErr().dim(`[${name}: migrated to ${end.movedTo}; following it there]`)}\n`);
      const since = end.offset ?? shown ?? 0;
      const next = await reconnect(end.movedTo, opts);
      if (!next) return;
      if (client !== first) client.close();
      client = next;
      call = client.console(name, false, show, since);
    }
  } finally {
    detach?.();
    if (client !== first) client.close();
  }
}

async function reconnect(to: string, opts: ConnectOptions): Promise<ControlClient | undefined> {
  const tls = clientTls(opts);
  if (tls === null) return undefined;
  try {
    return await ControlClient.connect({ address: parseAddress(to), token: resolveToken(opts.token) ?? '', ...(tls ? { tls } : {}) });
  } catch (e) {
    if (e instanceof ControlError && e.code === 'refused') {
      writeOut(2, `error: the VM is now at ${to}, which refused this client's token: follow it there with --connect ${to} --token (that daemon's token)\n`);
      process.exitCode = 1;
      return undefined;
    }
    reportControlError(e);
    return undefined;
  }
}
