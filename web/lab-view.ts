/**
 * The "Migration lab" tab: controls → runLab → the table and the report.
 * Each change of a control runs the four strategies again (a run takes about
 * a second); changes made meanwhile are gathered into one next run.
 */
import { byId, el } from './dom.js';
import { runLab, WORKLOAD_NAMES, workloadDefaults, linkText, type LabSpec } from './lab-panel.js';
import type { WorkloadName } from '../hypervisor/lab/workloads.js';

/** Slider positions → MB/s and ms: a log scale a student can move through in a few steps. */
export const BANDWIDTHS_MBS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
export const LATENCIES_MS = [0, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export class LabView {
  private running = false;
  private again = false;

  constructor() {
    const workload = byId<HTMLSelectElement>('lab-workload');
    for (const w of WORKLOAD_NAMES) workload.append(el('option', { value: w }, w));
    workload.value = 'writes';
    workload.addEventListener('change', () => (this.params(), this.changed()));
    this.params();
    for (const id of ['lab-mem', 'lab-bw', 'lab-lat', 'lab-at']) byId(id).addEventListener('input', () => this.changed());
    byId('lab-run').addEventListener('click', () => void this.run());
    this.labels();
  }

  /** One number field per parameter the workload's source declares, at its default. */
  private params(): void {
    const name = byId<HTMLSelectElement>('lab-workload').value as WorkloadName;
    const box = byId('lab-params');
    box.replaceChildren(
      ...Object.entries(workloadDefaults(name)).map(([k, v]) => {
        const label = el('label', {}, `${k} `);
        const input = el('input', { type: 'number', step: '1', value: String(v), 'data-param': k, 'aria-label': `workload parameter ${k}` });
        input.addEventListener('change', () => this.changed());
        label.append(input);
        return label;
      }),
    );
  }

  private labels(): void {
    const s = this.spec();
    byId('lab-bw-value').textContent = `${s.bandwidthMBs} MB/s`;
    byId('lab-lat-value').textContent = `${s.latencyMs} ms`;
    byId('lab-link').textContent = `--link ${linkText(s)}`;
  }

  spec(): LabSpec {
    const params: Record<string, number> = {};
    for (const input of byId('lab-params').querySelectorAll<HTMLInputElement>('input[data-param]')) params[input.dataset['param']!] = Math.trunc(Number(input.value));
    return {
      workload: byId<HTMLSelectElement>('lab-workload').value as WorkloadName,
      params,
      memMiB: Number(byId<HTMLSelectElement>('lab-mem').value),
      bandwidthMBs: BANDWIDTHS_MBS[Number(byId<HTMLInputElement>('lab-bw').value)] ?? 1000,
      latencyMs: LATENCIES_MS[Number(byId<HTMLInputElement>('lab-lat').value)] ?? 0.1,
      at: Math.max(0, Math.trunc(Number(byId<HTMLInputElement>('lab-at').value))),
    };
  }

  private changed(): void {
    this.labels();
    void this.run();
  }

  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    const status = byId('lab-status');
    try {
      do {
        this.again = false;
        const spec = this.spec();
        status.textContent = 'running the four strategies…';
        try {
          const r = await runLab(spec, (m) => (status.textContent = m));
          this.show(r.title, r.rows, r.notes, r.html);
          status.textContent = `done: ${r.title}`;
        } catch (e) {
          status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  private show(title: string, rows: string[][], notes: string[], html: string): void {
    const table = el('table', { id: 'lab-table' });
    table.append(el('caption', {}, title));
    const [head, ...body] = rows;
    const thead = el('thead');
    const htr = el('tr');
    for (const h of head ?? []) htr.append(el('th', { scope: 'col' }, h));
    thead.append(htr);
    const tbody = el('tbody');
    for (const r of body) {
      const tr = el('tr', { 'data-row': r[0]!.trim() });
      r.forEach((c, i) => tr.append(i === 0 ? el('th', { scope: 'row' }, c) : el('td', {}, c)));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    byId('lab-result').replaceChildren(table, el('ul', { class: 'notes' }, ''));
    byId('lab-result').querySelector('ul')!.append(...notes.map((n) => el('li', {}, n)));
    byId<HTMLIFrameElement>('lab-report').srcdoc = html;
  }
}
