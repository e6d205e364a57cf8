import { defineProject } from 'vitest/config';

export default defineProject({
  // Workspace packages are read from src/ (their 'source' export), so tests need no build.
  // The binary the tests run does need one: global-setup.ts builds it and what it loads.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // The binary is a separate process: startup, a real responder and real handshakes.
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
