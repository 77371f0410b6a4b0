/** The "Kernel & VMs" tab: boot controls, one console and one counter table per VM. */
import { byId, el, frameScheduler } from './dom.js';
import { boot, counters, type VmView } from './vm-panel.js';

export class KernelView {
  private views: VmView[] = [];
  private busy = false;
  private readonly redraw = frameScheduler(() => this.render());

  constructor() {
    byId('boot').addEventListener('click', () => void this.boot());
    const monitor = byId<HTMLSelectElement>('boot-monitor');
    const vms = byId<HTMLInputElement>('boot-vms');
    monitor.addEventListener('change', () => (vms.disabled = monitor.value === 'none'));
  }

  async boot(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const status = byId('boot-status');
    const monitor = byId<HTMLSelectElement>('boot-monitor').value as 'none' | 'native';
    const vms = Number(byId<HTMLInputElement>('boot-vms').value);
    const memSize = Number(byId<HTMLSelectElement>('boot-mem').value) * 1024 * 1024;
    status.textContent = monitor === 'none' ? 'booting the kernel on the bare machine…' : `booting ${vms} VMs under the native monitor…`;
    try {
      const { wallMs } = await boot({ monitor, vms, memSize }, (v) => ((this.views = v), this.render()), this.redraw);
      status.textContent = `done in ${wallMs.toFixed(0)} ms of wall time: ${this.views.map((v) => `${v.name} ${v.state}`).join('; ')}`;
    } catch (e) {
      status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.busy = false;
      this.render();
    }
  }

  render(): void {
    const box = byId('vm-consoles');
    box.replaceChildren(
      ...this.views.map((v) => {
        const card = el('section', { class: 'vm-card', 'aria-label': `VM ${v.name}` });
        card.append(el('h3', {}, `${v.name} — ${v.state}`));
        card.append(el('pre', { class: 'vm-console', role: 'log', 'aria-label': `console of ${v.name}`, 'data-vm': v.name }, v.output));
        const dl = el('dl', { class: 'counters' });
        for (const [k, val] of counters(v)) dl.append(el('dt', {}, k), el('dd', {}, val));
        card.append(dl);
        return card;
      }),
    );
    for (const pre of box.querySelectorAll('pre')) pre.scrollTop = pre.scrollHeight;
  }
}
