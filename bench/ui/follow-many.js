// PAGES browser pages (Debian's Chromium, one Blazor circuit each) on the UDP Pinger page start a
// run at the same moment (PINGS pings INTERVAL ms apart, against the lab's own server, no loss)
// and show it live; run by bench/ui-latency.sh after first-row.js. Each page records when its
// progress line ("k of N pings") first shows each k; the delay of ping k is that moment minus the
// timestamp of the run's k-th rttSample event (GET /api/runs/{id}/events). Prints the delays'
// median, p95, p99 and max over all pages, and how many pages showed every ping.
const { chromium } = require('playwright-core');
(async () => {
  const [base, pagesArg, pingsArg, intervalArg] = process.argv.slice(2);
  const pageCount = +(pagesArg || 10), pings = +(pingsArg || 200), interval = +(intervalArg || 20);
  const key = { 'X-Api-Key': process.env.NETLAB_KEY };
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--no-first-run'] });
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto(base + '/account/login');
  await first.getByTestId('login-email').fill(process.env.NETLAB_EMAIL);
  await first.getByTestId('login-password').fill(process.env.NETLAB_PASSWORD);
  await first.getByTestId('login-submit').click();
  await first.getByTestId('user-button').waitFor();
  await first.goto(base + '/labs/udp-ping');
  // The lab's server may still run from first-row.js: wait for the page to show either state.
  await first.locator('[data-testid=server-stop], input[data-testid=server-lossRate]').first().waitFor();
  if (await first.getByTestId('server-stop').count() === 0) {
    const loss = first.locator('input[data-testid=server-lossRate]'); await loss.fill('0'); await loss.press('Tab');
    await first.getByTestId('server-start').click();
    await first.getByTestId('server-stop').waitFor();
  }
  const pages = [first];
  for (let i = 1; i < pageCount; i++) { const p = await context.newPage(); await p.goto(base + '/labs/udp-ping'); await p.getByTestId('server-stop').waitFor(); pages.push(p); }
  for (const p of pages) {
    const count = p.locator('input[data-testid=probe-count]'); await count.fill(String(pings)); await count.press('Tab');
    const gap = p.locator('input[data-testid=probe-intervalMs]'); await gap.fill(String(interval)); await gap.press('Tab');
    await p.waitForFunction(() => !document.querySelector('[data-testid=probe-run]').disabled);
  }
  // Each page clicks Run itself and watches its progress line until every ping is shown (or 5 minutes pass).
  const follow = p => p.evaluate(([n]) => new Promise(resolve => {
    const link = () => document.querySelector('[data-testid=run-link]')?.getAttribute('href');
    const before = link();
    const arrivals = [];
    let shown = 0;
    const seen = () => {
      if (!link() || link() === before) return;
      const m = /^(\d+) of (\d+)/.exec(document.querySelector('[data-testid=ping-progress-text]')?.textContent ?? '');
      if (!m) return;
      const now = Date.now();
      for (let k = shown + 1; k <= +m[1]; k++) arrivals.push(now);
      shown = Math.max(shown, +m[1]);
      if (shown >= n) done();
    };
    const obs = new MutationObserver(seen);
    const timer = setTimeout(() => done(), 300000);
    const done = () => { obs.disconnect(); clearTimeout(timer); resolve({ href: link(), arrivals }); };
    obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    document.querySelector('[data-testid=probe-run]').click();
  }), [pings]);
  const results = await Promise.all(pages.map(follow));
  const delays = [];
  let complete = 0;
  for (const r of results) {
    const id = r.href.split('/').pop();
    const events = await (await fetch(`${base}/api/runs/${id}/events`, { headers: key })).json();
    const samples = events.filter(e => e.kind === 'rttSample').sort((a, b) => a.seq - b.seq);
    r.arrivals.forEach((t, i) => { if (samples[i]) delays.push(t - Date.parse(samples[i].timestamp)); });
    if (r.arrivals.length >= pings) complete++;
  }
  delays.sort((a, b) => a - b);
  const at = p => delays.length ? delays[Math.max(0, Math.ceil(p * delays.length) - 1)] : NaN;
  console.log(JSON.stringify({ pages: pageCount, pings, intervalMs: interval, pagesComplete: complete, rows: delays.length,
    delayMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: delays[delays.length - 1] } }));
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
