/**
 * The admins' content-safety API against a real gateway (SQLite and PostgreSQL): rules made,
 * changed, imported into, tested and deleted; invalid rules refused; a rule limited to a user group
 * applying to that group's callers only; changes taking effect on the next call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';

for (const db of DB_KINDS) {
  describe(`content-safety admin API (${db})`, () => {
    let t: TestGateway;
    const root = () => ({ token: t.rootToken });

    beforeAll(async () => {
      t = await startTestGateway({ db });
    });
    afterAll(() => t?.close());

    async function chat(key: string, text: string): Promise<number> {
      const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }) });
      await res.arrayBuffer();
      return res.status;
    }

    it('makes, lists, changes and deletes a rule; each change applies to the next call', async () => {
      const { key } = await t.newUserWithKey();
      expect(await chat(key, 'tell me about blorptastic things')).toBe(200);
      const made = await t.api<{ id: string; words: string[]; enabled: boolean }>('POST', '/api/admin/safety/rules', { name: 'made-up word', words: ['blorptastic', ' blorptastic ', ''] }, root());
      expect(made.status).toBe(200);
      expect(made.body.words).toEqual(['blorptastic']);
      expect(await chat(key, 'tell me about blorptastic things')).toBe(400);
      const list = await t.api<{ items: { id: string }[] }>('GET', '/api/admin/safety/rules', undefined, root());
      expect(list.body.items.map((r) => r.id)).toContain(made.body.id);
      const off = await t.api<{ enabled: boolean }>('PATCH', `/api/admin/safety/rules/${made.body.id}`, { enabled: false }, root());
      expect(off.body.enabled).toBe(false);
      expect(await chat(key, 'tell me about blorptastic things')).toBe(200);
      await t.api('PATCH', `/api/admin/safety/rules/${made.body.id}`, { enabled: true }, root());
      expect(await chat(key, 'tell me about blorptastic things')).toBe(400);
      expect((await t.api('DELETE', `/api/admin/safety/rules/${made.body.id}`, undefined, root())).status).toBe(200);
      expect(await chat(key, 'tell me about blorptastic things')).toBe(200);
      expect((await t.api('GET', `/api/admin/safety/rules/${made.body.id}`, undefined, root())).status).toBe(404);
      // Each change is in the admin audit log.
      const audit = await t.api<{ items: { action: string; target_id: string }[] }>('GET', `/api/admin/audit?targetId=${made.body.id}`, undefined, root());
      expect(audit.body.items.map((i) => i.action).sort()).toEqual(['safety_rule.create', 'safety_rule.delete', 'safety_rule.update', 'safety_rule.update']);
    });

    it('imports a word file: one word per line, comments skipped, commas and tabs separating, added or replacing', async () => {
      const rule = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name: 'imported', words: ['first'], action: 'flag' }, root());
      const file = '\uFEFF# a comment line\r\nalpha\r\nbeta, gamma\tdelta\r\n\r\nalpha\r\n';
      const added = await t.api<{ words: string[] }>('POST', `/api/admin/safety/rules/${rule.body.id}/import`, { text: file }, root());
      expect(added.status).toBe(200);
      expect(added.body.words).toEqual(['first', 'alpha', 'beta', 'gamma', 'delta']);
      const replaced = await t.api<{ words: string[] }>('POST', `/api/admin/safety/rules/${rule.body.id}/import`, { text: 'one\ntwo\n', replace: true }, root());
      expect(replaced.body.words).toEqual(['one', 'two']);
      await t.api('DELETE', `/api/admin/safety/rules/${rule.body.id}`, undefined, root());
    });

    it('refuses an invalid regular expression, a regex rule without a pattern, and an import into a regex rule', async () => {
      const bad = await t.api<{ error: { code: string; param: string } }>('POST', '/api/admin/safety/rules', { name: 'bad', kind: 'regex', pattern: '(unclosed' }, root());
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_rule');
      expect((await t.api('POST', '/api/admin/safety/rules', { name: 'empty', kind: 'regex' }, root())).status).toBe(400);
      const re = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name: 'pattern', kind: 'regex', pattern: 'x\\d+', action: 'flag' }, root());
      expect((await t.api('POST', `/api/admin/safety/rules/${re.body.id}/import`, { text: 'w' }, root())).status).toBe(400);
      await t.api('DELETE', `/api/admin/safety/rules/${re.body.id}`, undefined, root());
    });

    it("tests a text against the rules: the verdict, the masked text and the hits' places", async () => {
      const rule = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name: 'masked', words: ['wombat'], action: 'mask' }, root());
      const r = await t.api<{ action: string; masked: string; hits: { ruleId: string; start: number; end: number }[] }>('POST', '/api/admin/safety/test', { text: 'a W-O-M-B-A-T here' }, root());
      expect(r.body.action).toBe('mask');
      expect(r.body.masked).toBe('a *********** here');
      expect(r.body.hits).toEqual([{ ruleId: rule.body.id, ruleName: 'masked', action: 'mask', start: 2, end: 13 }]);
      await t.api('DELETE', `/api/admin/safety/rules/${rule.body.id}`, undefined, root());
    });

    it("applies a group's rule to that group's callers only", async () => {
      const vip = await t.newUserWithKey();
      const plain = await t.newUserWithKey();
      expect((await t.api('PATCH', `/api/admin/users/${vip.userId}`, { group: 'vip' }, root())).status).toBe(200);
      const rule = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name: 'vip words', words: ['zanzibarx'], groups: ['vip'] }, root());
      expect(await chat(vip.key, 'about zanzibarx')).toBe(400);
      expect(await chat(plain.key, 'about zanzibarx')).toBe(200);
      const tested = await t.api<{ action: string | null }>('POST', '/api/admin/safety/test', { text: 'zanzibarx', group: 'default' }, root());
      expect(tested.body.action).toBeNull();
      await t.api('DELETE', `/api/admin/safety/rules/${rule.body.id}`, undefined, root());
    });

    it('counts decisions per rule', async () => {
      const { key } = await t.newUserWithKey();
      const rule = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name: 'counted', words: ['quokkaq'], action: 'flag', directions: ['input'] }, root());
      for (let i = 0; i < 3; i++) expect(await chat(key, `quokkaq ${i}`)).toBe(200);
      const d = await eventually(async () => {
        const r = await t.api<{ items: { ruleId: string }[]; counts: { ruleId: string; action: string; direction: string; count: number }[] }>('GET', `/api/admin/safety/decisions?ruleId=${rule.body.id}`, undefined, root());
        return r.body.items.length === 3 && r.body;
      });
      expect(d.counts.filter((c) => c.ruleId === rule.body.id)).toEqual([{ ruleId: rule.body.id, action: 'flag', direction: 'input', count: 3 }]);
      await t.api('DELETE', `/api/admin/safety/rules/${rule.body.id}`, undefined, root());
    });
  });
}
