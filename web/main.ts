/**
 * The typevisor playground: write, run, step and migrate in a web page, on
 * the project's own ISA, interpreter, monitors and migration engine (bundled
 * by web/build.mjs; nothing here re-implements them).
 *
 * Keyboard: Ctrl+Enter run · F10 step · F8 continue · Esc stop ·
 * Alt+R reset · Alt+1/2/3 the tabs.
 */
import { installHostShims } from './host-shims.js';
import { byId } from './dom.js';
import { ProgramPanel } from './program-panel.js';
import { KernelView } from './kernel-view.js';
import { LabView } from './lab-view.js';
import { inflateSource, parseFragment } from './share.js';

installHostShims();

const TABS = ['program', 'kernel', 'lab'] as const;
type Tab = (typeof TABS)[number];

function showTab(tab: Tab, focus = false): void {
  for (const t of TABS) {
    const button = byId(`tab-${t}`);
    const selected = t === tab;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    byId(`panel-${t}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
}

async function start(): Promise<void> {
  const program = new ProgramPanel();
  new KernelView();
  const lab = new LabView();
  let labStarted = false;

  for (const t of TABS) {
    byId(`tab-${t}`).addEventListener('click', () => {
      showTab(t);
      if (t === 'lab' && !labStarted) {
        labStarted = true;
        void lab.run();
      }
    });
  }
  byId('tablist').addEventListener('keydown', (e) => {
    // Arrow keys move between tabs (the ARIA tabs pattern).
    const i = TABS.findIndex((t) => byId(`tab-${t}`).getAttribute('aria-selected') === 'true');
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
      byId(`tab-${next}`).click();
      showTab(next, true);
    }
  });

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey && e.key === 'Enter') {
      e.preventDefault();
      showTab('program');
      void program.run();
    } else if (e.key === 'F10') {
      e.preventDefault();
      program.step();
    } else if (e.key === 'F8') {
      e.preventDefault();
      void program.continue();
    } else if (e.key === 'Escape') {
      program.stop();
    } else if (e.altKey && (e.key === 'r' || e.key === 'R')) {
      e.preventDefault();
      program.reset();
    } else if (e.altKey && ['1', '2', '3'].includes(e.key)) {
      e.preventDefault();
      byId(`tab-${TABS[Number(e.key) - 1]!}`).click();
      showTab(TABS[Number(e.key) - 1]!, true);
    }
  });

  const shared = parseFragment(location.hash);
  const z = shared.z === undefined ? undefined : await inflateSource(shared.z);
  if (shared.z !== undefined && z === undefined) byId('status').textContent = 'the link\'s z= is not a deflated program; the editor keeps its own';
  if (z !== undefined) program.setSource(z, shared.stdin);
  else if (shared.src !== undefined) program.setSource(shared.src, shared.stdin);
  else program.load(shared.example ?? 'hello');
  if (shared.src === undefined && z === undefined && shared.stdin !== undefined) byId<HTMLTextAreaElement>('stdin').value = shared.stdin;
  if (shared.problem && z === undefined) byId('status').textContent = shared.problem;
  showTab('program');
  if (shared.autorun) void program.run();
}

void start();
