import { defineConfig } from 'vitest/config';

// One run covers unit tests beside the code, service tests and the cross-service end-to-end tests in
// test/. Infrastructure (Redis, S3) is started once per run by the testkit's global setup; every test
// isolates itself with its own key prefix, queue names and bucket.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['packages/testkit/src/global-setup.ts'],
    pool: 'forks',
    // 2 cores: more files at once only makes each slower and the end-to-end tests flakier.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './packages/testkit/src/summary-reporter.ts'],
  },
});
