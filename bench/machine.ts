// Facts about the machine a benchmark ran on, for report headers: CPU model (and x86 family /
// model / stepping where os.cpus() says only "AMD EPYC"), cores, memory, load, engine version.
// Node APIs are reached through dynamic imports; elsewhere what navigator says.

/** The machine and engine a report was measured on. */
export interface MachineInfo {
  cpu: string;
  /** x86 family / model / stepping from /proc/cpuinfo (Linux). */
  cpuId?: string;
  logicalCores: number;
  /** What a program may use (os.availableParallelism(): cgroup and affinity limits). */
  availableParallelism: number;
  totalMemGiB?: number;
  /** 1, 5 and 15 minute load averages when the run started (busy machines read high). */
  loadAvg?: number[];
  platform: string;
  /** e.g. "Node v20.20.2 (V8 11.3.244.8)"; in a page the browser, e.g. "Chrome 142.0.7444.59". */
  engine: string;
  /** In a page: navigator.userAgent. */
  userAgent?: string;
  node?: string;
  v8?: string;
}

async function cpuId(): Promise<string | undefined> {
  try {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises');
    const info = await fs.readFile('/proc/cpuinfo', 'utf8');
    const field = (k: string): string | undefined =>
      new RegExp(`^${k}\\s*: (.*)$`, 'm').exec(info)?.[1];
    const fam = field('cpu family');
    return fam === undefined
      ? undefined
      : `family ${fam} model ${field('model')} stepping ${field('stepping')}`;
  } catch {
    return undefined;
  }
}

/** "Firefox 146.0", "Chrome 142.0.7444.59", ... from a user agent string; else the string. */
function browserName(ua: string): string {
  const known: [string, RegExp][] = [
    ['Edge', /Edg\/([\d.]+)/],
    ['Firefox', /Firefox\/([\d.]+)/],
    ['Chrome', /Chrom(?:e|ium)\/([\d.]+)/],
    ['Safari', /Version\/([\d.]+).*Safari\//],
  ];
  for (const [name, re] of known) {
    const m = re.exec(ua);
    if (m) return `${name} ${m[1]}`;
  }
  return ua;
}

export async function machineInfo(): Promise<MachineInfo> {
  const proc = (globalThis as { process?: { versions?: Record<string, string> } }).process;
  if (!proc?.versions?.node) {
    const nav = globalThis.navigator as { hardwareConcurrency?: number; userAgent?: string };
    const n = nav?.hardwareConcurrency ?? 1;
    const ua = nav?.userAgent;
    return {
      cpu: 'unknown (browser)',
      logicalCores: n,
      availableParallelism: n,
      platform: 'browser',
      engine: ua ? browserName(ua) : 'unknown',
      userAgent: ua,
    };
  }
  const os = await import(/* @vite-ignore */ 'node:os');
  const cpus = os.cpus();
  const v = proc.versions;
  return {
    cpu: cpus[0]?.model?.trim() || 'unknown',
    cpuId: await cpuId(),
    logicalCores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAvg: os.loadavg().map((x) => +x.toFixed(2)),
    platform: `${process.platform} ${process.arch}`,
    engine: `Node ${process.version} (V8 ${v.v8})`,
    node: process.version,
    v8: v.v8,
  };
}

/** One line: CPU (id), cores, memory, load at start. */
export function describeMachine(m: MachineInfo): string {
  return (
    `${m.cpu}${m.cpuId ? ` (${m.cpuId})` : ''}; ${m.logicalCores} logical cores ` +
    `(${m.availableParallelism} usable)${m.totalMemGiB ? `, ${m.totalMemGiB} GiB` : ''}` +
    `${m.loadAvg ? `; load ${m.loadAvg.join(' ')} at start` : ''}`
  );
}
