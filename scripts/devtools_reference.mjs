// Prints what Chrome DevTools' own trace engine computes for a trace: each request's server-response
// wait, the LCP and its subparts. Used to state the reference figures of sample-traces/devtools.*.
//   cd scripts && npm install @paulirish/trace_engine@0.0.65 && node devtools_reference.mjs TRACE
import fs from 'node:fs';
import zlib from 'node:zlib';
import {analyzeEvents} from '@paulirish/trace_engine/analyze-trace.mjs';
const f = process.argv[2];
let buf = fs.readFileSync(f);
if (buf[0] === 0x1f) buf = zlib.gunzipSync(buf);
const json = JSON.parse(buf.toString('utf8'));
const {parsedTrace} = await analyzeEvents(json.traceEvents ?? json);
const data = parsedTrace.data ?? parsedTrace;
for (const r of data.NetworkRequests.byTime) {
  const t = r.args.data.timing;
  const hs = t ? (t.receiveHeadersStart ?? t.receiveHeadersEnd) : null;
  console.log('req', r.args.data.url, 'serverResponse', t ? (hs - t.sendEnd).toFixed(3) : null);
}
for (const [navId, m] of data.PageLoadMetrics.metricScoresByFrameId.entries()) {
  for (const [nid, scores] of m.entries()) {
    const lcp = scores.get('LCP');
    if (lcp) console.log('LCP', (lcp.timing / 1000).toFixed(3), 'ms');
  }
}
for (const [id, set] of parsedTrace.insights ?? []) {
  const b = set.model?.LCPBreakdown;
  if (b?.subparts) console.log('subparts', id, JSON.stringify(Object.fromEntries(Object.entries(b.subparts).map(([k,v]) => [k, v ? (v.range/1000).toFixed(3) : null]))));
}
