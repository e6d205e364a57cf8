import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: { name: 'ocsp-codec', include: ['test/**/*.test.ts', 'src/**/*.test.ts'] },
});
