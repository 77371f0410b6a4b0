/**
 * What `typevisor migrate` shows while it waits: on a terminal, one line
 * redrawn in place (phase, round, a bar, bytes, rate); elsewhere, plain lines
 * for the things that happen (phase changes, rounds), never the redraws.
 */
import type { ChalkInstance } from 'chalk';
import type { MigrationEvent } from '../../hypervisor/control/engine.js';

const WIDTH = 24;

export const human = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

export class ProgressView {
  private phase = 'setup';
  private round = -1;
  private bytes = 0;
  private pagesSent = 0;
  private pagesTotal = 0;
  private faults = 0;
  private drawn = false;
  private readonly t0 = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly c: ChalkInstance,
  ) {}

  /** A line from the control plane ("connecting to …"). */
  status(message: string): void {
    this.line(this.c.dim(message));
  }

  event(e: MigrationEvent): void {
    switch (e.kind) {
      case 'phase':
        this.phase = e.phase;
        this.line(`${this.c.cyan('phase')} ${e.phase}`);
        break;
      case 'round':
        this.round = e.round;
        if (!this.tty) this.line(`round ${e.round}: ${e.pages} pages sent, ${e.dirty} dirtied meanwhile`);
        break;
      case 'progress':
        this.bytes = e.bytes;
        this.pagesSent = e.pagesSent;
        this.pagesTotal = e.pagesTotal;
        break;
      case 'fault':
        this.faults++;
        break;
      case 'done':
        break;
    }
    this.draw(e.kind === 'phase');
  }

  /** Take the bar off the screen before anything else prints. */
  clear(): void {
    if (this.tty && this.drawn) this.write('\r\x1b[2K');
    this.drawn = false;
  }

  private line(text: string): void {
    this.clear();
    this.write(`${text}\n`);
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    // The bar is the first full copy; what follows (dirty rounds, post-copy pushes) shows in the counts.
    const frac = this.pagesTotal > 0 ? Math.min(1, this.pagesSent / this.pagesTotal) : 0;
    const full = Math.round(frac * WIDTH);
    const secs = (now - this.t0) / 1000;
    const rate = secs > 0 ? this.bytes / secs : 0;
    const parts = [
      this.c.bold(this.phase.padEnd(11)),
      this.round >= 0 ? `round ${this.round}` : '',
      this.c.green('█'.repeat(full)) + this.c.dim('░'.repeat(WIDTH - full)),
      `${(frac * 100).toFixed(0).padStart(3)}%`,
      // Later rounds send pages again: the count goes past the guest's size.
      `${this.pagesSent} pages sent`,
      human(this.bytes),
      `${human(rate)}/s`,
      this.faults > 0 ? `${this.faults} remote faults` : '',
      `${secs.toFixed(1)} s`,
    ].filter((p) => p !== '');
    this.write(`\r\x1b[2K${parts.join('  ')}`);
    this.drawn = true;
  }
}
