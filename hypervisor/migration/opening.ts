/**
 * The first frame of a migration connection says what it is for: HELLO
 * starts a migration, RECOVER resumes an interrupted one (by id). The
 * control plane reads it to route the connection, then hands the opening to
 * IncomingMigration.run() or .recover().
 */
import { Channel } from './channel.js';
import type { MigrationClock } from './clock.js';
import { FrameType, frameName, ProtocolError, type Frame } from './protocol.js';
import type { Transport } from './transport.js';

export interface Opening {
  readonly kind: 'migrate' | 'recover';
  /** The migration id (32 hex digits). */
  readonly id: string;
  /** The name the source gave the VM (HELLO only). */
  readonly vm: string | undefined;
  readonly channel: Channel;
  readonly frame: Frame;
}

export function readOpening(transport: Transport, clock: MigrationClock): Promise<Opening> {
  return openingOf(new Channel(transport, clock));
}

/** The opening frame on a channel already made. */
export async function openingOf(channel: Channel): Promise<Opening> {
  const frame = await channel.receive();
  if (frame.type === FrameType.HELLO) return { kind: 'migrate', id: frame.id, vm: frame.name, channel, frame };
  if (frame.type === FrameType.RECOVER) return { kind: 'recover', id: frame.id, vm: undefined, channel, frame };
  channel.close();
  throw new ProtocolError(frameName(frame.type), 'header.type', 3, 'cannot open a migration connection (HELLO or RECOVER first)');
}

/** Wait for a frame of one of these types; anything else is out of order. */
export async function expectFrame<T extends FrameType>(channel: Channel, phase: string, ...types: T[]): Promise<Extract<Frame, { type: T }>> {
  const f = await channel.receive();
  if (!(types as FrameType[]).includes(f.type)) {
    throw new ProtocolError(frameName(f.type), 'header.type', 3, `is out of order: ${phase} expects ${types.map((t) => frameName(t)).join(' or ')}`);
  }
  return f as Extract<Frame, { type: T }>;
}
