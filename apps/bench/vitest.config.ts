import { defineProject } from 'vitest/config';

export default defineProject({
  // Workspace packages are read from src/ (their 'source' export), so tests need no build.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { name: 'bench', include: ['test/**/*.test.ts', 'src/**/*.test.ts'] },
});
