/**
 * The hosted monitor's vCPU thread (a worker_threads Worker). Each request on
 * its parent port — a VcpuConfig and the MessagePort of that run's channel —
 * is one guest run: a HostedVcpu wired to the port and the doorbell, run to
 * its end, and how it ended posted back. While a guest runs the thread never
 * returns to its event loop: messages are pulled with receiveMessageOnPort
 * between slices, and waits are Atomics.wait on the doorbell. Between runs it
 * idles, keeping what V8 compiled (see vcpu-thread.ts).
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Doorbell, type FromVcpu, type ToVcpu, type VcpuConfig } from './channel.js';
import { HostedVcpu } from './vcpu.js';
import { warmUp } from './warm-up.js';

function run(config: VcpuConfig, port: MessagePort): void {
  const send = (message: FromVcpu, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  try {
    const vcpu = new HostedVcpu(config, {
      receive: () => receiveMessageOnPort(port)?.message as ToVcpu | undefined,
      send,
      bell: new Doorbell(config.bell),
    });
    send({ kind: 'exit', exit: vcpu.run() });
  } catch (e) {
    send({ kind: 'crash', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  } finally {
    port.close();
  }
}

parentPort!.on('message', (m: { config: VcpuConfig; port: MessagePort } | { warm: true }) => {
  if ('warm' in m) {
    try {
      warmUp();
    } catch {
      // a thread that cannot warm up is still a thread: its VM runs cold
    }
  } else run(m.config, m.port);
});
