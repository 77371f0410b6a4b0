/**
 * Several VMs, one terminal: each VM's console output becomes whole lines
 * prefixed with the VM's name, so interleaved output stays readable. (With
 * --console-dir each VM gets a file of its own instead.)
 */

export class ConsoleMux {
  private readonly partial = new Map<string, string>();
  private readonly decoder = new Map<string, InstanceType<typeof TextDecoder>>();

  constructor(private readonly write: (text: string) => void, private readonly color: (name: string) => string = (n) => n) {}

  push(vm: string, bytes: Uint8Array): void {
    let dec = this.decoder.get(vm);
    if (!dec) this.decoder.set(vm, (dec = new TextDecoder()));
    const text = (this.partial.get(vm) ?? '') + dec.decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.partial.set(vm, lines.pop()!);
    if (lines.length > 0) this.write(lines.map((l) => `${this.color(`[${vm}]`)} ${l}\n`).join(''));
  }

  /** Emit what is left of unfinished lines. */
  flush(): void {
    for (const [vm, rest] of this.partial) if (rest.length > 0) this.write(`${this.color(`[${vm}]`)} ${rest}\n`);
    this.partial.clear();
  }
}
