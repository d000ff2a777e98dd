#!/usr/bin/env node
// Records one page load with headless Chromium, three ways at once: a HAR (Playwright's
// recordHar, what the Network panel's "Save all as HAR" holds), a DevTools Performance trace of
// the same load (CDP Tracing with the Performance panel's categories, as scripts/cdp_trace.py),
// and, optionally, a burst of CPU-bound requests to the server while the page loads.
//
// usage: record-har.cjs URL OUT.har OUT.devtools.json.gz [BURST_URL CLIENTS]
// Needs playwright-core (npm); PLAYWRIGHT_CORE may name its directory. Chromium is
// /usr/bin/chromium (Debian's), or $CHROMIUM.
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

// The Performance panel's categories (as scripts/cdp_trace.py).
const CATEGORIES = [
  'blink.console', 'blink.user_timing', 'devtools.timeline',
  'disabled-by-default-devtools.screenshot', 'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame', 'disabled-by-default-devtools.timeline.stack',
  'disabled-by-default-devtools.timeline.invalidationTracking', 'disabled-by-default-lighthouse',
  'disabled-by-default-v8.compile', 'disabled-by-default-v8.cpu_profiler', 'latencyInfo',
  'loading', 'v8.execute', 'v8',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const [url, harOut, traceOut, burstUrl, clients] = process.argv.slice(2);
  if (!traceOut) throw new Error('usage: record-har.cjs URL OUT.har OUT.devtools.json.gz [BURST_URL CLIENTS]');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ recordHar: { path: harOut, content: 'omit' } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const events = [];
  let done;
  const complete = new Promise((r) => { done = r; });
  cdp.on('Tracing.dataCollected', (e) => { for (const ev of e.value) events.push(ev); });
  cdp.on('Tracing.tracingComplete', () => done());
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: CATEGORIES, excludedCategories: ['*'] },
    transferMode: 'ReportEvents',
  });
  await sleep(500);

  // The burst: CLIENTS loops, each sending the next request when its last one is answered,
  // from 300 ms before the navigation until the page has loaded.
  let bursting = Boolean(burstUrl);
  let burstRequests = 0;
  const loops = [];
  for (let i = 0; bursting && i < Number(clients || 4); i++) {
    loops.push((async () => {
      while (bursting) {
        const r = await fetch(burstUrl);
        await r.arrayBuffer();
        burstRequests++;
      }
    })());
  }
  if (bursting) await sleep(300);

  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  bursting = false;
  await Promise.all(loops);
  await sleep(3000); // late paints, LCP
  await cdp.send('Tracing.end');
  await complete;
  const meta = {
    source: 'DevTools', startTime: new Date().toISOString(), dataOrigin: 'TraceEvents',
    recordedBy: 'stallscope scripts/record-har.cjs',
  };
  fs.writeFileSync(traceOut, zlib.gzipSync(JSON.stringify({ traceEvents: events, metadata: meta }), { level: 9 }));
  await context.close(); // writes the HAR
  await browser.close();
  console.log(`record-har: ${events.length} trace events -> ${traceOut}; HAR -> ${harOut}; ` +
    `${burstRequests} burst requests`);
}

main().catch((e) => { console.error(`record-har: ${e.stack || e}`); process.exit(1); });
