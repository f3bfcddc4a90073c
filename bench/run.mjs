#!/usr/bin/env node
// Switchyard's benchmark: the same load through three paths in one run, so every number has a
// same-run baseline.
//   direct      bench → simulated engine
//   nginx       bench → nginx (proxy_buffering off) → simulated engine
//   haproxy     bench → HAProxy (http mode) → simulated engine
//   switchyard  bench → switchyard serve → simulated engine
// Scenarios: added TTFT at 16 streams; relay throughput and CPU per token at 64 streams with no
// inter-token delay; RSS with 1,000 and 9,500 concurrent slow streams; client disconnect to
// engine-side close. Prints a JSON summary and writes raw results under bench-results/.
//
// Usage: node bench/run.mjs [--quick] [--only ttft,throughput,rss,disconnect] [--rss-streams 1000,9500]
//                           [--rss-proxies switchyard,nginx,haproxy]
// Needs: a release build (scripts/build.sh release), nginx and haproxy (scripts/install-deps.sh
// installs both).

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.SWITCHYARD_BIN ?? join(root, 'build/release/src/app/switchyard');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a, i) => args[i - 1] === '--only');
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const rssArg = args.find((a, i) => args[i - 1] === '--rss-streams');
const rssStreams = (rssArg ?? (quick ? '1000' : '1000,9500')).split(',').map(Number);
// --rss-proxies switchyard: measure only some of the three in the RSS scenario (quick iterations).
const rssProxiesArg = args.find((a, i) => args[i - 1] === '--rss-proxies');
const rssProxies = (rssProxiesArg ?? 'switchyard,nginx,haproxy').split(',');
const repeats = quick ? 1 : 3;
const outDir = join(root, 'bench-results', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(outDir, { recursive: true });

const children = [];
function start(cmd, argv, name) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', () => {});
  const listening = new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${name} did not start`)), 15000);
    child.stdout.on('data', () => {
      const m = out.match(/"event":"listening","port":(\d+)/);
      if (m) { clearTimeout(t); res(Number(m[1])); }
    });
    child.on('exit', (code) => rej(new Error(`${name} exited with ${code}`)));
  });
  return { child, listening };
}
async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await new Promise((r) => child.on('exit', r));
  clearTimeout(t);
}
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); });

function cpuSeconds(pid) {
  // utime + stime of the process (all threads), in clock ticks → seconds.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function rssKiB(pid) {
  // A process that exited meanwhile (an nginx worker replaced, a crash) counts 0; the run's
  // bench errors and active_seen say whether the proxy kept serving.
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function childPids(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n').map((s) => Number(s.trim())).filter(Boolean);
  } catch { return []; }
}

async function runBench(url, opts) {
  const argv = ['bench', '--url', url, '--concurrency', String(opts.concurrency),
    '--requests', String(opts.requests), '--max-tokens', String(opts.maxTokens),
    '--duration-s', String(opts.durationS ?? 120)];
  if (opts.disconnectAfter) argv.push('--disconnect-after-tokens', String(opts.disconnectAfter));
  if (opts.simStats) argv.push('--sim-stats', opts.simStats);
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => child.on('exit', r));
  return JSON.parse(out.trim().split('\n').pop());
}

async function startSim(flags) {
  const s = start(bin, ['sim', '--listen', '127.0.0.1:0', ...flags], 'sim');
  return { ...s, port: await s.listening };
}
async function startSwitchyard(enginePort, slots) {
  const cfg = join(outDir, `switchyard-${enginePort}.yaml`);
  writeFileSync(cfg, [
    'listen: 127.0.0.1:0', 'threads: 2', 'log_level: warn',
    'limits: { max_connections: 20000 }',
    'queue: { capacity: 20000, policy: reject }',
    'health: { interval_ms: 1000, healthy_after: 1 }',
    'pools:', '  - id: bench', '    models: [sim-model]', '    engine: openai',
    `    endpoints: [http://127.0.0.1:${enginePort}]`, `    slots: ${slots}`, '    ctx_max: 1000000', ''].join('\n'));
  const s = start(bin, ['serve', '--config', cfg], 'switchyard');
  const port = await s.listening;
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
    if (r?.status === 200) break;
    await sleep(50);
  }
  return { ...s, port };
}
// Waits (up to 5 s) until a proxy in front of the engine answers GET /health.
async function waitHealthy(port) {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    if (r?.status === 200) return;
    await sleep(50);
  }
}
async function startNginx(enginePort) {
  const dir = join(outDir, `nginx-${enginePort}`);
  mkdirSync(dir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = readFileSync(join(root, 'bench/nginx.conf.template'), 'utf8')
    .replaceAll('__DIR__', dir).replaceAll('__ENGINE_PORT__', String(enginePort)).replaceAll('__PORT__', String(port));
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const child = spawn(nginx, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  children.push(child);
  await waitHealthy(port);
  return { child, port };
}
async function startHaproxy(enginePort) {
  const dir = join(outDir, `haproxy-${enginePort}`);
  mkdirSync(dir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = readFileSync(join(root, 'bench/haproxy.cfg.template'), 'utf8')
    .replaceAll('__ENGINE_PORT__', String(enginePort)).replaceAll('__PORT__', String(port));
  writeFileSync(join(dir, 'haproxy.cfg'), conf);
  const haproxy = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
  // -db: stay in the foreground, one process (its threads), so its pid is the one to measure.
  const child = spawn(haproxy, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
  children.push(child);
  await waitHealthy(port);
  return { child, port };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = { when: new Date().toISOString(), quick, machine: { cpus: execFileSync('nproc', { encoding: 'utf8' }).trim() } };

// --- 1. Added TTFT at 16 concurrent streams -------------------------------------------------
if (!only || only.has('ttft')) {
  const sim = await startSim(['--ttft-ms', '20', '--itl-ms', '5', '--slots', '256', '--tokens', '16']);
  const sy = await startSwitchyard(sim.port, 256);
  const ng = await startNginx(sim.port);
  const hp = await startHaproxy(sim.port);
  const paths = { direct: sim.port, nginx: ng.port, haproxy: hp.port, switchyard: sy.port };
  const runs = { direct: [], nginx: [], haproxy: [], switchyard: [] };
  const n = quick ? 400 : 1600;
  for (const p of Object.keys(paths)) await runBench(`http://127.0.0.1:${paths[p]}`, { concurrency: 16, requests: 64, maxTokens: 16 });
  for (let r = 0; r < repeats; r++) {
    for (const p of Object.keys(paths)) {
      runs[p].push(await runBench(`http://127.0.0.1:${paths[p]}`, { concurrency: 16, requests: n, maxTokens: 16 }));
    }
  }
  const pick = (p, q) => median(runs[p].map((x) => x.ttft_ms[q]));
  results.ttft_16_streams = {
    method: `sim ttft 20 ms, itl 5 ms, 16 tokens; bench 16 concurrent streams x ${n} requests, ${repeats} interleaved runs, medians of per-run percentiles`,
    ttft_ms: Object.fromEntries(Object.keys(paths).map((p) => [p, { p50: pick(p, 'p50'), p99: pick(p, 'p99') }])),
    added_ms: {
      switchyard: { p50: pick('switchyard', 'p50') - pick('direct', 'p50'), p99: pick('switchyard', 'p99') - pick('direct', 'p99') },
      nginx: { p50: pick('nginx', 'p50') - pick('direct', 'p50'), p99: pick('nginx', 'p99') - pick('direct', 'p99') },
      haproxy: { p50: pick('haproxy', 'p50') - pick('direct', 'p50'), p99: pick('haproxy', 'p99') - pick('direct', 'p99') },
    },
    errors: Object.fromEntries(Object.keys(paths).map((p) => [p, runs[p].reduce((a, x) => a + x.errors, 0)])),
    runs,
  };
  await Promise.all([stop(sy.child), stop(ng.child), stop(hp.child), stop(sim.child)]);
}

// --- 2. Relay throughput and CPU per token, 64 streams, no inter-token delay ----------------
if (!only || only.has('throughput')) {
  const sim = await startSim(['--ttft-ms', '0', '--itl-ms', '0', '--slots', '256', '--tokens', '1000']);
  const sy = await startSwitchyard(sim.port, 256);
  const ng = await startNginx(sim.port);
  const hp = await startHaproxy(sim.port);
  const tokens = quick ? 500 : 2000;
  const requests = quick ? 256 : 640;
  const out = {};
  for (const [name, port, pids] of [
    ['direct', sim.port, () => []],
    ['nginx', ng.port, () => childPids(ng.child.pid)],
    ['haproxy', hp.port, () => [hp.child.pid]],
    ['switchyard', sy.port, () => [sy.child.pid]],
  ]) {
    const per = [];
    for (let r = 0; r < repeats; r++) {
      const ps = pids();
      const cpu0 = ps.reduce((a, p) => a + cpuSeconds(p), 0);
      const simCpu0 = cpuSeconds(sim.child.pid);
      const res = await runBench(`http://127.0.0.1:${port}`, { concurrency: 64, requests, maxTokens: tokens });
      const cpu = ps.reduce((a, p) => a + cpuSeconds(p), 0) - cpu0;
      const simCpu = cpuSeconds(sim.child.pid) - simCpu0;
      per.push({ tokens_per_s: res.tokens_per_s, tokens: res.tokens, errors: res.errors,
        proxy_cpu_s: cpu, proxy_cpu_s_per_million_tokens: res.tokens ? (cpu / res.tokens) * 1e6 : null,
        engine_cpu_s: simCpu });
    }
    out[name] = {
      tokens_per_s: median(per.map((x) => x.tokens_per_s)),
      proxy_cpu_s_per_million_tokens: median(per.map((x) => x.proxy_cpu_s_per_million_tokens ?? 0)),
      errors: per.reduce((a, x) => a + x.errors, 0), runs: per,
    };
  }
  out.cpu_ratio_switchyard_to_nginx = out.switchyard.proxy_cpu_s_per_million_tokens / out.nginx.proxy_cpu_s_per_million_tokens;
  out.cpu_ratio_switchyard_to_haproxy = out.switchyard.proxy_cpu_s_per_million_tokens / out.haproxy.proxy_cpu_s_per_million_tokens;
  // The target: against the better of the two classic proxies in the same run.
  out.cpu_ratio_switchyard_to_best_proxy = out.switchyard.proxy_cpu_s_per_million_tokens /
    Math.min(out.nginx.proxy_cpu_s_per_million_tokens, out.haproxy.proxy_cpu_s_per_million_tokens);
  out.method = `sim ttft 0, itl 0, ${tokens} tokens per request; bench 64 concurrent streams x ${requests} requests; CPU = utime+stime of the proxy processes from /proc; ${repeats} runs, medians`;
  results.throughput_64_streams = out;
  await Promise.all([stop(sy.child), stop(ng.child), stop(hp.child), stop(sim.child)]);
}

// --- 3. RSS per open stream ------------------------------------------------------------------
if (!only || only.has('rss')) {
  results.rss = { method: 'sim itl 1000 ms, 20 tokens (20 s streams); bench opens N streams at once; RSS sampled once all N are relaying, minus the idle RSS; per-stream = delta / N', runs: [] };
  for (const n of rssStreams) {
    for (const which of rssProxies) {
      const sim = await startSim(['--ttft-ms', '10', '--itl-ms', '1000', '--slots', '20000', '--tokens', '20', '--max-waiting', '20000']);
      const proxy = which === 'switchyard' ? await startSwitchyard(sim.port, 20000)
        : which === 'nginx' ? await startNginx(sim.port) : await startHaproxy(sim.port);
      const pids = () => (which === 'nginx' ? childPids(proxy.child.pid) : [proxy.child.pid]);
      await sleep(300);
      const idle = pids().reduce((a, p) => a + rssKiB(p), 0);
      const benchRun = runBench(`http://127.0.0.1:${proxy.port}`, { concurrency: n, requests: n, maxTokens: 20, durationS: 60 });
      let peak = idle; let activeSeen = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 30000) {
        const st = await (await fetch(`http://127.0.0.1:${sim.port}/sim/stats`)).json();
        activeSeen = st.active;
        peak = Math.max(peak, pids().reduce((a, p) => a + rssKiB(p), 0));
        if (st.active >= n) { await sleep(1500); peak = Math.max(peak, pids().reduce((a, p) => a + rssKiB(p), 0)); break; }
        await sleep(200);
      }
      const res = await benchRun;
      results.rss.runs.push({ proxy: which, streams: n, active_seen: activeSeen, idle_rss_kib: idle, loaded_rss_kib: peak,
        per_stream_kib: (peak - idle) / n, bench_errors: res.errors, bench_ok: res.ok, error_kinds: res.error_kinds });
      await Promise.all([stop(proxy.child), stop(sim.child)]);
    }
  }
}

// --- 4. Client disconnect → engine sees the close -------------------------------------------
if (!only || only.has('disconnect')) {
  const sim = await startSim(['--ttft-ms', '5', '--itl-ms', '10', '--slots', '256', '--tokens', '1000']);
  const sy = await startSwitchyard(sim.port, 256);
  const ng = await startNginx(sim.port);
  const hp = await startHaproxy(sim.port);
  const out = { method: 'sim itl 10 ms; bench closes each stream after 3 tokens and records the time; the sim records when it notices the close (CLOCK_MONOTONIC in both); 16 concurrent x 400 requests' };
  for (const [name, port] of [['direct', sim.port], ['nginx', ng.port], ['haproxy', hp.port], ['switchyard', sy.port]]) {
    await fetch(`http://127.0.0.1:${sim.port}/sim/reset`, { method: 'POST' });
    const res = await runBench(`http://127.0.0.1:${port}`, { concurrency: 16, requests: quick ? 100 : 400, maxTokens: 1000,
      disconnectAfter: 3, simStats: `http://127.0.0.1:${sim.port}/sim/stats` });
    const st = await (await fetch(`http://127.0.0.1:${sim.port}/sim/stats`)).json();
    out[name] = { disconnect_to_upstream_close_ms: res.disconnect_to_upstream_close_ms, sim_tokens_after_disconnect: st.tokens_after_disconnect,
      sim_client_disconnects: st.client_disconnects };
  }
  results.disconnect = out;
  await Promise.all([stop(sy.child), stop(ng.child), stop(hp.child), stop(sim.child)]);
}

writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2));
const brief = JSON.parse(JSON.stringify(results, (k, v) => (k === 'runs' && Array.isArray(v) && v.length && v[0].ttft_ms ? undefined : v)));
console.log(JSON.stringify(brief, null, 2));
console.error(`raw results: ${join(outDir, 'results.json')}`);
