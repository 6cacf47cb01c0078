// Alternated rounds, shared by `bench/ab.js` (two gateway set-ups) and `bench/run.js` (the bare proxy
// and the gateway): on this kind of shared VM the machine's speed moves by up to 2× within minutes,
// so two sides measured one after the other are not compared; taking turns (A B, B A, …) puts the
// drift on both sides of every round.

/** Runs `once(side)` for each of the two sides, `rounds` times, in turns; each side's results in order. */
export async function takeTurns(rounds, [a, b], once) {
  const out = { [a]: [], [b]: [] };
  for (let i = 0; i < rounds; i++) for (const side of i % 2 ? [b, a] : [a, b]) out[side].push(await once(side));
  return out;
}

export function median(xs) {
  const s = xs.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
