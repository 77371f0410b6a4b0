/**
 * The URL fragment carries the program and its options, so a link
 * reproduces a program and its run:
 *
 *   #src=BASE64URL            the source, UTF-8, base64url (RFC 4648 §5, no padding)
 *   #z=BASE64URL              or the source deflated (raw DEFLATE, RFC 1951), then base64url:
 *                             what Share writes for a long program, for a shorter link
 *   &example=fib              or an example by name (when there is no src)
 *   &stdin=BASE64URL          the console input
 *   &autorun                  assemble and run it on load
 *
 * A fragment never reaches a server, and the page needs none.
 */
export interface Shared {
  readonly src?: string;
  /** The source deflated and base64url'd (parseFragment leaves it for inflateSource). */
  readonly z?: string;
  readonly example?: string;
  readonly stdin?: string;
  readonly autorun: boolean;
}

export function toBase64Url(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text, or undefined when `b64` is not base64url of UTF-8. */
export function fromBase64Url(b64: string): string | undefined {
  try {
    const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

export function parseFragment(hash: string): Shared & { readonly problem?: string } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const out: { src?: string; z?: string; example?: string; stdin?: string; autorun: boolean; problem?: string } = { autorun: params.has('autorun') };
  const z = params.get('z');
  if (z !== null) out.z = z;
  const src = params.get('src');
  if (src !== null) {
    const text = fromBase64Url(src);
    if (text === undefined) out.problem = 'the link\'s src= is not base64url text; the editor keeps its program';
    else out.src = text;
  }
  const example = params.get('example');
  if (example !== null) out.example = example;
  const stdin = params.get('stdin');
  if (stdin !== null) {
    const text = fromBase64Url(stdin);
    if (text !== undefined) out.stdin = text;
  }
  return out;
}

export function makeFragment(s: Shared): string {
  const parts: string[] = [];
  if (s.z !== undefined) parts.push(`z=${s.z}`);
  else if (s.src !== undefined) parts.push(`src=${toBase64Url(s.src)}`);
  else if (s.example !== undefined) parts.push(`example=${encodeURIComponent(s.example)}`);
  if (s.stdin) parts.push(`stdin=${toBase64Url(s.stdin)}`);
  if (s.autorun) parts.push('autorun');
  return `#${parts.join('&')}`;
}

const bytesToBase64Url = (bytes: Uint8Array): string => {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

async function through(bytes: Uint8Array<ArrayBuffer>, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The source deflated (raw DEFLATE), base64url: the `z=` form. */
export async function deflateSource(text: string): Promise<string> {
  return bytesToBase64Url(await through(new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>, new CompressionStream('deflate-raw')));
}

/** The source of a `z=` form, or undefined when it is not one. */
export async function inflateSource(z: string): Promise<string | undefined> {
  try {
    const bin = atob(z.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = await through(Uint8Array.from(bin, (c) => c.charCodeAt(0)), new DecompressionStream('deflate-raw'));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Past this many characters of source, Share writes the shorter z= form. */
export const DEFLATE_FROM = 1000;
