import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestPki } from './types.js';

/** Where `writeTestPki` put each file. */
export interface TestPkiFiles {
  readonly dir: string;
  readonly root: string;
  readonly rootKey: string;
  readonly intermediate: string;
  readonly intermediateKey: string;
  /** Keyed by leaf name. */
  readonly leaves: Readonly<Record<string, TestLeafFiles>>;
  readonly ocspSigner?: { readonly certificate: string; readonly privateKey: string };
}

export interface TestLeafFiles {
  /** `<name>.pem`: the leaf alone. */
  readonly certificate: string;
  /** `<name>.key.pem`: its PKCS#8 key, mode 0600. */
  readonly privateKey: string;
  /** `<name>.chain.pem`: leaf then intermediate. */
  readonly chain: string;
}

/**
 * Writes the PKI as PEM files into `dir` (created if missing): `root.pem`, `intermediate.pem`
 * and their `.key.pem`, `<leaf>.pem`, `<leaf>.key.pem`, `<leaf>.chain.pem`, `ocsp-signer.pem`
 * and `ocsp-signer.key.pem`. Keys are written with mode 0600.
 *
 * @example
 * const files = await writeTestPki(pki, await mkdtemp(join(tmpdir(), 'pki-')));
 * execFile('openssl', ['verify', '-CAfile', files.root, '-untrusted', files.intermediate,
 *   files.leaves['rsa']!.certificate]);
 */
export async function writeTestPki(pki: TestPki, dir: string): Promise<TestPkiFiles> {
  await mkdir(dir, { recursive: true });
  const writes: Promise<void>[] = [];
  const put = (name: string, text: string, secret = false): string => {
    const path = join(dir, name);
    writes.push(writePem(path, text, secret));
    return path;
  };

  const leaves: Record<string, TestLeafFiles> = {};
  for (const leaf of pki.leaves) {
    leaves[leaf.name] = {
      certificate: put(`${leaf.name}.pem`, leaf.certificatePem),
      privateKey: put(`${leaf.name}.key.pem`, leaf.privateKeyPem, true),
      chain: put(`${leaf.name}.chain.pem`, leaf.chainPem),
    };
  }
  const files: TestPkiFiles = {
    dir,
    root: put('root.pem', pki.root.certificatePem),
    rootKey: put('root.key.pem', pki.root.privateKeyPem, true),
    intermediate: put('intermediate.pem', pki.intermediate.certificatePem),
    intermediateKey: put('intermediate.key.pem', pki.intermediate.privateKeyPem, true),
    leaves,
    ...(pki.ocspSigner
      ? {
          ocspSigner: {
            certificate: put('ocsp-signer.pem', pki.ocspSigner.certificatePem),
            privateKey: put('ocsp-signer.key.pem', pki.ocspSigner.privateKeyPem, true),
          },
        }
      : {}),
  };
  await Promise.all(writes);
  return files;
}

async function writePem(path: string, text: string, secret: boolean): Promise<void> {
  await writeFile(path, text, { mode: secret ? 0o600 : 0o644 });
  // `mode` only applies when the file is created; an older file keeps its mode, and the umask
  // may have narrowed it, so set it explicitly.
  await chmod(path, secret ? 0o600 : 0o644);
}
