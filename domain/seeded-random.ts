/**
 * A seeded pseudo-random generator (mulberry32): small, fast, and the same numbers for the same seed
 * on every machine, so anything drawn with it (a model's bootstrap samples, synthetic test data) can
 * be reproduced exactly. Not for secrets. Pure: workflows may import it (the state is the closure's).
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
