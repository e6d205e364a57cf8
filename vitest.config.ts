import { defineConfig } from 'vitest/config';

// One run over every package, so CI gets a single JSON report to count from.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    projects: ['packages/*', 'apps/*'],
    reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
  },
});
