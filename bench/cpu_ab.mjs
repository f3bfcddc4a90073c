#!/usr/bin/env node
// CPU per relayed token of two `switchyard` binaries, measured in interleaved pairs (A, B, A, B,
// ...) against one simulated engine, so that a change to the relay can be compared with the
// commit before it on a noisy machine: the load is the throughput scenario of run.mjs (64
// concurrent streams, no inter-token delay), the figure is the serve process's utime+stime from
// /proc per million tokens, and each pair gives a B/A ratio. Prints a JSON summary.
//
// Usage: node bench/cpu_ab.mjs <binary A> <binary B> [--pairs 6] [--requests 640] [--tokens 2000]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const [binA, binB] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!binA || !binB) {
  console.error('usage: node bench/cpu_ab.mjs <binary A> <binary B> [--pairs N]');
  process.exit(2);
}
const pairs = flag('--pairs', 6);
const requests = flag('--requests', 640);
const tokens = flag('--tokens', 2000);
const dir = mkdtempSync(join(tmpdir(), 'switchyard-cpu-ab-'));
const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(bin, argv) {
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  let out = '';
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv[0]} did not start`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/"event":"listening","port":(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { child, listening };
}
async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
async function bench(bin, port) {
  const child = spawn(bin, ['bench', '--url', `http://127.0.0.1:${port}`, '--concurrency', '64',
    '--requests', String(requests), '--max-tokens', String(tokens), '--duration-s', '120'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => child.on('exit', r));
  return JSON.parse(out.trim().split('\n').pop());
}

async function serveRun(bin, enginePort) {
  const cfg = join(dir, 'serve.yaml');
  writeFileSync(cfg, ['listen: 127.0.0.1:0', 'threads: 2', 'log_level: warn',
    'health: { interval_ms: 1000, healthy_after: 1 }', 'pools:', '  - id: bench',
    '    models: [sim-model]', `    endpoints: [http://127.0.0.1:${enginePort}]`, '    slots: 256',
    '    ctx_max: 1000000', ''].join('\n'));
  const s = start(bin, ['serve', '--config', cfg]);
  const port = await s.listening;
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
    if (r?.status === 200) break;
    await sleep(50);
  }
  await bench(binA, port);  // warm-up (buffers, connections), not counted
  const cpu0 = cpuSeconds(s.child.pid);
  const res = await bench(binA, port);
  const cpu = cpuSeconds(s.child.pid) - cpu0;
  await stop(s.child);
  return { cpu_s: cpu, tokens: res.tokens, errors: res.errors,
    cpu_s_per_million_tokens: res.tokens ? (cpu / res.tokens) * 1e6 : null };
}

const sim = start(binA, ['sim', '--listen', '127.0.0.1:0', '--ttft-ms', '0', '--itl-ms', '0',
  '--slots', '256', '--tokens', String(tokens)]);
const simPort = await sim.listening;
const runs = [];
for (let p = 0; p < pairs; p++) {
  const a = await serveRun(binA, simPort);
  const b = await serveRun(binB, simPort);
  runs.push({ a, b, ratio_b_to_a: b.cpu_s_per_million_tokens / a.cpu_s_per_million_tokens });
}
await stop(sim.child);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(JSON.stringify({
  method: `64 streams x ${requests} requests x ${tokens} tokens, sim itl 0; serve utime+stime per million tokens; ${pairs} interleaved pairs after one warm-up run each`,
  a: binA, b: binB,
  a_median: median(runs.map((r) => r.a.cpu_s_per_million_tokens)),
  b_median: median(runs.map((r) => r.b.cpu_s_per_million_tokens)),
  ratio_median: median(runs.map((r) => r.ratio_b_to_a)),
  errors: runs.reduce((n, r) => n + r.a.errors + r.b.errors, 0),
  runs,
}, null, 1));
