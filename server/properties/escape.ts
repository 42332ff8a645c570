// Escaping rules of java.util.Properties: loadConvert (reading) and saveConvert (writing).

export class MalformedEscapeError extends Error {
  /** Offset of the offending backslash within the text passed to unescapeProperties. */
  readonly offset: number;
  constructor(offset: number) {
    // Same wording as Java's IllegalArgumentException, so operators can search for it.
    super('Malformed \\uxxxx encoding.');
    this.name = 'MalformedEscapeError';
    this.offset = offset;
  }
}

const HEX = /^[0-9a-fA-F]{4}$/;

/**
 * Decodes a key or value exactly as Properties.loadConvert does: `\t \n \r \f`, `\uXXXX`,
 * and any other escaped character stands for itself (so `\=`, `\:`, `\ `, `\\`, `\#`, `\x` → `x`).
 * Throws MalformedEscapeError for a `\u` not followed by four hex digits.
 */
export function unescapeProperties(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const escaped = text[i + 1];
    // A segment never ends in a lone backslash (the line reader removes it), but stay total anyway.
    if (escaped === undefined) return out;
    if (escaped === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!HEX.test(hex)) throw new MalformedEscapeError(i);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
      continue;
    }
    out += escaped === 't' ? '\t' : escaped === 'n' ? '\n' : escaped === 'r' ? '\r' : escaped === 'f' ? '\f' : escaped;
    i += 2;
  }
  return out;
}

function unicodeEscape(code: number): string {
  return '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
}

function isLoneSurrogate(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const prev = text.charCodeAt(i - 1);
    return !(prev >= 0xd800 && prev <= 0xdbff);
  }
  return false;
}

/**
 * Properties.saveConvert with escUnicode = false (znode data is UTF-8, so non-ASCII stays as is).
 * Deliberate extension: other control characters, DEL and lone surrogates become `\uXXXX`, because
 * raw they are invisible in the editor (or, for lone surrogates, lost when encoded as UTF-8).
 * Java reads both forms back to the same string.
 */
function saveConvert(text: string, isKey: boolean): string {
  const escapeEverySpace = isKey;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (code > 61 && code < 127) {
      out += c === '\\' ? '\\\\' : c;
      continue;
    }
    switch (c) {
      case ' ':
        out += i === 0 || escapeEverySpace ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '=':
      case ':':
      case '#':
      case '!':
        // In a key these would end it or start a comment. In a value written after `key=` they are plain text,
        // so unlike Properties.store we leave them bare: operators read `url=jdbc:mysql://h`, not `jdbc\\:mysql\\://h`.
        out += isKey ? '\\' + c : c;
        break;
      default:
        out += code < 0x20 || code === 0x7f || isLoneSurrogate(text, i) ? unicodeEscape(code) : c;
    }
  }
  return out;
}

/** A key as Properties.store writes it: every space escaped. */
export function escapePropertyKey(key: string): string {
  return saveConvert(key, true);
}

/** A value as Properties.store writes it (only a leading space escaped), except that `= : # !` stay bare. */
export function escapePropertyValue(value: string): string {
  return saveConvert(value, false);
}
