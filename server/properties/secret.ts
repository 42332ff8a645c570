// Keys whose values the admin masks by default. Matching errs towards masking.

/** Words that mark a secret wherever they appear, even run together ("dbpassword"). */
const SECRET_FRAGMENTS = ['password', 'passwd', 'passphrase', 'secret', 'credential', 'privatekey', 'apikey', 'accesskey'];
/** Words that only count on their own: inside other words they mean something else ("tokenizer", "compass"). */
const SECRET_WORDS = new Set(['token', 'tokens', 'pwd', 'pass', 'jwt', 'bearer']);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s._\-]+/)
    .filter((w) => w !== '');
}

export function looksSecret(key: string): boolean {
  const parts = words(key);
  const joined = parts.join('');
  if (SECRET_FRAGMENTS.some((fragment) => joined.includes(fragment))) return true;
  return parts.some((word) => SECRET_WORDS.has(word));
}
