#!/usr/bin/env node
// Switchyard soak: the real binaries under a mixed, faulty load for a long time, sampled every few
// seconds. It answers two questions: does every request end (answered, or ended with a coded
// error), and do memory and descriptors stay flat?
//
//   3 x `switchyard sim`  (fixed ports; one is SIGKILLed and restarted every --restart-every-s)
//   1 x `switchyard serve` pool-a: sim-model on engines 1+2; pool-b: sim-b and sim-model on engine 3
//   N closed-loop clients: chat / completions, streaming or not, 1..256 tokens, client aborts,
//     deadlines, priorities, sessions, and engine faults through the body's `sim_options`
//     (mid-stream resets, stalls, 500, 503, 429 with Retry-After, 400).
//
// Every --sample-s it writes one JSON line (serve's RSS and fds from /proc, its /metrics gauges and
// counters, the engines' /sim/stats, the client's outcome counters) to samples.jsonl; at the end
// summary.json (totals, RSS/fd profile, verdict). Exit 0: pass; 1: fail; 2: could not run.
// docs/soak.md explains the load, the classification and the flatness rule.
//
// Usage: node bench/soak.mjs [--duration-s 1800] [--sample-s 5] [--restart-every-s 180]
//          [--restart-down-s 5] [--concurrency 48] [--out DIR] [--bin PATH] [--seed N]
//          [--hung-s 60] [--max-requests 0] [--serve-threads 2] [--log-level info]
//        node bench/soak.mjs --self-test   (checks the classifier against a bare engine, ~10 s)
// Processes started here are tracked by their handles and only those are ever signalled.

import { spawn, execFileSync } from 'node:child_process';
import {
  mkdirSync, writeFileSync, readFileSync, readdirSync, readlinkSync, openSync, closeSync, appendFileSync,
  createReadStream, statSync, mkdtempSync, copyFileSync, chmodSync, rmSync,
} from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import { tmpdir } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// Options

const { values: argv } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '1800' },
    'sample-s': { type: 'string', default: '5' },
    'restart-every-s': { type: 'string', default: '180' },
    'restart-down-s': { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '48' },
    out: { type: 'string' },
    bin: { type: 'string' },
    seed: { type: 'string' },
    'hung-s': { type: 'string', default: '60' },
    'max-requests': { type: 'string', default: '0' },
    'serve-threads': { type: 'string', default: '2' },
    'log-level': { type: 'string', default: 'info' },
    'self-test': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (argv.help) {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}
const num = (k) => {
  const v = Number(argv[k]);
  if (!Number.isFinite(v) || v < 0) { console.error(`soak: --${k} must be a non-negative number (got ${argv[k]})`); process.exit(2); }
  return v;
};
const OPT = {
  durationS: num('duration-s'),
  sampleS: Math.max(0.5, num('sample-s')),
  restartEveryS: num('restart-every-s'), // 0 = never
  restartDownS: num('restart-down-s'),
  concurrency: Math.max(1, Math.floor(num('concurrency'))),
  hungS: Math.max(5, num('hung-s')),
  maxRequests: Math.floor(num('max-requests')), // 0 = no bound but time
  serveThreads: Math.max(1, Math.floor(num('serve-threads'))),
  logLevel: argv['log-level'],
  seed: argv.seed !== undefined ? Number(argv.seed) >>> 0 : (Date.now() & 0x7fffffff) >>> 0,
  bin: resolve(argv.bin ?? process.env.SWITCHYARD_BIN ?? join(root, 'build/release/src/app/switchyard')),
};
const outDir = resolve(argv.out ?? join(root, 'bench-results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`));
mkdirSync(outDir, { recursive: true });
// The run uses a private copy of the binary, so that a rebuild during the run (which replaces or
// briefly removes the file) cannot change or break the engines restarted later. A binary being
// linked right now is waited for (up to 2 minutes): executable, and unchanged for a second.
{
  const until = Date.now() + 120000;
  const look = () => { try { const st = statSync(OPT.bin); return (st.mode & 0o111) ? `${st.size}/${st.mtimeMs}` : null; } catch { return null; } };
  for (let waited = false; ; waited = true) {
    const a = look();
    await new Promise((r) => setTimeout(r, waited ? 1000 : 200));
    if (a !== null && a === look()) break;
    if (Date.now() > until) {
      console.error(`soak: no finished binary at ${OPT.bin} (build it, or pass --bin)`);
      process.exit(2);
    }
  }
}
const BINARY_MTIME = statSync(OPT.bin).mtime.toISOString();
const binDir = mkdtempSync(join(tmpdir(), 'switchyard-soak-'));
const BIN = join(binDir, 'switchyard');
copyFileSync(OPT.bin, BIN);
chmodSync(BIN, 0o755);
process.on('exit', () => { try { rmSync(binDir, { recursive: true, force: true }); } catch { /* ignore */ } });

// Timing of the engines and of serve (docs/soak.md, "Configuration").
const SIM = { ttftMs: 20, itlMs: 10, slots: 64 };
const SERVE = {
  slots: 8, queueCapacity: 16, stallTimeoutMs: 3000, firstByteTimeoutMs: 8000, connectTimeoutMs: 1000,
  breakerThreshold: 5, breakerOpenMs: 3000,
};

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (t) => new Promise((r) => setTimeout(r, t));
const t0 = performance.now();
const nowS = () => (performance.now() - t0) / 1000;
const log = (msg) => process.stderr.write(`[soak ${nowS().toFixed(1).padStart(7)}s] ${msg}\n`);

function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = mulberry32(OPT.seed);
const randInt = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1)); // inclusive
const pick = (weighted) => {
  let r = rng() * weighted.reduce((a, [, w]) => a + w, 0);
  for (const [v, w] of weighted) { if ((r -= w) < 0) return v; }
  return weighted[weighted.length - 1][0];
};
const inc = (obj, key, by = 1) => { obj[key] = (obj[key] ?? 0) + by; };

// The simulator's deterministic words (docs/sim.md, "Token text").
const WORDS = ['alpha ', 'beta ', 'gamma ', 'delta ', 'héllo ', 'wörld ', '日本 ', '語 ',
  '🚀 ', 'epsilon ', 'zeta ', 'eta ', 'theta ', 'ïota ', 'kappa ', 'λ '];
const expectedText = (seed, n) => { let s = ''; for (let i = 0; i < n; i++) s += WORDS[(seed + i) % 16]; return s; };

function procStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const f = (k) => { const m = s.match(new RegExp(`${k}:\\s+(\\d+)`)); return m ? Number(m[1]) : null; };
    return { rss_kib: f('VmRSS'), hwm_kib: f('VmHWM'), threads: f('Threads') };
  } catch { return null; }
}
function fdCount(pid) {
  try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return null; }
}

const TCP_STATES = { '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT', '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING' };
/** inode → {lport, rport, state} for every TCP socket of this network namespace. */
function tcpTable() {
  const map = new Map();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const p = line.trim().split(/\s+/);
      if (p.length < 10) continue;
      map.set(p[9], { lport: parseInt(p[1].split(':').pop(), 16), rport: parseInt(p[2].split(':').pop(), 16),
        state: TCP_STATES[p[3]] ?? p[3] });
    }
  }
  return map;
}
/**
 * serve's descriptors by what they are: "client:ESTABLISHED" (accepted on serve's port),
 * "engine-2:CLOSE_WAIT" (to an engine), "listen", "eventfd", "epoll", "pipe", "file", ...
 * A descriptor leak shows up as one of these growing; CLOSE_WAIT means the peer closed and serve
 * still holds the socket.
 */
function fdKinds(pid, servePortNow, engineList) {
  let names;
  try { names = readdirSync(`/proc/${pid}/fd`); } catch { return null; }
  const kinds = {};
  let table = null;
  for (const fd of names) {
    let target;
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (!m) {
      const anon = /^anon_inode:\[?([a-z_]+)/.exec(target);
      inc(kinds, anon ? anon[1] : target.startsWith('pipe:') ? 'pipe' : target.startsWith('/dev/') ? 'dev' : 'file');
      continue;
    }
    table ??= tcpTable();
    const t = table.get(m[1]);
    if (!t) { inc(kinds, 'socket_other'); continue; }
    if (t.state === 'LISTEN') { inc(kinds, 'listen'); continue; }
    const eng = engineList.find((e) => e.port === t.rport);
    const who = t.lport === servePortNow ? 'client' : eng ? eng.name : `tcp_port_${t.rport}`;
    inc(kinds, `${who}:${t.state}`);
  }
  return kinds;
}

/** Prometheus text → [{name, labels, value}] (histogram series skipped). */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || /_(bucket|sum|count)$/.test(m[1])) continue;
    const labels = {};
    if (m[3]) for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}
const sumOf = (ms, name, where = {}) => {
  let t = null;
  for (const s of ms) {
    if (s.name !== name || !Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    t = (t ?? 0) + s.value;
  }
  return t;
};
/** name's series grouped by one label (or several joined with '|'), or null when absent. */
const byLabel = (ms, name, ...keys) => {
  let o = null;
  for (const s of ms) {
    if (s.name !== name) continue;
    o ??= {};
    inc(o, keys.map((k) => s.labels[k] ?? '').join('|'), s.value);
  }
  return o;
};

/** One plain GET on its own connection, bounded; resolves {status, text} or {error}. */
function httpGet(port, path, timeoutMs = 5000) {
  return new Promise((res) => {
    const req = http.get({ host: HOST, port, path, agent: false, timeout: timeoutMs }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (d) => { text += d; });
      r.on('end', () => res({ status: r.statusCode, text }));
      r.on('error', (e) => res({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => res({ error: e.message }));
  });
}

// ---------------------------------------------------------------------------------------------
// Processes (tracked by handle; only these are signalled)

const children = new Set();
// Ctrl-C / SIGTERM: stop at once; the exit hooks SIGKILL our children and remove the binary copy.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { log(`${sig}: stopping (no summary)`); process.exit(130); });
process.on('exit', () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

class Proc {
  constructor(name, args, logPath) {
    this.name = name;
    this.logPath = logPath;
    const fd = openSync(logPath, 'a');
    appendFileSync(logPath, `# ${new Date().toISOString()} start: switchyard ${args.join(' ')}\n`);
    this.child = spawn(BIN, args, { stdio: ['ignore', 'pipe', fd] });
    closeSync(fd);
    children.add(this.child);
    this.pid = this.child.pid;
    this.exit = null;
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => {
      this.exit = { code, signal, at_s: nowS() };
      children.delete(this.child);
      r(this.exit);
    }));
    this.child.once('error', (e) => { this.spawnError = e; });
    let out = '';
    this.listening = new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${name} printed no listening line within 15 s`)), 15000);
      this.child.stdout.setEncoding('utf8');
      this.child.stdout.on('data', (d) => {
        if (out.length < 65536) out += d;
        const m = out.match(/"event":"listening","port":(\d+)/);
        if (m) { clearTimeout(timer); res(Number(m[1])); }
      });
      this.exited.then((e) => { clearTimeout(timer); rej(new Error(`${name} exited (code ${e.code}, signal ${e.signal}) before listening; see ${logPath}`)); });
    });
    this.listening.catch(() => {});
  }
  get running() { return this.exit === null; }
  kill(sig) { if (this.running) this.child.kill(sig); }
  async stop(sig = 'SIGTERM', graceMs = 15000) {
    if (!this.running) return { ...this.exit, killed: false };
    this.child.kill(sig);
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) this.child.kill('SIGKILL');
    return { ...(await this.exited), killed: timedOut };
  }
}

// ---------------------------------------------------------------------------------------------
// Engines and serve

const engines = [
  { name: 'engine-1', pool: 'pool-a' },
  { name: 'engine-2', pool: 'pool-a' },
  { name: 'engine-3', pool: 'pool-b' },
].map((e) => ({ ...e, port: 0, proc: null, starts: 0, up: false }));

async function startEngine(e) {
  const args = ['sim', '--listen', `${HOST}:${e.port}`, '--ttft-ms', String(SIM.ttftMs), '--itl-ms', String(SIM.itlMs),
    '--slots', String(SIM.slots), '--model', 'sim-model', '--model', 'sim-b'];
  // A restart reuses the port it had. Retry a little in case the kernel has not let go of it yet.
  for (let attempt = 1; ; attempt++) {
    const p = new Proc(e.name, args, join(outDir, `${e.name}.log`));
    try {
      const port = await p.listening;
      if (e.port === 0) e.port = port;
      e.proc = p; e.starts++; e.up = true;
      return p;
    } catch (err) {
      await p.stop('SIGKILL', 2000);
      if (attempt >= 40 || e.port === 0) throw err;
      await sleep(500);
    }
  }
}

function serveYaml() {
  const ep = (e) => `http://${HOST}:${e.port}`;
  return [
    '# Written by bench/soak.mjs',
    `listen: ${HOST}:0`,
    `threads: ${OPT.serveThreads}`,
    `log_level: ${OPT.logLevel}`,
    'limits:',
    `  stall_timeout_ms: ${SERVE.stallTimeoutMs}`,
    `  first_byte_timeout_ms: ${SERVE.firstByteTimeoutMs}`,
    `  connect_timeout_ms: ${SERVE.connectTimeoutMs}`,
    '  idle_timeout_ms: 60000',
    '  max_connections: 4096',
    'queue:',
    `  capacity: ${SERVE.queueCapacity}`,
    '  policy: reject',
    '  position_interval_ms: 500',
    'health:',
    '  interval_ms: 500',
    '  timeout_ms: 1000',
    '  healthy_after: 2',
    '  unhealthy_after: 2',
    'breaker:',
    `  failure_threshold: ${SERVE.breakerThreshold}`,
    `  open_ms: ${SERVE.breakerOpenMs}`,
    'retry:',
    '  max_attempts: 3',
    '  backoff_base_ms: 10',
    '  backoff_max_ms: 100',
    'pools:',
    '  - id: pool-a',
    '    models: [sim-model]',
    '    engine: openai',
    `    endpoints: [${ep(engines[0])}, ${ep(engines[1])}]`,
    `    slots: ${SERVE.slots}`,
    '    ctx_max: 8192',
    '  - id: pool-b',
    '    models: [sim-b, sim-model]',
    '    engine: openai',
    `    endpoints: [${ep(engines[2])}]`,
    `    slots: ${SERVE.slots}`,
    '    ctx_max: 8192',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The load

// Fault kinds and their shares (docs/soak.md, "Load mix").
const KINDS = [
  ['plain', 50], // expected: ok (or a coded error while an engine is down / a breaker is open / the queue is full)
  ['slow', 5], // itl 25..50 ms: streams of up to ~13 s
  ['abort_tokens', 10], // stream: we close after k tokens; non-stream: after a random time
  ['abort_early', 4], // we close after 0..300 ms: often while queued
  ['engine_reset', 6], // sim_options.fail_after_tokens
  ['engine_stall', 4], // sim_options.stall_after_tokens
  ['engine_500', 3],
  ['engine_503', 1],
  ['engine_429', 5], // with retry_after_s
  ['engine_400', 3],
  ['deadline', 6], // X-Timeout-Ms 50..3000
  ['bad_json', 1],
  ['unknown_model', 1],
  ['too_large', 1], // max_tokens beyond every ctx_max → 400 invalid_params
];

let reqSeq = 0;
const runId = OPT.seed.toString(16);

function makeSpec() {
  const n = ++reqSeq;
  const kind = pick(KINDS);
  const spec = {
    n, kind,
    id: `soak-${runId}-${n}-${kind}`,
    model: rng() < 0.7 ? 'sim-model' : 'sim-b',
    route: rng() < 0.65 ? '/v1/chat/completions' : '/v1/completions',
    stream: rng() < 0.7,
    maxTokens: Math.max(1, Math.min(256, Math.round(Math.exp(rng() * Math.log(256))))),
    seed: randInt(0, 15),
    headers: {},
    sim: {},
  };
  if (kind === 'slow') spec.stream = true; // a long generation is a stream; a long non-stream answer would only test first_byte_timeout_ms
  const itl = kind === 'slow' ? randInt(25, 50) : randInt(2, 15);
  spec.sim.itl_ms = itl;
  const genMs = SIM.ttftMs + spec.maxTokens * itl;
  if (rng() < 0.2) spec.headers['X-Priority'] = 'batch';
  if (rng() < 0.1) spec.headers['X-Session-Id'] = `soak-session-${randInt(1, 20)}`;
  if (rng() < 0.08 && kind !== 'deadline') spec.headers['X-Timeout-Ms'] = String(randInt(2000, 20000));
  if (spec.stream && rng() < 0.25) spec.includeUsage = true;
  switch (kind) {
    case 'abort_tokens':
      if (spec.stream) { spec.maxTokens = Math.max(spec.maxTokens, 2); spec.abortAfterTokens = randInt(1, spec.maxTokens - 1); }
      else spec.abortAfterMs = randInt(10, Math.max(20, genMs));
      break;
    case 'abort_early': spec.abortAfterMs = randInt(0, 300); break;
    case 'engine_reset': spec.sim.fail_after_tokens = randInt(0, spec.maxTokens - 1); break;
    case 'engine_stall': spec.sim.stall_after_tokens = randInt(0, spec.maxTokens - 1); break;
    case 'engine_500': spec.sim.status = 500; break;
    case 'engine_503': spec.sim.status = 503; spec.sim.retry_after_s = randInt(0, 3); break;
    case 'engine_429': spec.sim.status = 429; spec.sim.retry_after_s = randInt(0, 3); break;
    case 'engine_400': spec.sim.status = 400; break;
    case 'deadline': spec.headers['X-Timeout-Ms'] = String(randInt(50, 3000)); break;
    case 'unknown_model': spec.model = 'no-such-model'; break;
    case 'too_large': spec.maxTokens = 100000; break;
    default: break;
  }
  return spec;
}

function bodyOf(spec) {
  if (spec.kind === 'bad_json') return '{"model":"sim-model","messages":[{"role":"user","content":"hi"}],';
  const b = { model: spec.model, max_tokens: spec.maxTokens, seed: spec.seed, stream: spec.stream, sim_options: spec.sim };
  if (spec.route === '/v1/chat/completions') b.messages = [{ role: 'user', content: `Soak request ${spec.n}. Say the words.` }];
  else b.prompt = `Soak request ${spec.n}. Say the words.`;
  if (spec.includeUsage) b.stream_options = { include_usage: true };
  return JSON.stringify(b);
}

/** Incremental SSE: data events and comments. */
class Sse {
  constructor() { this.buf = ''; this.data = null; }
  feed(text, onData, onComment) {
    this.buf += text;
    let nl;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      let line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') { if (this.data !== null) onData(this.data); this.data = null; continue; }
      if (line.startsWith(':')) { onComment(line); continue; }
      if (line.startsWith('data:')) {
        const v = line.slice(5).replace(/^ /, '');
        this.data = this.data === null ? v : `${this.data}\n${v}`;
      }
    }
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const STALE = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Runs one request and classifies its ending. Resolves (never rejects) to
 * {outcome: ok|coded_error|aborted|hung|uncoded, why, status, code, tokens, ms, ...}.
 */
function runRequest(spec, fresh = false) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const payload = Buffer.from(bodyOf(spec));
    const st = { status: undefined, tokens: 0, text: '', done: false, errorEvent: null, dataAfterDone: 0, badEvents: 0,
      comments: 0, raw: '', firstByteMs: null };
    let settled = false;
    let req;
    let res;
    const finish = (outcome, why, extra = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(hungTimer);
      clearTimeout(abortTimer);
      resolvePromise({
        outcome, why, status: st.status, tokens: st.tokens, ms: Math.round(performance.now() - started),
        comments: st.comments, reused: req?.reusedSocket ?? false, ...extra,
        ...(outcome === 'hung' || outcome === 'uncoded' ? { tail: st.raw.slice(-600) } : {}),
      });
    };
    const hungTimer = setTimeout(() => {
      finish('hung', `no end within ${OPT.hungS} s`, { headers_seen: st.status !== undefined });
      req.destroy();
    }, OPT.hungS * 1000);
    const abortTimer = spec.abortAfterMs !== undefined
      ? setTimeout(() => { finish('aborted', `closed by us after ${spec.abortAfterMs} ms`); req.destroy(); }, spec.abortAfterMs)
      : undefined;
    const headers = {
      'Content-Type': 'application/json', 'Content-Length': payload.length, 'X-Correlation-Id': spec.id,
      Accept: spec.stream ? 'text/event-stream' : 'application/json', ...spec.headers,
    };
    req = http.request({ host: HOST, port: servePort, method: 'POST', path: spec.route, headers, agent: fresh ? false : agent }, (r) => {
      res = r;
      st.status = r.statusCode;
      st.firstByteMs = Math.round(performance.now() - started);
      const isSse = String(r.headers['content-type'] ?? '').includes('text/event-stream');
      const sse = new Sse();
      r.setEncoding('utf8');
      r.on('data', (text) => {
        if (settled) return;
        if (st.raw.length < 1 << 20) st.raw += text;
        if (!isSse) return;
        sse.feed(text, (data) => {
          if (st.done) { st.dataAfterDone++; return; }
          if (data === '[DONE]') { st.done = true; return; }
          let obj;
          try { obj = JSON.parse(data); } catch { st.badEvents++; return; }
          if (obj && obj.error !== undefined) { st.errorEvent ??= obj.error; return; }
          for (const c of obj?.choices ?? []) {
            const piece = typeof c?.delta?.content === 'string' ? c.delta.content : typeof c?.text === 'string' ? c.text : '';
            if (piece) { st.text += piece; st.tokens++; }
          }
        }, () => { st.comments++; });
        if (spec.abortAfterTokens !== undefined && st.tokens >= spec.abortAfterTokens && !st.done && !st.errorEvent) {
          finish('aborted', `closed by us after ${st.tokens} tokens`);
          req.destroy();
        }
      });
      r.on('end', () => {
        if (settled) return;
        if (!r.complete) return finish('uncoded', 'response_truncated');
        if (isSse) {
          if (st.dataAfterDone) return finish('uncoded', 'data_after_done');
          if (st.badEvents) return finish('uncoded', 'non_json_event');
          if (st.errorEvent) {
            const code = st.errorEvent?.code;
            if (typeof code !== 'string' || !code) return finish('uncoded', 'error_event_without_code');
            if (!st.done) return finish('uncoded', 'error_event_without_done', { code });
            return finish('coded_error', 'stream_error_event', { code, http: r.statusCode });
          }
          if (!st.done) return finish('uncoded', 'stream_ended_without_done');
          if (r.statusCode !== 200) return finish('uncoded', `sse_with_status_${r.statusCode}`);
          if (st.text !== (spec.expect ?? expectedText(spec.seed, spec.maxTokens))) {
            return finish('uncoded', 'text_mismatch', { got_tokens: st.tokens, want_tokens: spec.maxTokens });
          }
          return finish('ok', 'stream_complete');
        }
        let obj;
        try { obj = JSON.parse(st.raw); } catch { return finish('uncoded', `non_json_body_${r.statusCode}`); }
        if (r.statusCode === 200) {
          if (obj?.error) return finish('uncoded', 'error_body_with_200');
          if (spec.stream) return finish('uncoded', 'stream_answered_json');
          const c = obj?.choices?.[0];
          const text = spec.route === '/v1/chat/completions' ? c?.message?.content : c?.text;
          if (text !== (spec.expect ?? expectedText(spec.seed, spec.maxTokens))) return finish('uncoded', 'text_mismatch');
          return finish('ok', 'body_complete');
        }
        const code = obj?.error?.code;
        if (typeof code !== 'string' || !code) return finish('uncoded', `error_without_code_${r.statusCode}`);
        const retryAfter = r.headers['retry-after'];
        return finish('coded_error', 'http_error', { code, http: r.statusCode, retry_after: retryAfter ?? null,
          retry_after_ms: Number.isFinite(obj.error.retry_after_ms) ? obj.error.retry_after_ms : null });
      });
      r.on('error', (e) => finish('uncoded', `response_error:${e.code ?? e.message}`));
      r.on('aborted', () => finish('uncoded', 'response_aborted_by_server'));
      r.on('close', () => { if (!settled && !r.complete) finish('uncoded', 'connection_closed_mid_response'); });
    });
    req.on('error', (e) => {
      if (settled) return;
      // A keep-alive connection that serve closed while it sat idle in our pool: one silent retry
      // on a fresh connection, counted (bench does the same).
      if (!res && !fresh && req.reusedSocket && (STALE.has(e.code) || /socket hang up/.test(e.message))) {
        settled = true;
        clearTimeout(hungTimer);
        clearTimeout(abortTimer);
        client.staleRetries++;
        appendFileSync(failuresPath, `${JSON.stringify({ t_s: +nowS().toFixed(2), correlation_id: spec.id, stale_keepalive_retry: e.code ?? e.message })}\n`);
        runRequest(spec, true).then(resolvePromise);
        return;
      }
      finish('uncoded', res ? `response_error:${e.code ?? e.message}` : `request_error:${e.code ?? e.message}`);
    });
    req.end(payload);
  });
}

// Client-side counters (also in every sample).
const client = {
  issued: 0, finished: 0, inFlight: 0, staleRetries: 0, backoffMs: 0,
  outcomes: { ok: 0, coded_error: 0, aborted: 0, hung: 0, uncoded: 0 },
  codes: {}, // "status code" → n
  byKind: {}, // kind → outcome → n
  why: {}, // outcome:why → n, for failures
  retryAfterMissing: 0, // 429/503 answers without Retry-After (reported, not a failure)
  msOk: [],
  slowest: [], // the 20 longest requests, any outcome
};
const failuresPath = join(outDir, 'failures.jsonl');
writeFileSync(failuresPath, '');
const failures = [];

function record(spec, r) {
  client.finished++;
  inc(client.outcomes, r.outcome);
  client.byKind[spec.kind] ??= {};
  inc(client.byKind[spec.kind], r.outcome);
  if (r.outcome === 'coded_error') {
    inc(client.codes, `${r.http ?? r.status} ${r.code}`);
    if ((r.http === 429 || r.http === 503) && r.why === 'http_error' && !r.retry_after) client.retryAfterMissing++;
  }
  if (r.outcome === 'ok' && client.msOk.length < 200000) client.msOk.push(r.ms);
  if (r.ms >= (client.slowest.length >= 20 ? client.slowest[client.slowest.length - 1].ms : 0)) {
    client.slowest.push({ correlation_id: spec.id, outcome: r.outcome, why: r.why, code: r.code, status: r.status, ms: r.ms,
      stream: spec.stream, model: spec.model, max_tokens: spec.maxTokens, itl_ms: spec.sim.itl_ms, priority: spec.headers['X-Priority'] ?? 'interactive' });
    client.slowest.sort((a, b) => b.ms - a.ms);
    client.slowest.length = Math.min(client.slowest.length, 20);
  }
  if (r.outcome === 'hung' || r.outcome === 'uncoded') {
    inc(client.why, `${r.outcome}:${r.why}`);
    const f = { t_s: +nowS().toFixed(2), correlation_id: spec.id, spec: { ...spec, n: undefined }, result: r,
      engines_up: engines.map((e) => e.up) };
    if (failures.length < 2000) failures.push(f);
    appendFileSync(failuresPath, `${JSON.stringify(f)}\n`);
    log(`FAILURE ${r.outcome} ${r.why} ${spec.id} status=${r.status} tokens=${r.tokens} ms=${r.ms}`);
  }
}

let stopping = false;
async function worker() {
  while (!stopping && (OPT.maxRequests === 0 || client.issued < OPT.maxRequests)) {
    const spec = makeSpec();
    client.issued++;
    client.inFlight++;
    const r = await runRequest(spec);
    client.inFlight--;
    record(spec, r);
    const pause = backoffMs(r);
    if (pause > 0) { client.backoffMs += pause; await sleep(pause); }
  }
}

/**
 * What a well-behaved client waits before its next request: the advice of a 429 or 503
 * (retry_after_ms, else Retry-After), jittered to 50..100% and capped at 3 s; a short pause after
 * any other error; none after a success or our own abort.
 */
function backoffMs(r) {
  if (r.outcome !== 'coded_error') return 0;
  if (r.http === 429 || r.http === 503) {
    const hint = r.retry_after_ms ?? (r.retry_after !== null && r.retry_after !== undefined ? Number(r.retry_after) * 1000 : NaN);
    const base = Number.isFinite(hint) && hint > 0 ? Math.min(hint, 3000) : 250;
    return Math.round(base * (0.5 + 0.5 * rng()));
  }
  return randInt(20, 100);
}

// ---------------------------------------------------------------------------------------------
// Sampling

const samplesPath = join(outDir, 'samples.jsonl');
const samples = [];
let scrapeFailures = 0;

async function scrapeServe() {
  const r = await httpGet(servePort, '/metrics');
  if (r.error || r.status !== 200) return { error: r.error ?? `status ${r.status}` };
  const ms = parseMetrics(r.text);
  const present = new Set(ms.map((s) => s.name));
  const m = {
    active_streams: sumOf(ms, 'switchyard_active_streams'),
    open_connections: sumOf(ms, 'switchyard_open_connections'),
    queue_depth: byLabel(ms, 'switchyard_queue_depth', 'model', 'priority'),
    requests_by_status: byLabel(ms, 'switchyard_requests_total', 'status'),
    upstream_errors: byLabel(ms, 'switchyard_upstream_errors_total', 'kind'),
    upstream_retries: sumOf(ms, 'switchyard_upstream_retries_total'),
    endpoint_breaker_state: byLabel(ms, 'switchyard_endpoint_breaker_state', 'endpoint'),
    endpoint_ready: byLabel(ms, 'switchyard_endpoint_ready', 'endpoint'),
    endpoint_in_flight: byLabel(ms, 'switchyard_endpoint_in_flight', 'endpoint'),
    client_disconnects: sumOf(ms, 'switchyard_client_disconnects_total'),
    tokens_after_client_left: sumOf(ms, 'switchyard_tokens_after_client_left_total'),
    deadline_exceeded: sumOf(ms, 'switchyard_deadline_exceeded_total'),
    queue_rejections: sumOf(ms, 'switchyard_queue_rejections_total'),
    tokens_out: sumOf(ms, 'switchyard_tokens_out_total'),
    snapshot_version: sumOf(ms, 'switchyard_registry_snapshot_version'),
  };
  // Newer metrics: read when present, never required.
  if (ms.some((s) => s.name === 'switchyard_upstream_retries_total' && s.labels.reason !== undefined)) {
    m.upstream_retries_by_reason = byLabel(ms, 'switchyard_upstream_retries_total', 'reason');
  }
  if (present.has('switchyard_breaker_transitions_total')) m.breaker_transitions = byLabel(ms, 'switchyard_breaker_transitions_total', 'to');
  if (present.has('switchyard_panic_routed_total')) m.panic_routed = sumOf(ms, 'switchyard_panic_routed_total');
  // Anything else that is not a histogram and not yet read, so new gauges show up in the record.
  const known = new Set(['switchyard_active_streams', 'switchyard_open_connections', 'switchyard_queue_depth',
    'switchyard_requests_total', 'switchyard_upstream_errors_total', 'switchyard_upstream_retries_total',
    'switchyard_endpoint_breaker_state', 'switchyard_endpoint_ready', 'switchyard_endpoint_in_flight',
    'switchyard_client_disconnects_total', 'switchyard_tokens_after_client_left_total',
    'switchyard_deadline_exceeded_total', 'switchyard_queue_rejections_total', 'switchyard_tokens_out_total',
    'switchyard_registry_snapshot_version', 'switchyard_breaker_transitions_total', 'switchyard_panic_routed_total',
    'switchyard_tokens_in_total']);
  for (const name of present) {
    if (known.has(name)) continue;
    m.other ??= {};
    const series = ms.filter((s) => s.name === name);
    m.other[name] = series.length === 1 && Object.keys(series[0].labels).length === 0 ? series[0].value
      : Object.fromEntries(series.map((s) => [Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(','), s.value]));
  }
  return m;
}

async function scrapeEngine(e) {
  if (!e.up) return { port: e.port, up: false, starts: e.starts };
  const r = await httpGet(e.port, '/sim/stats', 2000);
  let s = null;
  try { s = r.text ? JSON.parse(r.text) : null; } catch { /* ignore */ }
  return {
    port: e.port, up: true, pid: e.proc?.pid, starts: e.starts,
    ...(s ? { active: s.active, waiting: s.waiting, max_active: s.max_active, requests: s.requests_total,
      client_disconnects: s.client_disconnects, tokens_after_disconnect: s.tokens_after_disconnect } : { stats_error: r.error ?? `status ${r.status}` }),
  };
}

async function takeSample(phase) {
  const ps = procStatus(serve.pid);
  // One listing of /proc/PID/fd gives both the count and the breakdown, so they agree.
  const fdk = fdKinds(serve.pid, servePort, engines);
  const fds = fdk ? Object.values(fdk).reduce((a, b) => a + b, 0) : fdCount(serve.pid);
  const ts = performance.now();
  const m = await scrapeServe();
  const scrapeMs = Math.round(performance.now() - ts);
  if (m.error) scrapeFailures++;
  const eng = await Promise.all(engines.map(scrapeEngine));
  const s = {
    t_s: +nowS().toFixed(2), load_t_s: loadStart === null ? null : +(nowS() - loadStart).toFixed(2), phase,
    ts: new Date().toISOString(),
    serve: { pid: serve.pid, running: serve.running, rss_kib: ps?.rss_kib ?? null, hwm_kib: ps?.hwm_kib ?? null,
      threads: ps?.threads ?? null, fds, fd_kinds: fdk, scrape_ms: scrapeMs },
    metrics: m,
    engines: eng,
    client: { issued: client.issued, finished: client.finished, in_flight: client.inFlight, stale_retries: client.staleRetries,
      outcomes: { ...client.outcomes }, codes: { ...client.codes } },
  };
  samples.push(s);
  appendFileSync(samplesPath, `${JSON.stringify(s)}\n`);
  const o = client.outcomes;
  log(`${phase} rss=${((ps?.rss_kib ?? 0) / 1024).toFixed(1)}MiB fds=${fds} streams=${m.active_streams ?? '?'} conns=${m.open_connections ?? '?'} `
    + `inflight=${client.inFlight} ok=${o.ok} coded=${o.coded_error} aborted=${o.aborted} hung=${o.hung} uncoded=${o.uncoded} `
    + `engines=${engines.map((e) => (e.up ? 'U' : 'd')).join('')}${m.error ? ` scrape_error=${m.error}` : ''}`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Flatness (docs/soak.md, "Flat"): the reference window is the load phase's second quarter
// (the first quarter is warm-up); the final window its last quarter. A series is flat when the
// final window's maximum exceeds the reference window's maximum by no more than the tolerance.

const RSS_TOL = { pct: 10, abs_mib: 8 };
const FD_TOL = { pct: 10, abs: 16 };

function flatness(loadSamples, get, tolOf) {
  const L = OPT.durationS;
  const inWin = (a, b) => loadSamples.filter((s) => s.load_t_s >= a * L && s.load_t_s < b * L).map(get).filter((v) => v !== null);
  const ref = inWin(0.25, 0.5);
  const fin = inWin(0.75, 1.0001);
  if (ref.length < 2 || fin.length < 2) return { flat: null, why: 'too few samples in the windows', ref_n: ref.length, final_n: fin.length };
  const refMax = Math.max(...ref);
  const finMax = Math.max(...fin);
  const tol = tolOf(refMax);
  return { flat: finMax - refMax <= tol, ref_max: refMax, final_max: finMax, growth: finMax - refMax, tolerance: tol,
    ref_n: ref.length, final_n: fin.length };
}

/** Least-squares slope of value over time (per hour), over the post-warm-up samples: informational. */
function slopePerHour(loadSamples, get) {
  const pts = loadSamples.filter((s) => s.load_t_s >= 0.25 * OPT.durationS).map((s) => [s.load_t_s, get(s)]).filter(([, v]) => v !== null);
  if (pts.length < 3) return null;
  const n = pts.length;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx ? (sxy / sxx) * 3600 : null;
}

const pct = (xs, q) => { if (!xs.length) return null; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

// ---------------------------------------------------------------------------------------------
// Run

let serve;
let servePort;
let loadStart = null;
const restarts = [];
const notes = [];

async function restartLoop() {
  if (!OPT.restartEveryS) return;
  let i = 0;
  for (;;) {
    const next = loadStart + OPT.restartEveryS * (i + 1);
    while (nowS() < next) { if (stopping) return; await sleep(Math.min(500, (next - nowS()) * 1000)); }
    // No kill so close to the end that the engine would still be down when the load stops.
    if (stopping || next + OPT.restartDownS + 5 > loadStart + OPT.durationS) return;
    const e = engines[i % engines.length];
    i++;
    const oldPid = e.proc.pid;
    const killedAt = nowS();
    e.up = false;
    e.proc.kill('SIGKILL');
    await e.proc.exited;
    log(`killed ${e.name} (pid ${oldPid}, port ${e.port}) with SIGKILL; restarting in ${OPT.restartDownS} s`);
    await sleep(OPT.restartDownS * 1000);
    try {
      const p = await startEngine(e);
      restarts.push({ engine: e.name, port: e.port, killed_at_s: +killedAt.toFixed(2), up_at_s: +nowS().toFixed(2), old_pid: oldPid, new_pid: p.pid });
      log(`restarted ${e.name} on port ${e.port} (pid ${p.pid})`);
    } catch (err) {
      restarts.push({ engine: e.name, port: e.port, killed_at_s: +killedAt.toFixed(2), error: err.message });
      notes.push(`could not restart ${e.name} on port ${e.port}: ${err.message}`);
      log(`could not restart ${e.name}: ${err.message}`);
      return;
    }
  }
}

async function waitServeReady(timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await httpGet(servePort, '/ready', 2000);
    if (r.status === 200) {
      try { const j = JSON.parse(r.text); if (j.pools?.every((p) => p.endpoints_ready === p.endpoints)) return true; } catch { /* retry */ }
    }
    await sleep(100);
  }
  return false;
}

/** After the load: gauges back to zero (the scrape's own connection counts as one open connection). */
async function quiescence(timeoutMs) {
  const until = Date.now() + timeoutMs;
  let m;
  let eng;
  while (Date.now() < until) {
    m = await scrapeServe();
    const zero = (o) => o && Object.values(o).every((v) => v === 0);
    // The engines too: a generation still holding a slot there (a stalled stream whose engine
    // connection serve never closed) shows as sim `active` > 0.
    eng = await Promise.all(engines.map(scrapeEngine));
    const enginesIdle = eng.every((e) => e.up && e.active === 0 && e.waiting === 0);
    if (!m.error && m.active_streams === 0 && m.open_connections <= 1 && zero(m.queue_depth) && zero(m.endpoint_in_flight) && enginesIdle) {
      return { quiet: true, metrics: m, engines: eng };
    }
    await sleep(250);
  }
  return { quiet: false, metrics: m, engines: eng };
}

/** serve's log lines about each failed request (by correlation id), for the report. */
async function attachServeLogs() {
  if (!failures.length) return;
  const want = new Map(failures.map((f) => [f.correlation_id, []]));
  const rl = createInterface({ input: createReadStream(join(outDir, 'serve.log'), 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    const m = /"correlation_id":"([^"]+)"/.exec(line);
    const list = m && want.get(m[1]);
    if (list && list.length < 30) list.push(line);
  }
  writeFileSync(join(outDir, 'failures-with-logs.jsonl'),
    failures.map((f) => JSON.stringify({ ...f, serve_log: want.get(f.correlation_id) })).join('\n') + '\n');
}

async function main() {
  log(`out ${outDir}; seed ${OPT.seed}; bin ${OPT.bin}`);
  for (const e of engines) await startEngine(e);
  const cfgPath = join(outDir, 'serve.yaml');
  writeFileSync(cfgPath, serveYaml());
  serve = new Proc('serve', ['serve', '--config', cfgPath], join(outDir, 'serve.log'));
  servePort = await serve.listening;
  if (!(await waitServeReady(20000))) throw new Error('serve did not become ready (all endpoints) within 20 s');
  log(`serve pid ${serve.pid} on port ${servePort}; engines on ports ${engines.map((e) => e.port).join(', ')}`);
  const idle = await takeSample('idle');

  loadStart = nowS();
  let serveDiedAt = null;
  serve.exited.then((e) => { if (!stopping) { serveDiedAt = e; stopping = true; log(`serve EXITED during the run: ${JSON.stringify(e)}`); } });
  const workers = Array.from({ length: OPT.concurrency }, () => worker());
  const restarter = restartLoop();
  // Sample on a fixed schedule until the duration (or the request bound) is reached.
  for (let k = 1; ; k++) {
    const at = loadStart + Math.min(k * OPT.sampleS, OPT.durationS);
    while (nowS() < at && !stopping && !(OPT.maxRequests && client.finished >= OPT.maxRequests)) await sleep(Math.min(250, (at - nowS()) * 1000));
    if (stopping || nowS() - loadStart >= OPT.durationS - 0.01 || (OPT.maxRequests && client.finished >= OPT.maxRequests)) break;
    await takeSample('load');
  }
  const loadEnd = nowS();
  stopping = true;
  log(`load phase over after ${(loadEnd - loadStart).toFixed(1)} s; waiting for ${client.inFlight} requests in flight`);
  await Promise.all(workers);
  await restarter;
  // An engine killed at the very end is brought back so the drain check sees a normal pool.
  for (const e of engines) if (!e.up && e.proc && !e.proc.running && !serveDiedAt) { try { await startEngine(e); } catch { /* noted below */ } }
  agent.destroy();
  let quiet = null;
  let drained = null;
  if (serve.running) {
    await takeSample('drain');
    quiet = await quiescence(15000);
    // Idle keep-alive connections to engines are reused for at most 4 s; give them time to go.
    await sleep(6000);
    drained = await takeSample('drained');
  }
  const serveExit = serve.running ? await serve.stop('SIGTERM', 20000) : { ...serve.exit, killed: false, during_run: true };
  for (const e of engines) if (e.proc) await e.proc.stop('SIGTERM', 5000);
  await attachServeLogs();

  // ----- Summary
  const load = samples.filter((s) => s.phase === 'load');
  const rssMiB = (s) => (s.serve.rss_kib === null ? null : s.serve.rss_kib / 1024);
  const fdsOf = (s) => s.serve.fds;
  const rssFlat = flatness(load, rssMiB, (ref) => Math.max((RSS_TOL.pct / 100) * ref, RSS_TOL.abs_mib));
  const fdFlat = flatness(load, fdsOf, (ref) => Math.max((FD_TOL.pct / 100) * ref, FD_TOL.abs));
  const profile = (get) => {
    const vals = load.map(get).filter((v) => v !== null);
    return {
      idle: get(idle), first: vals[0] ?? null, ref_window_max: null, final_window_max: null,
      last: vals[vals.length - 1] ?? null, max: vals.length ? Math.max(...vals) : null,
      after_drain: drained ? get(drained) : null, slope_per_hour: slopePerHour(load, get),
    };
  };
  const rss = { ...profile(rssMiB), ref_window_max: rssFlat.ref_max ?? null, final_window_max: rssFlat.final_max ?? null };
  const fds = { ...profile(fdsOf), ref_window_max: fdFlat.ref_max ?? null, final_window_max: fdFlat.final_max ?? null };
  const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? +v.toFixed(2) : v]));

  const reasons = [];
  if (client.outcomes.hung) reasons.push(`${client.outcomes.hung} request(s) hung`);
  if (client.outcomes.uncoded) reasons.push(`${client.outcomes.uncoded} request(s) ended without a coded error`);
  if (serveDiedAt) reasons.push(`serve exited during the run (${JSON.stringify(serveDiedAt)})`);
  if (rssFlat.flat === false) reasons.push(`RSS grew ${rssFlat.growth.toFixed(1)} MiB (tolerance ${rssFlat.tolerance.toFixed(1)} MiB)`);
  if (fdFlat.flat === false) reasons.push(`open fds grew by ${fdFlat.growth} (tolerance ${fdFlat.tolerance.toFixed(0)})`);
  if (rssFlat.flat === null || fdFlat.flat === null) reasons.push('too few samples to judge flatness (run longer or sample more often)');
  if (quiet && !quiet.quiet) reasons.push(`gauges not back to zero after the load: ${JSON.stringify({ active_streams: quiet.metrics?.active_streams, open_connections: quiet.metrics?.open_connections, queue_depth: quiet.metrics?.queue_depth, in_flight: quiet.metrics?.endpoint_in_flight, engines: quiet.engines?.map((e) => ({ port: e.port, active: e.active, waiting: e.waiting })) })}`);
  // Every client connection is closed by now (ours are destroyed, the scrapes' are done): a
  // client socket serve still holds is a connection that never ended.
  const leftClients = Object.entries(drained?.serve.fd_kinds ?? {}).filter(([k]) => k.startsWith('client:')).reduce((a, [, v]) => a + v, 0);
  if (leftClients) reasons.push(`${leftClients} client socket(s) still open in serve after the drain: ${JSON.stringify(drained.serve.fd_kinds)}`);
  if (scrapeFailures) reasons.push(`${scrapeFailures} /metrics scrape(s) failed`);
  if (!serveDiedAt && (serveExit.code !== 0 || serveExit.killed)) reasons.push(`serve did not stop cleanly on SIGTERM: ${JSON.stringify(serveExit)}`);
  if (client.outcomes.ok === 0) reasons.push('no request succeeded');
  if (client.staleRetries) reasons.push(`${client.staleRetries} kept-alive connection(s) reset by serve before an answer (retried; see failures.jsonl)`);
  if (restarts.some((r) => r.error)) reasons.push('an engine could not be restarted on its port');

  const lastM = (drained ?? load[load.length - 1])?.metrics ?? {};
  const summary = {
    verdict: reasons.length ? 'FAIL' : 'PASS',
    reasons,
    when: new Date().toISOString(),
    options: { ...OPT, out: outDir },
    build: { binary_mtime: BINARY_MTIME,
      git_head: (() => { try { return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return null; } })(),
      machine_cpus: (() => { try { return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()); } catch { return null; } })() },
    config: { sim: SIM, serve: SERVE, kinds: Object.fromEntries(KINDS) },
    duration_s: +(loadEnd - loadStart).toFixed(1),
    samples: samples.length,
    requests: {
      issued: client.issued, finished: client.finished, ...client.outcomes,
      lost: client.issued - client.finished,
      per_s: +(client.finished / Math.max(1, loadEnd - loadStart)).toFixed(1),
      ok_ms: { p50: pct(client.msOk, 0.5), p99: pct(client.msOk, 0.99), max: client.msOk.length ? Math.max(...client.msOk) : null },
      stale_keepalive_retries: client.staleRetries,
      client_backoff_s: +(client.backoffMs / 1000).toFixed(1),
      retry_after_missing_on_429_503: client.retryAfterMissing,
    },
    slowest_requests: client.slowest,
    coded_errors: Object.fromEntries(Object.entries(client.codes).sort((a, b) => b[1] - a[1])),
    failures_by_reason: client.why,
    by_kind: client.byKind,
    rss_mib: round(rss),
    fds: round(fds),
    flatness: {
      rule: `after a warm-up of the first 25% of the load phase, max(last quarter) - max(second quarter) <= max(${RSS_TOL.pct}% of max(second quarter), ${RSS_TOL.abs_mib} MiB) for RSS and <= max(${FD_TOL.pct}%, ${FD_TOL.abs}) for fds`,
      rss: round(rssFlat), fds: round(fdFlat),
    },
    quiescent_after_load: quiet ? quiet.quiet : null,
    engines_at_end: quiet?.engines ?? null,
    serve_metrics_at_end: {
      requests_by_status: lastM.requests_by_status, upstream_errors: lastM.upstream_errors, upstream_retries: lastM.upstream_retries,
      upstream_retries_by_reason: lastM.upstream_retries_by_reason, breaker_transitions: lastM.breaker_transitions,
      panic_routed: lastM.panic_routed, client_disconnects: lastM.client_disconnects, deadline_exceeded: lastM.deadline_exceeded,
      queue_rejections: lastM.queue_rejections, tokens_out: lastM.tokens_out, tokens_after_client_left: lastM.tokens_after_client_left,
      active_streams: lastM.active_streams, open_connections: lastM.open_connections,
    },
    fd_kinds: { idle: idle.serve.fd_kinds, last_load_sample: load[load.length - 1]?.serve.fd_kinds ?? null,
      after_drain: drained?.serve.fd_kinds ?? null },
    engine_restarts: restarts,
    serve_exit: serveExit,
    scrape_failures: scrapeFailures,
    notes,
    files: { samples: samplesPath, failures: failuresPath, serve_log: join(outDir, 'serve.log'), config: cfgPath },
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary, null, 2));
  log(`${summary.verdict}${reasons.length ? `: ${reasons.join('; ')}` : ''}; summary in ${join(outDir, 'summary.json')}`);
  return summary.verdict === 'PASS' ? 0 : 1;
}

/**
 * --self-test: the classifier against a bare engine (no serve in between), where the failures the
 * soak looks for really happen: a stream cut without [DONE], a body cut short, a stall with no end.
 */
async function selfTest() {
  OPT.hungS = 5;
  const e = engines[0];
  await startEngine(e);
  servePort = e.port;
  const base = { kind: 'plain', model: 'sim-model', route: '/v1/chat/completions', maxTokens: 8, seed: 3, headers: {} };
  const cases = [
    [{ ...base, stream: true, sim: {} }, 'ok'],
    [{ ...base, stream: false, sim: {} }, 'ok'],
    [{ ...base, route: '/v1/completions', stream: true, sim: {} }, 'ok'],
    [{ ...base, stream: true, sim: { status: 429 } }, 'coded_error'],
    [{ ...base, stream: true, sim: {}, abortAfterTokens: 3 }, 'aborted'],
    [{ ...base, stream: true, sim: {}, expect: 'other text' }, 'uncoded'], // text_mismatch
    [{ ...base, stream: true, sim: { fail_after_tokens: 3 } }, 'uncoded'],
    [{ ...base, stream: false, sim: { fail_after_tokens: 3 } }, 'uncoded'],
    [{ ...base, stream: true, sim: { stall_after_tokens: 2 } }, 'hung'],
  ];
  let bad = 0;
  for (const [spec, want] of cases) {
    spec.id = `soak-selftest-${++reqSeq}`;
    spec.n = reqSeq;
    const r = await runRequest(spec);
    const pass = r.outcome === want;
    if (!pass) bad++;
    console.log(`${pass ? 'pass' : 'FAIL'} want ${want.padEnd(11)} got ${r.outcome.padEnd(11)} ${r.why}  (${JSON.stringify(spec.sim)}${spec.stream ? ' stream' : ''})`);
  }
  await e.proc.stop('SIGTERM', 5000);
  return bad ? 1 : 0;
}

(argv['self-test'] ? selfTest() : main()).then((rc) => process.exit(rc), (err) => {
  console.error(`soak: could not run: ${err.stack ?? err}`);
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify({ verdict: 'ERROR', error: String(err.stack ?? err) }, null, 2)}\n`);
  process.exit(2);
});
