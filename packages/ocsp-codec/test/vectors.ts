import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared vectors (../shared/vectors/ocsp beside the repository). */
export const VECTORS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/vectors/ocsp',
);

export interface ManifestVector {
  file: string;
  kind: 'request' | 'response';
  description: string;
  expected: Record<string, unknown> & {
    openssl_result: string;
    responseStatus?: { name: string; code: number };
  };
  openssl_verify?: { command: string; exit: number; result: string };
}

export const manifest = JSON.parse(readFileSync(join(VECTORS_DIR, 'MANIFEST.json'), 'utf8')) as {
  vectors: ManifestVector[];
};

export function readVector(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(VECTORS_DIR, file)));
}

export function readVectorText(file: string): string {
  return readFileSync(join(VECTORS_DIR, file), 'utf8');
}
