import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { cli, freePort, redisServers } from '../redis-servers.js';

/**
 * The shared state on Redis Sentinel and on a Redis Cluster (issue 19), with real servers this test
 * starts (`redis-server`, as installed): behind Sentinel the gateway follows a failover of the
 * master; on a three-node Cluster its scripts and transactions run on the one slot its prefix's
 * hash tag names.
 */
const servers = redisServers();
const open: TestGateway[] = [];
afterAll(async () => {
  for (const t of open) await t.close();
  servers.stopAll();
});

/** Keys under `prefix` on one node. */
const keysOn = (port: number, prefix: string) => cli(port, '--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean).length;

async function chat(t: TestGateway, key: string) {
  const r = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  await r.text();
  return r.status;
}

describe('Redis Sentinel', () => {
  it('the gateway asks the Sentinel for the master, and keeps serving after the master dies and its replica is promoted', async () => {
    const master = await servers.start([]);
    const replica = await servers.start([]);
    cli(replica.port, 'replicaof', '127.0.0.1', String(master.port));
    const sentinelPort = await freePort();
    const conf = join(servers.dir, `sentinel-${sentinelPort}.conf`);
    writeFileSync(conf, [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${servers.dir}`, `sentinel monitor tm 127.0.0.1 ${master.port} 1`, 'sentinel down-after-milliseconds tm 1000', 'sentinel failover-timeout tm 10000', ''].join('\n'));
    const sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    servers.track(sentinel);
    await eventually(() => expect(cli(sentinelPort, 'sentinel', 'get-master-addr-by-name', 'tm')).toContain(String(master.port)), { timeoutMs: 10_000, intervalMs: 50 });
    await eventually(() => expect(cli(sentinelPort, 'sentinel', 'replicas', 'tm')).toContain(String(replica.port)), { timeoutMs: 20_000, intervalMs: 100 });

    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    // REDIS_URL gives the login only (none here); its host is not the one used.
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, redisUrl: 'redis://127.0.0.1:1', redisSentinels: [`127.0.0.1:${sentinelPort}`], redisSentinelName: 'tm', redisPrefix: prefix, maxConcurrentPerKey: 2 } });
    open.push(t);
    const user = await t.newUserWithKey();
    expect(await chat(t, user.key)).toBe(200);
    // The state is on the master the Sentinel named.
    expect(keysOn(master.port, prefix)).toBeGreaterThan(0);
    // Ready once the SQLite writer thread its first check starts has answered (on a loaded machine a
    // first check can run out of time while it starts: a balancer asks again, and so does this).
    await eventually(async () => expect((await fetch(`${t.url}/readyz`)).status).toBe(200), { timeoutMs: 15_000 });

    // The master dies; the Sentinel promotes the replica; the gateway reconnects to it.
    master.child.kill('SIGKILL');
    await eventually(() => expect(cli(sentinelPort, 'sentinel', 'get-master-addr-by-name', 'tm')).toContain(String(replica.port)), { timeoutMs: 30_000, intervalMs: 100 });
    await eventually(async () => expect(await chat(t, user.key)).toBe(200), { timeoutMs: 20_000, intervalMs: 200 });
    expect(cli(replica.port, 'role')).toMatch(/^master/);
    await eventually(async () => expect((await fetch(`${t.url}/readyz`)).status).toBe(200), { timeoutMs: 15_000 });
    // Stopped now: a Sentinel would turn a server that later takes the dead master's port into a replica.
    open.splice(open.indexOf(t), 1);
    await t.close();
    sentinel.kill('SIGKILL');
    replica.child.kill('SIGKILL');
  }, 120_000);
});

describe('Redis Cluster', () => {
  it('refuses a prefix without a hash tag, saying why', () => {
    expect(() => loadConfig({ env: {}, overrides: { redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: ['127.0.0.1:7000'], redisPrefix: 'apigpt:' } })).toThrow(/must hold a hash tag on a Redis Cluster/);
    expect(() => loadConfig({ env: {}, overrides: { redisClusterNodes: ['127.0.0.1:7000'], redisPrefix: '{apigpt}:' } })).toThrow(/needs REDIS_URL as well/);
  });

  it('on three real nodes: calls are served and charged, limits hold, and every key is on the node serving the prefix’s slot', async () => {
    const nodes = await Promise.all([0, 1, 2].map(async (i) => servers.start(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}-${Date.now()}.conf`, '--cluster-node-timeout', '2000'])));
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    expect(created.status, `${created.stdout}\n${created.stderr}`).toBe(0);
    await eventually(() => expect(cli(nodes[0].port, 'cluster', 'info')).toContain('cluster_state:ok'), { timeoutMs: 20_000, intervalMs: 100 });

    const tag = `apigpt-${randomBytes(4).toString('hex')}`;
    const prefix = `{${tag}}:`;
    const t = await startTestGateway({
      config: { healthProbeIntervalMs: 0, redisUrl: 'redis://127.0.0.1:1', redisClusterNodes: nodes.map((n) => `127.0.0.1:${n.port}`), redisPrefix: prefix, maxConcurrentPerKey: 2 },
    });
    open.push(t);
    const user = await t.newUserWithKey();
    expect((await t.api('PATCH', `/api/keys/${(await t.api('GET', '/api/keys', undefined, { cookie: user.cookie })).body.items[0].id}`, { rpm: 3 }, { cookie: user.cookie })).status).toBe(200);
    const before = (await t.api('GET', '/api/billing/account', undefined, { cookie: user.cookie })).body.balance as number;
    // Three calls in the minute, the fourth refused: the rate window and the balance's holds are scripts on the Cluster.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await chat(t, user.key));
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The balance moves when the calls' log batch commits (on SQLite from a thread the first batch starts).
    await t.flushLogs();
    const after = (await t.api('GET', '/api/billing/account', undefined, { cookie: user.cookie })).body.balance as number;
    expect(after).toBeLessThan(before);
    await eventually(async () => expect((await fetch(`${t.url}/readyz`)).status).toBe(200), { timeoutMs: 15_000 });

    // Every key sits on the node that owns the tag's slot, none elsewhere.
    const slot = Number(cli(nodes[0].port, 'cluster', 'keyslot', tag));
    const counts = nodes.map((n) => keysOn(n.port, prefix));
    expect(counts.filter((c) => c > 0)).toHaveLength(1);
    const owner = nodes[counts.findIndex((c) => c > 0)];
    const keys = cli(owner.port, '--scan', '--pattern', `${prefix}*`).split('\n').filter(Boolean);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(Number(cli(owner.port, 'cluster', 'keyslot', k))).toBe(slot);
  }, 120_000);
});
