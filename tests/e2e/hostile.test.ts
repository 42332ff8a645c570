// Admin hardening in real Chromium against `next start`: the security headers are on pages and API
// responses, and the app still works under its own Content-Security-Policy (sign-in needs hydrated JS).
// Hostile keys and values written straight into a config znode (markup, javascript: URLs, formulas, a
// 100 KB line, control characters, bytes that are not UTF-8) stay inert text in every page and export.
// The CSP allows inline scripts and handlers (Next's bootstrap needs them), so only escaping protects us.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ZkClient } from '../../ensemble/client/index.ts';
import { AdminBrowser, buildAdmin, e2eUnavailable, startAdminStack, USERS, type AdminStack } from './helpers/admin-stack.ts';
import {
  CLEAN_SCAN,
  CONTROL_CHARS,
  HOSTILE_ENTRIES,
  HOSTILE_TEXT,
  HUGE_VALUE,
  MARKUP_PAYLOADS,
  NON_UTF8_BYTES,
  NON_UTF8_DECODED,
  NON_UTF8_FILE,
  parseCsv,
  scanForInjection,
  watchPage,
  type PageWatch,
} from './helpers/hostile-content.ts';

const skipReason = e2eUnavailable();
const NS = 'hostile';
const FILE = 'app.properties';
const FILE_URL = `/namespaces/${NS}/files/${FILE}`;
const API_FILE = `/api/v1/namespaces/${NS}/files/${FILE}`;
const ZNODE = `/configs/${NS}/${FILE}`;
const WAIT = 15_000;

function expectSecurityHeaders(headers: Headers): void {
  const csp = headers.get('content-security-policy') ?? '';
  for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "connect-src 'self'"]) {
    expect(csp).toContain(directive);
  }
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('same-origin');
  expect(headers.get('x-frame-options')).toBe('DENY');
}

describe.skipIf(skipReason !== null)('admin hardening (Chromium)', () => {
  let stack: AdminStack;
  let chromium: AdminBrowser;
  let zk: ZkClient | undefined;

  async function signedIn(user: { name: string; password: string }): Promise<{ page: Page; watch: PageWatch }> {
    const page = await chromium.newPage(1280, 900, WAIT);
    const watch = watchPage(page);
    await chromium.signIn(page, user);
    return { page, watch };
  }

  /** Nothing ran, nothing was injected, no CSP report, no crash: the page is inert and alive. */
  async function expectInert(page: Page, watch: PageWatch, heading: string | RegExp): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    expect(await scanForInjection(page)).toEqual(CLEAN_SCAN);
    expect(watch.dialogs).toEqual([]);
    expect(watch.cspViolations).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  }

  async function writeDirectly(data: string | Buffer): Promise<number> {
    zk ??= await ZkClient.connect(`127.0.0.1:${stack.zkPort}`, { sessionTimeout: 10_000, auth: [{ scheme: 'digest', auth: stack.zkAuth }] });
    return (await zk.setData(ZNODE, data)).version;
  }

  /** The recorder turns an outside write into a history row a moment later. */
  async function waitForRecorded(page: Page, version: number): Promise<void> {
    await expect
      .poll(
        async () => {
          const response = await page.request.get(`${stack.url}${API_FILE}/history`);
          const body = (await response.json()) as { events?: Array<{ version: number | null; source: string; status: string }> };
          return (body.events ?? []).some((e) => e.version === version && e.source === 'external' && e.status === 'confirmed');
        },
        { timeout: 20_000, interval: 300 },
      )
      .toBe(true);
  }

  beforeAll(async () => {
    buildAdmin();
    stack = await startAdminStack();
    chromium = await AdminBrowser.launch(stack);
  }, 15 * 60_000);

  afterAll(async () => {
    await zk?.close().catch(() => undefined);
    await chromium?.close();
    await stack?.stop();
  });

  it('sends the security headers on a page and on an API response', async () => {
    const page = await fetch(`${stack.url}/login`);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers);
    const api = await fetch(`${stack.url}/api/v1/namespaces`);
    expect(api.status).toBeGreaterThanOrEqual(400);
    expectSecurityHeaders(api.headers);
  });

  it('still signs in under its own CSP, with no violations and no dialogs', async () => {
    const page = await chromium.newPage(1280, 900, WAIT);
    const watch = watchPage(page);
    await chromium.signIn(page, USERS.admin);
    expect(watch.cspViolations).toEqual([]);
    expect(watch.dialogs).toEqual([]);
  });

  it('shows hostile keys and values written straight into the znode as text in the table and raw views', async () => {
    expect(stack.recorder, 'the recorder must run: it turns the direct write into history').toBe(true);
    const { page, watch } = await signedIn(USERS.admin);
    const created = await page.request.post(`${stack.url}/api/v1/namespaces`, { headers: { origin: stack.url }, data: { name: NS } });
    expect(created.status(), await created.text()).toBe(201);
    const file = await page.request.put(`${stack.url}${API_FILE}`, {
      headers: { origin: stack.url, 'if-none-match': '*', 'content-type': 'application/json' },
      data: { text: 'seed=1\n', comment: 'before the outside write' },
    });
    expect(file.status(), await file.text()).toBe(201);
    expect(await writeDirectly(HOSTILE_TEXT)).toBe(1);
    await waitForRecorded(page, 1);

    await page.goto(`${stack.url}${FILE_URL}`);
    await expectInert(page, watch, FILE);
    await page.getByTestId('file-version').filter({ hasText: 'Version 1' }).waitFor();
    // Every key is a (rename) button labelled with its text, every value an input holding it verbatim.
    for (const [key, value] of HOSTILE_ENTRIES) {
      expect(await page.getByRole('button', { name: `Rename ${key}`, exact: true }).textContent()).toBe(key);
      expect(await page.getByLabel(`Value of ${key}`, { exact: true }).inputValue()).toBe(value);
    }
    expect(await page.getByLabel('Value of control.value', { exact: true }).inputValue()).toContain(CONTROL_CHARS);
    expect((await page.getByLabel('Value of huge.value', { exact: true }).inputValue()).length).toBe(HUGE_VALUE.length);
    expect(await page.getByRole('button', { name: /^Review changes/ }).isDisabled()).toBe(true);
    // Control characters are valid UTF-8: no encoding warning for them.
    expect(await page.getByTestId('not-utf8-notice').count()).toBe(0);
    await expectInert(page, watch, FILE);

    await page.getByRole('tab', { name: /Raw text/ }).click();
    expect(await page.getByLabel('Raw properties text').inputValue()).toBe(HOSTILE_TEXT);
    expect(await page.getByTestId('problem').count()).toBe(0);
    await expectInert(page, watch, FILE);
  });

  it('shows them as text to a viewer, whose table renders values as plain cells', async () => {
    const { page, watch } = await signedIn(USERS.viewer);
    await page.goto(`${stack.url}${FILE_URL}`);
    await page.getByTestId('file-version').filter({ hasText: 'read-only' }).waitFor();
    for (const [key, value] of HOSTILE_ENTRIES) {
      const row = page.locator('tr[data-key]').filter({ has: page.getByRole('cell', { name: key, exact: true }) });
      expect(await row.getAttribute('data-key')).toBe(key);
      expect(await row.locator('td.value').textContent()).toBe(value);
    }
    for (const payload of MARKUP_PAYLOADS) expect(await page.getByText(payload, { exact: true }).count()).toBeGreaterThanOrEqual(1);
    await expectInert(page, watch, FILE);
  });

  it('shows them as text in the history timeline and its diff', async () => {
    const { page, watch } = await signedIn(USERS.admin);
    await page.goto(`${stack.url}${FILE_URL}/history`);
    await page.locator('.timeline li[data-version="1"]').waitFor();
    const diff = page.getByRole('list', { name: 'Changed keys' });
    await diff.waitFor();
    await expectInert(page, watch, `History of ${FILE}`);
    const added = await diff.locator('li[data-change="added"]').allTextContents();
    expect(added).toContain('+ script.value = <script>alert(1)</script>');
    expect(added).toContain('+ img.value = "><img src=x onerror=alert(3)>');
    expect(added).toContain('+ "><img src=x onerror=alert(4)> = img-in-key');
    expect(added).toContain(`+ huge.value = ${HUGE_VALUE}`);
    expect(added).toContain(`+ control.value = ctl[${CONTROL_CHARS}]end`);
    expect(await diff.locator('li[data-change="removed"]').allTextContents()).toEqual(['− seed 1']);
    const timelineKeys = await page.locator('.timeline li[data-version="1"] .mono').textContent();
    expect(timelineKeys).toContain('<script>alert(2)</script>');
    for (const payload of MARKUP_PAYLOADS) expect(await page.getByText(payload).count()).toBeGreaterThanOrEqual(1);
    await expectInert(page, watch, `History of ${FILE}`);
  });

  it('shows them as text in the audit log, and exports CSV and JSON that are inert and exact', async () => {
    const { page, watch } = await signedIn(USERS.admin);
    await page.goto(`${stack.url}/audit?namespace=${NS}`);
    const external = page.locator('[data-testid="audit-row"][data-source="external"]');
    await external.first().waitFor();
    await external.first().getByRole('button', { name: /keys?$/ }).click();
    const diff = page.getByRole('list', { name: 'Changed keys' });
    await diff.waitFor();
    await expectInert(page, watch, 'Audit log');
    expect(await diff.locator('li[data-change="added"]').allTextContents()).toContain('+ <script>alert(2)</script> = script-in-key');
    for (const payload of MARKUP_PAYLOADS) expect(await page.getByText(payload).count()).toBeGreaterThanOrEqual(1);
    await expectInert(page, watch, 'Audit log');

    for (const format of ['csv', 'json'] as const) {
      const href = await page.getByRole('link', { name: `Export ${format.toUpperCase()}` }).getAttribute('href');
      expect(href).toContain(`format=${format}`);
      const response = await page.request.get(`${stack.url}${href}`);
      expect(response.status()).toBe(200);
      const headers = response.headers();
      expect(headers['content-type']).toBe(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['content-disposition']).toMatch(/^attachment; filename="audit-[^"]+\.(csv|json)"$/);
      const text = await response.text();
      if (format === 'json') {
        const events = JSON.parse(text) as Array<{ source: string; version: number | null; after: string | null }>;
        const recorded = events.find((e) => e.source === 'external' && e.version === 1);
        expect(recorded?.after).toBe(HOSTILE_TEXT);
      } else {
        const [header, ...rows] = parseCsv(text);
        const column = (name: string) => header!.indexOf(name);
        const recorded = rows.find((r) => r[column('source')] === 'external' && r[column('version')] === '1');
        // A spreadsheet would run a cell starting with = + - @ (or tab/CR): the export prefixes an apostrophe.
        expect(recorded?.[column('after')]).toBe(`'${HOSTILE_TEXT}`);
        expect(recorded?.[column('added')]?.startsWith("'@SUM(1+1)*cmd")).toBe(true);
        const triggers = rows.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell));
        expect(triggers).toEqual([]);
      }
    }
  });

  it('decodes bytes that are not UTF-8 to replacement characters everywhere, warns in the editor, and the hex view keeps them', async () => {
    expect(await writeDirectly(NON_UTF8_FILE)).toBe(2);
    const { page, watch } = await signedIn(USERS.admin);
    await waitForRecorded(page, 2);

    await page.goto(`${stack.url}${FILE_URL}`);
    await page.getByTestId('file-version').filter({ hasText: 'Version 2' }).waitFor();
    expect(await page.getByLabel('Value of bytes.value', { exact: true }).inputValue()).toBe(NON_UTF8_DECODED);
    expect(await page.getByLabel('Value of plain.value', { exact: true }).inputValue()).toBe('still-here');
    // Saving would store U+FFFD for those bytes: the editor says so before anyone does.
    expect(await page.getByTestId('not-utf8-notice').textContent()).toContain('not valid UTF-8');
    await page.getByRole('tab', { name: /Raw text/ }).click();
    expect(await page.getByLabel('Raw properties text').inputValue()).toBe(`bytes.value=${NON_UTF8_DECODED}\nplain.value=still-here\n`);
    await expectInert(page, watch, FILE);

    const raw = await page.request.get(`${stack.url}${API_FILE}`, { headers: { accept: 'text/x-java-properties' } });
    expect(raw.headers()['content-type']).toBe('text/x-java-properties; charset=utf-8');
    expect(await raw.text()).toContain(NON_UTF8_DECODED);

    await page.goto(`${stack.url}${FILE_URL}/history`);
    await page.locator('.timeline li[data-version="2"]').waitFor();
    const diff = page.getByRole('list', { name: 'Changed keys' });
    await diff.waitFor();
    expect(await diff.locator('li[data-change="added"]').allTextContents()).toContain(`+ bytes.value = ${NON_UTF8_DECODED}`);
    await expectInert(page, watch, `History of ${FILE}`);

    await page.goto(`${stack.url}/audit?namespace=${NS}`);
    await page.locator('[data-testid="audit-row"][data-source="external"]').first().waitFor();
    await expectInert(page, watch, 'Audit log');

    // The znode browser shows the same replacement text, and its hex view the original bytes.
    await page.goto(`${stack.url}/znodes`);
    await page.getByRole('button', { name: 'Expand /configs' }).click();
    await page.getByRole('button', { name: `Expand /configs/${NS}` }).click();
    await page.getByRole('button', { name: FILE, exact: true }).click();
    await page.getByRole('heading', { name: ZNODE }).waitFor();
    expect(await page.getByTestId('znode-data').textContent()).toContain(NON_UTF8_DECODED);
    await page.getByRole('tab', { name: 'Hex' }).click();
    const dump = (await page.getByTestId('znode-data').textContent()) ?? '';
    // Each dump line is "offset  16 hex bytes  ascii"; the bytes may wrap from one line to the next.
    const dumped = dump.split('\n').flatMap((line) => line.slice(10, 10 + 47).trim().split(/ +/));
    expect(dumped.join(' ')).toBe(NON_UTF8_FILE.toString('hex').match(/../g)!.join(' '));
    expect(dumped.join(' ')).toContain([...NON_UTF8_BYTES].map((b) => b.toString(16)).join(' '));
    await expectInert(page, watch, 'Znode browser');
  });
});
