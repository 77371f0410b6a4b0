/**
 * The "Program" tab: the editor (coloured by the assembler's lexer, its
 * diagnostics on their lines as you type), Run / Step / Continue / Stop /
 * Reset, the console, and the machine views of the stopped program.
 */
import type { Diagnostic } from '../isa/asm/index.js';
import { hex8 } from '../isa/hex.js';
import { byId, el, frameScheduler, nextTurn } from './dom.js';
import { exampleNames, exampleSource, PROGRAM_DIR } from './guest-files.js';
import { highlight } from './highlight.js';
import { disasmAround, memoryLines, pageWalk, parseAddress, registerRows } from './machine-views.js';
import { assembleProgram, describe, diagnosticsOf, ProgramSession } from './program-session.js';
import { deflateSource, DEFLATE_FROM, makeFragment, type Shared } from './share.js';

export class ProgramPanel {
  private readonly source = byId<HTMLTextAreaElement>('source');
  private readonly overlay = byId('highlight');
  private readonly diagList = byId('diagnostics');
  private readonly stdin = byId<HTMLTextAreaElement>('stdin');
  private readonly consoleOut = byId('console');
  private readonly status = byId('status');
  private readonly example = byId<HTMLSelectElement>('example');
  private readonly memAddr = byId<HTMLInputElement>('mem-addr');
  private session: ProgramSession | undefined;
  /** The source the session was assembled from (a session of an older text is stale). */
  private sessionSource = '';
  private readonly breakpoints = new Set<number>();
  private running = false;
  private diagnostics: readonly Diagnostic[] = [];
  private lastAssembled = '';
  private readonly redraw = frameScheduler(() => this.render());

  constructor() {
    this.example.append(el('option', { value: '' }, '(your program)'));
    for (const name of exampleNames()) this.example.append(el('option', { value: name }, `${name}.s`));
    this.example.addEventListener('change', () => this.example.value && this.load(this.example.value));
    this.source.addEventListener('input', () => this.edited());
    this.source.addEventListener('scroll', () => this.syncScroll());
    this.source.addEventListener('keydown', (e) => {
      if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.altKey) {
        // A tab inserts spaces to the next column of 8, as the examples are laid out.
        e.preventDefault();
        const s = this.source.selectionStart;
        const col = s - this.source.value.lastIndexOf('\n', s - 1) - 1;
        this.source.setRangeText(' '.repeat(8 - (col % 8)), s, this.source.selectionEnd, 'end');
        this.edited();
      }
    });
    byId('run').addEventListener('click', () => void this.run());
    byId('step').addEventListener('click', () => this.step());
    byId('continue').addEventListener('click', () => void this.continue());
    byId('stop').addEventListener('click', () => this.session?.stop());
    byId('reset').addEventListener('click', () => this.reset());
    byId('share').addEventListener('click', () => void this.share());
    this.memAddr.addEventListener('input', () => this.render());
    byId('disasm').addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-addr]');
      if (!row) return;
      const a = Number(row.dataset['addr']);
      if (this.breakpoints.has(a)) this.breakpoints.delete(a);
      else this.breakpoints.add(a);
      this.render();
    });
  }

  get file(): string {
    const name = this.example.value || 'program';
    return `${PROGRAM_DIR}/${name}.s`;
  }

  load(name: string): void {
    const text = exampleSource(name);
    if (text === undefined) {
      this.say(`there is no example named '${name}'`);
      return;
    }
    this.setSource(text, undefined, name);
  }

  /** Put a program in the editor; `example` names it when it is one (its file then resolves `.include`s as in guests/programs/). */
  setSource(text: string, stdin?: string, example = ''): void {
    this.example.value = example;
    this.source.value = text;
    if (stdin !== undefined) this.stdin.value = stdin;
    this.session = undefined;
    this.breakpoints.clear();
    this.edited();
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private syncScroll(): void {
    this.overlay.style.transform = `translate(${-this.source.scrollLeft}px, ${-this.source.scrollTop}px)`;
  }

  private editTimer: ReturnType<typeof setTimeout> | undefined;

  /** Assemble as the user types (a short pause first), so the diagnostics follow the text. */
  private edited(): void {
    this.overlay.innerHTML = highlight(this.source.value, this.diagnostics, this.file) + '\n';
    clearTimeout(this.editTimer);
    this.editTimer = setTimeout(() => this.check(), 120);
  }

  /** Assemble the editor's text: diagnostics shown; the result if it assembled. */
  private check(): ReturnType<typeof assembleProgram> {
    const text = this.source.value;
    const r = assembleProgram(text, this.file);
    this.diagnostics = diagnosticsOf(r);
    this.lastAssembled = text;
    this.overlay.innerHTML = highlight(text, this.diagnostics, this.file) + '\n';
    this.syncScroll();
    this.diagList.replaceChildren(
      ...this.diagnostics.map((d) => {
        const li = el('li', { class: `diag-${d.severity}` });
        const where = d.file === this.file ? `line ${d.line}:${d.col}` : `${d.file.replace(/^\/guests\//, 'guests/')}:${d.line}:${d.col}`;
        li.append(el('button', { type: 'button', 'aria-label': `go to ${where}` }, where), ` ${d.severity}: ${d.message}`);
        li.querySelector('button')!.addEventListener('click', () => this.goTo(d));
        return li;
      }),
    );
    byId('diag-summary').textContent = r.ok ? (this.diagnostics.length ? `assembled, ${this.diagnostics.length} warning(s)` : 'assembled') : `${this.diagnostics.length} error(s): nothing runs until they are fixed`;
    return r;
  }

  private goTo(d: Diagnostic): void {
    const lines = this.source.value.split('\n');
    let at = 0;
    for (let i = 0; i < d.line - 1 && i < lines.length; i++) at += lines[i]!.length + 1;
    this.source.focus();
    this.source.setSelectionRange(at + d.col - 1, at + d.col - 1 + d.length);
  }

  /** A fresh session of the current text, or undefined (with the diagnostics shown) when it does not assemble. */
  reset(): ProgramSession | undefined {
    this.session?.stop();
    const r = this.check();
    if (!r.ok) {
      this.session = undefined;
      this.say('the program does not assemble: see the diagnostics under the editor');
      this.render();
      return undefined;
    }
    this.session = new ProgramSession(r, this.stdin.value, this.redraw);
    this.sessionSource = this.source.value;
    this.say(`ready at ${hex8(this.session.pc)}: Run, Step or Continue`);
    this.render();
    return this.session;
  }

  private current(): ProgramSession | undefined {
    if (this.session && this.sessionSource === this.source.value && this.session.result === undefined) return this.session;
    return this.reset();
  }

  async run(): Promise<void> {
    if (this.running) return;
    if (!this.reset()) return;
    await this.continue();
  }

  step(): void {
    if (this.running) return;
    const s = this.current();
    if (!s) return;
    const r = s.step(1);
    this.say(r.kind === 'stepped' ? `stepped to ${hex8(s.pc)}` : `the program ended: ${describe(r)}`);
    this.render();
  }

  async continue(): Promise<void> {
    if (this.running) return;
    const s = this.current();
    if (!s) return;
    this.running = true;
    document.body.dataset['running'] = 'program';
    this.say('running… (Stop or Esc ends it)');
    try {
      const r = await s.continue(this.breakpoints, nextTurn);
      if (r.kind === 'at-breakpoint') this.say(`stopped at the breakpoint at ${hex8(r.pc)}`);
      else if (r.kind === 'stopped') this.say(`stopped at ${hex8(s.pc)}`);
      else if (r.kind === 'stepped') this.say(`at ${hex8(s.pc)}`);
      else this.say(`the program ended: ${describe(r)}`);
    } finally {
      this.running = false;
      delete document.body.dataset['running'];
      this.render();
    }
  }

  stop(): void {
    this.session?.stop();
  }

  shared(autorun: boolean): Shared {
    return { src: this.source.value, stdin: this.stdin.value, autorun };
  }

  private async share(): Promise<void> {
    const url = new URL(location.href);
    const shared = this.shared(true);
    // A long program goes deflated (z=): fib.s's link is 1143 characters instead of 2672.
    url.hash = makeFragment(shared.src !== undefined && shared.src.length > DEFLATE_FROM ? { ...shared, z: await deflateSource(shared.src) } : shared);
    history.replaceState(null, '', url.hash);
    const box = byId<HTMLInputElement>('share-link');
    box.value = url.href;
    box.hidden = false;
    box.select();
    void navigator.clipboard?.writeText(url.href).then(
      () => this.say('link copied: it opens this program and runs it'),
      () => this.say('link below: it opens this program and runs it'),
    );
  }

  /** Everything the panel shows of the session. */
  render(): void {
    const s = this.session;
    this.consoleOut.replaceChildren(...(s?.console ?? []).map((c) => el('span', { class: `con-${c.stream}` }, c.text)));
    this.consoleOut.scrollTop = this.consoleOut.scrollHeight;
    const regs = byId('registers');
    const disasm = byId('disasm');
    const stats = byId('stats');
    const log = byId('log');
    if (!s) {
      regs.replaceChildren();
      disasm.replaceChildren(el('p', { class: 'muted' }, 'Run, Step or Reset to load the program.'));
      stats.replaceChildren();
      log.replaceChildren();
      byId('memory').textContent = '';
      byId('walk').textContent = '';
      return;
    }
    const m = s.vm.machine;
    regs.replaceChildren(
      ...registerRows(m, s.before).map((r) => {
        const tr = el('tr', r.changed ? { class: 'changed' } : {});
        tr.append(el('th', { scope: 'row' }, r.name), el('td', { 'data-reg': r.name }, r.hex), el('td', {}, r.dec));
        return tr;
      }),
    );
    disasm.replaceChildren(
      ...disasmAround(m, s.vm.symbols, s.pc).map((row) => {
        const bp = this.breakpoints.has(row.addr);
        const b = el('button', { type: 'button', 'data-addr': String(row.addr), class: `dis-row${row.current ? ' current' : ''}${bp ? ' bp' : ''}`, 'aria-pressed': String(bp), 'aria-label': `${bp ? 'remove the breakpoint' : 'set a breakpoint'} at ${hex8(row.addr)}: ${row.text}` });
        b.append(el('span', { class: 'bp-dot', 'aria-hidden': 'true' }, bp ? '●' : ' '), el('span', { class: 'dis-addr' }, hex8(row.addr)), el('span', { class: 'dis-label' }, row.label ? `${row.label}:` : ''), el('span', { class: 'dis-text' }, row.text));
        if (row.current) b.setAttribute('aria-current', 'true');
        return b;
      }),
    );
    const st = s.stats();
    const result = s.result;
    const pairs: [string, string][] = [
      ['state', result ? describe(result) : this.running ? 'running' : 'stopped'],
      ['instructions', String(st.instructions)],
      ['MIPS', st.mips.toFixed(2)],
      ['traps', Object.entries(st.traps).map(([k, n]) => `${k} ${n}`).join(', ') || '—'],
      ['syscalls', Object.entries(st.syscalls).map(([k, n]) => `${k} ${n}`).join(', ') || '—'],
      ['memory', `${st.framesUsed} pages, brk ${hex8(st.brk)}`],
    ];
    stats.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-stat': k }, v)]));
    log.replaceChildren(...s.log.slice(-200).map((l) => el('li', {}, l)));
    log.scrollTop = log.scrollHeight;
    const symbol = (name: string): number | undefined => s.vm.image.symbols.find((x) => x.name === name)?.value;
    const a = parseAddress(this.memAddr.value, m, symbol);
    if (typeof a === 'string') {
      byId('memory').textContent = a;
      byId('walk').textContent = '';
    } else {
      byId('memory').textContent = memoryLines(m, a).join('\n');
      byId('walk').textContent = pageWalk(m, a).join('\n');
    }
  }

  get assembledText(): string {
    return this.lastAssembled;
  }
}
