/**
 * The worker thread that runs a hosted VM's vCPU (vcpu-worker.ts), from the
 * main thread's side.
 *
 * A hosted monitor normally starts one for its VM and ends it with the run.
 * A thread can also outlive a run and take the next one: that is how the
 * benchmarks measure the monitor warm, as they measure the others — a fresh
 * thread is a fresh V8 isolate, which compiles the interpreter and the
 * monitor's paths all over again.
 */
import { Worker, type MessagePort } from 'node:worker_threads';
import type { VcpuConfig } from './channel.js';

export class VcpuThread {
  readonly worker: Worker;

  /** `url`: the compiled vcpu-worker.js (default: beside this module). */
  constructor(url: URL = new URL('./vcpu-worker.js', import.meta.url)) {
    this.worker = new Worker(url);
  }

  /** Start a guest run; its messages come and go on the other end of `port`'s channel. */
  start(config: VcpuConfig, port: MessagePort): void {
    this.worker.postMessage({ config, port }, [port]);
  }

  /** Run a throwaway guest through a migration's paths first (warm-up.ts): for a thread started ahead of need. */
  warm(): this {
    this.worker.postMessage({ warm: true });
    return this;
  }

  /** Let the process exit while the thread idles between runs (a run in progress still holds it). */
  unref(): this {
    this.worker.unref();
    return this;
  }

  /** End the thread (a run in progress ends with it). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
