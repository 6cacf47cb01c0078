import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startTestGateway, type TestGateway } from '../harness.js';
import { parseProm } from './prom-text.js';
import { EVENT_LOOP_MONITOR_MS } from '../../src/relay/metrics.js';
import { eventually } from '../eventually.js';

/**
 * deploy/ (issue 19): no Helm or Docker binary can be installed here (neither npm nor Debian ships a
 * chart linter), so the files are read as data — YAML parsed, the Dockerfile's stages read — and what
 * they point at is checked against a real gateway: the probes' paths are routes that answer, the
 * dashboard's metrics are metrics the gateway exports.
 */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const CHART = join(DEPLOY, 'helm', 'apigpt');
const read = (...p: string[]) => readFileSync(join(...p), 'utf8');

let t: TestGateway;
const token = 'deploy-test-metrics-token';
beforeAll(async () => {
  t = await startTestGateway({ config: { metricsToken: token } });
});
afterAll(async () => {
  await t?.close();
});

describe('Dockerfile', () => {
  const text = read(DEPLOY, 'Dockerfile');
  const stages = text.split(/^FROM /m).slice(1);

  it('builds in one stage and runs, as a non-root user, from a slim second one', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/ AS build\n/);
    const run = stages[1];
    expect(run).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim\n/);
    expect(run).toMatch(/^USER node$/m);
    // Nothing but what runs is copied from the build stage: no sources, no dev dependencies (pruned).
    expect(stages[0]).toContain('npm prune --omit=dev');
    const copied = [...run.matchAll(/^COPY --from=build \/src\/(\S+) /gm)].map((m) => m[1]);
    expect(copied.some((p) => p.includes('src'))).toBe(false);
    expect(run).toMatch(/^CMD \["node", "apps\/gateway\/bin\/apigpt\.js", "serve"\]$/m);
    expect(run).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
  });

  it('copies files that exist: the workspace manifests, and the built outputs serve reads', () => {
    const sources = [...stages[0].matchAll(/^COPY (?!--)(.+) \S+$/gm)].flatMap((m) => m[1].split(' '));
    for (const s of sources) expect(existsSync(join(ROOT, s)), s).toBe(true);
    // The runtime layout: bin/apigpt.js loads the bundle dist/bundle/main.js (apps/gateway/scripts/bundle.mjs, inside dist, which the image copies); the console is served from apps/console/dist.
    expect(read(ROOT, 'apps/gateway/bin/apigpt.js')).toContain("'../dist/bundle/main.js'");
    expect(read(ROOT, 'apps/gateway/src/http/console.ts')).toContain("'../../../console/dist'");
    // Every workspace the lockfile knows has its manifest copied before `npm ci`.
    const workspaces = JSON.parse(read(ROOT, 'package.json')).workspaces as string[];
    for (const w of workspaces) expect(stages[0], w).toContain(`COPY ${w}/package.json ${w}/`);
  });
});

describe('compose file', () => {
  // `<<: *gateway`: the gateways share one definition (YAML merge keys, as Compose reads them).
  const compose = parseYaml(read(DEPLOY, 'compose.yaml'), { merge: true }) as { services: Record<string, any> };

  it('two gateways on one PostgreSQL and one Redis, behind a balancer, each checked on /readyz', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['balancer', 'gateway-1', 'gateway-2', 'postgres', 'redis']);
    for (const name of ['gateway-1', 'gateway-2']) {
      const g = compose.services[name];
      expect(g.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(g.environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(g.environment.REDIS_URL).toBe('redis://redis:6379');
      // One secret for all: it seals the provider keys every gateway must open.
      expect(g.environment.APIGPT_SECRET).toMatch(/^\$\{APIGPT_SECRET:\?/);
      expect(g.healthcheck.test.join(' ')).toContain('/readyz');
      expect(g.volumes[0]).toMatch(new RegExp(`^${name}:/data$`));
    }
    expect(compose.services['gateway-2'].depends_on['gateway-1']).toEqual({ condition: 'service_healthy' });
    const nginx = read(DEPLOY, 'nginx.conf');
    expect(nginx).toMatch(/server gateway-1:3000/);
    expect(nginx).toMatch(/server gateway-2:3000/);
    expect(nginx).toMatch(/proxy_buffering off/);
  });
});

describe('Helm chart', () => {
  const values = parseYaml(read(CHART, 'values.yaml')) as { probes: Record<string, { path: string }>; autoscaling: { enabled: boolean }; secrets: Record<string, string> };
  const templates = readdirSync(join(CHART, 'templates'));

  it('Chart.yaml and values.yaml parse; the templates open and close every block', () => {
    const chart = parseYaml(read(CHART, 'Chart.yaml')) as { apiVersion: string; name: string; version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'apigpt' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const f of templates) {
      const text = read(CHART, 'templates', f);
      const actions = [...text.matchAll(/\{\{-?\s*(.*?)\s*-?\}\}/gs)].map((m) => m[1]);
      expect(text.split('{{').length, f).toBe(text.split('}}').length);
      const opened = actions.filter((a) => /^(if|with|range|define)\b/.test(a)).length;
      const closed = actions.filter((a) => /^end\b/.test(a)).length;
      expect(closed, `${f}: blocks opened and closed`).toBe(opened);
    }
    expect(Object.keys(values.secrets)).toEqual(expect.arrayContaining(['APIGPT_SECRET', 'DATABASE_URL', 'REDIS_URL']));
  });

  it('the probes point at routes the gateway serves: liveness /healthz, readiness /readyz, and the Deployment uses them', async () => {
    expect(values.probes.liveness.path).toBe('/healthz');
    expect(values.probes.readiness.path).toBe('/readyz');
    // Readiness as a balancer sees it: asked again until the process is ready (just started, its
    // log writer may still be opening).
    for (const p of Object.values(values.probes))
      await eventually(async () => {
        const res = await fetch(`${t.url}${p.path}`);
        expect(res.status, `${p.path}: ${await res.text()}`).toBe(200);
      }, { timeoutMs: 10_000, intervalMs: 200 });
    const deployment = read(CHART, 'templates', 'deployment.yaml');
    for (const [probe, key] of [['livenessProbe', 'liveness'], ['readinessProbe', 'readiness'], ['startupProbe', 'startup']])
      expect(deployment).toMatch(new RegExp(`${probe}:\\n\\s+httpGet:\\n\\s+path: \\{\\{ \\.Values\\.probes\\.${key}\\.path \\}\\}`));
    expect(deployment).toMatch(/runAsNonRoot: true/);
    // Several replicas without Redis are refused at render time, as `serve --workers` refuses them.
    expect(deployment).toMatch(/if or \(gt \(int \.Values\.replicaCount\) 1\) \.Values\.autoscaling\.enabled \}\}\n.*not \.Values\.secrets\.REDIS_URL.*\n\{\{- fail "more than one replica/);
  });

  it('an HPA on CPU, and a Service to the pods', () => {
    expect(values.autoscaling.enabled).toBe(true);
    expect(read(CHART, 'templates', 'hpa.yaml')).toMatch(/kind: HorizontalPodAutoscaler[\s\S]*name: cpu/);
    expect(read(CHART, 'templates', 'service.yaml')).toMatch(/kind: Service[\s\S]*targetPort: http/);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = () => JSON.parse(read(DEPLOY, 'grafana-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const queries = () => dashboard().panels.flatMap((p) => p.targets.map((x) => x.expr));
  const scrape = async () => parseProm(await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text());

  it('parses, and every metric its queries use is one the gateway exports', async () => {
    expect(dashboard().panels.length).toBeGreaterThan(10);
    const exprs = queries();
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:apigpt|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1])));
    const exported = await scrape();
    const families = new Set(exported.types.keys());
    const missing = [...used].filter((name) => !families.has(name) && !families.has(name.replace(/_(bucket|sum|count)$/, '')));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(12);
  });

  it("shows prom-client's event-loop p99 less the monitor's own period, which every one of its values includes", async () => {
    const exprs = queries().filter((e) => e.includes('nodejs_eventloop_lag'));
    expect(exprs).toEqual([`max by (instance) (nodejs_eventloop_lag_p99_seconds) - ${EVENT_LOOP_MONITOR_MS / 1000}`]);
    // Why: Node's monitor records the time between two runs of its timer, so a gateway that is not
    // busy at all still reads about one period (never much less: a timer does not fire early).
    // Each scrape starts the monitor's window again: one taken within a period of the last has no
    // sample yet (p50 0), so the check waits for a window that has some.
    await eventually(async () => {
      const p50 = (await scrape()).find('nodejs_eventloop_lag_p50_seconds')[0].value;
      expect(p50).toBeGreaterThanOrEqual((0.9 * EVENT_LOOP_MONITOR_MS) / 1000);
    }, { timeoutMs: 10_000, intervalMs: 50 });
  });
});
