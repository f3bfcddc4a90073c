// Admission and placement: queue overflow policies (429 with back-off headers), queue position
// comments for waiting streams, deadlines while queued, interactive-before-batch ordering, retry
// on another endpoint when an engine dies, and session stickiness.

import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';

import {
  chatBody,
  expectedText,
  httpRequest,
  jsonEvents,
  metric,
  ms,
  openStream,
  pool,
  postJson,
  serveConfig,
  sseRequest,
  startServe,
  startSim,
  stopAll,
  streamedText,
  waitFor,
  waitQueueDepth,
} from './harness.mjs';

let procs = [];
afterEach(async () => {
  await stopAll(procs);
  procs = [];
});
after(async () => {
  await stopAll(procs);
});

/** One sim with plenty of slots behind a pool with `slots` (Switchyard's queue is the bottleneck). */
async function setup({ slots = 1, queue = {}, config = {}, sims = 1, simOpts = {} } = {}) {
  const engines = [];
  for (let i = 0; i < sims; i++) {
    const s = await startSim({ ttftMs: 10, itlMs: 20, slots: 64, ...simOpts });
    procs.push(s);
    engines.push(s);
  }
  const serve = await startServe(serveConfig({ ...config, queue, pools: [pool('sim-a', engines, { slots })] }));
  procs.push(serve);
  return { sims: engines, sim: engines[0], serve };
}

/** Holds the only slot with a long stream until aborted. */
async function holdSlot(serve, extraHeaders = {}) {
  const s = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 0, maxTokens: 1000 }), {
    headers: extraHeaders,
  });
  const first = await s.firstData;
  assert.ok(first, 'the slot-holding stream started');
  procs.push({ stop: async () => s.abort() }); // released even if the test fails
  return s;
}

/** A non-streaming chat that records when it finished. */
function unary(serve, { seed = 1, maxTokens = 3, headers = {}, body = {}, timeoutMs } = {}) {
  return postJson(serve.port, '/v1/chat/completions', chatBody({ seed, maxTokens, stream: false, ...body }), headers, timeoutMs).then(
    (r) => ({ ...r, at: Date.now(), seed, maxTokens }),
  );
}

function assertOkUnary(r) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().choices[0].message.content, expectedText(r.seed, r.maxTokens));
}

describe('queue overflow', () => {
  it('policy reject: a full queue answers 429 queue_full with Retry-After and X-Backoff-Ms', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 1, queue: { capacity: 1, policy: 'reject' } });
    const hold = await holdSlot(serve);
    const queued = unary(serve, { seed: 6, maxTokens: 2 });
    await waitQueueDepth(serve, 1);

    const rejected = await unary(serve, { seed: 7 });
    assert.equal(rejected.status, 429, rejected.text);
    const err = rejected.json().error;
    assert.equal(err.code, 'queue_full');
    assert.equal(err.type, 'rate_limit_error');
    assert.equal(err.retriable, true);
    assert.equal(typeof err.message, 'string');
    assert.match(String(rejected.headers['retry-after']), /^\d+$/, 'Retry-After in whole seconds');
    assert.match(String(rejected.headers['x-backoff-ms']), /^\d+$/, 'X-Backoff-Ms in milliseconds');
    const backoffMs = Number(rejected.headers['x-backoff-ms']);
    assert.ok(backoffMs >= 1);
    assert.equal(Number(rejected.headers['retry-after']), Math.ceil(backoffMs / 1000));
    assert.equal(err.retry_after_ms, backoffMs);

    // A streamed request refused at admission gets the HTTP status too (nothing was sent yet).
    const rs = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 8, maxTokens: 2 }));
    assert.equal(rs.status, 429, rs.raw);
    assert.equal(JSON.parse(rs.raw).error.code, 'queue_full');

    // The queued request is served once the slot frees.
    hold.abort();
    assertOkUnary(await queued);
    const m = await serve.metrics();
    assert.equal(metric(m, 'switchyard_requests_total', { route: '/v1/chat/completions', status: 429 }), 2);
    assert.ok(metric(m, 'switchyard_queue_rejections_total') >= 2);
  });

  it('policy drop-lru: the oldest batch request is evicted with 429', { timeout: ms(30000) }, async () => {
    const { serve, sim } = await setup({ slots: 1, queue: { capacity: 2, policy: 'drop-lru' } });
    const hold = await holdSlot(serve);
    const b1 = unary(serve, { seed: 1, headers: { 'X-Priority': 'batch' } });
    await waitQueueDepth(serve, 1, { priority: 'batch' });
    const b2 = unary(serve, { seed: 2, headers: { 'X-Priority': 'batch' } });
    await waitQueueDepth(serve, 2, { priority: 'batch' });
    const i1 = unary(serve, { seed: 3 });

    // b1 is dropped while the slot is still held.
    const r1 = await b1;
    assert.equal(r1.status, 429, r1.text);
    assert.equal(r1.json().error.code, 'queue_full');
    await waitQueueDepth(serve, 1, { priority: 'interactive' });
    await waitQueueDepth(serve, 1, { priority: 'batch' });
    const reqsBefore = (await sim.stats()).requests_total;
    assert.equal(reqsBefore, 1, 'only the slot holder reached the engine so far');

    hold.abort();
    const [r2, r3] = await Promise.all([b2, i1]);
    assertOkUnary(r2);
    assertOkUnary(r3);
    assert.ok(r3.at <= r2.at, 'the interactive request ran before the remaining batch one');
  });

  it('policy shed-low-priority: interactive work displaces the newest batch request', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 1, queue: { capacity: 2, policy: 'shed-low-priority' } });
    const hold = await holdSlot(serve);
    const b1 = unary(serve, { seed: 1, headers: { 'X-Priority': 'batch' } });
    await waitQueueDepth(serve, 1, { priority: 'batch' });
    const b2 = unary(serve, { seed: 2, body: { priority: 'batch' } });
    await waitQueueDepth(serve, 2, { priority: 'batch' });
    // Batch work arriving at a full queue is refused.
    const b3 = await unary(serve, { seed: 4, headers: { 'X-Priority': 'batch' } });
    assert.equal(b3.status, 429, b3.text);
    // Interactive work sheds the newest batch item (b2).
    const i1 = unary(serve, { seed: 3 });
    const r2 = await b2;
    assert.equal(r2.status, 429, r2.text);
    assert.equal(r2.json().error.code, 'queue_full');
    hold.abort();
    const [r1, r3] = await Promise.all([b1, i1]);
    assertOkUnary(r1);
    assertOkUnary(r3);
  });
});

describe('waiting in the queue', () => {
  it('a queued stream gets its SSE head at once, `: queued position=N` comments, then its tokens', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 1, queue: { capacity: 10, position_interval_ms: 100 } });
    // A runs ~30 x 20 ms; B waits behind it, C behind B.
    const a = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 0, maxTokens: 30 }));
    await a.firstData;
    const b = sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 1, maxTokens: 15 }));
    await waitQueueDepth(serve, 1);
    const c = sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 2, maxTokens: 5 }));
    const [ra, rb, rc] = await Promise.all([a.done, b, c]);

    assert.equal(ra.complete, true);
    assert.equal(streamedText(ra.events), expectedText(0, 30));
    const aEnd = ra.events.at(-1).at;

    for (const [r, seed, n] of [
      [rb, 1, 15],
      [rc, 2, 5],
    ]) {
      assert.equal(r.status, 200, r.raw);
      assert.match(String(r.headers['content-type']), /^text\/event-stream/);
      assert.equal(r.complete, true);
      assert.equal(streamedText(r.events), expectedText(seed, n), `seed ${seed}`);
      assert.equal(r.dataEvents().at(-1).data, '[DONE]');
      assert.equal(jsonEvents(r.dataEvents()).filter((x) => x.error).length, 0, r.raw);
      const firstData = r.events.findIndex((e) => e.data !== undefined);
      const comments = r.events.filter((e) => e.comment !== undefined);
      assert.ok(comments.length >= 1, `seed ${seed}: no queue comments: ${r.raw.slice(0, 300)}`);
      for (const cm of comments) assert.match(cm.comment, /^queued position=\d+$/);
      assert.ok(
        r.events.slice(firstData).every((e) => e.comment === undefined),
        `seed ${seed}: queue comments only before the first token`,
      );
      assert.ok(r.events[0].comment !== undefined, 'the first thing on the stream is a queue comment');
      assert.ok(r.events[0].at < aEnd, `seed ${seed}: the SSE head and first comment came while A was still running`);
    }
    const bComments = rb.events.filter((e) => e.comment !== undefined).map((e) => e.comment);
    const cComments = rc.events.filter((e) => e.comment !== undefined).map((e) => e.comment);
    assert.equal(bComments[0], 'queued position=1', bComments.join(' | '));
    assert.ok(bComments.length >= 2, `B waited ~600 ms with 100 ms interval: ${bComments.join(' | ')}`);
    assert.equal(cComments[0], 'queued position=2', cComments.join(' | '));
    assert.ok(cComments.includes('queued position=1'), `C moves up once B runs: ${cComments.join(' | ')}`);
    assert.ok(
      cComments.indexOf('queued position=1') > cComments.lastIndexOf('queued position=2'),
      'positions only go down',
    );
  });

  it('X-Timeout-Ms / X-Deadline passing while queued → 504 deadline_exceeded (non-stream)', { timeout: ms(30000) }, async () => {
    const { serve, sim } = await setup({ slots: 1, queue: { capacity: 10 } });
    const hold = await holdSlot(serve);
    const reqs0 = (await sim.stats()).requests_total;

    const t0 = Date.now();
    const r = await unary(serve, { headers: { 'X-Timeout-Ms': '300' } });
    const waited = r.at - t0;
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json().error.code, 'deadline_exceeded');
    assert.ok(waited >= 250, `answered after ${waited} ms, before the 300 ms deadline`);
    assert.ok(waited < ms(2500), `answered ${waited} ms after a 300 ms deadline`);

    const d = await unary(serve, { headers: { 'X-Deadline': new Date(Date.now() + 300).toISOString() } });
    assert.equal(d.status, 504, d.text);
    assert.equal(d.json().error.code, 'deadline_exceeded');

    // A streamed request already got its SSE head while queued: the deadline ends the stream.
    const s = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 1, maxTokens: 3 }), {
      headers: { 'X-Timeout-Ms': '300' },
    });
    assert.equal(s.status, 200, s.raw);
    assert.equal(s.complete, true);
    const data = s.dataEvents();
    assert.equal(data.at(-1)?.data, '[DONE]', s.raw);
    assert.equal(JSON.parse(data.at(-2).data).error.code, 'deadline_exceeded');

    // None of them reached the engine; the queue is empty again.
    assert.equal((await sim.stats()).requests_total, reqs0);
    await waitQueueDepth(serve, 0);
    const m = await serve.metrics();
    assert.ok(metric(m, 'switchyard_deadline_exceeded_total') >= 3);
    hold.abort();
  });

  it('interactive requests are served before batch ones when a slot frees (FIFO within a class)', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 1, queue: { capacity: 10 } });
    const hold = await holdSlot(serve);
    const b1 = unary(serve, { seed: 1, headers: { 'X-Priority': 'batch' } });
    await waitQueueDepth(serve, 1, { priority: 'batch' });
    const b2 = unary(serve, { seed: 2, body: { priority: 'batch' } });
    await waitQueueDepth(serve, 2, { priority: 'batch' });
    const i1 = unary(serve, { seed: 3 });
    await waitQueueDepth(serve, 1, { priority: 'interactive' });
    const i2 = unary(serve, { seed: 4, headers: { 'X-Priority': 'interactive' } });
    await waitQueueDepth(serve, 2, { priority: 'interactive' });

    hold.abort();
    const [rb1, rb2, ri1, ri2] = await Promise.all([b1, b2, i1, i2]);
    for (const r of [rb1, rb2, ri1, ri2]) assertOkUnary(r);
    const order = [
      ['b1', rb1.at],
      ['b2', rb2.at],
      ['i1', ri1.at],
      ['i2', ri2.at],
    ]
      .sort((x, y) => x[1] - y[1])
      .map((x) => x[0]);
    assert.deepEqual(order, ['i1', 'i2', 'b1', 'b2']);
  });

  it('a client leaving while queued is removed from the queue and never reaches the engine', { timeout: ms(30000) }, async () => {
    const { serve, sim } = await setup({ slots: 1, queue: { capacity: 10, position_interval_ms: 100 } });
    const hold = await holdSlot(serve);
    const reqs0 = (await sim.stats()).requests_total;
    const m0 = await serve.metrics();
    const r = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 1, maxTokens: 3 }), {
      onEvent: (ev) => ev.comment !== undefined, // leave at the first queue comment
    });
    assert.equal(r.aborted, true);
    await waitQueueDepth(serve, 0);
    await waitFor(
      async () =>
        metric(await serve.metrics(), 'switchyard_client_disconnects_total') ===
        (metric(m0, 'switchyard_client_disconnects_total') ?? 0) + 1,
      ms(3000),
      'switchyard_client_disconnects_total +1',
    );
    hold.abort();
    // The freed slot serves new work, and the engine never saw the abandoned request.
    assertOkUnary(await unary(serve, { seed: 9, maxTokens: 2 }));
    assert.equal((await sim.stats()).requests_total, reqs0 + 1);
  });
});

describe('placement', () => {
  it('retries on another endpoint when an engine is killed', { timeout: ms(30000) }, async () => {
    const { sims, serve } = await setup({
      slots: 4,
      sims: 2,
      simOpts: { itlMs: 2 },
      // The dead endpoint stays "ready" for ~3 s, so requests really are placed on it.
      config: {
        health: { interval_ms: 1000, timeout_ms: 500, healthy_after: 1, unhealthy_after: 3 },
        breaker: { failure_threshold: 1000, open_ms: 5000 },
        retry: { max_attempts: 3, backoff_base_ms: 5, backoff_max_ms: 20 },
      },
    });
    const [dead, alive] = sims;
    await alive.reset();
    const m0 = await serve.metrics();
    await dead.stop({ signal: 'SIGKILL' });

    const results = [];
    for (let i = 0; i < 6; i++) results.push(await unary(serve, { seed: i, maxTokens: 3 }));
    const streams = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 20 + i, maxTokens: 4 }))),
    );
    for (const r of results) assertOkUnary(r);
    streams.forEach((s, i) => {
      assert.equal(s.status, 200, s.raw);
      assert.equal(s.complete, true);
      assert.equal(streamedText(s.events), expectedText(20 + i, 4));
      assert.equal(jsonEvents(s.dataEvents()).filter((x) => x.error).length, 0, s.raw);
    });
    assert.equal((await alive.stats()).requests_total, 12, 'every request ended up on the live engine');
    const m1 = await serve.metrics();
    assert.ok(
      metric(m1, 'switchyard_upstream_retries_total') > (metric(m0, 'switchyard_upstream_retries_total') ?? 0),
      'requests were retried',
    );
    assert.ok(metric(m1, 'switchyard_upstream_errors_total', { kind: 'connect' }) >= 1);
  });

  it('X-Session-Id keeps a session on one endpoint even when another is less loaded', { timeout: ms(30000) }, async () => {
    const { sims, serve } = await setup({ slots: 8, sims: 2 });
    const [sim0, sim1] = sims;
    // L occupies endpoint 0 (lowest index wins ties), so the session's first request binds to
    // endpoint 1.
    const l = await holdSlot(serve);
    const first = await unary(serve, { seed: 1, headers: { 'X-Session-Id': 'sess-A' } });
    assertOkUnary(first);
    assert.equal((await sim1.stats()).requests_total, 1, 'first session request went to the idle endpoint');
    // Now both endpoints carry one stream each; a tie would go to endpoint 0 without stickiness.
    const s = await holdSlot(serve, { 'X-Session-Id': 'sess-A' });
    assert.equal((await sim1.stats()).active, 1);
    for (let i = 0; i < 5; i++) {
      assertOkUnary(await unary(serve, { seed: 2 + i, headers: { 'X-Session-Id': 'sess-A' } }));
    }
    l.abort();
    s.abort();
    await waitFor(async () => (await sim0.stats()).active === 0 && (await sim1.stats()).active === 0, ms(3000), 'engines idle');
    // Idle engines tie again; the session still goes to endpoint 1.
    for (let i = 0; i < 3; i++) {
      assertOkUnary(await unary(serve, { seed: 7 + i, headers: { 'X-Session-Id': 'sess-A' } }));
    }
    // And a request without a session goes to endpoint 0 (the tie-break), proving the choice was
    // the session's.
    assertOkUnary(await unary(serve, { seed: 11 }));
    const [st0, st1] = await Promise.all([sim0.stats(), sim1.stats()]);
    assert.equal(st1.requests_total, 1 + 1 + 5 + 3, 'all session requests on endpoint 1');
    assert.equal(st0.requests_total, 2, 'endpoint 0 only got the two session-less requests');
  });
});

describe('health probes', () => {
  it('an engine that dies makes its pool unready (503), and ready again when it returns', { timeout: ms(40000) }, async () => {
    const { sim, serve } = await setup({
      slots: 2,
      config: { health: { interval_ms: 200, timeout_ms: 300, healthy_after: 2, unhealthy_after: 2 } },
    });
    const port = sim.port;
    await sim.stop({ signal: 'SIGKILL' });
    await waitFor(
      async () => (await httpRequest(serve.port, { path: '/ready' })).status === 503,
      ms(5000),
      '/ready 503 after the only engine died',
    );
    const r = await unary(serve, {});
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json().error.code, 'pool_unavailable');
    assert.deepEqual((await httpRequest(serve.port, { path: '/v1/models' })).json().data, []);
    assert.ok(serve.logs().some((l) => l.event === 'endpoint_health' && l.ready === false), 'an endpoint_health log line');

    // The engine comes back on the same port.
    const again = await startSim({ ttftMs: 5, itlMs: 2, slots: 8, listenPort: port });
    procs.push(again);
    await waitFor(
      async () => (await httpRequest(serve.port, { path: '/ready' })).status === 200,
      ms(5000),
      '/ready 200 after the engine returned',
    );
    assertOkUnary(await unary(serve, { seed: 4 }));
    assert.equal((await again.stats()).requests_total, 1);
  });
});

describe('circuit breaker', () => {
  it('opens for a dead endpoint (gauge 1) while requests keep succeeding elsewhere', { timeout: ms(30000) }, async () => {
    const { sims, serve } = await setup({
      slots: 4,
      sims: 2,
      simOpts: { itlMs: 2 },
      config: {
        health: { interval_ms: 5000, timeout_ms: 500, healthy_after: 1, unhealthy_after: 3 },
        breaker: { failure_threshold: 2, open_ms: 60000 },
        retry: { max_attempts: 3, backoff_base_ms: 5, backoff_max_ms: 20 },
      },
    });
    const [dead, alive] = sims;
    const deadUrl = dead.endpoint();
    const gauge = async () => metric(await serve.metrics(), 'switchyard_endpoint_breaker_state', { pool: 'sim-a', endpoint: deadUrl });
    assert.equal(await gauge(), 0, 'closed at start');
    await dead.stop({ signal: 'SIGKILL' });
    await alive.reset();
    for (let i = 0; i < 5; i++) assertOkUnary(await unary(serve, { seed: i }));
    await waitFor(async () => (await gauge()) === 1, ms(3000), 'breaker_state{endpoint=dead} == 1 (open)');
    const m0 = await serve.metrics();
    // With the breaker open the dead endpoint is skipped: no more retries are needed.
    for (let i = 0; i < 5; i++) assertOkUnary(await unary(serve, { seed: 10 + i }));
    const m1 = await serve.metrics();
    assert.equal(metric(m1, 'switchyard_upstream_retries_total'), metric(m0, 'switchyard_upstream_retries_total'));
    assert.equal((await alive.stats()).requests_total, 10);
    assert.equal(metric(m1, 'switchyard_endpoint_breaker_state', { pool: 'sim-a', endpoint: alive.endpoint() }), 0);
  });
});

describe('validation at admission', () => {
  it('rejects bad priority and bad timeout headers with 400 invalid_params', async () => {
    const { serve } = await setup({ slots: 2 });
    const p = await unary(serve, { headers: { 'X-Priority': 'urgent' } });
    assert.equal(p.status, 400, p.text);
    assert.equal(p.json().error.code, 'invalid_params');
    const t = await unary(serve, { headers: { 'X-Timeout-Ms': 'soon' } });
    assert.equal(t.status, 400, t.text);
    assert.equal(t.json().error.code, 'invalid_params');
    const h = await httpRequest(serve.port, { path: '/health' });
    assert.equal(h.status, 200);
  });
});
