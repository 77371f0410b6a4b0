import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble, formatDiagnostic } from '../../isa/asm/index.js';
import { Csr } from '../../isa/csr.js';
import { disassembleImage, formatInstruction, writtenRegister } from '../../isa/disasm.js';
import { decode, encode } from '../../isa/encoding.js';
import { FORMATS, type Format } from '../../isa/formats.js';
import { readImage, SECTION_EXEC, SECTION_READ, SECTION_WRITE, SECTION_ZERO, writeImage, type Image, type ImageSymbol } from '../../isa/image.js';
import { Op, OPCODES } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';

const w = (op: Op, fields: { rd?: number; rs1?: number; rs2?: number; imm?: number } = {}): number =>
  encode({ op, rd: fields.rd ?? 0, rs1: fields.rs1 ?? 0, rs2: fields.rs2 ?? 0, imm: fields.imm ?? 0 });

const labels = new Map<number, string>([
  [0x1000, 'loop'],
  [0x2000, 'fn'],
]);
const symbolAt = (addr: number): string | undefined => labels.get(addr);

describe('formatInstruction: one line per format', () => {
  test.each<[string, number, number, string]>([
    ['R', w(Op.ADD, { rd: Reg.A0, rs1: Reg.A1, rs2: Reg.A2 }), 0, 'add a0, a1, a2'],
    ['R (sltu)', w(Op.SLTU, { rd: Reg.S3, rs1: Reg.ZERO, rs2: Reg.T3 }), 0, 'sltu s3, zero, t3'],
    ['I', w(Op.ADDI, { rd: Reg.A0, rs1: Reg.A1, imm: -5 }), 0, 'addi a0, a1, -5'],
    ['I (slti, extremes)', w(Op.SLTI, { rd: Reg.T0, rs1: Reg.T1, imm: -32768 }), 0, 'slti t0, t1, -32768'],
    ['IU (hex once past a digit)', w(Op.ANDI, { rd: Reg.A0, rs1: Reg.A1, imm: 0xff00 }), 0, 'andi a0, a1, 0xff00'],
    ['IU (a digit)', w(Op.ORI, { rd: Reg.T0, rs1: Reg.T0, imm: 7 }), 0, 'ori t0, t0, 7'],
    ['SH', w(Op.SLLI, { rd: Reg.A0, rs1: Reg.A1, imm: 31 }), 0, 'slli a0, a1, 31'],
    ['U', w(Op.LUI, { rd: Reg.A0, imm: 0x1234 }), 0, 'lui a0, 0x1234'],
    ['L', w(Op.LW, { rd: Reg.T0, rs1: Reg.SP, imm: -8 }), 0, 'lw t0, -8(sp)'],
    ['L (lbu)', w(Op.LBU, { rd: Reg.A3, rs1: Reg.FP, imm: 0 }), 0, 'lbu a3, 0(fp)'],
    ['S', w(Op.SW, { rs2: Reg.A0, rs1: Reg.SP, imm: 12 }), 0, 'sw a0, 12(sp)'],
    ['B to a label', w(Op.BEQ, { rs1: Reg.A0, rs2: Reg.ZERO, imm: -8 }), 0x1008, 'beq a0, zero, loop'],
    ['B to an address', w(Op.BNE, { rs1: Reg.A0, rs2: Reg.A1, imm: 0x34 }), 0x1008, 'bne a0, a1, 0x0000103c'],
    ['B wrapping below 0', w(Op.BLTU, { rs1: Reg.T0, rs2: Reg.T1, imm: -4 }), 0, 'bltu t0, t1, 0xfffffffc'],
    ['J with another link register', w(Op.JAL, { rd: Reg.S0, imm: 0x1000 }), 0x1000, 'jal s0, fn'],
    ['JR', w(Op.JALR, { rd: Reg.RA, rs1: Reg.T0, imm: 4 }), 0, 'jalr ra, t0, 4'],
    ['N', w(Op.SYSCALL), 0, 'syscall'],
    ['N (privileged)', w(Op.HALT), 0, 'halt'],
    ['CR', w(Op.CSRR, { rd: Reg.A0, imm: Csr.STATUS }), 0, 'csrr a0, status'],
    ['CR (unknown CSR)', w(Op.CSRR, { rd: Reg.A0, imm: 99 }), 0, 'csrr a0, 99'],
    ['CW', w(Op.CSRW, { rs1: Reg.A0, imm: Csr.TVEC }), 0, 'csrw tvec, a0'],
    ['CRW', w(Op.CSRRW, { rd: Reg.A0, rs1: Reg.A0, imm: Csr.SCRATCH }), 0, 'csrrw a0, scratch, a0'],
    ['F (all)', w(Op.TLBFLUSH), 0, 'tlbflush'],
    ['F (one page)', w(Op.TLBFLUSH, { rs1: Reg.A0 }), 0, 'tlbflush a0'],
  ])('%s', (_format, word, pc, text) => {
    expect(formatInstruction(word, pc, symbolAt)).toBe(text);
  });

  test('without a symbol lookup, targets are absolute hex addresses', () => {
    expect(formatInstruction(w(Op.BEQ, { rs1: Reg.A0, imm: -8 }), 0x1008)).toBe('beq a0, zero, 0x00001000');
  });
});

describe('formatInstruction: pseudo forms only where they are the same word', () => {
  test.each<[string, number, string]>([
    ['nop', w(Op.ADDI), 'nop'],
    ['li', w(Op.ADDI, { rd: Reg.A0, imm: -42 }), 'li a0, -42'],
    ['mv', w(Op.ADDI, { rd: Reg.S0, rs1: Reg.SP }), 'mv s0, sp'],
    ['j', w(Op.JAL, { imm: -0x8 }), 'j loop'],
    ['call', w(Op.JAL, { rd: Reg.RA, imm: 0xff8 }), 'call fn'],
    ['ret', w(Op.JALR, { rs1: Reg.RA }), 'ret'],
    ['jr', w(Op.JALR, { rs1: Reg.T0 }), 'jr t0'],
    ['jalr with an offset stays jalr', w(Op.JALR, { rs1: Reg.RA, imm: 4 }), 'jalr zero, ra, 4'],
    ['jalr linking stays jalr', w(Op.JALR, { rd: Reg.RA, rs1: Reg.RA }), 'jalr ra, ra, 0'],
  ])('%s', (_what, word, text) => {
    expect(formatInstruction(word, 0x1008, symbolAt)).toBe(text);
  });
});

test('with pseudo forms off, every word prints as its real instruction', () => {
  const raw = { pseudo: false } as const;
  expect(formatInstruction(w(Op.ADDI), 0x1008, symbolAt, raw)).toBe('addi zero, zero, 0');
  expect(formatInstruction(w(Op.ADDI, { rd: Reg.A0, imm: 3 }), 0x1008, symbolAt, raw)).toBe('addi a0, zero, 3');
  expect(formatInstruction(w(Op.JAL, { imm: -8 }), 0x1008, symbolAt, raw)).toBe('jal zero, loop');
  expect(formatInstruction(w(Op.JALR, { rs1: Reg.RA }), 0x1008, symbolAt, raw)).toBe('jalr zero, ra, 0');
});

describe('formatInstruction: words that are not instructions', () => {
  test.each<[string, number]>([
    ['zero (opcode 0 is never assigned)', 0],
    ['an unassigned opcode', 0x1234_56ff],
    ['R with stray high bits', (w(Op.ADD, { rd: 1, rs1: 2, rs2: 3 }) | 0x0010_0000) >>> 0],
    ['SH with a shift over 31', (w(Op.SLLI, { rd: 1, rs1: 2 }) | (32 << 16)) >>> 0],
    ['N with operand bits', (w(Op.HALT) | 0x100) >>> 0],
    ['F with an rd field', (w(Op.TLBFLUSH) | 0x100) >>> 0],
  ])('%s prints as .word', (_what, word) => {
    expect(formatInstruction(word, 0)).toBe(`.word 0x${word.toString(16).padStart(8, '0')}`);
  });

  test('negative numbers as words print unsigned', () => {
    expect(formatInstruction(-1, 0)).toBe('.word 0xffffffff');
  });
});

describe('writtenRegister', () => {
  test.each<[string, number, number | undefined]>([
    ['add writes rd', w(Op.ADD, { rd: Reg.A0, rs1: 1, rs2: 2 }), Reg.A0],
    ['lw writes rd', w(Op.LW, { rd: Reg.T0, rs1: Reg.SP }), Reg.T0],
    ['lui writes rd', w(Op.LUI, { rd: Reg.S3, imm: 1 }), Reg.S3],
    ['jal writes the link register', w(Op.JAL, { rd: Reg.RA, imm: 8 }), Reg.RA],
    ['jalr writes the link register', w(Op.JALR, { rd: Reg.T1, rs1: Reg.T0 }), Reg.T1],
    ['csrr writes rd', w(Op.CSRR, { rd: Reg.A1, imm: Csr.CAUSE }), Reg.A1],
    ['csrrw writes rd', w(Op.CSRRW, { rd: Reg.A1, rs1: Reg.A2, imm: Csr.SCRATCH }), Reg.A1],
    ['a write to zero is no write', w(Op.ADDI), undefined],
    ['sw writes no register', w(Op.SW, { rs2: Reg.A0, rs1: Reg.SP }), undefined],
    ['beq writes no register', w(Op.BEQ, { rs1: 1, rs2: 2, imm: 8 }), undefined],
    ['csrw writes no register', w(Op.CSRW, { rs1: Reg.A0, imm: 1 }), undefined],
    ['tlbflush writes no register', w(Op.TLBFLUSH, { rs1: Reg.A0 }), undefined],
    ['a non-instruction writes no register', 0, undefined],
  ])('%s', (_what, word, reg) => {
    expect(writtenRegister(word)).toBe(reg);
  });
});

// ---------------------------------------------------------------------------
// Whole images, and the round trip through the assembler.

describe('disassembleImage: layout', () => {
  test('header comment, entry, sections with .org, labels, aligned address comments', () => {
    const img: Image = {
      entry: 0x1004,
      sections: [
        { name: '.text', addr: 0x1000, flags: TEXT, size: 8, data: words(w(Op.ADDI), w(Op.JAL, { imm: -4 })) },
        { name: '.data', addr: 0x2000, flags: DATA, size: 10, data: new Uint8Array([0x68, 0x69, 0x21, 0x21, 0x0a, 0, 0xef, 0xbe, 0xad, 0xde]) },
        { name: '.bss', addr: 0x3000, flags: BSS, size: 64, data: new Uint8Array(0) },
      ],
      symbols: [
        { name: 'start', value: 0x1004, kind: 'label' },
        { name: 'greeting', value: 0x2000, kind: 'label' },
        { name: 'SIZE', value: -64, kind: 'const' },
      ],
    };
    expect(disassembleImage(img)).toBe(
      [
        '; typevisor image: entry 0x00001004 (start), 3 sections, 3 symbols',
        ';   .text    0x00001000..0x00001008  r-x  8 bytes',
        ';   .data    0x00002000..0x0000200a  rw-  10 bytes',
        ';   .bss     0x00003000..0x00003040  rw- zero  64 bytes',
        '',
        '.entry start',
        '.equ SIZE, -64',
        '',
        '.text',
        '.org 0x00001000',
        '    nop                         ; 00001000: 00000012',
        'start:',
        '    j 0x00001000                ; 00001004: fffff02a',
        '',
        '.data',
        '.org 0x00002000',
        'greeting:',
        '    .asciz "hi!!\\n"             ; 00002000',
        '    .byte 0xef, 0xbe            ; 00002006',
        '    .byte 0xad, 0xde            ; 00002008',
        '',
        '.bss',
        '.org 0x00003000',
        '    .space 64                   ; 00003000',
        '',
      ].join('\n'),
    );
  });

  test('a section with another name is emitted by its flags, its name kept in a comment', () => {
    const img: Image = {
      entry: 0,
      sections: [{ name: '.rodata', addr: 0x4000, flags: SECTION_READ, size: 4, data: words(0x01020304) }],
      symbols: [],
    };
    const text = disassembleImage(img);
    expect(text).toMatch(/^\.data +; image section "\.rodata"$/m);
    const back = assembled(text);
    expect(back.sections).toEqual([{ name: '.data', addr: 0x4000, flags: DATA, size: 4, data: words(0x01020304) }]);
  });

  test('labels the assembler could not read back are listed in the header and left out', () => {
    const img: Image = {
      entry: 0x1000,
      sections: [{ name: '.text', addr: 0x1000, flags: TEXT, size: 4, data: words(w(Op.HALT)) }],
      symbols: [
        { name: 'two words', value: 0x1000, kind: 'label' },
        { name: 'a0', value: 0x1000, kind: 'label' },
        { name: 'far', value: 0x9000, kind: 'label' },
        { name: 'ok', value: 0x1000, kind: 'label' },
      ],
    };
    const text = disassembleImage(img);
    expect(text).toContain('; label "two words" = 0x00001000 not reproduced: not a plain identifier');
    expect(text).toContain('; label "a0" = 0x00001000 not reproduced: not a plain identifier');
    expect(text).toContain('; label "far" = 0x00009000 not reproduced: no instruction or data byte starts there');
    expect(text).toMatch(/^ok:$/m);
    expect(assembled(text).symbols).toEqual([{ name: 'ok', value: 0x1000, kind: 'label' }]);
  });

  test('a label inside a data word splits the data so the label lands on its byte', () => {
    const img: Image = {
      entry: 0,
      sections: [{ name: '.data', addr: 0x2000, flags: DATA, size: 8, data: words(0x11223344, 0x55667788) }],
      symbols: [{ name: 'mid', value: 0x2002, kind: 'label' }],
    };
    const back = assembled(disassembleImage(img));
    expect(back.sections).toEqual(img.sections);
    expect(back.symbols).toEqual(img.symbols);
  });
});

const TEXT = SECTION_READ | SECTION_EXEC;
const DATA = SECTION_READ | SECTION_WRITE;
const BSS = SECTION_READ | SECTION_WRITE | SECTION_ZERO;

function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  ws.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v >>> 0, true));
  return out;
}

/** Assemble, failing the test with the assembler's own messages. */
function assembled(source: string, filename = 'disassembly.s'): Image {
  const r = assemble(source, { filename });
  if (!r.ok) throw new Error(`assembly failed:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}\n--- source ---\n${source}`);
  return r.image;
}

const byName = (syms: readonly ImageSymbol[]): ImageSymbol[] => [...syms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** disassemble → assemble gives back the same image (symbols compared as a set: their order follows the source). */
function expectRoundTrip(img: Image): void {
  const again = assembled(disassembleImage(readImage(writeImage(img))));
  expect(again.entry).toBe(img.entry);
  expect(again.sections).toEqual(img.sections);
  expect(byName(again.symbols)).toEqual(byName(img.symbols));
}

// Immediate ranges per format, from the encoding rules in isa/formats.ts.
const IMM_RANGE: Readonly<Record<Format, readonly [number, number, number]>> = {
  // [min, max, scale]
  R: [0, 0, 1], N: [0, 0, 1], F: [0, 0, 1],
  I: [-32768, 32767, 1], L: [-32768, 32767, 1], S: [-32768, 32767, 1], JR: [-32768, 32767, 1],
  IU: [0, 65535, 1], U: [0, 65535, 1], SH: [0, 31, 1],
  CR: [0, 65535, 1], CW: [0, 65535, 1], CRW: [0, 65535, 1],
  B: [-32768, 32767, 4], J: [-(2 ** 19), 2 ** 19 - 1, 4],
};

/** Registers, biased to zero and ra so the pseudo forms (li, mv, j, call, ret, jr) come up often. */
const regArb = fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 15 }));

/** A valid instruction: a row of OPCODES with random fields that fit its format. */
const instructionArb: fc.Arbitrary<number> = fc.constantFrom(...OPCODES).chain((info) => {
  const [min, max, scale] = IMM_RANGE[info.format];
  const imm = fc.oneof(fc.constantFrom(0, min, max), fc.integer({ min, max }), fc.integer({ min: Math.max(min, 0), max: Math.min(max, 16) }));
  return fc.record({ rd: regArb, rs1: regArb, rs2: regArb, imm }).map((f) => encode({ op: info.op, ...f, imm: f.imm * scale }));
});

/** A row's opcode with random upper bits: often not an instruction (stray bits in unused fields). */
const opcodeWithJunkArb = fc.tuple(fc.constantFrom(...OPCODES), fc.integer({ min: 0, max: 0xff_ffff })).map(([info, hi]) => (info.op | (hi << 8)) >>> 0);
const anyWordArb = fc.integer({ min: 0, max: 0xffff_ffff });
const wordArb = fc.oneof({ arbitrary: instructionArb, weight: 6 }, { arbitrary: opcodeWithJunkArb, weight: 2 }, { arbitrary: anyWordArb, weight: 2 });

describe('disassembleImage: large sections', () => {
  test('a 4 MB data section is printed line by line (no spreading it into one call)', () => {
    const data = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data[i] = i & 0xff;
    const text = disassembleImage({ entry: 0x1000, sections: [{ name: '.data', addr: 0x10_0000, flags: DATA, size: data.length, data }], symbols: [] });
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(data.length / 16);
    expect(lines.filter((l) => l.trimStart().startsWith('.word')).length).toBe(data.length / 16);
  }, 20_000);
});

describe('disassemble → assemble round trip', () => {
  test('the generator reaches every row of OPCODES and every format', () => {
    const seen = new Set(fc.sample(instructionArb, { numRuns: 3000, seed: 1 }).map((word) => decode(word)!.op));
    expect([...seen].sort((a, b) => a - b)).toEqual(OPCODES.map((o) => o.op).sort((a, b) => a - b));
    expect(new Set(OPCODES.map((o) => o.format))).toEqual(new Set(Object.keys(FORMATS)));
  });

  test('every row of OPCODES at its field extremes', () => {
    const ws: number[] = [];
    for (const info of OPCODES) {
      const [min, max, scale] = IMM_RANGE[info.format];
      for (const imm of new Set([0, min, max, 1 % (max + 1)])) {
        // Every register in every field, and zero/ra beside each, where the pseudo forms live.
        for (let k = 0; k < 16; k++) {
          for (const [rd, rs1, rs2] of [[k, 0, 1], [0, k, 0], [1, k, k], [k, k, 0], [k, 1, (k + 7) % 16]] as const) {
            ws.push(encode({ op: info.op, rd, rs1, rs2, imm: imm * scale }));
          }
        }
      }
    }
    const img: Image = { entry: 0x0100_0000, sections: [{ name: '.text', addr: 0x0100_0000, flags: TEXT, size: ws.length * 4, data: words(...ws) }], symbols: [] };
    expectRoundTrip(img);
  });

  test('random words in a text section come back as the same bytes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0x3fff_c000 }).map((n) => n * 4),
        fc.array(wordArb, { minLength: 1, maxLength: 64, size: 'max' }),
        fc.uniqueArray(fc.nat({ max: 64 }), { maxLength: 6 }),
        (base, ws, labelAt) => {
          const size = ws.length * 4;
          const symbols: ImageSymbol[] = labelAt.filter((k) => k <= ws.length).map((k) => ({ name: `L${k}`, value: base + 4 * k, kind: 'label' }));
          const img: Image = { entry: base, sections: [{ name: '.text', addr: base, flags: TEXT, size, data: words(...ws) }], symbols };
          const text = disassembleImage(img);
          const again = assembled(text);
          expect(again.sections).toEqual(img.sections);
          expect(again.entry).toBe(img.entry);
          expect(byName(again.symbols)).toEqual(byName(symbols));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes in a data section come back as the same bytes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0x1000 }).map((n) => 0x10_0000 + n * 4),
        fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.string({ minLength: 1, maxLength: 80 }).map((s) => new TextEncoder().encode(s))),
        fc.uniqueArray(fc.nat({ max: 80 }), { maxLength: 4 }),
        (base, data, labelAt) => {
          const symbols: ImageSymbol[] = labelAt.filter((k) => k <= data.length).map((k) => ({ name: `d${k}`, value: base + k, kind: 'label' }));
          const img: Image = { entry: 0, sections: [{ name: '.data', addr: base, flags: DATA, size: data.length, data }], symbols };
          const again = assembled(disassembleImage(img));
          expect(again.sections).toEqual(img.sections);
          expect(byName(again.symbols)).toEqual(byName(symbols));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('whole programs: assemble → disassemble → assemble gives the same image', () => {
  const PROGRAMS: Readonly<Record<string, string>> = {
    'user program with data, bss and constants': `
        .equ STDOUT, 1
        .equ NEG, -5
        .global _start
_start: la a1, msg
        li a2, msg_end - msg
        li a0, STDOUT
        li t0, 3              ; write
        syscall
        call count
        li a0, 0
        li t0, 1              ; exit
        syscall
count:  push ra, s0
        mv s0, zero
.loop:  addi s0, s0, 1
        blt s0, a2, .loop
        sw s0, total(zero)
        pop ra, s0
        ret
        .data
msg:    .ascii "hello, \\"world\\"\\n"
msg_end:
        .align 4
table:  .word count, _start, 0xdeadbeef, -1
        .half 7, 0xffff
        .byte 1, 2, 3
        .asciz "tail"
        .bss
        .align 4
total:  .space 4
buf:    .space 256
`,
    'kernel at a high address with CSRs, an entry not at the start and a gap': `
        .text
        .org 0x80000000
trap:   csrrw sp, scratch, sp
        csrr t0, cause
        csrr t1, epc
        addi t1, t1, 4
        csrw epc, t1
        csrrw sp, scratch, sp
        sret
        .org 0x80000040
boot:   la t0, trap
        csrw tvec, t0
        li t0, 1
        csrs ie, t0
        csrc status, t0
        tlbflush
        tlbflush a0
        wfi
        bnez a0, boot
1:      j 1b
        halt
        .entry boot
        .data
        .org 0x80010000
ptroot: .word 0x80011001, 0
`,
    'only data': `
        .data
        .org 0x5000
blob:   .byte 0xff, 0, 0x7f, 0x80
        .ascii "abc"
`,
  };

  test.each(Object.entries(PROGRAMS))('%s', (name, source) => {
    const img = assembled(source, `${name}.s`);
    expectRoundTrip(img);
  });
});
