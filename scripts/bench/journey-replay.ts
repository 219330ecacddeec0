import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../temporal/workflow-bundle';

/**
 * What a journey run costs the worker to create and replay, without a Temporal server:
 * `npm run bench:journey-replay [-- <replays> [<workflow bundle file>]]` replays a recorded
 * abandoned-cart history (test/fixtures/journey-histories/cart-1.json: a wait that timed out, a
 * reminder) that many times, each as a new run in the worker's workflow context, as a run pushed
 * out of the sticky cache is at its next task. Prints CPU milliseconds per replay. A bundle file
 * (e.g. one written from another commit) compares two versions of the workflow code, same load.
 */

async function main() {
  const replays = Number(process.argv[2] ?? 200);
  const code = process.argv[3] ? readFileSync(process.argv[3], 'utf8') : (await bundleWorkflows()).code;
  const fixture = path.join(__dirname, '..', '..', 'test', 'fixtures', 'journey-histories', 'cart-1.json');
  const json = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, unknown>;
  const histories = Array.from({ length: replays }, (_, i) => ({
    workflowId: `replay-${i}`,
    history: temporal.api.history.v1.History.fromObject(json),
  }));
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let failed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, histories))
    if (result.error) failed++;
  const cpu = process.cpuUsage(cpu0);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `${replays} replays in ${((performance.now() - start) / 1000).toFixed(1)} s: ${((cpu.user + cpu.system) / 1000 / replays).toFixed(1)} ms CPU per replay, ${failed} failed, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (load ${load})`,
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
