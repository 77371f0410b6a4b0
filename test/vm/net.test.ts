/**
 * The network device: a byte stream with a connection state. Registers as a
 * driver sees them through the machine's bus, the level-triggered interrupt,
 * what happens without a cable, and state that round-trips as plain data.
 */
import { describe, expect, test } from 'vitest';
import { Irq } from '../../isa/csr.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../../vm/cpu.js';
import type { DeviceHost } from '../../vm/device.js';
import { NET_CTRL, NET_QUEUE_MAX, NET_RX, NET_STATUS, NET_STATUS_CLOSED, NET_STATUS_CONNECTED, NET_STATUS_RX, NET_STATUS_TX_READY, NET_TX, NetDevice } from '../../vm/devices/net.js';
import { Exit } from '../../vm/exit.js';
import { Machine } from '../../vm/machine.js';
import { NET_BASE, RAM_BASE } from '../../vm/memmap.js';
import { I } from '../helpers/machine.js';

/** A host that only records the interrupt line. */
function host(): DeviceHost & { line: boolean } {
  const h = {
    line: false,
    dmaRead: () => undefined,
    dmaWrite: () => false,
    raiseIrq: (n: number) => void (n === Irq.NET && (h.line = true)),
    lowerIrq: (n: number) => void (n === Irq.NET && (h.line = false)),
    now: () => 0,
    powerOff: () => undefined,
  };
  return h;
}

function wired(): { net: NetDevice; h: ReturnType<typeof host>; sent: number[] } {
  const sent: number[] = [];
  const net = new NetDevice({ transmit: (b) => void sent.push(b) });
  const h = host();
  net.attach(h);
  return { net, h, sent };
}

const CONNECTED = NET_STATUS_CONNECTED | NET_STATUS_TX_READY;

describe('the network device', () => {
  test('through the bus: a driver stores to TX and loads RX and STATUS at NET_BASE', () => {
    const sent: number[] = [];
    const net = new NetDevice({ transmit: (b) => void sent.push(b) });
    const m = new Machine({ memSize: 1 << 16 });
    m.addDevice(net);
    const code = [
      I(Op.LUI, Reg.S0, 0, 0, NET_BASE >>> 16), I(Op.ORI, Reg.S0, Reg.S0, 0, NET_BASE & 0xffff),
      I(Op.ADDI, Reg.A0, 0, 0, 0x5a), I(Op.SW, 0, Reg.S0, Reg.A0, NET_TX),
      I(Op.LW, Reg.A1, Reg.S0, 0, NET_RX), I(Op.LW, Reg.A2, Reg.S0, 0, NET_RX), I(Op.LW, Reg.A3, Reg.S0, 0, NET_STATUS),
      I(Op.HALT),
    ];
    code.forEach((w, i) => m.memory.writeWord(RAM_BASE + 4 * i, w));
    m.reset(RAM_BASE, Mode.SUPERVISOR);
    net.connect();
    net.receive(Uint8Array.of(7));
    expect(m.run(100)).toBe(Exit.HALT);
    expect(sent).toEqual([0x5a]);
    expect([m.cpu.regs[Reg.A1], m.cpu.regs[Reg.A2], m.cpu.regs[Reg.A3]]).toEqual([7, -1, CONNECTED]);
  });

  test('without a cable: never connected, nothing received, bytes sent are dropped', () => {
    const net = new NetDevice();
    net.attach(host());
    net.write(NET_TX, 0x41);
    expect(net.read(NET_STATUS)).toBe(0);
    expect(net.read(NET_RX)).toBe(-1);
    expect(net.dropped).toBe(1);
  });

  test('bytes arrive in order; STATUS says one is waiting until the queue is empty', () => {
    const { net } = wired();
    net.connect();
    expect(net.receive(new TextEncoder().encode('abc'))).toBe(3);
    expect(net.read(NET_STATUS)).toBe(CONNECTED | NET_STATUS_RX);
    expect([net.read(NET_RX), net.read(NET_RX), net.read(NET_RX), net.read(NET_RX)]).toEqual([0x61, 0x62, 0x63, -1]);
    expect(net.read(NET_STATUS)).toBe(CONNECTED);
  });

  test('the receive queue is bounded: the host keeps what does not fit', () => {
    const { net } = wired();
    net.connect();
    expect(net.receive(new Uint8Array(NET_QUEUE_MAX + 10))).toBe(NET_QUEUE_MAX);
    expect(net.receive(Uint8Array.of(1))).toBe(0);
    net.read(NET_RX);
    expect(net.receive(Uint8Array.of(1, 2))).toBe(1);
  });

  test('the interrupt: level-triggered while a byte waits, and held by a connection change until STATUS is read', () => {
    const { net, h } = wired();
    net.connect();
    expect(h.line).toBe(false); // CTRL off: nothing
    net.write(NET_CTRL, 1);
    expect(h.line).toBe(true); // the connection changed
    net.read(NET_STATUS);
    expect(h.line).toBe(false);
    net.receive(Uint8Array.of(9));
    expect(h.line).toBe(true);
    net.write(NET_CTRL, 0); // a driver that cannot take the byte yet switches it off
    expect(h.line).toBe(false);
    net.write(NET_CTRL, 1);
    expect(h.line).toBe(true);
    net.read(NET_RX);
    expect(h.line).toBe(false);
    net.peerClosed();
    expect(h.line).toBe(true);
    expect(net.read(NET_STATUS)).toBe(NET_STATUS_CLOSED);
    expect(h.line).toBe(false);
  });

  test('after the peer closes, the guest may read what it sent; its own bytes go nowhere; a new peer clears closed', () => {
    const { net, sent } = wired();
    net.connect();
    net.receive(Uint8Array.of(1, 2));
    net.peerClosed();
    net.write(NET_TX, 5);
    expect(sent).toEqual([]);
    expect(net.read(NET_STATUS)).toBe(NET_STATUS_CLOSED | NET_STATUS_RX);
    expect([net.read(NET_RX), net.read(NET_RX)]).toEqual([1, 2]);
    expect(net.settled).toBe(true);
    net.connect();
    expect(net.read(NET_STATUS)).toBe(CONNECTED);
    net.write(NET_TX, 6);
    expect(sent).toEqual([6]);
  });

  test('settled: every byte read and every change seen', () => {
    const { net } = wired();
    expect(net.settled).toBe(true);
    net.connect();
    expect(net.settled).toBe(false);
    net.read(NET_STATUS);
    net.receive(Uint8Array.of(1));
    expect(net.settled).toBe(false);
    net.read(NET_RX);
    expect(net.settled).toBe(true);
  });

  test('state is a plain record: it survives structured cloning and comes back with the interrupt line', () => {
    const { net } = wired();
    net.connect();
    net.write(NET_CTRL, 1);
    net.receive(Uint8Array.of(3, 4));
    net.write(NET_TX, 1);
    const state = structuredClone(net.save());
    const { net: copy, h } = wired();
    copy.restore(state);
    expect(h.line).toBe(true);
    expect(copy.save()).toEqual(net.save());
    expect([copy.read(NET_RX), copy.read(NET_RX), copy.read(NET_RX)]).toEqual([3, 4, -1]);
    expect(copy.read(NET_STATUS)).toBe(CONNECTED);
  });
});
