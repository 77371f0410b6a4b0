/**
 * The shared token every connection presents. Compared in constant time: both
 * sides are hashed first, so neither the token's length nor the position of
 * the first differing byte shows in how long a refusal takes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_ENV = 'TYPEVISOR_TOKEN';
export const DAEMON_ENV = 'TYPEVISOR_DAEMON';

/** The longest token a daemon takes: a hello carrying it must fit in what a connection may send before it is accepted (4 KiB). */
export const MAX_TOKEN_LENGTH = 1024;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokensMatch(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** A fresh random token (128 bits, hex). */
export function generateToken(): string {
  return randomBytes(16).toString('hex');
}

/** The token from an option or the environment; undefined when neither gives one. */
export function resolveToken(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const t = option ?? env[TOKEN_ENV];
  return t === undefined || t === '' ? undefined : t;
}
