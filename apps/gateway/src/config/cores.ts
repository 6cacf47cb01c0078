import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The cores a CPU quota (a container's `--cpus`, a Kubernetes `limits.cpu`) allows, rounded up, or
 * undefined when there is no quota. Node 20's `os.availableParallelism()` follows the CPU affinity
 * mask only (libuv 1.46), not the cgroup's quota, so a container limited to one CPU on a 16-core
 * host would be told 16. Reads the cgroup v2 `cpu.max` ("max 100000" or "150000 100000": quota and
 * period in µs) and, on cgroup v1, `cpu.cfs_quota_us` (-1: none) over `cpu.cfs_period_us`. See the
 * kernel's docs: Documentation/admin-guide/cgroup-v2.rst ("cpu.max") and
 * Documentation/scheduler/sched-bwc.rst (CFS bandwidth control).
 */
export function quotaCores(files: { cpuMax?: string; cfsQuotaUs?: string; cfsPeriodUs?: string }): number | undefined {
  if (files.cpuMax !== undefined) {
    const [quota, period] = files.cpuMax.trim().split(/\s+/);
    return fromQuota(quota, period);
  }
  if (files.cfsQuotaUs !== undefined) return fromQuota(files.cfsQuotaUs.trim(), files.cfsPeriodUs?.trim());
  return undefined;
}

function fromQuota(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period ?? 100_000);
  if (quota === 'max' || !Number.isFinite(q) || q <= 0 || !Number.isFinite(p) || p <= 0) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

/** Where a container sees its own cgroup (its cgroup namespace puts it at the root). */
const CGROUP_FILES = {
  cpuMax: '/sys/fs/cgroup/cpu.max',
  cfsQuotaUs: '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
  cfsPeriodUs: '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
} as const;

/**
 * How many processes can run at once here: the CPUs this process may be scheduled on, bounded by its
 * cgroup's CPU quota, at most 64. What `apigpt serve` starts one worker per.
 */
export function usableCores(read: (path: string) => string | undefined = readIfThere): number {
  const files = Object.fromEntries(Object.entries(CGROUP_FILES).map(([k, path]) => [k, read(path)]));
  const quota = quotaCores(files);
  return Math.min(64, availableParallelism(), quota ?? Infinity);
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
