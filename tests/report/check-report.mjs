// Opens a vouch HTML report in Debian's headless Chromium (never a browser
// Playwright downloads) and checks that it renders: its four SVG charts are
// there and laid out, they draw bars, the CSS applies, nothing is fetched
// from anywhere and the console stays free of errors.
//
// Usage: node check-report.mjs REPORT.html [--min-bars N] [--screenshot OUT.png]
// Environment: CHROMIUM (default /usr/bin/chromium); PLAYWRIGHT_CORE_DIR, the
// installed playwright-core package (default: resolved from here).

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE_DIR || 'playwright-core');

const args = process.argv.slice(2);
const report = args.find((a, i) => !a.startsWith('--') && !['--min-bars', '--screenshot'].includes(args[i - 1]));
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (!report || !existsSync(report)) {
  console.error(`usage: node check-report.mjs REPORT.html [--min-bars N] [--screenshot OUT.png] (no report at ${report})`);
  process.exit(2);
}
const minBars = Number(option('--min-bars') || 1);
const screenshot = option('--screenshot');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const EXPECTED_CHARTS = ['chart-share-time', 'chart-share-dir', 'chart-queue-age', 'chart-risk-mix'];

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const failures = [];
const passes = [];
const check = (ok, what) => (ok ? passes : failures).push(what);
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const consoleErrors = [];
  const requests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') consoleErrors.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
  page.on('request', (req) => requests.push(req.url()));
  const url = pathToFileURL(resolve(report)).href;
  const response = await page.goto(url, { waitUntil: 'load' });
  check(response === null || response.ok(), 'the page loads');
  check((await page.title()) === 'vouch report', 'the title is "vouch report"');

  const charts = await page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      return {
        id: svg.id,
        width: box.width,
        height: box.height,
        bars: svg.querySelectorAll('rect.bar').length,
        drawn: [...svg.querySelectorAll('rect.bar')].filter((r) => r.getBBox().width > 0 && r.getBBox().height > 0).length,
        empty: svg.querySelectorAll('text.empty').length,
        fill: svg.querySelector('rect.bar') ? getComputedStyle(svg.querySelector('rect.bar')).fill : null,
      };
    }),
  );
  check(charts.length === EXPECTED_CHARTS.length, `${EXPECTED_CHARTS.length} SVG charts (found ${charts.length})`);
  for (const id of EXPECTED_CHARTS) {
    const chart = charts.find((c) => c.id === id);
    check(Boolean(chart), `chart #${id} is there`);
    if (!chart) continue;
    check(chart.width > 100 && chart.height > 50, `chart #${id} is laid out (${chart.width}x${chart.height})`);
    check(chart.bars > 0 || chart.empty > 0, `chart #${id} draws bars or says it has none`);
    // The stylesheet colours bars: an unstyled SVG rect would be black.
    check(chart.fill === null || chart.fill !== 'rgb(0, 0, 0)', `chart #${id} bars are styled (${chart.fill})`);
  }
  const drawn = charts.reduce((n, c) => n + c.drawn, 0);
  check(drawn >= minBars, `at least ${minBars} bars drawn (found ${drawn})`);
  const background = await page.$eval('section', (s) => getComputedStyle(s).backgroundColor);
  check(background === 'rgb(255, 255, 255)', `the inline CSS applies (section background ${background})`);
  check(consoleErrors.length === 0, `no console errors (${consoleErrors.join('; ') || 'none'})`);
  const foreign = requests.filter((u) => u !== url);
  check(foreign.length === 0, `nothing fetched but the page (${foreign.join(', ') || 'nothing'})`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`charts: ${charts.map((c) => `${c.id} (${c.drawn}/${c.bars} bars drawn)`).join(', ')}`);
} finally {
  await browser.close();
}
for (const p of passes) console.log(`ok: ${p}`);
for (const f of failures) console.log(`FAILED: ${f}`);
console.log(`${passes.length} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
