/**
 * CRC-32 (IEEE 802.3, the zlib/PNG one): reflected, polynomial 0xedb88320.
 * The image format and the migration wire protocol both checksum with it.
 * Node's zlib computes it natively (20.15 on); the table below is the same
 * function for a Node without it — and the definition.
 */
import { optionalBuiltin } from './host-builtin.js';

const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

/** The table-driven CRC-32 of `bytes`, continuing from `crc`. */
export function crc32Table(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;

// Node's zlib where there is one (a browser has none: the table it is). Asked
// for at the first checksum, not at import: loading zlib costs a command that
// never checksums (`typevisor run file.s`) ~10 ms of its start.
let native: NativeCrc32 | null | undefined;

/** CRC-32 of `bytes`, continuing from `crc` (the CRC of what came before). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (native === undefined) native = optionalBuiltin<{ crc32?: NativeCrc32 }>('zlib')?.crc32 ?? null;
  return native ? native(bytes, crc) >>> 0 : crc32Table(bytes, crc);
}
