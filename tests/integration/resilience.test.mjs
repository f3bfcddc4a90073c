// Resilience: the failure policy between Switchyard and broken engines.
//
// - A one-endpoint pool is never taken out by its breaker (breaker.max_ejection_percent, "panic
//   routing"): normal requests keep succeeding next to failing ones.
// - A broken engine whose health probes pass (`sim --fault-*`) is ejected from a larger pool and
//   then sees no more traffic.
// - Queued work is re-examined at once when a breaker opens, instead of waiting for open_ms.
// - Outcome classes: 5xx / resets / stalls count against the endpoint; an engine 429 is
//   backpressure (retried elsewhere, or passed back with its Retry-After); other 4xx and error
//   events inside a 200 stream are the request's fault.
// - switchyard_upstream_retries_total{reason} counts only retries that really went out.
// - Exact JSON pass-through: numbers of any size reach the engine byte for byte.
//
// Every engine here is a real process (`switchyard sim`) or, where the exact request bytes matter,
// a small in-process Node HTTP server acting as an OpenAI-compatible engine.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, describe, it } from 'node:test';

import {
  HOST,
  chatBody,
  completionBody,
  expectedText,
  httpRequest,
  jsonEvents,
  metric,
  ms,
  openStream,
  pool,
  postJson,
  runToExit,
  serveConfig,
  sseRequest,
  startServe,
  startSim,
  stopAll,
  streamedText,
  toYaml,
  waitFor,
  waitQueueDepth,
  writeTempFile,
} from './harness.mjs';

const CHAT = '/v1/chat/completions';
const COMPLETIONS = '/v1/completions';

let procs = [];
afterEach(async () => {
  await stopAll(procs);
  procs = [];
});
after(async () => {
  await stopAll(procs);
});

// ---------------------------------------------------------------------------------------------
// Helpers

async function sim(opts = {}) {
  const s = await startSim({ ttftMs: 2, itlMs: 2, slots: 64, ...opts });
  procs.push(s);
  return s;
}

async function serveWith(config) {
  const s = await startServe(serveConfig(config));
  procs.push(s);
  return s;
}

/** A non-streaming chat request; the result carries its seed and length. */
async function unary(serve, { seed = 1, maxTokens = 3, simOptions, path = CHAT } = {}) {
  const make = path === CHAT ? chatBody : completionBody;
  const body = make({ seed, maxTokens, stream: false, ...(simOptions ? { sim_options: simOptions } : {}) });
  const r = await postJson(serve.port, path, body);
  return { ...r, seed, maxTokens, path, stream: false };
}

/** A streaming chat request (sseRequest result plus seed and length). */
async function streamed(serve, { seed = 1, maxTokens = 3, simOptions, path = CHAT, timeoutMs } = {}) {
  const make = path === CHAT ? chatBody : completionBody;
  const body = make({ seed, maxTokens, stream: true, ...(simOptions ? { sim_options: simOptions } : {}) });
  const r = await sseRequest(serve.port, path, body, timeoutMs ? { timeoutMs } : {});
  return { ...r, seed, maxTokens, path, stream: true };
}

/** Request i of a sequence: even → non-streaming, odd → streaming. */
function either(serve, i, opts = {}) {
  return i % 2 === 0 ? unary(serve, opts) : streamed(serve, opts);
}

/** Why a unary/streamed result is not a full, correct answer; undefined when it is. */
function problem(r) {
  const text = r.stream ? r.raw : r.text;
  if (r.status !== 200) return `status ${r.status}: ${String(text).slice(0, 300)}`;
  const want = expectedText(r.seed, r.maxTokens);
  if (!r.stream) {
    let obj;
    try {
      obj = JSON.parse(text);
    } catch {
      return `not JSON: ${String(text).slice(0, 300)}`;
    }
    const got = r.path === CHAT ? obj.choices?.[0]?.message?.content : obj.choices?.[0]?.text;
    return got === want ? undefined : `content ${JSON.stringify(got)} != ${JSON.stringify(want)}`;
  }
  if (r.timedOut) return `stream timed out: ${r.raw.slice(-300)}`;
  if (!r.complete) return `stream incomplete (${r.error?.message}): ${r.raw.slice(-300)}`;
  const errors = safeJsonEvents(r.events).filter((x) => x.error);
  if (errors.length) return `stream error event: ${JSON.stringify(errors[0])}`;
  if (r.dataEvents().at(-1)?.data !== '[DONE]') return `no [DONE]: ${r.raw.slice(-300)}`;
  const got = streamedText(r.events);
  return got === want ? undefined : `streamed ${JSON.stringify(got)} != ${JSON.stringify(want)}`;
}

function assertOk(r, what = 'request') {
  const p = problem(r);
  assert.equal(p, undefined, `${what} (seed ${r.seed}, ${r.stream ? 'stream' : 'unary'}) failed: ${p}`);
}

function safeJsonEvents(events) {
  const out = [];
  for (const e of events) {
    if (e.data === undefined || e.data === '[DONE]') continue;
    try {
      out.push(JSON.parse(e.data));
    } catch {
      /* not JSON */
    }
  }
  return out;
}

/**
 * The error a unary or streamed result ended with: {status, code, where: 'http'|'event'}, or
 * undefined when it carries none.
 */
function errorOf(r) {
  const text = r.stream ? r.raw : r.text;
  if (r.status !== 200) {
    try {
      return { status: r.status, code: JSON.parse(text).error?.code, where: 'http' };
    } catch {
      return { status: r.status, code: undefined, where: 'http' };
    }
  }
  if (r.stream) {
    const ev = safeJsonEvents(r.events).find((x) => x.error);
    if (ev) return { status: 200, code: ev.error.code, where: 'event' };
  }
  return undefined;
}

/**
 * The value of a metric the new failure policy exports. The family must be on /metrics (its
 * `# TYPE` line); a labelled series that was never written counts as 0.
 */
function newMetric(m, name, labels = {}) {
  assert.ok(
    m.text.includes(`# TYPE ${name} `) || m.some((s) => s.name === name),
    `metric family ${name} is missing from /metrics (the new failure policy exports it)`,
  );
  return metric(m, name, labels) ?? 0;
}

/** Sum of switchyard_upstream_retries_total over every reason, checking the reason labels. */
function retriesByReason(m) {
  const byReason = {};
  for (const s of m) {
    if (s.name !== 'switchyard_upstream_retries_total') continue;
    assert.ok(
      ['connect', 'timeout', 'status_5xx', 'reset', 'protocol', 'backpressure'].includes(s.labels.reason),
      `switchyard_upstream_retries_total series without a known reason label: ${JSON.stringify(s.labels)}`,
    );
    byReason[s.labels.reason] = (byReason[s.labels.reason] ?? 0) + s.value;
  }
  return byReason;
}

const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

async function breakerState(serve, poolId, endpoint) {
  return metric(await serve.metrics(), 'switchyard_endpoint_breaker_state', { pool: poolId, endpoint });
}

/** upstream_failed log lines that announce a retry. */
function retryAnnouncements(serve) {
  return serve
    .logs()
    .filter((l) => l.event === 'upstream_failed' && /trying another endpoint/i.test(String(l.narration)));
}

/**
 * A tiny OpenAI-compatible engine in this process. GET /health answers 200; every other request
 * is recorded ({method, url, headers, body: Buffer}) and answered by `respond(req, body, res)`
 * (default: a one-token answer, SSE when the body asks for a stream).
 */
async function startEngine(respond = defaultEngineAnswer) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/health') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status":"ok"}');
        return;
      }
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      respond(req, body, res);
    });
  });
  server.keepAliveTimeout = 30000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address();
  const engine = {
    port,
    requests,
    endpoint: () => `http://${HOST}:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  procs.push(engine);
  return engine;
}

const ENGINE_TEXT = 'ok ';

function defaultEngineAnswer(req, body, res) {
  const wantsStream = /"stream"\s*:\s*true/.test(body.toString('utf8'));
  const chat = req.url.endsWith('/chat/completions');
  if (wantsStream) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = chat
      ? { id: 'e-1', object: 'chat.completion.chunk', created: 1, model: 'sim-model', choices: [{ index: 0, delta: { content: ENGINE_TEXT }, finish_reason: null }] }
      : { id: 'e-1', object: 'text_completion', created: 1, model: 'sim-model', choices: [{ text: ENGINE_TEXT, index: 0, logprobs: null, finish_reason: null }] };
    const fin = chat
      ? { id: 'e-1', object: 'chat.completion.chunk', created: 1, model: 'sim-model', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }
      : { id: 'e-1', object: 'text_completion', created: 1, model: 'sim-model', choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.write(`data: ${JSON.stringify(fin)}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }
  const answer = chat
    ? { id: 'e-1', object: 'chat.completion', created: 1, model: 'sim-model', choices: [{ index: 0, message: { role: 'assistant', content: ENGINE_TEXT }, finish_reason: 'length' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }
    : { id: 'e-1', object: 'text_completion', created: 1, model: 'sim-model', choices: [{ text: ENGINE_TEXT, index: 0, logprobs: null, finish_reason: 'length' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  const text = JSON.stringify(answer);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// ---------------------------------------------------------------------------------------------

describe('configuration: breaker.max_ejection_percent', () => {
  it('is accepted from 0 to 100 and refused above 100, naming the key', { timeout: ms(30000) }, async () => {
    for (const value of [0, 50, 100]) {
      const s = await startServe(serveConfig({ breaker: { max_ejection_percent: value }, pools: [] }), { waitReady: false }).catch(
        (e) => {
          throw new Error(`breaker.max_ejection_percent: ${value} refused (is the new build in place?): ${e.message}`);
        },
      );
      procs.push(s);
      await s.stop();
    }
    const file = writeTempFile('ejection.yaml', toYaml(serveConfig({ breaker: { max_ejection_percent: 101 }, pools: [] })));
    const r = await runToExit(['serve', '--config', file]);
    assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, /max_ejection_percent/);
    assert.doesNotMatch(r.stderr, /unknown key/, r.stderr);
  });
});

describe('one-endpoint pool: the breaker never takes out the last endpoint', () => {
  it('normal requests keep succeeding next to 20 failing ones; the breaker opens and panic routing serves', { timeout: ms(60000) }, async () => {
    const engine = await sim();
    const serve = await serveWith({
      limits: { stall_timeout_ms: 300 },
      breaker: { failure_threshold: 2, open_ms: 60000 },
      pools: [pool('solo', [engine], { slots: 16 })],
    });

    // Client 1: 20 failing requests, four kinds in turn.
    const kinds = [
      { name: 'mid-stream reset', run: (i) => streamed(serve, { seed: i, maxTokens: 6, simOptions: { fail_after_tokens: 1 } }), codes: ['upstream_error'] },
      { name: 'status 500', run: (i) => unary(serve, { seed: i, simOptions: { status: 500 } }), codes: ['upstream_error'] },
      { name: 'stall', run: (i) => streamed(serve, { seed: i, maxTokens: 6, simOptions: { stall_after_tokens: 1 } }), codes: ['stream_stalled'] },
      { name: 'reset before the head', run: (i) => unary(serve, { seed: i, simOptions: { fail_after_tokens: 1 } }), codes: ['upstream_error'] },
    ];
    // The first two failures come back to back so that the breaker really opens (a success in
    // between would reset its count of consecutive failures); then both clients interleave.
    let failingDone = false;
    let startNormals;
    const normalsMayStart = new Promise((resolve) => {
      startNormals = resolve;
    });
    const failingProblems = [];
    const failing = (async () => {
      try {
        for (let i = 0; i < 20; i++) {
          if (i === 2) startNormals();
          const kind = kinds[i % kinds.length];
          const r = await kind.run(i);
          const err = errorOf(r);
          if (!err || !kind.codes.includes(err.code)) {
            failingProblems.push(`#${i} ${kind.name}: expected error ${kind.codes}, got ${JSON.stringify(err)} (status ${r.status}) ${String(r.stream ? r.raw : r.text).slice(0, 200)}`);
          }
        }
      } finally {
        failingDone = true;
        startNormals();
      }
    })();
    await normalsMayStart;

    // Client 2: normal requests until client 1 is done (and at least 10).
    const normalProblems = [];
    let normals = 0;
    for (let i = 0; !failingDone || normals < 10; i++) {
      const r = await either(serve, i, { seed: 100 + i, maxTokens: 4 });
      normals++;
      const p = problem(r);
      if (p) normalProblems.push(`#${i} (${r.stream ? 'stream' : 'unary'}): ${p}`);
    }
    await failing;

    assert.deepEqual(normalProblems, [], `${normalProblems.length} of ${normals} normal requests failed`);
    assert.deepEqual(failingProblems, [], 'every failing request ends with its coded error');
    // Every request reached the engine exactly once: a request the engine received and then
    // failed is never re-sent on a fresh connection (that would run the generation twice).
    const seen = (await engine.stats()).requests_total;
    assert.equal(seen, 20 + normals, `the engine saw ${seen} requests for ${20 + normals} sent`);
    const m = await serve.metrics();
    assert.ok(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }) >= 1, 'the breaker opened at least once');
    assert.ok(newMetric(m, 'switchyard_panic_routed_total') > 0, 'requests were panic-routed to the open endpoint');
  });
});

describe('a broken engine whose health probes pass is ejected from a pool of three', () => {
  for (const [label, faultArgs] of [
    ['--fault-status 500', ['--fault-status', '500']],
    ['--fault-fail-after-tokens 1', ['--fault-fail-after-tokens', '1']],
  ]) {
    it(`${label}: the breaker opens, then the broken engine gets no more requests`, { timeout: ms(40000) }, async () => {
      const broken = await sim({ extraArgs: faultArgs });
      const good = [await sim(), await sim()];
      const serve = await serveWith({
        breaker: { failure_threshold: 2, open_ms: 60000 },
        // The broken engine is endpoint 0: the tie-break sends idle traffic there first.
        pools: [pool('trio', [broken, ...good], { slots: 8 })],
      });
      const brokenUrl = broken.endpoint();
      const retriesAll = label.includes('500');

      // Before the ejection: with a 5xx every request is retried elsewhere and succeeds. With
      // mid-stream resets a stream that already had a token cannot be retried.
      let sent = 0;
      const early = [];
      while (sent < 20 && (await breakerState(serve, 'trio', brokenUrl)) !== 1) {
        const r = await either(serve, sent, { seed: sent, maxTokens: 4 });
        sent++;
        const p = problem(r);
        if (retriesAll && p) early.push(`#${sent - 1}: ${p}`);
        if (!retriesAll && p) assert.ok(errorOf(r)?.code, `a failed request carries a coded error: ${p}`);
      }
      assert.deepEqual(early, [], 'with --fault-status 500 every request succeeds even before the ejection');
      await waitFor(async () => (await breakerState(serve, 'trio', brokenUrl)) === 1, ms(3000), `breaker_state{endpoint=${brokenUrl}} == 1`);

      const brokenBefore = (await broken.stats()).requests_total;
      const goodBefore = (await good[0].stats()).requests_total + (await good[1].stats()).requests_total;
      const N = 10;
      for (let i = 0; i < N; i++) assertOk(await either(serve, i, { seed: 40 + i, maxTokens: 4 }), `request ${i} after the ejection`);
      assert.equal((await broken.stats()).requests_total, brokenBefore, 'the ejected engine received nothing more');
      const goodAfter = (await good[0].stats()).requests_total + (await good[1].stats()).requests_total;
      assert.equal(goodAfter - goodBefore, N, 'the healthy engines served every request once');
      assert.equal(await breakerState(serve, 'trio', brokenUrl), 1, 'still open (open_ms 60000)');
      for (const g of good) assert.equal(await breakerState(serve, 'trio', g.endpoint()), 0);
      const m = await serve.metrics();
      assert.ok(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }) >= 1);
      assert.equal(newMetric(m, 'switchyard_panic_routed_total'), 0, 'one of three may be ejected: no panic routing');
    });
  }
});

describe('queued work follows the registry when a breaker opens', () => {
  /**
   * 4 requests hold every slot and then fail mid-stream; failure_threshold 1, so the first failure
   * on an endpoint opens its breaker whatever the order in which the failures and the successes
   * of the first placed requests arrive. 50 short streams queue behind them. Each queued request must be placed (first data event) or
   * answered within 1 s of the failures, not after open_ms (60 s).
   */
  async function queueBehindFailures(t, endpoints) {
    const engines = [];
    for (let i = 0; i < endpoints; i++) engines.push(await sim({ ttftMs: 1, itlMs: 1 }));
    const serve = await serveWith({
      breaker: { failure_threshold: 1, open_ms: 60000 },
      queue: { capacity: 1024, position_interval_ms: 5000 },
      pools: [pool('q', engines, { slots: 4 / endpoints })],
    });

    const itl = ms(400);
    const holders = Array.from({ length: 4 }, (_, i) =>
      openStream(serve.port, CHAT, chatBody({ seed: i, maxTokens: 10, sim_options: { itl_ms: itl, fail_after_tokens: 3 } })),
    );
    procs.push({ stop: async () => holders.forEach((h) => h.abort()) });
    const firsts = await Promise.all(holders.map((h) => h.firstData));
    assert.ok(firsts.every(Boolean), 'the 4 slot holders started');
    await waitFor(
      async () => metric(await serve.metrics(), 'switchyard_endpoint_in_flight', { pool: 'q' }) === 4,
      ms(3000),
      'every slot held (switchyard_endpoint_in_flight{pool="q"} == 4)',
    );

    const queued = Array.from({ length: 50 }, (_, i) => {
      const q = { seed: 100 + i, placedAt: undefined, endedAt: undefined };
      q.stream = openStream(serve.port, CHAT, chatBody({ seed: q.seed, maxTokens: 2 }), {
        timeoutMs: ms(30000),
        onEvent: (ev) => {
          if (ev.data !== undefined && q.placedAt === undefined) q.placedAt = ev.at;
          return false;
        },
      });
      q.stream.done.then(() => {
        q.endedAt = Date.now();
      });
      return q;
    });
    procs.push({ stop: async () => queued.forEach((q) => q.stream.abort()) });
    await waitQueueDepth(serve, 50, { timeoutMs: ms(5000) });
    const queuedAt = Date.now();

    const holderResults = await Promise.all(holders.map((h) => h.done));
    const errorAts = holderResults.map((r) => r.events.find((e) => e.data !== undefined && e.data.startsWith('{"error"'))?.at);
    holderResults.forEach((r, i) => {
      assert.ok(errorAts[i] !== undefined, `holder ${i} ended with an error event: ${r.raw.slice(-300)}`);
      assert.equal(errorOf({ ...r, stream: true }).code, 'upstream_error');
    });
    assert.ok(queuedAt < Math.min(...errorAts), 'setup: all 50 were queued before the holders failed');
    const failedAt = Math.max(...errorAts);

    const bound = ms(1000);
    const answeredAt = (q) => q.placedAt ?? q.endedAt;
    await waitFor(() => queued.every((q) => answeredAt(q) !== undefined), bound + ms(2000), 'every queued request placed or answered').catch(
      () => {}, // reported below with details
    );
    const late = queued.filter((q) => answeredAt(q) === undefined || answeredAt(q) - failedAt > bound);
    const delays = queued.map(answeredAt).filter((x) => x !== undefined).map((x) => x - failedAt);
    t.diagnostic(`queued requests placed or answered at most ${Math.max(...delays)} ms after the last failure (bound ${bound} ms)`);
    const depth = metric(await serve.metrics(), 'switchyard_queue_depth', { model: 'sim-model', priority: 'interactive' });
    assert.equal(
      late.length,
      0,
      `${late.length} of 50 queued requests were not placed or answered within ${bound} ms of the failures ` +
        `(queue depth now ${depth}; ${late.filter((q) => answeredAt(q) === undefined).length} still waiting; ` +
        `breaker states ${JSON.stringify(await Promise.all(engines.map((e) => breakerState(serve, 'q', e.endpoint()))))})`,
    );

    const results = await Promise.all(queued.map((q) => q.stream.done.then((r) => ({ ...r, seed: q.seed, maxTokens: 2, path: CHAT, stream: true }))));
    const bad = results.map(problem).filter(Boolean);
    assert.deepEqual(bad, [], 'an endpoint stays in service (cap), so every queued request succeeds');
    const m = await serve.metrics();
    assert.ok(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }) >= 1, 'a breaker opened');
    assert.ok(newMetric(m, 'switchyard_panic_routed_total') > 0, 'the capped endpoint took the queued work');
  }

  it('one endpoint, 4 slots: 50 queued streams are placed at once after the breaker opens', { timeout: ms(40000) }, async (t) => {
    await queueBehindFailures(t, 1);
  });

  it('two endpoints, 2 slots each, both failing: the one that stays in service takes the queue at once', { timeout: ms(40000) }, async (t) => {
    await queueBehindFailures(t, 2);
  });
});

describe('exact JSON pass-through (numbers of any size)', () => {
  const EXTRA = '"x": 18446744073709551616, "y":1e309,"z" :-1.5e-400, "big":[123456789012345678901234567890123456789, 1E+400, -0, 0.1e-99999],' +
    ' "nested":{"n":-98765432109876543210.000000000000000000001e-3,"s":"caf\\u00e9 \u00e9"}, "seed": 99999999999999999999999,' +
    ' "stream_options": {"include_usage": false, "w": 2e400}';

  const bodies = {
    chat: (stream) => `{"model":"sim-model", "messages":[{"role":"user","content":"hi"}], "max_tokens": 3, "stream": ${stream}, ${EXTRA}}`,
    completions: (stream) => `{"model":"sim-model","prompt":"hi","max_tokens":3,"stream":${stream},${EXTRA}}`,
  };

  it('fields Switchyard does not read reach the engine byte for byte (chat and completions, stream or not)', { timeout: ms(30000) }, async () => {
    const engine = await startEngine();
    const serve = await serveWith({ pools: [pool('node', [engine], { slots: 4 })] });
    for (const [route, path] of [
      ['chat', CHAT],
      ['completions', COMPLETIONS],
    ]) {
      for (const stream of [false, true]) {
        const body = bodies[route](stream);
        const before = engine.requests.length;
        const what = `${route}, stream ${stream}`;
        if (stream) {
          const r = await sseRequest(serve.port, path, body);
          assert.equal(r.status, 200, `${what}: ${r.raw}`);
          assert.equal(r.complete, true, what);
          assert.equal(streamedText(r.events), ENGINE_TEXT, `${what}: ${r.raw}`);
        } else {
          const r = await postJson(serve.port, path, body);
          assert.equal(r.status, 200, `${what}: ${r.text}`);
          const obj = r.json();
          assert.equal(route === 'chat' ? obj.choices[0].message.content : obj.choices[0].text, ENGINE_TEXT, what);
        }
        assert.equal(engine.requests.length, before + 1, `${what}: the engine got one request`);
        const got = engine.requests.at(-1);
        assert.equal(got.url, path, what);
        assert.equal(got.body.toString('utf8'), body, `${what}: the body reached the engine byte for byte`);
        assert.ok(got.body.equals(Buffer.from(body, 'utf8')), what);
        assert.equal(Number(got.headers['content-length']), Buffer.byteLength(body), what);
      }
    }
  });

  it('max_tokens too large for any integer type → 400 invalid_params, param max_tokens', { timeout: ms(30000) }, async () => {
    const engine = await startEngine();
    const serve = await serveWith({ pools: [pool('node', [engine], { slots: 4 })] });
    for (const value of ['18446744073709551617', '1e309']) {
      for (const [path, body] of [
        [CHAT, `{"model":"sim-model","messages":[{"role":"user","content":"hi"}],"max_tokens":${value}}`],
        [COMPLETIONS, `{"model":"sim-model","prompt":"hi","stream":true,"max_tokens":${value}}`],
      ]) {
        const r = await postJson(serve.port, path, body);
        assert.equal(r.status, 400, `${path} max_tokens ${value}: ${r.text}`);
        const err = r.json().error;
        assert.equal(err.code, 'invalid_params', `${path} max_tokens ${value}: ${r.text}`);
        assert.equal(err.param, 'max_tokens', r.text);
      }
    }
    assert.equal(engine.requests.length, 0, 'none reached the engine');
  });
});

describe('retries: the counter equals the second attempts the engines saw', () => {
  it('endpoint A answers 500, B is fine: all succeed; retries{status_5xx} == A.requests_total', { timeout: ms(30000) }, async () => {
    const a = await sim({ extraArgs: ['--fault-status', '500'] });
    const b = await sim();
    const serve = await serveWith({
      breaker: { failure_threshold: 3, open_ms: 60000 },
      pools: [pool('ab', [a, b], { slots: 8 })],
    });
    const N = 10;
    for (let i = 0; i < N; i++) assertOk(await either(serve, i, { seed: i, maxTokens: 3 }), `request ${i}`);
    const aTotal = (await a.stats()).requests_total;
    const bTotal = (await b.stats()).requests_total;
    assert.ok(aTotal >= 1, 'A was tried (it is endpoint 0)');
    assert.equal(bTotal, N, 'B served every request once');
    const m = await serve.metrics();
    newMetric(m, 'switchyard_upstream_retries_total', { reason: 'status_5xx' });
    const byReason = retriesByReason(m);
    assert.equal(sum(byReason), aTotal, `retries ${JSON.stringify(byReason)} == A's requests_total ${aTotal}`);
    assert.equal(sum(byReason), bTotal - (N - aTotal));
    assert.equal(byReason.status_5xx ?? 0, aTotal, 'every retry has reason status_5xx');
    await waitFor(
      () => retryAnnouncements(serve).length === sum(byReason),
      ms(2000),
      `one upstream_failed "trying another endpoint" line per retry (${sum(byReason)})`,
    );
  });

  it('one endpoint answering 500: every request gets 502 upstream_error, no retry is counted or announced', { timeout: ms(30000) }, async () => {
    const a = await sim({ extraArgs: ['--fault-status', '500'] });
    const serve = await serveWith({
      breaker: { failure_threshold: 5, open_ms: 60000 },
      pools: [pool('solo', [a], { slots: 8 })],
    });
    const N = 8; // more than failure_threshold: the breaker opens, the cap keeps the endpoint
    const got = [];
    for (let i = 0; i < N; i++) {
      const r = await either(serve, i, { seed: i, maxTokens: 3 });
      got.push(`${r.status} ${errorOf(r)?.code}`);
    }
    assert.deepEqual(got, Array(N).fill('502 upstream_error'), 'every request: 502 upstream_error');
    assert.equal((await a.stats()).requests_total, N, 'the engine saw each request exactly once');
    const m = await serve.metrics();
    assert.equal(sum(retriesByReason(m)), 0, 'a one-endpoint pool never counts a retry');
    const announced = retryAnnouncements(serve);
    assert.equal(announced.length, 0, `upstream_failed lines announcing a retry that never came: ${JSON.stringify(announced[0])}`);
  });
});

describe('upstream 429 is backpressure, not a breaker failure', () => {
  it('A answers 429, B is fine: every request succeeds on B (reason backpressure), A never opens', { timeout: ms(30000) }, async () => {
    const a = await sim({ extraArgs: ['--fault-status', '429'] });
    const b = await sim();
    const serve = await serveWith({
      breaker: { failure_threshold: 2, open_ms: 60000 },
      pools: [pool('ab', [a, b], { slots: 8 })],
    });
    const N = 8;
    for (let i = 0; i < N; i++) assertOk(await either(serve, i, { seed: i, maxTokens: 3 }), `request ${i}`);
    const aTotal = (await a.stats()).requests_total;
    assert.ok(aTotal >= 1, 'A was tried');
    assert.equal((await b.stats()).requests_total, N);
    assert.equal(await breakerState(serve, 'ab', a.endpoint()), 0, "A's breaker stays closed");
    const m = await serve.metrics();
    assert.equal(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }), 0, 'no breaker opened');
    const byReason = retriesByReason(m);
    assert.equal(byReason.backpressure ?? 0, aTotal, `retries ${JSON.stringify(byReason)}: one backpressure retry per 429`);
    assert.equal(sum(byReason), aTotal);
  });

  it("one endpoint answering 429: the client gets 429 with the engine's Retry-After", { timeout: ms(30000) }, async () => {
    const a = await sim({ extraArgs: ['--fault-status', '429'] });
    const serve = await serveWith({
      breaker: { failure_threshold: 2, open_ms: 60000 },
      pools: [pool('solo', [a], { slots: 8 })],
    });
    const cases = [
      { retryAfter: undefined, want: '1', stream: false },
      { retryAfter: 7, want: '7', stream: false },
      { retryAfter: 3, want: '3', stream: true },
      { retryAfter: 12, want: '12', stream: false },
    ];
    for (const [i, c] of cases.entries()) {
      const simOptions = c.retryAfter === undefined ? undefined : { retry_after_s: c.retryAfter };
      const r = c.stream ? await streamed(serve, { seed: i, simOptions }) : await unary(serve, { seed: i, simOptions });
      const text = c.stream ? r.raw : r.text;
      assert.equal(r.status, 429, `case ${i}: ${text}`);
      assert.equal(r.headers['retry-after'], c.want, `case ${i}: Retry-After is the engine's (${JSON.stringify(r.headers)})`);
      assert.ok(JSON.parse(text).error, `case ${i}: an error envelope: ${text}`);
    }
    assert.equal((await a.stats()).requests_total, cases.length, 'no second attempt on the same engine');
    assert.equal(await breakerState(serve, 'solo', a.endpoint()), 0, 'the breaker stays closed');
    const m = await serve.metrics();
    assert.equal(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }), 0);
    assert.equal(sum(retriesByReason(m)), 0);
  });

  it("both endpoints answer 429: after one backpressure retry the client gets 429 with the engine's Retry-After", { timeout: ms(30000) }, async () => {
    const a = await sim({ extraArgs: ['--fault-status', '429'] });
    const b = await sim({ extraArgs: ['--fault-status', '429'] });
    const serve = await serveWith({
      breaker: { failure_threshold: 2, open_ms: 60000 },
      pools: [pool('ab', [a, b], { slots: 8 })],
    });
    const N = 4;
    for (let i = 0; i < N; i++) {
      const r = await either(serve, i, { seed: i, simOptions: { retry_after_s: 5 } });
      const text = r.stream ? r.raw : r.text;
      assert.equal(r.status, 429, `request ${i}: ${text}`);
      assert.equal(r.headers['retry-after'], '5', `request ${i}: the engine's Retry-After (${JSON.stringify(r.headers)})`);
    }
    const total = (await a.stats()).requests_total + (await b.stats()).requests_total;
    assert.equal(total, 2 * N, 'each request tried both engines once');
    const m = await serve.metrics();
    const byReason = retriesByReason(m);
    assert.equal(byReason.backpressure ?? 0, N, `one backpressure retry per request: ${JSON.stringify(byReason)}`);
    assert.equal(sum(byReason), N);
    assert.equal(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }), 0);
    for (const e of [a, b]) assert.equal(await breakerState(serve, 'ab', e.endpoint()), 0);
  });
});

describe("the request's own faults never open a breaker", () => {
  it('20 engine 400s on a one-endpoint pool (threshold 2): each relayed as is, the breaker stays closed', { timeout: ms(30000) }, async () => {
    const a = await sim();
    const serve = await serveWith({
      breaker: { failure_threshold: 2, open_ms: 60000 },
      pools: [pool('solo', [a], { slots: 8 })],
    });
    for (let i = 0; i < 20; i++) {
      const r = await either(serve, i, { seed: i, simOptions: { status: 400 } });
      const text = r.stream ? r.raw : r.text;
      assert.equal(r.status, 400, `request ${i}: ${text}`);
      const err = JSON.parse(text).error;
      assert.equal(err.code, 'sim_injected', `request ${i}: the engine's own body: ${text}`);
      assert.equal(err.type, 'invalid_request_error', text);
    }
    assert.equal(await breakerState(serve, 'solo', a.endpoint()), 0, 'the breaker stays closed');
    assertOk(await unary(serve, { seed: 5, maxTokens: 4 }), 'a normal request afterwards');
    assert.equal((await a.stats()).requests_total, 21);
    const m = await serve.metrics();
    assert.equal(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }), 0);
    assert.equal(sum(retriesByReason(m)), 0, '4xx answers are not retried');
  });

  it('an error event inside a 200 stream is relayed, and is not a breaker failure', { timeout: ms(30000) }, async () => {
    const engineError = { error: { message: 'The prompt breaks a rule.', type: 'invalid_request_error', param: null, code: 'engine_says_no' } };
    let mode = 'error-event';
    const engine = await startEngine((req, body, res) => {
      if (mode !== 'error-event') return defaultEngineAnswer(req, body, res);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(engineError)}\n\n`);
      return undefined;
    });
    const serve = await serveWith({
      breaker: { failure_threshold: 2, open_ms: 60000 },
      pools: [pool('node', [engine], { slots: 4 })],
    });
    for (let i = 0; i < 5; i++) {
      const r = await sseRequest(serve.port, CHAT, chatBody({ seed: i }));
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.complete, true, r.raw);
      const events = jsonEvents(r.dataEvents());
      assert.deepEqual(events.at(-1), engineError, `the engine's error event is relayed as written: ${r.raw}`);
      assert.equal(r.dataEvents().at(-1).data, '[DONE]');
    }
    assert.equal(await breakerState(serve, 'node', engine.endpoint()), 0, 'the breaker stays closed');
    mode = 'normal';
    const ok = await sseRequest(serve.port, CHAT, chatBody({ seed: 1 }));
    assert.equal(ok.status, 200, ok.raw);
    assert.equal(streamedText(ok.events), ENGINE_TEXT, ok.raw);
    const m = await serve.metrics();
    assert.equal(newMetric(m, 'switchyard_breaker_transitions_total', { to: 'open' }), 0);
    assert.equal(engine.requests.length, 6);
  });
});

describe('no double generation on a reused engine connection', () => {
  it('a request the engine received and then failed is not re-sent on a fresh connection', { timeout: ms(20000) }, async () => {
    // One I/O thread, so the second request reuses the first one's idle engine connection. The
    // engine takes the second request and closes without answering: that is the engine failing
    // this request (502), not a stale keep-alive connection, and it must not run twice.
    const engine = await sim();
    const serve = await serveWith({ threads: 1, pools: [pool('one', [engine])] });
    assertOk(await unary(serve, { seed: 5, maxTokens: 2 }), 'warm-up');
    const r = await unary(serve, { seed: 6, maxTokens: 2, simOptions: { fail_after_tokens: 1 } });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json().error.code, 'upstream_error');
    assert.equal((await engine.stats()).requests_total, 2, 'the engine saw each request once');
    // The failed connection is not reused; the next request gets a fresh one and succeeds.
    assertOk(await unary(serve, { seed: 7, maxTokens: 2 }), 'after the failure');
    assert.equal((await engine.stats()).requests_total, 3);
  });
});
