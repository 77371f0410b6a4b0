/** The machine the numbers were taken on: they mean nothing without it. */
import { arch, cpus, loadavg, platform } from 'node:os';

export interface HostInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the run started: other work skews the times. */
  readonly load: number;
}

export function hostInfo(): HostInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU',
    cores: list.length,
    node: process.version,
    platform: `${platform()} ${arch()}`,
    load: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
