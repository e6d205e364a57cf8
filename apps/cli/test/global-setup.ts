import { buildAll } from './helpers.js';

// Once, before any test file: the files run in parallel, and two tsc runs writing one dist at
// the same time could leave a test loading a half-written file.
export default function setup(): void {
  buildAll();
}
