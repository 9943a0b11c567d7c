import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat CPU times. */
export const CLK_TCK: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
export function cpuTicks(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : undefined;
}

/** This process plus its reaped children (wrk), in clock ticks. */
export function selfTicks(): number {
  const f = statFields('self') ?? [];
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/** Host user + nice + system ticks over all CPUs (irq time is not charged to any process, so left out). */
export function hostBusyTicks(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0);
}

/** Host busy/total ticks, for a background-load sample. */
export function hostTicks(): { busy: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** VmRSS and VmHWM (peak RSS) of a process, in MiB. */
export function memMiB(pid: number | undefined): { rss: number; hwm: number } | undefined {
  if (!pid) return undefined;
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    return { rss: rss ? Number(rss[1]) / 1024 : NaN, hwm: hwm ? Number(hwm[1]) / 1024 : NaN };
  } catch {
    return undefined;
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: number[]): { n: number; mean: number; p50: number; p90: number; p99: number; min: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, mean, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The CPUs this process may run on (from /proc/self/status Cpus_allowed_list). */
export function allowedCpus(): string {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}
