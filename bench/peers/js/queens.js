// queens — the number of ways to place n queens on an n × n board, none
// attacking another, by backtracking row by row over three byte arrays (the
// columns and both diagonals in use). n = 11 → 2680.
//
// A peer for typevisor's bench/guests/queens.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(n = 11) {
  const cols = new Uint8Array(n);
  const up = new Uint8Array(2 * n);
  const down = new Uint8Array(2 * n);
  function place(row) {
    if (row === n) return 1;
    let count = 0;
    for (let c = 0; c < n; c++) {
      if (cols[c] === 0 && up[row + c] === 0 && down[row - c + n] === 0) {
        cols[c] = 1;
        up[row + c] = 1;
        down[row - c + n] = 1;
        count += place(row + 1);
        cols[c] = 0;
        up[row + c] = 0;
        down[row - c + n] = 0;
      }
    }
    return count;
  }
  return String(place(0));
}
