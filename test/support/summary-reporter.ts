import type { Reporter, TestModule } from 'vitest/node';
import { browserRequired, browserSkippedLine, findChromium } from './chromium';

/**
 * Ends the run with one plain line, "tests: N passed, N failed, N skipped", for CI to read;
 * before it, one line if the browser tests were skipped for want of a browser.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        else if (state === 'failed') failedTests++;
        else count.skipped++;
      }
      // A file that failed outside its tests (at import, or in a beforeAll) counts once.
      count.failed += module.state() === 'failed' && failedTests === 0 ? 1 : failedTests;
    }
    count.failed += unhandledErrors.length;
    const ranBrowserFiles = testModules.some((m) => /[\\/]test[\\/]browser[\\/]/.test(m.moduleId));
    const skipped = ranBrowserFiles && !browserRequired() ? browserSkippedLine(findChromium()) : undefined;
    if (skipped) console.log(skipped);
    console.log(`tests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`);
  }
}
