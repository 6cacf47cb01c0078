// Micro-benchmark of the content-safety rules engine (apps/gateway/src/safety): how long one check
// of a typical prompt takes with thousands of listed words, and how long compiling them takes.
// Reports figures only (no pass/fail: timing depends on the machine). Uses the built dist:
//   npx tsc -b packages/simulator apps/gateway && node bench/safety.js [words=5000]
import { RuleSet } from '../apps/gateway/dist/safety/rules.js';

const count = Number(process.argv[2] ?? 5000);
// Deterministic pseudo-random words: half Latin (4–9 letters), half CJK (2–4 characters).
let seed = 42;
const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
const latin = () => Array.from({ length: 4 + rnd(6) }, () => String.fromCharCode(97 + rnd(26))).join('');
const cjk = () => Array.from({ length: 2 + rnd(3) }, () => String.fromCharCode(0x4e00 + rnd(3000))).join('');
const words = Array.from({ length: count }, (_, i) => (i % 2 ? latin() : cjk()));

const list = { id: 'list', name: 'list', kind: 'words', action: 'block', words, pattern: null, groups: [], directions: ['input', 'output'], enabled: true };
const phone = { id: 'phone', name: 'phone', kind: 'regex', action: 'flag', words: [], pattern: '1[3-9]\\d{9}', groups: [], directions: ['input', 'output'], enabled: true };
const t0 = performance.now();
const wordsOnly = new RuleSet([list]);
const compileMs = performance.now() - t0;
const withRegex = new RuleSet([list, phone]);

// A ~700-character prompt of mixed English and Chinese, none of the listed words in it by
// construction (the usual case: most traffic passes), and the same with one listed word at the end.
const prompt = ('Please summarise the following meeting notes for the team. 请把下面的会议纪要整理成要点，并列出下一步的负责人。 ').repeat(8);
const hitPrompt = prompt + words[count - 1];

function measure(rules, text) {
  for (let i = 0; i < 2000; i++) rules.check(text, 'default', 'input'); // warm-up
  const n = 20000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) rules.check(text, 'default', 'input');
  return (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(1);
}

console.log(`words: ${count}, compile: ${compileMs.toFixed(1)} ms`);
console.log(`word list only, ${prompt.length} chars: no hit ${measure(wordsOnly, prompt)} µs, one hit ${measure(wordsOnly, hitPrompt)} µs (verdict: ${wordsOnly.check(hitPrompt, 'default', 'input').action})`);
console.log(`word list + one regex, ${prompt.length} chars: no hit ${measure(withRegex, prompt)} µs, one hit ${measure(withRegex, hitPrompt)} µs`);
