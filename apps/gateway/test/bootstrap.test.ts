import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator } from '@apigpt/simulator';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/core/logger.js';
import { startGateway } from '../src/gateway.js';

/** Provider keys in the environment become channels at the first start, and only then. */
describe('channels from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-boot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates one channel per configured provider, discovers an OpenAI-style server’s models, prices them, and makes no demo', async () => {
    const sim = await startSimulator();
    const env = {
      APIGPT_DATA_DIR: dir,
      APIGPT_LOG_LEVEL: 'silent',
      ANTHROPIC_API_KEY: 'sk-ant-x',
      GEMINI_API_KEY: 'g-key',
      ZHIPUAI_API_KEY: 'id.secret',
      ZHIPUAI_AUTH: 'jwt',
      AZURE_OPENAI_API_KEY: 'az-key',
      AZURE_OPENAI_ENDPOINT: 'https://example.openai.azure.com',
      AZURE_OPENAI_DEPLOYMENTS: 'gpt-4o=prod-4o,gpt-4o-mini=mini',
      CHATGLM_BASE_URL: 'http://127.0.0.1:8000/v1',
      SD_WEBUI_URL: 'http://127.0.0.1:7860',
      STABILITY_API_KEY: 'sk-stab',
      OPENAI_COMPATIBLE_BASE_URL: `${sim.url}/v1`,
    };
    const config = loadConfig({ env, file: undefined, overrides: { port: 0, host: '127.0.0.1' } });
    const gw = await startGateway(config, { log: createLogger('silent'), listen: false });
    try {
      const list = await gw.services.channels.list();
      const byKind = Object.fromEntries(list.map((c) => [c.provider, c]));
      expect(Object.keys(byKind).sort()).toEqual(['anthropic', 'azure', 'chatglm', 'gemini', 'openai-compatible', 'sd-webui', 'stability', 'zhipu']);
      expect(list.some((c) => c.simulated)).toBe(false);
      expect(byKind.azure.modelMap).toEqual({ 'gpt-4o': 'prod-4o', 'gpt-4o-mini': 'mini' });
      expect(byKind.zhipu.settings).toMatchObject({ zhipuAuth: 'jwt' });
      expect(list.every((c) => c.hasSecret === !['chatglm', 'sd-webui', 'openai-compatible'].includes(c.provider))).toBe(true);
      // Asked from the server's own /models.
      const discovered = byKind['openai-compatible'].models;
      expect(discovered.length).toBeGreaterThan(0);
      // Every model of these channels can be billed from the first call.
      for (const c of list) for (const m of [...c.models, ...Object.keys(c.modelMap)]) expect(await gw.services.billing.prices.require(m)).toBeTruthy();
    } finally {
      await gw.close();
    }
    // A second start does not add them again.
    const again = await startGateway(config, { log: createLogger('silent'), listen: false });
    try {
      expect((await again.services.channels.list()).length).toBe(8);
    } finally {
      await again.close();
      await sim.close();
    }
  });
});
