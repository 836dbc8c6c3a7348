// Click Run to the first result row of a UDP ping run, as the page shows it in Chromium (Debian's,
// never a downloaded one), against the lab's own server with no loss; run by bench/ui-latency.sh.
// Prints the median, min and max over ROUNDS runs.
const { chromium } = require('playwright-core');
(async () => {
  const base = process.argv[2], rounds = +(process.argv[3] || 21);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--no-first-run'] });
  const page = await (await browser.newContext()).newPage();
  // The portal was started with a bootstrap administrator (bench/ui-latency.sh): its key for the
  // API, its password for the sign-in page, as a person signs in.
  const key = { 'X-Api-Key': process.env.NETLAB_KEY };
  // A clean start: no server left over from an earlier measurement.
  const servers = await (await fetch(base + '/api/servers', { headers: key })).json();
  for (const s of servers) await fetch(base + '/api/servers/' + s.id, { method: 'DELETE', headers: key });
  await page.goto(base + '/account/login');
  await page.getByTestId('login-email').fill(process.env.NETLAB_EMAIL);
  await page.getByTestId('login-password').fill(process.env.NETLAB_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-button').waitFor();
  await page.goto(base + '/labs/udp-ping');
  const loss = page.locator('input[data-testid=server-lossRate]'); await loss.fill('0'); await loss.press('Tab');
  await page.getByTestId('server-start').click();
  await page.getByTestId('server-stop').waitFor();
  const count = page.locator('input[data-testid=probe-count]');
  await count.fill('20'); await count.press('Tab');
  const interval = page.locator('input[data-testid=probe-intervalMs]');
  await interval.fill('20'); await interval.press('Tab');
  const times = []; 
  for (let i = 0; i < rounds; i++) {
    await page.getByTestId('probe-run').waitFor({ state: 'visible' });
    await page.waitForFunction(() => !document.querySelector('[data-testid=probe-run]').disabled);
    const ms = await page.evaluate(() => new Promise(resolve => {
      const link = () => document.querySelector('[data-testid=run-link]')?.getAttribute('href');
      const before = link();
      const start = performance.now();
      const seen = () => {
        // the new run's card (its link changed) with its first row
        if (link() && link() !== before && document.querySelectorAll('[data-testid=ping-row]').length > 0) { obs.disconnect(); resolve(performance.now() - start); }
      };
      const obs = new MutationObserver(seen);
      obs.observe(document.body, { childList: true, subtree: true, characterData: true });
      document.querySelector('[data-testid=probe-run]').click();
    }));
    times.push(ms);
    await page.getByTestId('ping-summary').waitFor();
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ rounds, medianMs: times[Math.floor(times.length / 2)].toFixed(1), minMs: times[0].toFixed(1), maxMs: times[times.length - 1].toFixed(1) }));
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
