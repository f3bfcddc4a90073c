#!/usr/bin/env node
// Benchmarks of the native task API, each with a same-run baseline:
//   cancel   POST /v1/tasks/{id}/cancel sent → the engine sees its connection close, against an
//            OpenAI-compatible stream's client disconnect → the engine sees the close (both read
//            on CLOCK_MONOTONIC: the client's process.hrtime, the simulator's disconnect log,
//            matched by correlation id).
//   replay   a follower that resumes and receives 1,000 retained frames of a finished task: time
//            to the last byte, against a GET of the task's status (the cost of any request).
//   cpu      CPU seconds of `serve` per million tokens for tasks followed by one client, against
//            OpenAI streams of the same length in the same run.
//   memory   RSS of `serve` per retained finished task and per queued task, 10,000 of each (each
//            in a fresh serve), against its idle RSS.
//   predict  the 202's predicted_start_ms against the observed wait (the task's started_ms -
//            created_ms), for 200 tasks submitted at once to 8 slots, a third of them batch.
// Usage: node bench/tasks.mjs [--trials N] [--only cancel,replay,cpu,predict,memory]
//        (release build; SWITCHYARD_BIN selects the binary)

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.SWITCHYARD_BIN ?? join(root, 'build/release/src/app/switchyard');
const args = process.argv.slice(2);
const trials = Number(args.find((a, i) => args[i - 1] === '--trials') ?? 200);
const onlyArg = args.find((a, i) => args[i - 1] === '--only');
const only = onlyArg ? new Set(onlyArg.split(',')) : null;
const runs = (name) => !only || only.has(name);
const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(argv) {
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${argv[0]} did not start`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/"event":"listening","port":(\d+)/);
      if (m) {
        clearTimeout(t);
        res({ child, port: Number(m[1]) });
      }
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(port, method, path, body, headers = {}) {
  return new Promise((res, rej) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h = { ...headers };
    if (payload) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = payload.length;
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', rej);
    if (payload) req.write(payload);
    req.end();
  });
}

// Streams GET/POST `path`; calls onData(text, req) per chunk; resolves at the end or abort.
function stream(port, method, path, body, headers, onData) {
  return new Promise((res) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h = { ...headers };
    if (payload) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = payload.length;
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (r) => {
      r.setEncoding('utf8');
      r.on('data', (t) => onData(t, req));
      r.on('end', res);
      r.on('close', res);
    });
    req.on('error', res);
    if (payload) req.write(payload);
    req.end();
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const summary = (xs) => ({ p50: +pct(xs, 50).toFixed(3), p99: +pct(xs, 99).toFixed(3), count: xs.length });
const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

const sim = await start(['sim', '--listen', '127.0.0.1:0', '--ttft-ms', '5', '--itl-ms', '5', '--slots', '512']);
const dir = mkdtempSync(join(tmpdir(), 'sy-tasks-bench-'));
const cfg = join(dir, 'serve.yaml');
writeFileSync(cfg, ['listen: 127.0.0.1:0', 'threads: 2', 'log_level: warn',
  'tasks: { max_frames: 2048, retention_ms: 600000 }',
  'pools:', '  - id: bench', '    models: [sim-model]', '    engine: openai',
  `    endpoints: [http://127.0.0.1:${sim.port}]`, '    slots: 512', '    ctx_max: 1000000', ''].join('\n'));
const serve = await start(['serve', '--config', cfg]);
for (let i = 0; i < 100; i++) {
  if ((await request(serve.port, 'GET', '/ready').catch(() => ({}))).status === 200) break;
  await sleep(50);
}
const results = { trials };

// --- cancel → engine close, against client disconnect → engine close ---------------------------
if (runs('cancel')) {
  const cancelAt = new Map();
  const leaveAt = new Map();
  for (let t = 0; t < trials; t++) {
    // A task, canceled after its third token frame.
    const cid = `task-cancel-${t}`;
    const sub = await request(serve.port, 'POST', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', max_tokens: 200, seed: t },
      { 'X-Correlation-Id': cid });
    const id = JSON.parse(sub.text).task_id;
    let tokens = 0;
    let sent = false;
    await stream(serve.port, 'GET', `/v1/tasks/${id}/stream`, undefined, {}, (text) => {
      tokens += (text.match(/event: token/g) ?? []).length;
      if (tokens >= 3 && !sent) {
        sent = true;
        cancelAt.set(cid, process.hrtime.bigint());
        request(serve.port, 'POST', `/v1/tasks/${id}/cancel`, {});
      }
    });
    // The same for an OpenAI stream whose client leaves after three tokens.
    const oid = `openai-leave-${t}`;
    let chunks = 0;
    await stream(serve.port, 'POST', '/v1/completions', { model: 'sim-model', prompt: 'x', max_tokens: 200, stream: true, seed: t },
      { 'X-Correlation-Id': oid }, (text, req) => {
        chunks += (text.match(/^data: \{/gm) ?? []).length;
        if (chunks >= 3 && !leaveAt.has(oid)) {
          leaveAt.set(oid, process.hrtime.bigint());
          req.destroy();
        }
      });
  }
  await sleep(200);
  const st = JSON.parse((await request(sim.port, 'GET', '/sim/stats')).text);
  const seen = new Map(st.disconnects.map((d) => [d.correlation_id, BigInt(d.at_ns)]));
  const lat = (m) => [...m].filter(([k]) => seen.has(k)).map(([k, t0]) => Number(seen.get(k) - t0) / 1e6);
  results.cancel_to_engine_close_ms = summary(lat(cancelAt));
  results.openai_disconnect_to_engine_close_ms = summary(lat(leaveAt));
}

// --- replay of 1,000 retained frames ------------------------------------------------------------
if (runs('replay')) {
  const sub = await request(serve.port, 'POST', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', max_tokens: 1100, seed: 1 });
  const id = JSON.parse(sub.text).task_id;
  for (;;) {
    const s = JSON.parse((await request(serve.port, 'GET', `/v1/tasks/${id}`)).text);
    if (s.state !== 'queued' && s.state !== 'running') break;
    await sleep(50);
  }
  const replay = [];
  for (let r = 0; r < 30; r++) {
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    await stream(serve.port, 'GET', `/v1/tasks/${id}/stream`, undefined, { 'Last-Event-ID': '102' }, (text) => {
      bytes += text.length;
    });
    replay.push(Number(process.hrtime.bigint() - t0) / 1e6);
    results.replay_bytes = bytes;
  }
  results.replay_1000_frames_ms = summary(replay);
  const status = [];
  for (let r = 0; r < 30; r++) {
    const t0 = process.hrtime.bigint();
    await request(serve.port, 'GET', `/v1/tasks/${id}`);
    status.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  results.baseline_status_get_ms = summary(status);
}

// --- CPU per million tokens: followed tasks against OpenAI streams ------------------------------
if (runs('cpu')) {
  // An engine with no delay between tokens (as in run.mjs's throughput scenario): the relay's own
  // cost per token, not wake-ups at an engine's pace, is what is compared. 64 x 1,000 tokens per
  // round, so /proc's 10 ms CPU ticks are well below 1 %; the rounds alternate.
  const fast = await start(['sim', '--listen', '127.0.0.1:0', '--ttft-ms', '5', '--itl-ms', '0', '--slots', '512']);
  const fastCfg = join(dir, 'serve-fast.yaml');
  writeFileSync(fastCfg, ['listen: 127.0.0.1:0', 'threads: 2', 'log_level: warn',
    'tasks: { max_frames: 2048, retention_ms: 1000 }',
    'pools:', '  - id: bench', '    models: [sim-model]', '    engine: openai',
    `    endpoints: [http://127.0.0.1:${fast.port}]`, '    slots: 512', '    ctx_max: 1000000', ''].join('\n'));
  const target = await start(['serve', '--config', fastCfg]);
  for (let i = 0; i < 100; i++) {
    if ((await request(target.port, 'GET', '/ready').catch(() => ({}))).status === 200) break;
    await sleep(50);
  }
  const concurrency = 64;
  const perStream = 1000;
  const rounds = 6;
  const runTasks = async () => {
    await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
      const sub = await request(target.port, 'POST', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', max_tokens: perStream, seed: i });
      const id = JSON.parse(sub.text).task_id;
      await stream(target.port, 'GET', `/v1/tasks/${id}/stream`, undefined, {}, () => {});
    }));
  };
  const runOpenAI = async () => {
    await Promise.all(Array.from({ length: concurrency }, (_, i) =>
      stream(target.port, 'POST', '/v1/completions', { model: 'sim-model', prompt: 'x', max_tokens: perStream, stream: true, seed: i }, {}, () => {})));
  };
  const measure = async (fn) => {
    const c0 = cpuSeconds(target.child.pid);
    await fn();
    return ((cpuSeconds(target.child.pid) - c0) / (concurrency * perStream)) * 1e6;
  };
  const task = [];
  const openai = [];
  for (let r = 0; r < rounds; r++) {  // interleaved
    openai.push(await measure(runOpenAI));
    task.push(await measure(runTasks));
  }
  results.cpu_s_per_million_tokens = { task_followed: task.map((x) => +x.toFixed(2)), openai_stream: openai.map((x) => +x.toFixed(2)) };
  // Per alternating pair, then the median: a noisy round moves one ratio, not the summary.
  const ratios = task.map((t, i) => t / openai[i]);
  results.cpu_ratio_task_to_openai_per_pair = ratios.map((x) => +x.toFixed(2));
  results.cpu_ratio_task_to_openai = +pct(ratios, 50).toFixed(2);
  target.child.kill('SIGKILL');
  fast.child.kill('SIGKILL');
}

// --- predicted start against the observed start -------------------------------------------------
if (runs('predict')) {
  const file = join(dir, 'predict.yaml');
  writeFileSync(file, ['listen: 127.0.0.1:0', 'threads: 2', 'log_level: warn',
    'tasks: { retention_ms: 600000 }', 'queue: { capacity: 1000, policy: reject }',
    'pools:', '  - id: bench', '    models: [sim-model]', '    engine: openai',
    `    endpoints: [http://127.0.0.1:${sim.port}]`, '    slots: 8', '    ctx_max: 1000000', ''].join('\n'));
  const s = await start(['serve', '--config', file]);
  for (let i = 0; i < 100; i++) {
    if ((await request(s.port, 'GET', '/ready').catch(() => ({}))).status === 200) break;
    await sleep(50);
  }
  // A warm-up round, so the drain rate has data (a cold queue predicts 1 s per task ahead).
  await Promise.all(Array.from({ length: 16 }, (_, i) =>
    request(s.port, 'POST', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', max_tokens: 40, seed: i })));
  await sleep(1500);
  const count = 200;
  const admitted = [];
  for (let i = 0; i < count; i++) {  // submitted back to back; every third is batch
    const r = await request(s.port, 'POST', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x',
      max_tokens: 40, seed: i, priority: i % 3 === 2 ? 'batch' : 'interactive' });
    admitted.push(JSON.parse(r.text));
  }
  for (;;) {
    const last = JSON.parse((await request(s.port, 'GET', `/v1/tasks/${admitted.at(-1).task_id}`)).text);
    const first = JSON.parse((await request(s.port, 'GET', `/v1/tasks/${admitted[count - 3].task_id}`)).text);
    if (last.state === 'completed' && first.state === 'completed') break;
    await sleep(200);
  }
  const abs = [];
  const rel = [];
  const predicted = [];
  const observedAll = [];
  const relBy = { interactive: [], batch: [] };
  for (const [i, a] of admitted.entries()) {
    const st = JSON.parse((await request(s.port, 'GET', `/v1/tasks/${a.task_id}`)).text);
    if (a.queue_position === 0 || !st.started_ms) continue;
    const observed = st.started_ms - st.created_ms;
    predicted.push(a.predicted_start_ms);
    observedAll.push(observed);
    abs.push(Math.abs(a.predicted_start_ms - observed));
    rel.push(Math.abs(a.predicted_start_ms - observed) / Math.max(observed, 1));
    relBy[i % 3 === 2 ? 'batch' : 'interactive'].push(rel.at(-1));
  }
  results.predicted_start = { queued_tasks: abs.length, predicted_ms: summary(predicted),
    observed_wait_ms: summary(observedAll), abs_error_ms: summary(abs),
    rel_error_p50: +pct(rel, 50).toFixed(3), rel_error_p90: +pct(rel, 90).toFixed(3),
    // Batch tasks are overtaken by interactive ones submitted after them: their prediction at
    // admission cannot know those (the metrics frames carry the updated estimate).
    rel_error_p50_interactive: +pct(relBy.interactive, 50).toFixed(3),
    rel_error_p90_interactive: +pct(relBy.interactive, 90).toFixed(3),
    rel_error_p50_batch: +pct(relBy.batch, 50).toFixed(3) };
  s.child.kill('SIGKILL');
}

// --- memory per retained and per queued task ------------------------------------------------------
if (runs('memory')) {
  const rssKiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1]);
  const count = 10000;
  const fresh = async (extra) => {
    const file = join(dir, `memory-${extra.length}.yaml`);
    writeFileSync(file, ['listen: 127.0.0.1:0', 'threads: 2', 'log_level: warn',
      'tasks: { retention_ms: 600000, max_tasks: 20000 }', 'queue: { capacity: 20000, policy: reject }',
      'pools:', '  - id: bench', '    models: [sim-model]', '    engine: openai',
      `    endpoints: [http://127.0.0.1:${sim.port}]`, ...extra, '    ctx_max: 1000000', ''].join('\n'));
    const s = await start(['serve', '--config', file]);
    for (let i = 0; i < 100; i++) {
      if ((await request(s.port, 'GET', '/ready').catch(() => ({}))).status === 200) break;
      await sleep(50);
    }
    return s;
  };
  const submitAll = async (port, body) => {
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => request(port, 'POST', '/v1/tasks', { ...body, seed: i + k })));
    }
  };
  // Retained: short tasks that finish at once and stay for their retention.
  const retained = await fresh(['    slots: 64']);
  await sleep(300);
  const idle1 = rssKiB(retained.child.pid);
  await submitAll(retained.port, { model_ref: 'sim-model', prompt: 'x', max_tokens: 4 });
  await sleep(1000);
  results.rss_per_retained_task_kib = +((rssKiB(retained.child.pid) - idle1) / count).toFixed(2);
  retained.child.kill('SIGKILL');
  // Queued: one slot, held by a long task; everything after it waits.
  const queued = await fresh(['    slots: 1']);
  await sleep(300);
  const idle2 = rssKiB(queued.child.pid);
  await request(queued.port, 'POST', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', max_tokens: 100000 });
  await submitAll(queued.port, { model_ref: 'sim-model', prompt: 'x', max_tokens: 4 });
  await sleep(1000);
  results.rss_per_queued_task_kib = +((rssKiB(queued.child.pid) - idle2) / count).toFixed(2);
  queued.child.kill('SIGKILL');
}

console.log(JSON.stringify(results, null, 2));
process.exit(0);
