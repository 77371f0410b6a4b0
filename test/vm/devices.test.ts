/**
 * Devices through the machine: MMIO registers reached by loads and stores,
 * interrupts through ip/ie, DMA into RAM, device errors the driver can see,
 * state that round-trips through save()/restore().
 */
import { describe, expect, test } from 'vitest';
import { Csr, Irq, STATUS_IE } from '../../isa/csr.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../../vm/cpu.js';
import { ConsoleDevice, CONSOLE_CTRL, CONSOLE_RX, CONSOLE_STATUS, CONSOLE_TX } from '../../vm/devices/console.js';
import { DiskDevice, DiskError, DiskStatus, DISK_ACK, DISK_ADDR, DISK_CMD, DISK_COUNT, DISK_ERROR, DISK_SECTOR, DISK_STATUS, MemoryDisk, SECTOR_SIZE } from '../../vm/devices/disk.js';
import { PowerDevice } from '../../vm/devices/power.js';
import { Exit } from '../../vm/exit.js';
import { Machine } from '../../vm/machine.js';
import { CONSOLE_BASE, DISK_BASE, POWER_BASE, RAM_BASE } from '../../vm/memmap.js';
import { Cause, INTERRUPT_BIT } from '../../vm/trap.js';
import { I } from '../helpers/machine.js';

const li = (rd: number, v: number) => [I(Op.LUI, rd, 0, 0, v >>> 16), I(Op.ORI, rd, rd, 0, v & 0xffff)];

function boot(code: number[], devices: { console?: ConsoleDevice; disk?: DiskDevice } = {}) {
  const m = new Machine({ memSize: 1 << 20 });
  const out: number[] = [];
  const con = devices.console ?? new ConsoleDevice((b) => out.push(b));
  m.addDevice(con);
  m.addDevice(new PowerDevice());
  if (devices.disk) m.addDevice(devices.disk);
  code.forEach((w, i) => m.memory.writeWord(RAM_BASE + 4 * i, w));
  m.reset(RAM_BASE, Mode.SUPERVISOR);
  return { m, out, con };
}

describe('console', () => {
  test('bytes stored to TX come out in order', () => {
    const code = [...li(Reg.S0, CONSOLE_BASE)];
    for (const ch of 'hi\n') code.push(I(Op.ADDI, Reg.A0, 0, 0, ch.charCodeAt(0)), I(Op.SW, 0, Reg.S0, Reg.A0, CONSOLE_TX));
    code.push(I(Op.HALT));
    const { m, out } = boot(code);
    expect(m.run(1000)).toBe(Exit.HALT);
    expect(String.fromCharCode(...out)).toBe('hi\n');
  });

  test('RX returns queued bytes then -1; STATUS tells whether a byte waits', () => {
    const { m, con } = boot([
      ...li(Reg.S0, CONSOLE_BASE),
      I(Op.LW, Reg.A1, Reg.S0, 0, CONSOLE_STATUS), I(Op.LW, Reg.A2, Reg.S0, 0, CONSOLE_RX), I(Op.LW, Reg.A3, Reg.S0, 0, CONSOLE_RX),
      I(Op.LW, Reg.T1, Reg.S0, 0, CONSOLE_STATUS), I(Op.HALT),
    ]);
    con.input(Uint8Array.of(0x41));
    m.run(100);
    expect(m.cpu.regs[Reg.A1]).toBe(3);
    expect(m.cpu.regs[Reg.A2]).toBe(0x41);
    expect(m.cpu.regs[Reg.A3]).toBe(-1);
    expect(m.cpu.regs[Reg.T1]).toBe(2);
  });

  test('input raises the console interrupt when enabled, taken at an instruction boundary', () => {
    const H = RAM_BASE + 0x400;
    const code = [
      ...li(Reg.S0, CONSOLE_BASE), ...li(Reg.T0, H), I(Op.CSRW, 0, Reg.T0, 0, Csr.TVEC),
      I(Op.ADDI, Reg.T0, 0, 0, 1), I(Op.SW, 0, Reg.S0, Reg.T0, CONSOLE_CTRL),
      I(Op.ADDI, Reg.T0, 0, 0, 1 << Irq.CONSOLE), I(Op.CSRW, 0, Reg.T0, 0, Csr.IE),
      I(Op.ADDI, Reg.T0, 0, 0, STATUS_IE), I(Op.CSRW, 0, Reg.T0, 0, Csr.STATUS),
      I(Op.WFI), I(Op.JAL, 0, 0, 0, -4),
    ];
    const { m, con } = boot(code);
    [I(Op.CSRR, Reg.A0, 0, 0, Csr.CAUSE), I(Op.LW, Reg.A1, Reg.S0, 0, CONSOLE_RX), I(Op.HALT)].forEach((w, i) => m.memory.writeWord(H + 4 * i, w));
    expect(m.run(1000)).toBe(Exit.WFI);
    con.input(Uint8Array.of(0x7a));
    expect(m.run(1000)).toBe(Exit.HALT);
    expect(m.cpu.regs[Reg.A0]! >>> 0).toBe((INTERRUPT_BIT | Irq.CONSOLE) >>> 0);
    expect(m.cpu.regs[Reg.A1]).toBe(0x7a);
    expect(m.interruptCounts[Irq.CONSOLE]).toBe(1);
  });

  test('state round-trips', () => {
    const a = new ConsoleDevice();
    const m = new Machine({ memSize: 1 << 16 });
    m.addDevice(a);
    a.input(Uint8Array.of(1, 2, 3));
    a.write(CONSOLE_CTRL, 1);
    const b = new ConsoleDevice();
    new Machine({ memSize: 1 << 16 }).addDevice(b);
    b.restore(structuredClone(a.save()));
    expect(b.read(CONSOLE_RX)).toBe(1);
    expect(b.read(CONSOLE_CTRL)).toBe(1);
  });
});

describe('timer', () => {
  test('timecmp raises the timer interrupt exactly when time reaches it', () => {
    const H = RAM_BASE + 0x400;
    const code = [
      ...li(Reg.T0, H), I(Op.CSRW, 0, Reg.T0, 0, Csr.TVEC),             // 3 instructions
      I(Op.CSRR, Reg.T0, 0, 0, Csr.TIME), I(Op.ADDI, Reg.T0, Reg.T0, 0, 100), I(Op.CSRW, 0, Reg.T0, 0, Csr.TIMECMP),
      I(Op.ADDI, Reg.T0, 0, 0, 1 << Irq.TIMER), I(Op.CSRW, 0, Reg.T0, 0, Csr.IE),
      I(Op.ADDI, Reg.T0, 0, 0, STATUS_IE), I(Op.CSRW, 0, Reg.T0, 0, Csr.STATUS),
      I(Op.ADDI, Reg.A1, Reg.A1, 0, 1), I(Op.JAL, 0, 0, 0, -4),
    ];
    const { m } = boot(code);
    [I(Op.CSRR, Reg.A0, 0, 0, Csr.TIME), I(Op.CSRR, Reg.A2, 0, 0, Csr.EPC), I(Op.HALT)].forEach((w, i) => m.memory.writeWord(H + 4 * i, w));
    expect(m.run(10_000)).toBe(Exit.HALT);
    // time was 3 when timecmp was set to 3 + 100: the handler's first instruction sees time 103.
    expect(m.cpu.regs[Reg.A0]).toBe(103);
    expect(m.interruptCounts[Irq.TIMER]).toBe(1);
  });

  test('wfi with only the timer armed lets the host skip idle time', () => {
    const code = [
      I(Op.ADDI, Reg.T0, 0, 0, 5000), I(Op.CSRW, 0, Reg.T0, 0, Csr.TIMECMP),
      I(Op.ADDI, Reg.T0, 0, 0, 1 << Irq.TIMER), I(Op.CSRW, 0, Reg.T0, 0, Csr.IE),
      I(Op.WFI), I(Op.CSRR, Reg.A0, 0, 0, Csr.TIME), I(Op.HALT),
    ];
    const { m } = boot(code);
    expect(m.run(1000)).toBe(Exit.WFI);
    expect(m.skipToTimer()).toBe(true);
    expect(m.run(1000)).toBe(Exit.HALT);
    expect(m.exitStatus).toBe(5000);
    expect(m.cpu.instret).toBe(7);
  });
});

describe('power', () => {
  test('a store to the power register stops the machine with that status', () => {
    const { m } = boot([...li(Reg.S0, POWER_BASE), I(Op.ADDI, Reg.A0, 0, 0, 3), I(Op.SW, 0, Reg.S0, Reg.A0, 0), I(Op.ADDI, Reg.A1, 0, 0, 1)]);
    expect(m.run(100)).toBe(Exit.HALT);
    expect(m.exitStatus).toBe(3);
    expect(m.cpu.regs[Reg.A1]).toBe(0); // nothing ran after the power-off
  });
});

describe('block device', () => {
  function disk(sectors = 8) {
    const bytes = new Uint8Array(sectors * SECTOR_SIZE);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    return { bytes, dev: new DiskDevice(new MemoryDisk(bytes)) };
  }
  const BUF = RAM_BASE + 0x8000;
  const cmd = (sector: number, addr: number, count: number, c: number) => [
    ...li(Reg.S0, DISK_BASE), I(Op.ADDI, Reg.T0, 0, 0, sector), I(Op.SW, 0, Reg.S0, Reg.T0, DISK_SECTOR),
    ...li(Reg.T0, addr), I(Op.SW, 0, Reg.S0, Reg.T0, DISK_ADDR),
    I(Op.ADDI, Reg.T0, 0, 0, count), I(Op.SW, 0, Reg.S0, Reg.T0, DISK_COUNT),
    I(Op.ADDI, Reg.T0, 0, 0, c), I(Op.SW, 0, Reg.S0, Reg.T0, DISK_CMD),
    I(Op.LW, Reg.A0, Reg.S0, 0, DISK_STATUS), I(Op.LW, Reg.A1, Reg.S0, 0, DISK_ERROR), I(Op.CSRR, Reg.A2, 0, 0, Csr.IP),
    I(Op.SW, 0, Reg.S0, Reg.ZERO, DISK_ACK), I(Op.CSRR, Reg.A3, 0, 0, Csr.IP), I(Op.HALT),
  ];

  test('read DMAs sectors into RAM and raises the disk interrupt until acknowledged', () => {
    const { bytes, dev } = disk();
    const { m } = boot(cmd(2, BUF, 2, 1), { disk: dev });
    m.run(1000);
    expect(m.cpu.regs[Reg.A0]).toBe(DiskStatus.DONE);
    expect(m.cpu.regs[Reg.A2]! & (1 << Irq.DISK)).not.toBe(0);
    expect(m.cpu.regs[Reg.A3]! & (1 << Irq.DISK)).toBe(0);
    expect(m.memory.read(BUF, 2 * SECTOR_SIZE)).toEqual(bytes.slice(2 * SECTOR_SIZE, 4 * SECTOR_SIZE));
  });

  test('write DMAs RAM onto the disk', () => {
    const { bytes, dev } = disk();
    const { m } = boot(cmd(5, BUF, 1, 2), { disk: dev });
    m.memory.fill(BUF, SECTOR_SIZE, 0xab);
    m.run(1000);
    expect(m.cpu.regs[Reg.A0]).toBe(DiskStatus.DONE);
    expect(bytes.slice(5 * SECTOR_SIZE, 6 * SECTOR_SIZE).every((b) => b === 0xab)).toBe(true);
  });

  test.each([
    ['a sector past the end', cmd(7, BUF, 2, 1), DiskError.BAD_SECTOR],
    ['a DMA address outside RAM', cmd(0, 0x1000, 1, 1), DiskError.BAD_ADDRESS],
    ['a DMA range running off the end of RAM', cmd(0, RAM_BASE + (1 << 20) - 256, 1, 2), DiskError.BAD_ADDRESS],
    ['an unknown command', cmd(0, BUF, 1, 9), DiskError.BAD_COMMAND],
    ['a zero count', cmd(0, BUF, 0, 1), DiskError.BAD_COMMAND],
  ])('%s is a device error the driver sees', (_n, code, err) => {
    const { dev } = disk();
    const { m } = boot(code, { disk: dev });
    expect(m.run(1000)).toBe(Exit.HALT);
    expect(m.cpu.regs[Reg.A0]).toBe(DiskStatus.ERROR);
    expect(m.cpu.regs[Reg.A1]).toBe(err);
  });
});

describe('device isolation from user mode', () => {
  test('user mode cannot reach device registers even with paging off', () => {
    const m = new Machine({ memSize: 1 << 16, trapToHost: true });
    m.addDevice(new PowerDevice());
    [...li(Reg.S0, POWER_BASE), I(Op.SW, 0, Reg.S0, Reg.ZERO, 0)].forEach((w, i) => m.memory.writeWord(RAM_BASE + 4 * i, w));
    m.reset(RAM_BASE, Mode.USER);
    expect(m.run(100)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.STORE_FAULT);
    expect(m.halted).toBe(false);
  });
});
