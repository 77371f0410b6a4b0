import { describe, expect, test } from 'vitest';
import { parseAddress, sameEndpoint } from '../../../hypervisor/control/address.js';

const same = (a: string, b: string): boolean => sameEndpoint(parseAddress(a), parseAddress(b));

describe('sameEndpoint', () => {
  test('localhost is the loopback address; every-interface listeners are reached by loopback', () => {
    expect(same('localhost:7480', '127.0.0.1:7480')).toBe(true);
    expect(same('127.0.0.1:7480', 'localhost:7480')).toBe(true);
    expect(same('7480', '127.0.0.1:7480')).toBe(true);
    expect(same('127.0.0.1:7480', '0.0.0.0:7480')).toBe(true);
    expect(same('[::1]:7480', '[::]:7480')).toBe(true);
  });

  test('another port or another host is another daemon', () => {
    expect(same('localhost:7480', '127.0.0.1:7481')).toBe(false);
    expect(same('10.0.0.2:7480', '127.0.0.1:7480')).toBe(false);
    expect(same('10.0.0.2:7480', '10.0.0.3:7480')).toBe(false);
  });
});
