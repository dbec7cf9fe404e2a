// Encryption at rest (AES-256-GCM) of private keys with a key derived from STRIX_MASTER_KEY,
// or from a key file created in the data directory when that is unset.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Keyed hash for stored client secrets: a database dump alone does not allow guessing them offline. */
  digest(secret: string): string;
}

export function loadMasterKey(masterKey: string | undefined, dataDir: string, warn: (message: string) => void): string {
  if (masterKey) return masterKey;
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    warn(`STRIX_MASTER_KEY is not set: created ${file} to encrypt keys at rest. Back it up, or set STRIX_MASTER_KEY (every node must share it).`);
  }
  return readFileSync(file, 'utf8').trim();
}

export function createSealer(masterKey: string): Sealer {
  const key = Buffer.from(hkdfSync('sha256', masterKey, 'strix', 'strix at-rest encryption v1', 32));
  const hmacKey = createSecretKey(Buffer.from(hkdfSync('sha256', masterKey, 'strix', 'strix secret digest v1', 32)));
  return {
    digest(secret) {
      return createHmac('sha256', hmacKey).update(secret, 'utf8').digest('base64url');
    },
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('cannot decrypt a stored key: STRIX_MASTER_KEY differs from the one it was encrypted with');
      }
    },
  };
}
