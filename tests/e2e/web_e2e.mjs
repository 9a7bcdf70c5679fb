// The live page in headless Chromium (run by web_e2e.py):
//   node web_e2e.mjs BASE_URL NPM_DIR CHROMIUM SHOT_DIR
// Every meter's card shows what /api/v1/meters/{name} reports for the same
// telegram; the chart is redrawn with more than one point; the raw telegram
// view highlights OBIS lines; on a phone-sized viewport nothing overflows.
// Every wait is on an observable condition with a deadline.
import {createRequire} from 'node:module';
import path from 'node:path';

const [base, npmDir, chromiumPath, shotDir] = process.argv.slice(2);
const require = createRequire(path.join(npmDir, 'node_modules', 'x.js'));
const {chromium} = require('playwright-core');
const DEADLINE_MS = 30000;  // the Luxembourg meter sends every 10 s

const api = async p => {
  const r = await fetch(base + p);
  if (!r.ok) throw new Error(`${p}: ${r.status}`);
  return r.json();
};
// "1,234" -> 1234; "–" -> undefined.
const num = s => (s === null || s === '–' ? undefined : Number(s.replace(/,/g, '').split(' ')[0]));
const near = (a, b, tol) => a !== undefined && b !== undefined && Math.abs(a - b) <= tol;

function expected(reading) {
  const o = new Map(reading.objects.map(x => [x.obis, x]));
  // Power in W and energy in kWh, from the unit the meter sent (kW or W, kWh or Wh).
  const w = k => (o.has(k) ? Math.round(o.get(k).value * (o.get(k).unit === 'W' ? 1 : 1000)) : undefined);
  const kwh = x => x.value / (x.unit === 'Wh' ? 1000 : 1);
  const want = {power_w: w('1-0:1.7.0'), export_w: w('1-0:2.7.0')};
  if (o.has('1-0:32.7.0')) want.l1_voltage_v = o.get('1-0:32.7.0').value;
  if (o.has('1-0:31.7.0')) want.l1_current_a = o.get('1-0:31.7.0').value;
  if (o.has('1-0:1.6.0')) want.month_peak_w = w('1-0:1.6.0');
  for (const d of reading.mbus) want[`mbus_${d.channel}`] = d.value;
  // The card's energy rows: the tariff registers, else the totals.
  const regs = reading.objects.filter(x => /^1-0:[12]\.8\.[1-9]$/.test(x.obis));
  const shown = regs.length ? regs : reading.objects.filter(x => /^1-0:[12]\.8\.0$/.test(x.obis));
  for (const x of shown) want[`kwh_${x.obis}`] = kwh(x);
  return want;
}

// The card's fields and the API's reading for the same telegram (the one
// whose received_at the card shows), retried while telegrams arrive between
// the two reads.
async function checkCard(page, name) {
  const end = Date.now() + DEADLINE_MS;
  let last = 'no telegram on the card';
  while (Date.now() < end) {
    const shown = await page.evaluate(n => {
      const card = document.querySelector(`[data-meter="${n}"]`);
      if (!card) return null;
      const fields = {};
      for (const e of card.querySelectorAll('[data-field]')) fields[e.dataset.field] = e.textContent;
      return {at: card.dataset.receivedAt, fields};
    }, name);
    const reading = await api(`/api/v1/meters/${name}`);
    if (shown && shown.at === reading.received_at) {
      const want = expected(reading);
      const wrong = Object.entries(want).filter(([k, v]) => !near(num(shown.fields[k] ?? null), v, 0.0011));
      if (wrong.length === 0) {
        if (shown.fields.up !== 'up') throw new Error(`${name}: health shows '${shown.fields.up}'`);
        console.log(`ok ${name}: ${JSON.stringify(want)} at ${reading.received_at}`);
        return;
      }
      last = `shown ${JSON.stringify(shown.fields)} want ${JSON.stringify(want)}`;
    } else if (shown) {
      last = `card at ${shown.at}, API at ${reading.received_at}`;
    }
    await new Promise(r => setTimeout(r, 150));
  }
  throw new Error(`${name}: card never matched the API: ${last}`);
}

const browser = await chromium.launch({executablePath: chromiumPath, args: ['--no-sandbox']});
let failed = false;
try {
  const page = await browser.newPage({viewport: {width: 1280, height: 900}});
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => m.type() === 'error' && errors.push(m.text()));
  page.on('response', r => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  const res = await page.goto(base + '/');
  if (res.headers()['content-type'] !== 'text/html; charset=utf-8') {
    throw new Error('content-type ' + res.headers()['content-type']);
  }
  const names = (await api('/api/v1/meters')).meters.map(m => m.name);
  if (names.length < 2) throw new Error('expected the demo meters, got ' + names);
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live',
                             null, {timeout: DEADLINE_MS});
  for (const name of names) await checkCard(page, name);

  // The chart: more than one point, then redrawn with more, pixels changed.
  const canvas = page.locator('[data-meter="home"] canvas');
  await page.waitForFunction(() => +document.querySelector('[data-meter="home"] canvas').dataset.points > 1,
                             null, {timeout: DEADLINE_MS});
  const before = {n: +(await canvas.getAttribute('data-points')),
                  png: await canvas.evaluate(c => c.toDataURL())};
  await page.waitForFunction(n => +document.querySelector('[data-meter="home"] canvas').dataset.points > n,
                             before.n, {timeout: DEADLINE_MS});
  // One second is half a pixel on a 10-minute axis: wait (bounded) until the
  // drawing visibly changed rather than comparing one redraw.
  await page.waitForFunction(png => document.querySelector('[data-meter="home"] canvas').toDataURL() !== png,
                             before.png, {timeout: DEADLINE_MS})
      .catch(() => { throw new Error('chart pixels unchanged'); });
  console.log(`ok chart: ${before.n} points, then redrawn with more`);

  // The raw telegram: the OBIS lines of the API's telegram, highlighted.
  await page.click('[data-meter="be"] summary');
  await page.waitForSelector('[data-meter="be"] pre .line[data-obis="1-0:1.6.0"] .obis', {timeout: DEADLINE_MS});
  const lines = await page.locator('[data-meter="be"] pre .obis').count();
  if (lines < 20) throw new Error(`raw telegram shows ${lines} OBIS lines`);
  console.log(`ok raw telegram: ${lines} highlighted OBIS lines`);

  // The age ticks between telegrams (lu: one per 10 s).
  await page.waitForFunction(() => /^[1-9]\d* s ago$/.test(
      document.querySelector('[data-meter="lu"] [data-field=age]').textContent), null, {timeout: DEADLINE_MS});
  console.log('ok age ticks');

  const shot = path.join(shotDir, 'web_page.png');
  await page.screenshot({path: shot, fullPage: true});
  console.log('screenshot: ' + shot);

  // A phone: the cards stack, nothing wider than the screen.
  await page.setViewportSize({width: 390, height: 844});
  const fits = () => page.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')].find(e =>
      e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('pre'));
    return document.documentElement.scrollWidth <= window.innerWidth ? '' :
      `${wide ? wide.tagName + (wide.dataset.field ? '[' + wide.dataset.field + ']' : '') : '?'} wider than the screen`;
  });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth,
                             null, {timeout: 5000}).catch(async () => { throw new Error('phone: ' + await fits()); });
  const phone = path.join(shotDir, 'web_page_phone.png');
  await page.screenshot({path: phone, fullPage: true});
  console.log('screenshot (phone): ' + phone);
  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
} catch (e) {
  console.error('FAIL:', e.message);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
