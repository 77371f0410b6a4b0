"""wordfreq — a text of `words` words, each separated by one space: x = 42;
per word x = (x·1103515245 + 12345) mod 2^32 and its length is
1 + (x >>> 16) mod 4, then per letter the same step and the letter is
'a' + (x >>> 16) mod 10. Count each distinct word in a hash table, then
print the number of distinct words and the sum of the squares of the counts
mod 2^32. 200,000 words → 11034 278557674.

A peer for typevisor's bench/guests/wordfreq.s (which hashes with FNV-1a into
an open-addressed table); here a dict. See harness.py for how it runs.
"""

from harness import main


def checksum(words):
    x = 42
    parts = []
    for _ in range(words):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        length = 1 + (x >> 16) % 4
        letters = []
        for _ in range(length):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF
            letters.append(chr(97 + (x >> 16) % 10))
        parts.append("".join(letters))
    text = " ".join(parts)
    counts = {}
    for word in text.split(" "):
        counts[word] = counts.get(word, 0) + 1
    squares = 0
    for c in counts.values():
        squares = (squares + c * c) & 0xFFFFFFFF
    return f"{len(counts)} {squares}"


if __name__ == "__main__":
    main(checksum, [200000])
