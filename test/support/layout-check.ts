import type { Browser, BrowserContext, Page } from 'playwright-core';
import { screenshot } from './browser.js';

/** The phone and tablet widths every page must fit (issue 9): small Android, iPhone, iPad portrait. */
export const WIDTHS = [360, 390, 768] as const;

export interface LayoutProblem {
  width: number;
  kind: 'horizontal-scroll' | 'small-target';
  detail: string;
}

/**
 * What a person on a phone trips over: a page wider than the screen (sideways panning), and
 * buttons or links smaller than 24×24 CSS px (WCAG 2.2, 2.5.8 "Target Size (Minimum)"). Links
 * inside a sentence are exempt, as WCAG exempts inline targets: their size is set by the text.
 */
export async function layoutProblems(page: Page, width: number): Promise<LayoutProblem[]> {
  const found = await page.evaluate(() => {
    const out: { kind: 'horizontal-scroll' | 'small-target'; detail: string }[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth) {
      // Name the widest elements, so the failure says where to look.
      const wide = [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && getComputedStyle(el).position !== 'fixed')
        .slice(0, 3)
        .map((el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} (right ${Math.round(el.getBoundingClientRect().right)})`);
      out.push({ kind: 'horizontal-scroll', detail: `scrollWidth ${doc.scrollWidth} > ${window.innerWidth}: ${wide.join(', ')}` });
    }
    const targets = document.querySelectorAll<HTMLElement>('a[href], button, input[type=submit], input[type=button], input[type=checkbox], input[type=radio], select, summary');
    for (const el of targets) {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none' || el.closest('[hidden]')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (e.g. inside a closed <details>)
      if (r.width >= 24 && r.height >= 24) continue;
      // Inline links in running text: the sentence around them has more text than the link.
      if (el.tagName === 'A' && style.display === 'inline') {
        const block = el.closest('p, li, td, dd, label, small, span, figcaption, h1, h2, h3, h4');
        if (block && (block.textContent ?? '').trim().length > (el.textContent ?? '').trim().length) continue;
      }
      // Checkboxes and radios count with their label, which is the real target.
      if ((el as HTMLInputElement).labels?.length) {
        const lr = (el as HTMLInputElement).labels![0]!.getBoundingClientRect();
        if (lr.height >= 24 && lr.width >= 24) continue;
      }
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      out.push({ kind: 'small-target', detail: `${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}×${Math.round(r.height)}` });
    }
    return out;
  });
  return found.map((p) => ({ ...p, width }));
}

/** A page to visit: a name for its screenshots, its path, and the status it must answer with. */
export type PageToCheck = [name: string, path: string, status?: number];

/**
 * Visits each path at each width in one browser context and returns what does not fit; a
 * screenshot of each lands in test-results/screenshots/responsive/<name>-<width>.png.
 */
export async function checkPages(context: BrowserContext, baseUrl: string, pages: PageToCheck[]): Promise<string[]> {
  const failures: string[] = [];
  const page = await context.newPage();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    for (const [name, path, status = 200] of pages) {
      const res = await page.goto(baseUrl + path);
      if (res?.status() !== status) failures.push(`${name} (${path}) answered ${res?.status()}, expected ${status}`);
      await page.waitForLoadState('networkidle');
      for (const p of await layoutProblems(page, width)) failures.push(`${name} @${p.width}: ${p.kind} ${p.detail}`);
      await screenshot(page, `responsive/${name}-${width}`);
    }
  }
  await page.close();
  return failures;
}

/** Fails with every problem listed (chai would cut a long message short). */
export function report(failures: string[]): void {
  if (failures.length) throw new Error(`${failures.length} layout problems:\n${failures.join('\n')}`);
}

/** Signs a page in through the login form (exact labels: the footer's newsletter form has an address field too). */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account$/);
}

/** A browser context signed in through the login form. */
export async function signInContext(browser: Browser, baseUrl: string, email: string, password: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, baseUrl, email, password);
  await page.close();
  return context;
}
