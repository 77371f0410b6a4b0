/**
 * What the layers expect of their host that a browser lacks: `setImmediate`,
 * with which the monitors and the virtual clock let the event loop turn
 * between slices. A MessageChannel message is the browser's macrotask that
 * is not clamped like a nested setTimeout(0) (4 ms after five levels).
 */
type Immediate = (fn: () => void) => void;

export function installHostShims(): void {
  const g = globalThis as { setImmediate?: Immediate };
  if (typeof g.setImmediate === 'function') return;
  const queue: (() => void)[] = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => queue.shift()?.();
  g.setImmediate = (fn) => {
    queue.push(fn);
    channel.port2.postMessage(0);
  };
}
