/*
 * What journeyRun (workflows/journey.ts) needs of the journey domain at run time, in a module of
 * its own: every run created in the worker's workflow context evaluates the modules its workflow
 * imports, so this one imports nothing (./journeys builds zod schemas and reaches the holiday
 * calendars through the send gate's quiet hours). A random-split node of ./journeys fits `node`.
 */

/**
 * The A/B branch of a run: deterministic per run ID (FNV-1a into 0–99), so a replayed or restarted
 * run always takes the same branch. Answers the branch's next node, or 'holdout'.
 */
export function randomBranch(
  node: { holdoutPercent: number; branches: readonly { percent: number; next: string }[] },
  runId: string,
  nodeKey: string,
): string | 'holdout' {
  let hash = 0x811c9dc5;
  for (const ch of `${runId}:${nodeKey}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const bucket = hash % 100;
  if (bucket < node.holdoutPercent) return 'holdout';
  let floor = node.holdoutPercent;
  for (const branch of node.branches) {
    floor += branch.percent;
    if (bucket < floor) return branch.next;
  }
  return node.branches[node.branches.length - 1]!.next;
}
