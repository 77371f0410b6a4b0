/**
 * Why a migration stopped short. One class for the whole engine; a frame
 * that cannot be read is a ProtocolError (protocol.ts), which extends it.
 */

export class MigrationError extends Error {
  override readonly name: string = 'MigrationError';
}

/** The link went away: closed, reset, or cut (a peer died). */
export class LinkError extends MigrationError {
  override readonly name: string = 'LinkError';
}

/** Nothing moved on the link for the idle timeout while this side waited: the peer stopped, wedged, or stalls on purpose. */
export class QuietPeerError extends LinkError {
  override readonly name = 'QuietPeerError';
}

/** The peer sent an ERROR or CANCEL frame. */
export class PeerError extends MigrationError {
  override readonly name = 'PeerError';
}
