/** The URL fragment of a shared program (web/share.ts): whatever goes in comes back out. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { deflateSource, fromBase64Url, inflateSource, makeFragment, parseFragment, toBase64Url } from '../../web/share.js';

describe('web/share.ts', () => {
  test('base64url is RFC 4648 §5 without padding, and any text comes back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        const b = toBase64Url(s);
        expect(b).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(b).toBe(Buffer.from(s, 'utf8').toString('base64url'));
        expect(fromBase64Url(b)).toBe(s);
      }),
    );
  });

  test('a fragment carries the source, its input and autorun', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 40 }), fc.boolean(), (src, stdin, autorun) => {
        const wellFormed = (t: string): boolean => fromBase64Url(toBase64Url(t)) === t; // lone surrogates are not UTF-8
        fc.pre(wellFormed(src) && wellFormed(stdin));
        const back = parseFragment(makeFragment({ src, stdin, autorun }));
        expect(back.src).toBe(src);
        expect(back.stdin ?? '').toBe(stdin);
        expect(back.autorun).toBe(autorun);
        expect(back.problem).toBeUndefined();
      }),
    );
  });

  test('an example by name; a src= that is not base64url text is reported, not run', () => {
    expect(parseFragment('#example=fib&autorun')).toEqual({ example: 'fib', autorun: true });
    const bad = parseFragment('#src=%%%&autorun');
    expect(bad.src).toBeUndefined();
    expect(bad.problem).toMatch(/not base64url/);
    expect(parseFragment(`#src=${Buffer.from([0xff, 0xfe]).toString('base64url')}`).problem).toMatch(/not base64url/);
  });

  test('the z= form is raw DEFLATE of the UTF-8 source, base64url, and inflates back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 400 }), async (src) => {
        const z = await deflateSource(src);
        expect(z).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(inflateRawSync(Buffer.from(z, 'base64url')).toString('utf8')).toBe(src);
        expect(await inflateSource(z)).toBe(src);
        expect(parseFragment(makeFragment({ src, z, autorun: true })).z).toBe(z);
      }),
      { numRuns: 50 },
    );
    expect(await inflateSource('not-deflate')).toBeUndefined();
  });
});
