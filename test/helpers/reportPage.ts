// Opens a report.html in headless Chromium and collects what the page says went wrong; shared by
// the tests that check reports (the quickstart's evidence, the flat-minima shoot-out).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import puppeteer, { type Page } from 'puppeteer-core';

export const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Under CI a missing browser fails the test; on a workstation without Chromium it is skipped.
export const noBrowser: string | false = !existsSync(chromium) && process.env.CI !== 'true' ? `no Chromium at ${chromium} (set CHROMIUM_PATH)` : false;

/** Loads `report`, runs `script` in the page (a string: the project's TypeScript has no DOM types), then `after` on the open page. */
export async function inReportPage<T>(report: string, script: string, after?: (page: Page) => Promise<void>): Promise<{ facts: T; problems: string[] }> {
  assert.ok(existsSync(chromium), `no Chromium at ${chromium}: install Debian's chromium or set CHROMIUM_PATH`);
  const browser = await puppeteer.launch({ executablePath: chromium, args: ['--no-sandbox', '--headless'] });
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${(error as Error).message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    await page.setViewport({ width: 1400, height: 900 });
    await page.goto(`file://${report}`, { waitUntil: 'load' });
    const facts = (await page.evaluate(script)) as T;
    await after?.(page);
    return { facts, problems };
  } finally {
    await browser.close();
  }
}
