/**
 * What `typevisor migrate` shows while it waits: on a terminal, one line
 * redrawn in place (phase, round, a bar, bytes, rate); elsewhere, plain lines
 * for the things that happen (phase changes, rounds), never the redraws.
 */
import type { ChalkInstance } from 'chalk';
import type { MigrationEvent } from '../../hypervisor/control/engine.js';
import { visibleWidth } from '../table.js';

const WIDTH = 24;
/** The narrowest bar still worth drawing when the terminal is tight. */
const MIN_WIDTH = 8;

export const human = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

export class ProgressView {
  private phase = 'setup';
  private round = -1;
  private bytes = 0;
  private pagesSent = 0;
  private pagesTotal = 0;
  private faults = 0;
  /** Pages sent when the current round began, and how many it has to send (the dirty pages of the one before). */
  private roundBase = 0;
  private roundPages = 0;
  private drawn = false;
  private readonly t0 = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly c: ChalkInstance,
    /** The terminal's width, asked at each redraw (it can be resized): the line must never wrap. */
    private readonly columns: () => number = () => process.stderr.columns || 80,
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
        this.roundBase = this.pagesSent;
        this.roundPages = e.dirty;
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
    // The bar is the current round: the first full copy, then each round's dirty pages
    // (a bar that stayed full through later rounds would say nothing about them).
    const [done, of] = this.round >= 0 ? [this.pagesSent - this.roundBase, this.roundPages] : [this.pagesSent, this.pagesTotal];
    const frac = of > 0 ? Math.min(1, Math.max(0, done / of)) : this.round >= 0 ? 1 : 0;
    const secs = (now - this.t0) / 1000;
    const rate = secs > 0 ? this.bytes / secs : 0;
    const bar = (width: number): string => {
      const full = Math.round(frac * width);
      return this.c.green('█'.repeat(full)) + this.c.dim('░'.repeat(width - full));
    };
    // Most telling first: what is dropped, from the end, when the terminal is narrow.
    const optional = [
      `${this.pagesSent} pages sent`, // later rounds send pages again: the count goes past the guest's size
      `${human(rate)}/s`,
      human(this.bytes),
      this.faults > 0 ? `${this.faults} remote faults` : '',
      `${secs.toFixed(1)} s`,
    ].filter((p) => p !== '');
    const head = [this.c.bold(this.phase.padEnd(11)), ...(this.round >= 0 ? [`round ${this.round}`] : [])];
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    // One column short of the width: writing the last column makes some terminals wrap.
    const room = Math.max(20, this.columns() - 1);
    let width = WIDTH;
    let shown = optional.length;
    const compose = (): string[] => [...head, bar(width), pct, ...optional.slice(0, shown)];
    const fits = (): boolean => visibleWidth(compose().join('  ')) <= room;
    while (!fits() && shown > 0) shown--;
    while (!fits() && width > MIN_WIDTH) width--;
    let parts = compose();
    if (!fits()) parts = [...head, pct];
    this.write(`\r\x1b[2K${parts.join('  ')}`);
    this.drawn = true;
  }
}
