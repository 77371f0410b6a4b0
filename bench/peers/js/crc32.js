// crc32 — a buffer of `size` bytes with byte i = (i·13 + (i >> 10)) & 255;
// crc = 0xFFFFFFFF; `passes` passes over the buffer, each byte xored in and
// then 8 steps of crc = (crc >>> 1) xor (0xEDB88320 & −(crc & 1)); the result
// is not crc. 1 MiB, 4 passes → 13e98207.
//
// A peer for typevisor's bench/guests/crc32.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(size = 1048576, passes = 4) {
  const buf = new Uint8Array(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 13 + (i >> 10)) & 255;
  const poly = 0xedb88320 | 0; // 32-bit values held as signed int32s: JS's integer fast path
  let crc = 0xffffffff | 0;
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < size; i++) {
      crc ^= buf[i];
      for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (poly & -(crc & 1));
    }
  }
  return (~crc >>> 0).toString(16).padStart(8, '0');
}
