/** Signal: every listener hears every emit, until it unsubscribes. */
import { describe, expect, test } from 'vitest';
import { Signal } from '../../vm/signal.js';

describe('Signal', () => {
  test('every listener, in the order subscribed; unsubscribe stops one only', () => {
    const s = new Signal<number>();
    const heard: string[] = [];
    const offA = s.subscribe((v) => heard.push(`a${v}`));
    s.subscribe((v) => heard.push(`b${v}`));
    s.emit(1);
    offA();
    offA();
    s.emit(2);
    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(s.size).toBe(1);
  });

  test('a listener added or removed during emit takes effect from the next emit', () => {
    const s = new Signal();
    let n = 0;
    const off = s.subscribe(() => {
      off();
      s.subscribe(() => n++);
    });
    s.emit();
    expect(n).toBe(0);
    s.emit();
    expect(n).toBe(1);
  });
});
