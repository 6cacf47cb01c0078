/**
 * AGIEditor (packages/editor) in a real headless Chromium against a real gateway (SQLite, the
 * simulator upstream, streaming paced at 150 ms a chunk so a stream is seen landing): the demo page
 * at /editor/, typing and selecting, "polish" streamed into the document, accept, one undo, discard
 * and stop, an image generated and inserted with its cost, the balance, a key used from a foreign
 * page (refused by the preflight, then by the key's own origin list, then allowed), no credit and
 * rate-limit errors with the text intact, IME composition during a stream, Markdown round trip,
 * a Word paste, and a 10,000-word document. Screenshots go to test-artifacts/editor/.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, startTestGateway, type TestGateway } from '../harness.js';
import { ensureEditorBuilt } from './editor-build.js';

const SHOTS = fileURLToPath(new URL('../../../../test-artifacts/editor/', import.meta.url));
const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout });
const ORIGINAL = 'The report were finished late because the team have too many meeting.';

describe('AGIEditor (Chromium)', { timeout: 120_000 }, () => {
  let t: TestGateway;
  let browser: Browser;
  let ctx: BrowserContext;
  let user: { cookie: string; key: string; keyId: string };
  /** A page on another origin that loads the bundle from the gateway, as a customer's site would. */
  let foreign: Server;
  let foreignUrl = '';
  const pageErrors: string[] = [];

  const keyPatch = async (keyId: string, cookie: string, patch: Record<string, unknown>) => {
    const r = await t.api('PATCH', `/api/keys/${keyId}`, patch, { cookie });
    expect(r.status).toBe(200);
  };
  const newKeyUser = async () => {
    const u = await t.newUserWithKey();
    const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: u.cookie });
    return { cookie: u.cookie, key: u.key, keyId: keys.body.items[0].id };
  };

  /** A fresh tab on the demo page with the key applied. */
  const openDemo = async (key: string, opts: { lang?: string; url?: string; csp?: 'report' | 'expected' } = {}): Promise<Page> => {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // The demo page has the gateway's content security policy: whatever it blocks is an error, but
    // for the test that pastes hostile HTML and links a foreign image on purpose.
    page.on('console', (m) => {
      if (opts.csp !== 'expected' && /Content Security Policy/i.test(m.text())) pageErrors.push(`CSP: ${m.text()}`);
    });
    page.setDefaultTimeout(30_000);
    await page.goto(opts.url ?? `${t.url}/editor/`);
    await page.locator('agi-editor .ProseMirror').waitFor();
    await page.fill('#api-key', key);
    await page.fill('#model', 'gpt-4o-mini');
    await page.fill('#image-model', 'stable-diffusion-xl');
    await page.selectOption('#lang', opts.lang ?? 'en');
    await page.click('#apply');
    return page;
  };
  const md = (page: Page) => page.evaluate(() => document.querySelector('agi-editor')!.getMarkdown());
  const text = (page: Page) => page.evaluate(() => document.querySelector('agi-editor')!.getText());
  /** Types one paragraph as a user does: into the editor, replacing what is there. */
  const typeDoc = async (page: Page, content: string) => {
    await page.click('agi-editor .ProseMirror');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(content);
  };
  const events = (page: Page) =>
    page.evaluate(() => {
      const w = window as unknown as { agiEvents?: { type: string; detail: Record<string, unknown> }[] };
      if (!w.agiEvents) {
        w.agiEvents = [];
        const el = document.querySelector('agi-editor')!;
        for (const type of ['change', 'ai-start', 'ai-done', 'ai-error', 'ai-accept', 'ai-discard'])
          el.addEventListener(type, (e) => w.agiEvents!.push({ type, detail: { ...(e as CustomEvent).detail } }));
      }
    });
  const eventLog = (page: Page) =>
    page.evaluate(() => ((window as unknown as { agiEvents?: { type: string; detail: Record<string, unknown> }[] }).agiEvents ?? []).filter((e) => e.type !== 'change'));
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    ensureEditorBuilt();
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestGateway({
      simulator: { defaults: { chunkDelayMs: 150, chunks: 8 } },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'sim', baseUrl: `${sim.url}/v1`, models: DEFAULT_MODELS },
        // A1111 WebUI on the simulator: real PNGs through /v1/images/generations.
        { provider: 'sd-webui', name: 'sd', baseUrl: sim.url, models: ['stable-diffusion-xl'] },
      ],
    });
    expect((await t.api('PUT', '/api/admin/prices/stable-diffusion-xl', { input: 0, output: 0, perImage: 2 }, { token: t.rootToken })).status).toBe(200);
    user = await newKeyUser();
    // The browser key: only from the gateway's own pages (the demo), as the README shows.
    await keyPatch(user.keyId, user.cookie, { origins: [t.url] });

    foreign = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><script type="module" src="${t.url}/editor/agi-editor.js"></script></head>
<body><agi-editor base-url="${t.url}" model="gpt-4o-mini" lang="en"><p>${ORIGINAL}</p></agi-editor></body></html>`);
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((r) => (foreign ? foreign.close(r) : r(undefined)));
  });

  it('serves the bundle to any page (CORS module script) and the demo page with the page headers', async () => {
    const js = await fetch(`${t.url}/editor/agi-editor.js`, { headers: { origin: 'https://blog.example.com' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('access-control-allow-origin')).toBe('*');
    expect((await js.text()).length).toBeGreaterThan(10_000);
    const demo = await fetch(`${t.url}/editor/`);
    expect(demo.status).toBe(200);
    expect(demo.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await demo.text()).toContain('<agi-editor');
    const bare = await fetch(`${t.url}/editor`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/editor/']);
    expect((await fetch(`${t.url}/editor/../package.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/editor/nope.js`)).status).toBe(404);
  });

  it('polish: the answer streams into the document, accept replaces the selection, one undo brings it back', async () => {
    const page = await openDemo(user.key);
    await events(page);
    await typeDoc(page, ORIGINAL);
    expect(await text(page)).toBe(ORIGINAL);
    // Select the sentence with the keyboard, as a writer does.
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.evaluate(() => {
      const w = window as unknown as { seen: { length: number; replaced: string }[] };
      w.seen = [];
      const el = document.querySelector('agi-editor')!;
      new MutationObserver(() => {
        const s = el.querySelector('.ProseMirror .agi-suggestion')?.textContent ?? '';
        const stop = el.querySelector<HTMLElement>('.agi-stop');
        if (s && stop && !stop.hidden && !el.querySelector<HTMLElement>('.agi-review')!.hidden) w.seen.push({ length: s.length, replaced: el.querySelector('.ProseMirror .agi-replaced')?.textContent ?? '' });
      }).observe(el, { subtree: true, childList: true, characterData: true });
    });
    await page.click('agi-editor .agi-panel button[data-ai="polish"]');
    // Every state the document passed through while the answer streamed, recorded in the page as it
    // changed (a mutation observer: no polling to miss a state).
    await page.locator('agi-editor .agi-accept').waitFor({ state: 'visible' });
    const seen = await page.evaluate(() => (window as unknown as { seen: { length: number; replaced: string }[] }).seen);
    const lengths = [...new Set(seen.map((x) => x.length))];
    expect(lengths.length).toBeGreaterThan(2); // arrived in pieces, each in the document as it came
    expect(seen.every((x) => x.replaced === ORIGINAL)).toBe(true); // the original struck through meanwhile
    // The whole answer lands and waits for review.
    await page.locator('agi-editor .agi-accept').waitFor({ state: 'visible' });
    const suggestion = (await page.locator('agi-editor .ProseMirror .agi-suggestion').allTextContents()).join('');
    expect(suggestion).toMatch(/^This is a simulated reply to ".+"\. The quick brown fox jumps over the lazy dog\.$/);
    // Under review, the document the page reads is still the user's.
    expect(await md(page)).toBe(ORIGINAL);
    await shot(page, 'en-review');
    await page.click('agi-editor .agi-accept');
    expect(await text(page)).toBe(suggestion);
    expect(await page.locator('agi-editor .ProseMirror .agi-suggestion').count()).toBe(0);
    // One undo step: the original sentence, exactly.
    await page.click('agi-editor .ProseMirror');
    await page.keyboard.press('ControlOrMeta+z');
    expect(await text(page)).toBe(ORIGINAL);
    await page.keyboard.press('ControlOrMeta+Shift+z');
    expect(await text(page)).toBe(suggestion);

    const log = await eventLog(page);
    expect(log.map((e) => e.type)).toEqual(['ai-start', 'ai-done', 'ai-accept']);
    expect(log[0].detail).toEqual({ command: 'polish', model: 'gpt-4o-mini' });
    expect(log[1].detail).toMatchObject({ command: 'polish', model: 'gpt-4o-mini', text: suggestion, stopped: false });
    // The cost of the action, from the usage and the account's price, shown in P; the balance too.
    const cost = log[1].detail.cost as number;
    expect(cost).toBeGreaterThan(0);
    await poll(() => page.locator('agi-editor [data-status="cost"]').textContent()).toBe(`${Number(cost.toFixed(6))} P`);
    await poll(() => page.locator('agi-editor [data-status="balance"]').textContent()).toMatch(/^\d+(\.\d+)? P$/);
    await t.flushLogs();
    // The charge the gateway logged is the cost the editor showed.
    const calls = await t.api<{ items: { cost: number; model_requested: string }[] }>('GET', '/api/logs?limit=5', undefined, { cookie: user.cookie });
    expect(calls.body.items.find((c) => c.model_requested === 'gpt-4o-mini')?.cost).toBe(cost);
    await page.close();
  });

  it('discard and stop: the document is as it was, and a stopped answer can still be accepted', async () => {
    const page = await openDemo(user.key);
    await events(page);
    await typeDoc(page, ORIGINAL);
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.click('agi-editor .agi-panel button[data-ai="shorten"]');
    await page.locator('agi-editor .agi-accept').waitFor({ state: 'visible' });
    await page.click('agi-editor .agi-discard');
    expect(await text(page)).toBe(ORIGINAL);
    expect(await page.locator('agi-editor .agi-suggestion, agi-editor .agi-replaced').count()).toBe(0);
    // Nothing was added to the history: undo has nothing of the AI's to take back.
    await page.click('agi-editor .ProseMirror');
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    // Stop is pressed as soon as the first piece is in the document (from inside the page, so the
    // press cannot come after the stream's end).
    await page.evaluate(() => {
      const el = document.querySelector('agi-editor')!;
      const mo = new MutationObserver(() => {
        if ((el.querySelector('.ProseMirror .agi-suggestion')?.textContent ?? '').length > 0) {
          mo.disconnect();
          el.querySelector<HTMLButtonElement>('.agi-stop')!.click();
        }
      });
      mo.observe(el, { subtree: true, childList: true, characterData: true });
    });
    await page.click('agi-editor .agi-panel button[data-ai="expand"]');
    await page.locator('agi-editor .agi-accept').waitFor({ state: 'visible' });
    const partial = (await page.locator('agi-editor .ProseMirror .agi-suggestion').allTextContents()).join('');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial).not.toMatch(/lazy dog\.$/);
    await page.click('agi-editor .agi-accept');
    expect(await text(page)).toBe(partial.trim());
    const log = await eventLog(page);
    expect(log.map((e) => e.type)).toEqual(['ai-start', 'ai-done', 'ai-discard', 'ai-start', 'ai-done', 'ai-accept']);
    expect(log[4].detail).toMatchObject({ command: 'expand', stopped: true });
    await page.close();
  });

  it('generates an image from a prompt and inserts it at the cursor, with the cost the gateway stated', async () => {
    const page = await openDemo(user.key);
    await events(page);
    await typeDoc(page, 'A lighthouse at dawn');
    await page.fill('agi-editor textarea[name="image-prompt"]', 'a lighthouse at dawn, watercolor');
    await page.click('agi-editor .agi-panel button[data-ai="image"]');
    const img = page.locator('agi-editor .ProseMirror img');
    await img.waitFor();
    expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(await img.getAttribute('alt')).toBe('a lighthouse at dawn, watercolor');
    // The image is real: the browser decoded it.
    await poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
    await poll(() => page.locator('agi-editor [data-status="cost"]').textContent()).toBe('2 P');
    const log = await eventLog(page);
    expect(log.map((e) => e.type)).toEqual(['ai-start', 'ai-done']);
    expect(log[1].detail).toMatchObject({ command: 'image', model: 'stable-diffusion-xl', cost: 2 });
    expect(await md(page)).toMatch(/^A lighthouse at dawn\n\n!\[a lighthouse at dawn, watercolor\]\(data:image\/png;base64,/);
    // One undo takes the image out again.
    await page.click('agi-editor .ProseMirror p');
    await page.keyboard.press('ControlOrMeta+z');
    expect(await page.locator('agi-editor .ProseMirror img').count()).toBe(0);
    expect(await text(page)).toBe('A lighthouse at dawn');
    await page.close();
  });

  it('a key used from a page its origin list does not name is refused; the editor says so and the text is intact', async () => {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(foreignUrl);
    await page.locator('agi-editor .ProseMirror').waitFor();
    await page.evaluate((key) => document.querySelector('agi-editor')!.setAttribute('api-key', key), user.key);
    await events(page);
    const runPolish = async () => {
      await page.click('agi-editor .ProseMirror');
      await page.keyboard.press('ControlOrMeta+a');
      await page.click('agi-editor .agi-panel button[data-ai="polish"]');
      await page.locator('agi-editor .agi-error').waitFor({ state: 'visible' });
    };
    // No key allows this origin: the gateway refuses the preflight, the key is never sent.
    const preflight = await fetch(`${t.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: foreignUrl, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    await runPolish();
    expect(await page.locator('agi-editor .agi-error').getAttribute('data-kind')).toBe('origin');
    expect(await page.locator('agi-editor .agi-error').textContent()).toContain('not allowed to use this key');
    expect(await text(page)).toBe(ORIGINAL);
    expect(await page.locator('agi-editor .agi-suggestion').count()).toBe(0);
    await shot(page, 'en-origin-refused');

    // Another key allows this origin, so the preflight passes; this key's own list still refuses it.
    const other = await newKeyUser();
    await keyPatch(other.keyId, other.cookie, { origins: [foreignUrl] });
    await page.click('agi-editor .agi-error button');
    await runPolish();
    expect(await page.locator('agi-editor .agi-error').getAttribute('data-kind')).toBe('origin');
    expect(await page.locator('agi-editor .agi-error small').textContent()).toContain(`may not be used from the origin ${foreignUrl}`);
    expect(await text(page)).toBe(ORIGINAL);
    const errors = (await eventLog(page)).filter((e) => e.type === 'ai-error');
    expect(errors.map((e) => [e.detail.kind, e.detail.status, e.detail.code])).toEqual([
      ['origin', 0, null],
      ['origin', 403, 'origin_not_allowed'],
    ]);

    // Once the key names this page, the same page works cross-origin, streamed.
    await keyPatch(user.keyId, user.cookie, { origins: [t.url, foreignUrl] });
    await page.click('agi-editor .agi-error button');
    await page.click('agi-editor .ProseMirror');
    await page.keyboard.press('ControlOrMeta+a');
    await page.click('agi-editor .agi-panel button[data-ai="polish"]');
    await page.locator('agi-editor .agi-accept').waitFor({ state: 'visible' });
    await page.click('agi-editor .agi-accept');
    expect(await text(page)).toMatch(/^This is a simulated reply/);
    // The balance is read cross-origin too (GET /api/billing/account answers CORS for the key's pages).
    await poll(() => page.locator('agi-editor [data-status="balance"]').count()).toBe(1);
    await keyPatch(user.keyId, user.cookie, { origins: [t.url] });
    await page.close();
  });

  it('no credit and a rate limit are shown inside the editor, in its language, and the text is kept', async () => {
    const limited = await newKeyUser();
    await keyPatch(limited.keyId, limited.cookie, { origins: [t.url], creditLimit: 0.000001 });
    const page = await openDemo(limited.key, { lang: 'zh-CN' });
    await events(page);
    await typeDoc(page, ORIGINAL);
    await page.keyboard.press('ControlOrMeta+a');
    await page.click('agi-editor .agi-panel button[data-ai="polish"]');
    const error = page.locator('agi-editor .agi-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.getAttribute('data-kind')).toBe('credit');
    expect(await error.locator('p').evaluate((p) => p.firstChild!.textContent)).toBe('余额不足，无法执行此操作。请充值，或请页面所有者提高该密钥的额度。 您的文字未被改动。');
    expect(await text(page)).toBe(ORIGINAL);
    await shot(page, 'zh-CN-credit-error');

    await keyPatch(limited.keyId, limited.cookie, { creditLimit: null, rpm: 1 });
    await page.click('agi-editor .agi-error button');
    // One call a minute: the first goes through (discarded), a later one is refused. The window may
    // roll over between two calls, so the editor is asked until it shows the refusal (3 calls span
    // at most two windows).
    for (let i = 0; i < 3 && (await error.isHidden()); i++) {
      await page.click('agi-editor .ProseMirror');
      await page.keyboard.press('ControlOrMeta+a');
      await page.click('agi-editor .agi-panel button[data-ai="fixGrammar"]');
      await page.waitForFunction(() => {
        const shown = (sel: string) => !document.querySelector<HTMLElement>(`agi-editor ${sel}`)!.hidden;
        return (shown('.agi-review') && shown('.agi-accept')) || shown('.agi-error');
      });
      if (await error.isHidden()) await page.click('agi-editor .agi-discard');
    }
    await error.waitFor({ state: 'visible' });
    expect(await error.getAttribute('data-kind')).toBe('rate_limit');
    expect(await text(page)).toBe(ORIGINAL);
    const errs = (await eventLog(page)).filter((e) => e.type === 'ai-error').map((e) => [e.detail.kind, e.detail.status]);
    expect(errs).toEqual([
      ['credit', 429],
      ['rate_limit', 429],
    ]);
    await page.close();
  });

  it('IME composition is not broken by a stream landing meanwhile', async () => {
    const page = await openDemo(user.key, { lang: 'zh-CN' });
    await typeDoc(page, '第一段。');
    await page.keyboard.press('Enter');
    await page.keyboard.type('第二段');
    // Continue writing at the end of the first paragraph while the user composes in the second.
    await page.evaluate(() => {
      const el = document.querySelector('agi-editor')!;
      const ed = el.editor!;
      ed.commands.setTextSelection(ed.state.doc.child(0).nodeSize - 1);
      void el.runCommand('continueWriting');
    });
    await page.waitForFunction(() => (document.querySelector('agi-editor .ProseMirror .agi-suggestion')?.textContent ?? '').length > 0);
    // The caret goes to the end of the second paragraph; an IME composition starts there.
    await page.evaluate(() => {
      const ed = document.querySelector('agi-editor')!.editor!;
      ed.commands.focus('end');
    });
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'z', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.imeSetComposition', { text: 'zhong', selectionStart: 5, selectionEnd: 5 });
    const during = await page.evaluate(() => document.querySelector('agi-editor')!.editor!.view.composing);
    expect(during).toBe(true);
    // While composing, streamed pieces wait: the suggestion does not grow under the IME.
    const frozen = await page.locator('agi-editor .agi-suggestion').allTextContents();
    await page.locator('agi-editor .agi-accept').waitFor({ state: 'visible' }); // the stream ended meanwhile
    expect(await page.locator('agi-editor .agi-suggestion').allTextContents()).toEqual(frozen);
    await cdp.send('Input.insertText', { text: '中文' });
    // Committed: the composed text is there once, and the rest of the answer lands after compositionend.
    await poll(() => page.locator('agi-editor .agi-suggestion').allTextContents().then((a) => a.join(''))).toMatch(/lazy dog\.$/);
    const t2 = await text(page);
    expect(t2.split('\n\n')[1]).toBe('第二段中文');
    await page.click('agi-editor .agi-accept');
    const paras = (await text(page)).split('\n\n');
    expect(paras[0]).toMatch(/^第一段。This is a simulated reply to/);
    expect(paras[1]).toBe('第二段中文');
    await page.close();
  });

  it('Markdown round trip, HTML export and a Word paste', async () => {
    const page = await openDemo(user.key, { csp: 'expected' });
    const source = [
      '# Title',
      '',
      'Some **bold**, *italic*, ~~struck~~ and `code` with a [link](https://example.com).',
      '',
      '## Lists',
      '',
      '- one',
      '- two',
      '  - nested',
      '',
      '1. first',
      '2. second',
      '',
      '> A quote.',
      '',
      '```js',
      'const x = 1;',
      '```',
      '',
      '| Name | Value |',
      '| ---- | ----- |',
      '| a    | 1     |',
      '',
      '![alt text](https://example.com/a.png)',
      '',
      '中文段落，带**粗体**。',
    ].join('\n');
    await page.evaluate((s) => document.querySelector('agi-editor')!.setContent(s, 'markdown'), source);
    const out = await md(page);
    expect(out).toBe(source);
    // Again through the editor: a fixed point.
    await page.evaluate((s) => document.querySelector('agi-editor')!.setContent(s, 'markdown'), out);
    expect(await md(page)).toBe(source);
    const html = await page.evaluate(() => document.querySelector('agi-editor')!.getHTML());
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toMatch(/<table[^>]*>/);
    expect(html).toContain('<a target="_blank" rel="noopener noreferrer nofollow" href="https://example.com">link</a>');

    // Markdown shortcuts while typing.
    await typeDoc(page, '## Heading typed');
    await page.keyboard.press('Enter');
    await page.keyboard.type('- item typed');
    expect(await md(page)).toBe('## Heading typed\n\n- item typed');

    // A paste from Word: its list paragraphs become a list, its styles and event handlers go.
    const word = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><!--StartFragment-->
<p class=MsoNormal style='margin:0cm;font-family:Calibri'><b>Quarterly</b> notes<o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>·<span>&nbsp;&nbsp;</span></span><![endif]>Revenue up<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='mso-list:l0 level1 lfo1'><![if !supportLists]><span style='mso-list:Ignore'>·<span>&nbsp;&nbsp;</span></span><![endif]>Costs down<o:p></o:p></p>
<p class=MsoNormal>&nbsp;</p>
<p><img src="x" onerror="window.pwned=1">Done</p><!--EndFragment--></body></html>`;
    await typeDoc(page, '');
    await page.evaluate((h) => {
      const dt = new DataTransfer();
      dt.setData('text/html', h);
      dt.setData('text/plain', 'Quarterly notes');
      document.querySelector('agi-editor .ProseMirror')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, word);
    // Images are blocks here: the picture and the text after it become two.
    expect(await md(page)).toBe('**Quarterly** notes\n\n- Revenue up\n- Costs down\n\n![](x)\n\nDone');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('agi-editor .ProseMirror [style], agi-editor .ProseMirror [onerror], agi-editor .ProseMirror [class^="Mso"]').count()).toBe(0);
    await page.close();
  });

  it('a 10,000-word document loads, types and counts', async () => {
    const page = await openDemo(user.key);
    const paragraphs = Array.from({ length: 500 }, (_, i) => `Paragraph ${i} ${'lorem ipsum dolor sit amet consectetur adipiscing elit sed '.repeat(2).trim()}`);
    // 2 + 18 words per paragraph: 10,000 words.
    const source = paragraphs.join('\n\n');
    const loadMs = await page.evaluate((s) => {
      const t0 = performance.now();
      document.querySelector('agi-editor')!.setContent(s, 'markdown');
      return performance.now() - t0;
    }, source);
    await poll(() => page.locator('agi-editor .agi-footer').textContent()).toBe('10,000 words');
    await page.evaluate(() => document.querySelector('agi-editor')!.editor!.commands.focus('end'));
    // TipTap focuses the view in the next animation frame: a key sent before that lands outside the
    // editor (under CI load the first space went to the page and "sed and" became "sedand").
    await poll(() => page.evaluate(() => document.querySelector('agi-editor')!.editor!.view.hasFocus())).toBe(true);
    const t0 = Date.now();
    await page.keyboard.type(' and more');
    const typeMs = Date.now() - t0;
    await poll(() => page.locator('agi-editor .agi-footer').textContent()).toBe('10,002 words');
    expect((await md(page)).endsWith('elit sed and more')).toBe(true);
    // One keystroke's own cost in the page: the transaction, the editor's plugins, the DOM update and
    // a forced layout, median of 50 (what the user feels, without the test driver's round trips).
    const keyMs = await page.evaluate(() => {
      const view = document.querySelector('agi-editor')!.editor!.view;
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        view.dispatch(view.state.tr.insertText('x'));
        void (view.dom as HTMLElement).offsetHeight;
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[25];
    });
    // Reported, not asserted (shared CI machines): the numbers a reader of the log can judge.
    console.log(`10,000 words: setContent ${loadMs.toFixed(0)} ms, typing 9 characters through the driver ${typeMs} ms, one keystroke in the page ${keyMs.toFixed(2)} ms (median)`);
    await page.close();
  });

  it('looks right in English and in Chinese (screenshots)', async () => {
    for (const lang of ['en', 'zh-CN']) {
      const page = await openDemo(user.key, { lang });
      await poll(() => page.locator('agi-editor [data-status="balance"]').count()).toBe(1);
      const labels = await page.locator('agi-editor .agi-panel button[data-ai]').allTextContents();
      expect(labels.slice(0, 2)).toEqual(lang === 'en' ? ['Polish', 'Shorten'] : ['润色', '缩写']);
      expect(await page.locator('agi-editor .agi-panel h3').textContent()).toContain(lang === 'en' ? 'AI writing' : 'AI 写作');
      await shot(page, `${lang}-demo`);
      await page.close();
    }
    // Dark theme, by attribute.
    const page = await openDemo(user.key);
    await page.selectOption('#theme', 'dark');
    await page.click('#apply');
    expect(await page.locator('agi-editor .agi-frame').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(13, 17, 23)');
    await shot(page, 'en-dark');
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
