/**
 * The hosted monitor's vCPU thread (a worker_threads Worker): wires the port
 * and the doorbell it was started with to a HostedVcpu, runs the guest, and
 * posts how it ended. It never returns to its own event loop until then: the
 * messages are pulled with receiveMessageOnPort between slices, and waits are
 * Atomics.wait on the doorbell.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { Doorbell, type FromVcpu, type ToVcpu, type VcpuConfig } from './channel.js';
import { HostedVcpu } from './vcpu.js';

const { config, port } = workerData as { config: VcpuConfig; port: MessagePort };
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
