// Hostile configuration content for the admin's "inert everywhere" tests: markup, script URLs, spreadsheet
// formulas, a huge line, control characters and bytes that are not UTF-8, plus the probes that tell
// whether a Chromium page ran or injected any of it.

import type { Page } from 'playwright-core';

/** Every C0 control except the two line terminators (a .properties line ends at \n or \r), then DEL and RLO. */
export const CONTROL_CHARS = (() => {
  let text = '';
  for (let code = 0; code < 0x20; code++) if (code !== 0x0a && code !== 0x0d) text += String.fromCharCode(code);
  return `${text}\u007f\u202e`;
})();

export const HUGE_VALUE = `huge-${'A'.repeat(100 * 1024)}-end`;

/** Key → value as the admin must show them (the file text below escapes what .properties syntax needs). */
export const HOSTILE_ENTRIES: ReadonlyArray<readonly [string, string]> = [
  // First, so the CSV "after" and "added" cells start with a formula trigger.
  ['@SUM(1+1)*cmd', "-2+3+cmd|' /C calc'!A0"],
  ['script.value', '<script>alert(1)</script>'],
  ['<script>alert(2)</script>', 'script-in-key'],
  ['img.value', '"><img src=x onerror=alert(3)>'],
  ['"><img src=x onerror=alert(4)>', 'img-in-key'],
  ['link.value', 'javascript:alert(5)'],
  ['formula.value', '=HYPERLINK("http://attacker.invalid","click")'],
  ['huge.value', HUGE_VALUE],
  ['control.value', `ctl[${CONTROL_CHARS}]end`],
];

/** Escapes a key the way Properties.store would need it: separators and whitespace inside a key. */
function propertiesKey(key: string): string {
  return key.replace(/[ =:]/g, (c) => `\\${c}`);
}

/** The file as an outside tool would write it: hostile characters raw, only .properties syntax escaped. */
export const HOSTILE_TEXT = HOSTILE_ENTRIES.map(([key, value]) => `${propertiesKey(key)}=${value}\n`).join('');

/** Strings that must show up verbatim, as text, somewhere on each page. */
export const MARKUP_PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(3)>', 'javascript:alert(5)'] as const;

/** A value whose bytes are not UTF-8: 0xff and 0xfe never occur in UTF-8, 0xc3 0x28 is a broken pair. */
export const NON_UTF8_BYTES = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);
export const NON_UTF8_FILE = Buffer.concat([Buffer.from('bytes.value=ok['), NON_UTF8_BYTES, Buffer.from(']end\nplain.value=still-here\n')]);
/** What a UTF-8 decoder that replaces invalid sequences (WHATWG and Node alike) makes of those bytes. */
export const NON_UTF8_DECODED = 'ok[\uFFFD\uFFFD\uFFFD(]end';

export interface PageWatch {
  dialogs: string[];
  cspViolations: string[];
  pageErrors: string[];
}

/** Records dialogs (dismissed), CSP violations reported on the console, and uncaught page errors. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { dialogs: [], cspViolations: [], pageErrors: [] };
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) watch.cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => watch.pageErrors.push(error.message));
  return watch;
}

export interface InjectionScan {
  /** <img src="x"> from the onerror payloads. */
  injectedImages: number;
  /** Any element carrying an inline event handler attribute that a payload brought in. */
  handlerAttributes: string[];
  /** <script> elements whose code is one of our alert() payloads. */
  alertScripts: number;
  /** Links or frames pointing at a javascript: URL. */
  scriptUrls: number;
}

/** Runs in the page (a string: the tests compile without the DOM library). */
const INJECTION_SCAN = `(() => {
  const handlerAttributes = [];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (/^on/i.test(attribute.name)) handlerAttributes.push(element.tagName.toLowerCase() + '[' + attribute.name + ']');
    }
  }
  return {
    injectedImages: document.querySelectorAll('img[src="x"]').length,
    handlerAttributes,
    alertScripts: [...document.querySelectorAll('script')].filter((s) => /^\\s*alert\\(/.test(s.textContent ?? '')).length,
    scriptUrls: document.querySelectorAll('[href^="javascript:" i], [src^="javascript:" i], [action^="javascript:" i]').length,
  };
})()`;

/** Looks through the live DOM for anything the payloads would have created had they been parsed as HTML. */
export async function scanForInjection(page: Page): Promise<InjectionScan> {
  return (await page.evaluate(INJECTION_SCAN)) as InjectionScan;
}

export const CLEAN_SCAN: InjectionScan = { injectedImages: 0, handlerAttributes: [], alertScripts: 0, scriptUrls: 0 };

/** RFC 4180 parsing (quoted cells, doubled quotes, CRLF rows): enough to read our own export back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += c;
    }
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
