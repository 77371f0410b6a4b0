// wordfreq — a text of `words` words, each separated by one space: x = 42;
// per word x = (x·1103515245 + 12345) mod 2^32 and its length is
// 1 + (x >>> 16) mod 4, then per letter the same step and the letter is
// 'a' + (x >>> 16) mod 10. Count each distinct word in a hash table, then
// print the number of distinct words and the sum of the squares of the
// counts mod 2^32. 200,000 words → 11034 278557674.
//
// A peer for typevisor's bench/guests/wordfreq.s (which hashes with FNV-1a
// into an open-addressed table); here a Map. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(words = 200000) {
  let x = 42;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x >>> 16;
  };
  const parts = [];
  for (let w = 0; w < words; w++) {
    const len = 1 + (next() % 4);
    let word = '';
    for (let k = 0; k < len; k++) word += String.fromCharCode(97 + (next() % 10));
    parts.push(word);
  }
  const text = parts.join(' ');
  const counts = new Map();
  for (const word of text.split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
  let squares = 0;
  for (const c of counts.values()) squares = (squares + c * c) >>> 0;
  return `${counts.size} ${squares}`;
}
