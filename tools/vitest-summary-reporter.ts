/** Ends a Vitest run with the plain line "tests: N passed, N failed, N skipped", which CI logs read. */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) for (const test of module.children.allTests()) count[test.result().state]++;
    // Files that failed to load have no tests but still fail the run.
    const brokenFiles = testModules.filter((m) => m.state() === 'failed' && ![...m.children.allTests()].length).length;
    console.log(`\ntests: ${count.passed} passed, ${count.failed + brokenFiles} failed, ${count.skipped + count.pending} skipped`);
  }
}
