/**
 * A migration's byte pipe: TCP between daemons (transports/tcp.ts), or a
 * link simulated in virtual time (transports/simulated.ts). The protocol
 * layer (channel.ts) cuts the bytes into frames; a transport only moves them.
 */
export interface Transport {
  /**
   * Send bytes. Resolves when the link has taken them (a socket's buffer has
   * drained; the simulated link has serialized them) — the sender's flow
   * control. Rejects with a LinkError once the link is closed or broken.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** The next bytes received, or null when the stream has ended (closed, reset, cut). */
  read(): Promise<Uint8Array | null>;
  /** Close this end; what was written before still reaches the peer. */
  close(reason?: string): void;
  /**
   * True if, once write() has resolved, the transport holds no reference to
   * the bytes (a socket has handed them to the kernel): the sender may then
   * reuse the buffer. A transport that delivers the very buffer later (the
   * simulated link) leaves this unset.
   */
  readonly releasesWrites?: boolean;
  /** For messages: `tcp 127.0.0.1:7000`, `simulated 100 MB/s`. */
  readonly description: string;
}
