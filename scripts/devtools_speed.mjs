// Times Chrome DevTools' trace engine on a trace (read + JSON.parse + Model.parse) and prints its
// peak RSS, to compare with `stallscope analyze` on the same file in the same run.
//   cd scripts && npm install @paulirish/trace_engine@0.0.65 && node --max-old-space-size=16000 devtools_speed.mjs TRACE
import fs from 'node:fs';
import {analyzeEvents} from '@paulirish/trace_engine/analyze-trace.mjs';
const f = process.argv[2];
const t0 = performance.now();
const text = fs.readFileSync(f, 'utf8');
const json = JSON.parse(text);
const events = Array.isArray(json) ? json : json.traceEvents;
const t1 = performance.now();
await analyzeEvents(events);
const t2 = performance.now();
const mb = fs.statSync(f).size / 1048576;
console.log(`${f}: ${mb.toFixed(1)} MB; read+JSON.parse ${(t1-t0).toFixed(0)} ms; Model.parse ${(t2-t1).toFixed(0)} ms; total ${(t2-t0).toFixed(0)} ms = ${(mb/((t2-t0)/1000)).toFixed(1)} MB/s; peak RSS ${(process.resourceUsage().maxRSS/1024).toFixed(0)} MB`);
