// Password hashing with scrypt. The stored string names its parameters ("scrypt$N=32768,r=8,p=1$salt$hash"),
// so raising the cost later only needs needsRehash() at the next successful login.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const CURRENT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** A stored hash asking for more than this is refused rather than letting a tampered row exhaust memory. */
const MAX_N = 2 ** 20;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const match = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (match === null) return null;
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.N < 2 || params.N > MAX_N || (params.N & (params.N - 1)) !== 0 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) {
    return null;
  }
  return { params, salt: Buffer.from(match[4]!, 'base64'), key: Buffer.from(match[5]!, 'base64') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === null || parsed.key.length === 0) return false;
  const key = await scrypt(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

export function needsRehash(stored: string, params: ScryptParams = CURRENT_PARAMS): boolean {
  const parsed = parseHash(stored);
  if (parsed === null) return true;
  return parsed.params.N < params.N || parsed.params.r < params.r || parsed.params.p < params.p || parsed.key.length < KEY_LENGTH;
}

/** Hashed once and verified against when a login names an unknown user, so timing does not reveal which names exist. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}

/** Values people leave in place from samples and docker-compose files. */
const SAMPLE_PASSWORDS = new Set([
  'admin', 'administrator', 'password', 'passw0rd', 'changeme', 'change-me', 'changeit', 'secret', 'root', 'toor',
  'default', 'letmein', 'welcome', 'test', 'guest', 'zookeeper', '123456', '12345678', '123456789', 'qwerty', 'admin123',
  'password1', 'password123',
]);
export const MIN_PASSWORD_LENGTH = 12;

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, userName?: string): string | null {
  const lowered = password.toLowerCase();
  if (SAMPLE_PASSWORDS.has(lowered) || (userName !== undefined && lowered === userName.toLowerCase())) {
    return 'this password is a well-known sample value';
  }
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (new Set(password).size < 4) return 'this password repeats too few characters';
  return null;
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
