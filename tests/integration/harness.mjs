// Test harness for Switchyard's integration and end-to-end suites (Node 20, `node --test`).
//
// Starts the REAL `switchyard` binary (serve / sim verbs) as child processes on 127.0.0.1 with
// port 0, reads the `{"event":"listening","port":P}` line, and offers small HTTP / SSE / raw TCP
// clients. Every process started here is tracked by its ChildProcess handle and only those are
// ever signalled; an exit hook SIGKILLs any that a test forgot (or could not) stop.
//
// Environment:
//   SWITCHYARD_BIN        path of the binary (default: build/release/src/app/switchyard)
//   SY_TEST_TIME_SCALE    multiplies every wait bound (default 1; e.g. 3 under ASan)

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.SWITCHYARD_BIN
  ? path.resolve(process.env.SWITCHYARD_BIN)
  : path.join(REPO_ROOT, 'build', 'release', 'src', 'app', 'switchyard');

// Sanitizer builds are 2-3x slower: scale every wait bound. Auto-detected from the binary path
// (build/asan, build/dev, build/tsan) unless SY_TEST_TIME_SCALE is set.
export const TIME_SCALE = (() => {
  const fromEnv = Number(process.env.SY_TEST_TIME_SCALE);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return fromEnv;
  return /[\\/]build[\\/](asan|dev|tsan)[\\/]/.test(BIN) ? 3 : 1;
})();
/** Scales a wait bound (ms) for slow (sanitizer) builds. */
export const ms = (n) => Math.ceil(n * TIME_SCALE);

// The simulator's deterministic words (src/sim/sim_words.hpp, docs/sim.md).
export const WORDS = [
  'alpha ', 'beta ', 'gamma ', 'delta ', 'héllo ', 'wörld ', '日本 ', '語 ',
  '🚀 ', 'epsilon ', 'zeta ', 'eta ', 'theta ', 'ïota ', 'kappa ', 'λ ',
];

/** Token i of a response with `seed`: WORDS[(seed + i) mod 16] (non-negative modulo). */
export function simToken(seed, i) {
  const n = WORDS.length;
  return WORDS[(((seed + i) % n) + n) % n];
}

/** The full text the simulator generates for `seed` and `maxTokens`. */
export function expectedText(seed, maxTokens) {
  let s = '';
  for (let i = 0; i < maxTokens; i++) s += simToken(seed, i);
  return s;
}

export const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));

/**
 * Polls `predicate` (sync or async) every `intervalMs` until it returns a truthy value, which is
 * returned. Throws after `timeoutMs` with `what` and the last value / error seen.
 */
export async function waitFor(predicate, timeoutMs, what = 'condition', intervalMs = 20) {
  const until = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await predicate();
      lastError = undefined;
      if (last) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= until) {
      const detail = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await sleep(intervalMs);
  }
}

/** Rejects with a clear message when `promise` takes longer than `timeoutMs`. */
export async function withTimeout(promise, timeoutMs, what = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const spawned = new Set();
process.on('exit', () => {
  // Last resort for processes a test could not stop (only our own children, by handle).
  for (const child of spawned) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
});

const MAX_LOG_LINES = 4000;

class Proc {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.port = undefined;
    this.stdoutLines = [];
    this.stderrLines = [];
    this.exit = null; // {code, signal} once exited
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        spawned.delete(child);
        resolve(this.exit);
      });
    });
    // Keep the error from crashing the runner (e.g. ENOENT for a missing binary).
    child.once('error', (e) => {
      this.spawnError = e;
    });
    collectLines(child.stdout, this.stdoutLines);
    collectLines(child.stderr, this.stderrLines);
  }

  get running() {
    return this.exit === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  url(p = '/') {
    return `http://${HOST}:${this.port}${p}`;
  }

  /** The last `n` stderr lines (for assertion messages). */
  stderrTail(n = 40) {
    return this.stderrLines.slice(-n).join('\n');
  }

  /** Parsed JSON log lines from stderr (non-JSON lines are skipped). */
  logs() {
    const out = [];
    for (const line of this.stderrLines) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        /* partial or non-JSON line */
      }
    }
    return out;
  }

  /** Sends `signal` to this process only (by its handle). */
  signal(sig) {
    if (this.running) this.child.kill(sig);
  }

  /**
   * Stops the process: `signal` (default SIGTERM), then SIGKILL if it has not exited within
   * `timeoutMs`. Resolves to {code, signal, killed} where killed says SIGKILL was needed.
   */
  async stop({ signal = 'SIGTERM', timeoutMs = ms(8000) } = {}) {
    if (!this.running) return { ...(await this.exited), killed: false };
    this.child.kill(signal);
    let timer;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && this.running) {
      this.child.kill('SIGKILL');
    }
    const exit = await this.exited;
    return { ...exit, killed: timedOut };
  }

  /** Waits for the process to exit; resolves to {code, signal} or throws after timeoutMs. */
  async waitExit(timeoutMs = ms(10000)) {
    return withTimeout(this.exited, timeoutMs, `${this.name} (pid ${this.pid}) exit`);
  }
}

function collectLines(stream, lines) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
    }
  });
  stream.on('end', () => {
    if (partial) lines.push(partial);
    partial = '';
  });
}

/** Fails clearly when the binary is missing. */
export function assertBinary() {
  if (!existsSync(BIN)) {
    throw new Error(
      `switchyard binary not found at ${BIN}; build it (cmake --build build/release --target switchyard) ` +
        'or set SWITCHYARD_BIN',
    );
  }
}

/**
 * Spawns `switchyard <args>` and waits for its listening line. Returns a Proc with `.port`.
 * If the process exits (or prints nothing) first, throws with its stderr.
 */
export async function startProcess(name, args, { timeoutMs = ms(15000), env = {} } = {}) {
  assertBinary();
  const child = spawn(BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  spawned.add(child);
  const proc = new Proc(name, child);
  try {
    proc.port = await withTimeout(
      new Promise((resolve, reject) => {
        const check = () => {
          for (const line of proc.stdoutLines) {
            if (!line.startsWith('{')) continue;
            try {
              const ev = JSON.parse(line);
              if (ev.event === 'listening' && Number.isInteger(ev.port) && ev.port > 0) return resolve(ev.port);
            } catch {
              /* keep looking */
            }
          }
          return undefined;
        };
        child.stdout.on('data', () => setImmediate(check));
        proc.exited.then((exit) =>
          setImmediate(() => {
            check();
            reject(
              new Error(
                `${name} exited (code ${exit.code}, signal ${exit.signal}) before listening; stderr:\n${proc.stderrTail()}`,
              ),
            );
          }),
        );
        child.once('error', (e) => reject(new Error(`cannot start ${name}: ${e.message}`)));
      }),
      timeoutMs,
      `${name} listening line`,
    );
  } catch (e) {
    await proc.stop({ signal: 'SIGKILL', timeoutMs: 2000 });
    throw new Error(`${e.message}\nstderr:\n${proc.stderrTail()}`);
  }
  return proc;
}

/**
 * Runs `switchyard <args>` to completion (for commands expected to exit, like a bad config).
 * Resolves to {code, signal, stdout, stderr}.
 */
export async function runToExit(args, { timeoutMs = ms(15000) } = {}) {
  assertBinary();
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  const proc = new Proc(`switchyard ${args[0]}`, child);
  try {
    const exit = await withTimeout(proc.exited, timeoutMs, `switchyard ${args.join(' ')}`);
    await sleep(10); // let the last output arrive
    return { ...exit, stdout: proc.stdoutLines.join('\n'), stderr: proc.stderrLines.join('\n') };
  } finally {
    if (proc.running) await proc.stop({ signal: 'SIGKILL', timeoutMs: 2000 });
  }
}

/**
 * Starts `switchyard sim`. Options: ttftMs, itlMs, slots, tokens, models (array), threads,
 * maxWaiting, extraArgs, listenPort (default 0; only to restart an engine on the port it had).
 */
export async function startSim(opts = {}) {
  const args = ['sim', '--listen', `${HOST}:${opts.listenPort ?? 0}`];
  if (opts.ttftMs !== undefined) args.push('--ttft-ms', String(opts.ttftMs));
  if (opts.itlMs !== undefined) args.push('--itl-ms', String(opts.itlMs));
  if (opts.slots !== undefined) args.push('--slots', String(opts.slots));
  if (opts.tokens !== undefined) args.push('--tokens', String(opts.tokens));
  if (opts.threads !== undefined) args.push('--threads', String(opts.threads));
  if (opts.maxWaiting !== undefined) args.push('--max-waiting', String(opts.maxWaiting));
  for (const m of opts.models ?? []) args.push('--model', m);
  args.push(...(opts.extraArgs ?? []));
  const proc = await startProcess('sim', args);
  proc.stats = async () => {
    const r = await httpRequest(proc.port, { path: '/sim/stats' });
    if (r.status !== 200) throw new Error(`GET /sim/stats: ${r.status} ${r.text}`);
    return r.json();
  };
  proc.reset = async () => {
    const r = await httpRequest(proc.port, { method: 'POST', path: '/sim/reset' });
    if (r.status !== 200) throw new Error(`POST /sim/reset: ${r.status} ${r.text}`);
  };
  proc.endpoint = () => `http://${HOST}:${proc.port}`;
  return proc;
}

// ---------------------------------------------------------------------------------------------
// Configuration

function yamlScalar(v) {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return JSON.stringify(String(v)); // a JSON string is a valid double-quoted YAML scalar
}

/** Renders a plain object as block-style YAML (lists of scalars in flow style). */
export function toYaml(value, indent = '') {
  let out = '';
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.every((x) => x === null || typeof x !== 'object')) {
        out += `${indent}${key}: [${v.map(yamlScalar).join(', ')}]\n`;
      } else {
        out += `${indent}${key}:\n`;
        for (const item of v) {
          const body = toYaml(item, `${indent}    `);
          out += `${indent}  - ${body.slice(indent.length + 4)}`;
        }
      }
    } else if (v !== null && typeof v === 'object') {
      out += `${indent}${key}:\n${toYaml(v, `${indent}  `)}`;
    } else {
      out += `${indent}${key}: ${yamlScalar(v)}\n`;
    }
  }
  return out;
}

/**
 * A serve configuration with test-friendly defaults: port 0, fast health probes, info logs.
 * `pools` is required; other sections are merged over the defaults.
 */
export function serveConfig({ pools, ...rest } = {}) {
  const base = {
    listen: `${HOST}:0`,
    threads: 2,
    log_level: 'info',
    limits: {},
    queue: { capacity: 1024, policy: 'reject', position_interval_ms: 1000 },
    health: { interval_ms: 200, timeout_ms: 1000, healthy_after: 1, unhealthy_after: 3 },
    breaker: { failure_threshold: 5, open_ms: 5000 },
    retry: { max_attempts: 3, backoff_base_ms: 10, backoff_max_ms: 50 },
    sessions: { ttl_ms: 600000, max_entries: 100000 },
  };
  const cfg = { ...base };
  for (const [k, v] of Object.entries(rest)) {
    cfg[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] ? { ...base[k], ...v } : v;
  }
  if (Object.keys(cfg.limits).length === 0) delete cfg.limits;
  cfg.pools = pools ?? [];
  return cfg;
}

/** One pool entry: `pool('sim-a', [sim1, sim2], {slots: 8})`. */
export function pool(id, sims, extra = {}) {
  return {
    id,
    models: extra.models ?? ['sim-model'],
    engine: extra.engine ?? 'openai',
    endpoints: sims.map((s) => (typeof s === 'string' ? s : s.endpoint())),
    slots: extra.slots ?? 8,
    ctx_max: extra.ctx_max ?? 8192,
    health_path: extra.health_path ?? '/health',
  };
}

const tempDirs = [];
process.on('exit', () => {
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
});

/** Writes `text` to a fresh temp file and returns its path. */
export function writeTempFile(name, text) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-it-'));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * Starts `switchyard serve --config <tmp.yaml>`. `config` is an object (rendered as YAML) or YAML
 * text. Options: args (extra CLI args), waitReady (default true: wait for GET /ready == 200).
 */
export async function startServe(config, { args = [], waitReady: wait = true, readyTimeoutMs = ms(15000) } = {}) {
  const yaml = typeof config === 'string' ? config : toYaml(config);
  const file = writeTempFile('switchyard.yaml', yaml);
  const proc = await startProcess('serve', ['serve', '--config', file, ...args]);
  proc.configFile = file;
  proc.configYaml = yaml;
  proc.metrics = async () => {
    const r = await httpRequest(proc.port, { path: '/metrics' });
    if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
    return parseMetrics(r.text);
  };
  if (wait) {
    try {
      await waitReady(proc, readyTimeoutMs);
    } catch (e) {
      await proc.stop({ signal: 'SIGKILL', timeoutMs: 2000 });
      throw new Error(`${e.message}\nserve stderr:\n${proc.stderrTail()}`);
    }
  }
  return proc;
}

/** Waits until GET /ready answers 200. */
export async function waitReady(serve, timeoutMs = ms(15000)) {
  await waitFor(
    async () => (await httpRequest(serve.port, { path: '/ready', timeoutMs: 2000 })).status === 200,
    timeoutMs,
    `GET /ready == 200 on port ${serve.port}`,
    25,
  );
}

/** Stops every given process (ignoring undefined), SIGTERM then SIGKILL. */
export async function stopAll(...procs) {
  await Promise.all(procs.flat().filter(Boolean).map((p) => p.stop().catch(() => {})));
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Parses Prometheus text into [{name, labels, value}]. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  samples.text = text;
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`; undefined when none match. */
export function metric(samples, name, labels = {}) {
  let total;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => s.labels[k] === String(v))) continue;
    total = (total ?? 0) + s.value;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// HTTP clients (each request on its own connection: no agent, no keep-alive surprises)

/**
 * One HTTP request to 127.0.0.1:port. `body` may be an object (sent as JSON), a string or a
 * Buffer. Resolves to {status, headers, text, json()}. Rejects after timeoutMs, or when `signal`
 * (an AbortSignal) aborts: the connection is then destroyed (the client leaves).
 */
export function httpRequest(port, { method = 'GET', path: p = '/', headers = {}, body, timeoutMs = ms(15000), signal } = {}) {
  return new Promise((resolve, reject) => {
    let payload;
    const h = { ...headers };
    if (body !== undefined) {
      payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
      h['Content-Length'] = payload.length;
    }
    const req = http.request({ host: HOST, port, method, path: p, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          json() {
            return JSON.parse(text);
          },
        });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${p} on port ${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (signal) {
      const onAbort = () => req.destroy(new Error(`${method} ${p} aborted by the test`));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    if (payload) req.write(payload);
    req.end();
  });
}

/** POST JSON helper. */
export function postJson(port, p, body, headers = {}, timeoutMs) {
  return httpRequest(port, { method: 'POST', path: p, body, headers, timeoutMs });
}

/** Incremental SSE parser (WHATWG rules, simplified): feed text, get events. */
export class SseParser {
  constructor() {
    this.buf = '';
    this.data = null;
    this.eventName = undefined;
  }

  /** Returns the events completed by `text`: {data} for data events, {comment} for comments. */
  feed(text) {
    this.buf += text;
    const events = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      const line = this.buf.slice(0, m.index);
      // A lone '\r' at the end of the buffer might be half of "\r\n": wait for more.
      if (m[0] === '\r' && m.index === this.buf.length - 1) break;
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === '') {
        if (this.data !== null) {
          const ev = { data: this.data };
          if (this.eventName) ev.event = this.eventName;
          events.push(ev);
        }
        this.data = null;
        this.eventName = undefined;
        continue;
      }
      if (line.startsWith(':')) {
        events.push({ comment: line.slice(1).replace(/^ /, '') });
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data = this.data === null ? value : `${this.data}\n${value}`;
      else if (field === 'event') this.eventName = value;
    }
    return events;
  }
}

/**
 * Streams a POST to `path` and collects the SSE events.
 * Options:
 *   headers, timeoutMs (whole exchange bound; the request is destroyed and `timedOut` set),
 *   abortAfterDataEvents: destroy the connection after this many data events,
 *   onEvent(ev, result): called per event; return true to abort right there,
 *   signal: an AbortSignal that destroys the connection (the client leaves).
 * Resolves (never rejects on HTTP/stream problems) to
 *   {status, headers, events:[{data?, comment?, event?, at}], raw, complete, aborted, timedOut,
 *    error, body (for non-SSE answers: text), dataEvents(), json()}
 * `complete` is true only when the response ended properly (terminating chunk received).
 */
export function sseRequest(port, p, body, opts = {}) {
  const { headers = {}, timeoutMs = ms(30000), abortAfterDataEvents, onEvent, signal } = opts;
  return new Promise((resolve) => {
    const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const result = {
      status: undefined,
      headers: undefined,
      events: [],
      raw: '',
      complete: false,
      aborted: false,
      timedOut: false,
      error: undefined,
      startedAt: Date.now(),
      dataEvents() {
        return this.events.filter((e) => e.data !== undefined);
      },
      json() {
        return JSON.parse(this.raw);
      },
    };
    let settled = false;
    let req;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.body = result.raw;
      resolve(result);
    };
    const abort = () => {
      result.aborted = true;
      req.destroy();
      finish();
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      req.destroy();
      finish();
    }, timeoutMs);
    if (signal) {
      if (signal.aborted) setImmediate(abort);
      else signal.addEventListener('abort', () => !settled && abort(), { once: true });
    }
    req = http.request(
      {
        host: HOST,
        port,
        method: 'POST',
        path: p,
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          Accept: 'text/event-stream',
          'Content-Length': payload.length,
          ...headers,
        },
      },
      (res) => {
        result.status = res.statusCode;
        result.headers = res.headers;
        const parser = new SseParser();
        const isSse = String(res.headers['content-type'] || '').includes('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (text) => {
          if (settled) return;
          result.raw += text;
          if (!isSse) return;
          for (const ev of parser.feed(text)) {
            ev.at = Date.now();
            result.events.push(ev);
            if (onEvent && onEvent(ev, result)) return abort();
            if (
              abortAfterDataEvents !== undefined &&
              ev.data !== undefined &&
              result.dataEvents().length >= abortAfterDataEvents
            ) {
              return abort();
            }
          }
          return undefined;
        });
        res.on('end', () => {
          result.complete = res.complete;
          finish();
        });
        res.on('error', (e) => {
          result.error = e;
          finish();
        });
        res.on('close', () => {
          if (!res.complete && !result.error && !settled) result.error = new Error('response closed before its end');
          finish();
        });
      },
    );
    req.on('error', (e) => {
      result.error = e;
      finish();
    });
    req.write(payload);
    req.end();
  });
}

/** Concatenated content of OpenAI stream chunks (chat delta.content or completion text). */
export function streamedText(events) {
  let s = '';
  for (const ev of events) {
    if (ev.data === undefined || ev.data === '[DONE]') continue;
    let obj;
    try {
      obj = JSON.parse(ev.data);
    } catch {
      continue;
    }
    for (const choice of obj.choices ?? []) {
      if (choice.delta && typeof choice.delta.content === 'string') s += choice.delta.content;
      else if (typeof choice.text === 'string') s += choice.text;
    }
  }
  return s;
}

/** The parsed JSON data events (excluding [DONE]); throws on invalid JSON. */
export function jsonEvents(events) {
  return events.filter((e) => e.data !== undefined && e.data !== '[DONE]').map((e) => JSON.parse(e.data));
}

// ---------------------------------------------------------------------------------------------
// Raw TCP

/**
 * Connects to 127.0.0.1:port, writes `bytes` (string or Buffer, or an array of them written in
 * turn), and collects what comes back until the server closes or `timeoutMs` passes (or until
 * `until(text)` returns true). Resolves to {text, closed, timedOut, error}.
 */
export function rawTcp(port, bytes, { timeoutMs = ms(5000), until, endAfterWrite = false } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    const result = { text: '', closed: false, timedOut: false, error: undefined };
    let settled = false;
    const sock = net.connect({ host: HOST, port });
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.text = Buffer.concat(chunks).toString('utf8');
      sock.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      finish();
    }, timeoutMs);
    sock.on('connect', () => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) sock.write(b);
      if (endAfterWrite) sock.end();
    });
    sock.on('data', (c) => {
      chunks.push(c);
      if (until && until(Buffer.concat(chunks).toString('utf8'))) finish();
    });
    sock.on('end', () => {
      result.closed = true;
      finish();
    });
    sock.on('close', () => {
      result.closed = true;
      finish();
    });
    sock.on('error', (e) => {
      result.error = e;
      result.closed = true;
      finish();
    });
  });
}

/** Standard chat body. */
export function chatBody({ seed = 0, maxTokens = 8, stream = true, model = 'sim-model', ...extra } = {}) {
  return {
    model,
    messages: [{ role: 'user', content: 'Say the words.' }],
    max_tokens: maxTokens,
    seed,
    stream,
    ...extra,
  };
}

/** Standard completions body. */
export function completionBody({ seed = 0, maxTokens = 8, stream = true, model = 'sim-model', ...extra } = {}) {
  return { model, prompt: 'Say the words.', max_tokens: maxTokens, seed, stream, ...extra };
}

/** Checks that GET /health is 200 {"status":"ok"} and a small chat works; throws otherwise. */
export async function assertServing(serve, { seed = 3, maxTokens = 4 } = {}) {
  const h = await httpRequest(serve.port, { path: '/health' });
  if (h.status !== 200) throw new Error(`GET /health answered ${h.status}: ${h.text}`);
  const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ seed, maxTokens, stream: false }));
  if (r.status !== 200) throw new Error(`chat answered ${r.status}: ${r.text}`);
  const content = r.json().choices?.[0]?.message?.content;
  if (content !== expectedText(seed, maxTokens)) {
    throw new Error(`chat content ${JSON.stringify(content)} != ${JSON.stringify(expectedText(seed, maxTokens))}`);
  }
}

/**
 * Asserts that `r` (an httpRequest result) is an error answer with `status` and OpenAI's envelope
 * plus Switchyard's `retriable`, with error code `code`. Returns the `error` object.
 */
export function assertEnvelope(r, status, code) {
  if (r.status !== status) throw new Error(`status ${r.status}, expected ${status}: ${r.text}`);
  if (!/^application\/json/.test(String(r.headers['content-type']))) {
    throw new Error(`content-type ${r.headers['content-type']}: ${r.text}`);
  }
  const error = r.json().error;
  if (!error) throw new Error(`no error envelope: ${r.text}`);
  if (error.code !== code) throw new Error(`code ${error.code}, expected ${code}: ${r.text}`);
  if (typeof error.message !== 'string' || error.message.length === 0) throw new Error(`no message: ${r.text}`);
  if (typeof error.type !== 'string') throw new Error(`no type: ${r.text}`);
  if (!('param' in error)) throw new Error(`param missing (may be null): ${r.text}`);
  if (typeof error.retriable !== 'boolean') throw new Error(`retriable not a boolean: ${r.text}`);
  return error;
}

/**
 * Starts a stream in the background. Returns {done (Promise of the sseRequest result), abort(),
 * firstData (Promise resolved at the first data event), events()}. Use it to hold an engine
 * slot: `const a = openStream(...); await a.firstData; ... a.abort(); await a.done`.
 */
export function openStream(port, p, body, opts = {}) {
  const controller = new AbortController();
  let resolveFirst;
  let live;
  const firstData = new Promise((resolve) => {
    resolveFirst = resolve;
  });
  const done = sseRequest(port, p, body, {
    timeoutMs: ms(60000),
    ...opts,
    signal: controller.signal,
    onEvent: (ev, res) => {
      live = res;
      if (ev.data !== undefined) resolveFirst(ev);
      return opts.onEvent ? opts.onEvent(ev, res) : false;
    },
  });
  // A stream that ends (or fails) before any data event must not leave waiters hanging.
  done.then((res) => resolveFirst(res.dataEvents()[0] ?? null));
  return {
    done,
    firstData,
    abort: () => controller.abort(),
    events: () => (live ? live.events : []),
  };
}

/** Waits until switchyard_queue_depth{model, priority} == n. */
export async function waitQueueDepth(serve, n, { model = 'sim-model', priority = 'interactive', timeoutMs = ms(5000) } = {}) {
  await waitFor(
    async () => metric(await serve.metrics(), 'switchyard_queue_depth', { model, priority }) === n,
    timeoutMs,
    `switchyard_queue_depth{model="${model}",priority="${priority}"} == ${n}`,
  );
}
