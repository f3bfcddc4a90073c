// Cancellation and mid-stream failures: a client that leaves must stop the engine at once; an
// engine that dies, fails or stalls mid-stream must give the client an error event, [DONE] and a
// properly terminated response.

import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';

import {
  chatBody,
  completionBody,
  expectedText,
  httpRequest,
  jsonEvents,
  metric,
  ms,
  pool,
  postJson,
  serveConfig,
  sseRequest,
  startServe,
  startSim,
  stopAll,
  streamedText,
  waitFor,
} from './harness.mjs';

// Processes started by the current test; stopped after it whatever happens.
let procs = [];
afterEach(async () => {
  await stopAll(procs);
  procs = [];
});
after(async () => {
  await stopAll(procs);
});

async function setup({ sim: simOpts = {}, config = {}, poolOpts = {} } = {}) {
  const sim = await startSim({ ttftMs: 10, itlMs: 20, slots: 8, ...simOpts });
  procs.push(sim);
  const serve = await startServe(serveConfig({ ...config, pools: [pool('sim-a', [sim], { slots: 8, ...poolOpts })] }));
  procs.push(serve);
  return { sim, serve };
}

/** The parsed error objects among the data events. */
function errorEvents(r) {
  return jsonEvents(r.dataEvents()).filter((c) => c.error);
}

/** Asserts a stream that failed mid-way: tokens so far are a prefix, then error + [DONE], ended. */
function assertErrorTerminated(r, seed, code, what) {
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.complete, true, `${what}: the response must end properly (got ${r.error?.message})`);
  assert.equal(r.timedOut, false, `${what}: the stream never ended`);
  const data = r.dataEvents();
  assert.ok(data.length >= 2, `${what}: too few events: ${r.raw}`);
  assert.equal(data.at(-1).data, '[DONE]', `${what}: the last event must be [DONE]: ${r.raw.slice(-400)}`);
  const last = JSON.parse(data.at(-2).data);
  assert.ok(last.error, `${what}: the event before [DONE] must be an error: ${data.at(-2).data}`);
  assert.equal(last.error.code, code, JSON.stringify(last.error));
  assert.equal(typeof last.error.message, 'string');
  assert.equal(typeof last.error.type, 'string');
  assert.equal(errorEvents(r).length, 1, 'exactly one error event');
  const text = streamedText(r.events);
  assert.ok(expectedText(seed, 200).startsWith(text), `${what}: relayed text is not a prefix: ${text}`);
  return { last, text };
}

describe('client disconnect', () => {
  it('closes the engine connection at once and counts it', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup();
    const m0 = await serve.metrics();
    const s0 = await sim.stats();
    let abortedAtNs;
    const r = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 2, maxTokens: 200 }), {
      headers: { 'X-Correlation-Id': 'cancel-me-1' },
      onEvent: (ev, res) => {
        // role chunk + 3 tokens, then leave.
        if (res.dataEvents().length >= 4) {
          abortedAtNs = process.hrtime.bigint();
          return true;
        }
        return false;
      },
    });
    assert.equal(r.aborted, true);
    assert.equal(r.status, 200);
    assert.equal(streamedText(r.events), expectedText(2, 3));

    // The engine notices within ~1 s: its client (Switchyard) disconnected, nothing is active.
    const s1 = await waitFor(
      async () => {
        const s = await sim.stats();
        return s.client_disconnects === s0.client_disconnects + 1 && s.active === 0 ? s : null;
      },
      ms(1000),
      'sim client_disconnects +1 and active 0',
      10,
    );
    const rec = s1.disconnects.find((d) => d.correlation_id === 'cancel-me-1');
    assert.ok(rec, `the sim recorded the disconnect under our correlation id: ${JSON.stringify(s1.disconnects)}`);
    // Both clocks are CLOCK_MONOTONIC on this host.
    const lagMs = Number(BigInt(rec.at_ns) - abortedAtNs) / 1e6;
    assert.ok(lagMs < ms(1000), `engine saw the disconnect ${lagMs} ms after the client left`);
    assert.equal(s1.completed, s0.completed, 'the generation did not run to its end');

    // The engine stops generating: tokens_sent stays put.
    const sent = s1.tokens_sent;
    assert.ok(sent < 200);
    await new Promise((res) => setTimeout(res, 150)); // several inter-token intervals (20 ms)
    assert.equal((await sim.stats()).tokens_sent, sent, 'the engine kept generating after the disconnect');

    const m1 = await waitFor(
      async () => {
        const m = await serve.metrics();
        return metric(m, 'switchyard_client_disconnects_total') === (metric(m0, 'switchyard_client_disconnects_total') ?? 0) + 1
          ? m
          : null;
      },
      ms(2000),
      'switchyard_client_disconnects_total +1',
    );
    assert.equal(
      metric(m1, 'switchyard_client_disconnect_to_upstream_close_seconds_count'),
      (metric(m0, 'switchyard_client_disconnect_to_upstream_close_seconds_count') ?? 0) + 1,
    );
    assert.equal(metric(m1, 'switchyard_active_streams'), 0);
    assert.equal(metric(m1, 'switchyard_requests_total', { route: '/v1/chat/completions', status: 499 }), 1);
    assert.ok(metric(m1, 'switchyard_tokens_after_client_left_total') !== undefined);
    await waitFor(
      () => serve.logs().some((l) => l.event === 'stream_cancel' && l.correlation_id === 'cancel-me-1'),
      ms(2000),
      'a stream_cancel log line for the request',
    );
  });

  it('a client leaving a non-streaming request also frees the engine', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup();
    const s0 = await sim.stats();
    const ac = new AbortController();
    const pending = httpRequest(serve.port, {
      method: 'POST',
      path: '/v1/chat/completions',
      body: chatBody({ stream: false, maxTokens: 200 }),
      signal: ac.signal,
    });
    await waitFor(async () => (await sim.stats()).active === 1, ms(3000), 'sim active == 1');
    ac.abort();
    await assert.rejects(pending, /aborted by the test/);
    await waitFor(
      async () => {
        const s = await sim.stats();
        return s.client_disconnects === s0.client_disconnects + 1 && s.active === 0;
      },
      ms(1000),
      'sim client_disconnects +1 and active 0 after a unary client left',
    );
  });
});

describe('engine failures mid-stream', () => {
  it('engine killed (SIGKILL) mid-stream → error event, [DONE], properly ended response', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup();
    const m0 = await serve.metrics();
    let killed = false;
    const r = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 5, maxTokens: 200 }), {
      timeoutMs: ms(15000),
      onEvent: (ev, res) => {
        if (!killed && res.dataEvents().length >= 4) {
          killed = true;
          sim.signal('SIGKILL');
        }
        return false;
      },
    });
    assert.ok(killed);
    const { last } = assertErrorTerminated(r, 5, 'upstream_error', 'engine killed');
    assert.equal(last.error.retriable, true);
    assert.ok(streamedText(r.events).length >= expectedText(5, 3).length);
    const m1 = await serve.metrics();
    assert.ok(
      metric(m1, 'switchyard_upstream_errors_total', { kind: 'reset' }) > (metric(m0, 'switchyard_upstream_errors_total', { kind: 'reset' }) ?? 0),
      'upstream_errors_total{kind="reset"} counted',
    );
    assert.equal(metric(m1, 'switchyard_active_streams'), 0);
    assert.ok(serve.running);
  });

  it('sim_options.fail_after_tokens → error event after exactly N tokens', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup({ sim: { itlMs: 5 } });
    const r = await sseRequest(
      serve.port,
      '/v1/chat/completions',
      chatBody({ seed: 11, maxTokens: 50, sim_options: { fail_after_tokens: 3 } }),
      { timeoutMs: ms(15000) },
    );
    const { text } = assertErrorTerminated(r, 11, 'upstream_error', 'fail_after_tokens');
    assert.equal(text, expectedText(11, 3));
    // Not retried once tokens were relayed: the engine saw exactly one request.
    assert.equal((await sim.stats()).requests_total, 1);

    // Completions API too.
    const c = await sseRequest(
      serve.port,
      '/v1/completions',
      completionBody({ seed: 1, maxTokens: 50, sim_options: { fail_after_tokens: 2 } }),
      { timeoutMs: ms(15000) },
    );
    const { text: ctext } = assertErrorTerminated(c, 1, 'upstream_error', 'fail_after_tokens (completions)');
    assert.equal(ctext, expectedText(1, 2));
    assert.ok(serve.running);
  });

  it('a non-streaming request whose engine fails gets 502 upstream_error', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ sim: { itlMs: 1 } });
    const r = await postJson(
      serve.port,
      '/v1/chat/completions',
      chatBody({ stream: false, maxTokens: 20, sim_options: { fail_after_tokens: 2 } }),
    );
    assert.equal(r.status, 502, r.text);
    const body = r.json();
    assert.equal(body.error.code, 'upstream_error');
    assert.equal(body.error.retriable, true);
    assert.equal(typeof body.error.message, 'string');
  });

  it('a stalled engine → stream_stalled error event after stall_timeout_ms', { timeout: ms(30000) }, async () => {
    const stallMs = 400;
    const { sim, serve } = await setup({
      sim: { itlMs: 5 },
      config: { limits: { stall_timeout_ms: stallMs } },
    });
    const s0 = await sim.stats();
    const r = await sseRequest(
      serve.port,
      '/v1/chat/completions',
      chatBody({ seed: 3, maxTokens: 50, sim_options: { stall_after_tokens: 2 } }),
      { timeoutMs: ms(15000) },
    );
    const { text } = assertErrorTerminated(r, 3, 'stream_stalled', 'stall');
    assert.equal(text, expectedText(3, 2));
    // The error came after the stall timeout, not at once.
    const data = r.dataEvents();
    const lastToken = data.filter((e) => e.data.includes('"content":"') && !e.data.includes('"content":""')).at(-1);
    const errorEv = data.at(-2);
    const gap = errorEv.at - lastToken.at;
    assert.ok(gap >= stallMs - 50, `stall error after ${gap} ms, expected >= ~${stallMs}`);
    assert.ok(gap < ms(stallMs + 3000), `stall error after ${gap} ms`);
    // Switchyard closed the stalled engine connection, so the engine is free again.
    await waitFor(
      async () => {
        const s = await sim.stats();
        return s.active === 0 && s.client_disconnects === s0.client_disconnects + 1;
      },
      ms(2000),
      'stalled engine connection closed (sim active 0, client_disconnects +1)',
    );
    const m = await serve.metrics();
    assert.ok(metric(m, 'switchyard_upstream_errors_total', { kind: 'stalled' }) >= 1);
    // And the server still serves.
    const ok = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 2 }));
    assert.equal(ok.status, 200);
  });

  it('a deadline passing mid-stream → deadline_exceeded error event, engine connection closed', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup();
    const s0 = await sim.stats();
    const t0 = Date.now();
    const r = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 8, maxTokens: 200 }), {
      headers: { 'X-Timeout-Ms': '400' },
      timeoutMs: ms(15000),
    });
    const { text } = assertErrorTerminated(r, 8, 'deadline_exceeded', 'deadline mid-stream');
    assert.ok(text.length > 0, 'some tokens arrived before the deadline');
    const took = r.events.at(-1).at - t0;
    assert.ok(took >= 350 && took < ms(2500), `stream ended ${took} ms after a 400 ms deadline`);
    await waitFor(
      async () => {
        const s = await sim.stats();
        return s.active === 0 && s.client_disconnects === s0.client_disconnects + 1;
      },
      ms(2000),
      'engine connection closed at the deadline',
    );
  });

  it('a deadline passing while a non-streaming request generates → 504 deadline_exceeded', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup();
    const t0 = Date.now();
    const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 200 }), {
      'X-Timeout-Ms': '400',
    });
    const took = Date.now() - t0;
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json().error.code, 'deadline_exceeded');
    assert.ok(took >= 350 && took < ms(2500), `answered ${took} ms after a 400 ms deadline`);
    await waitFor(async () => (await sim.stats()).active === 0, ms(2000), 'engine idle after the deadline');
  });

  it('a deadline already in the past → 504 at once, the engine never sees it', async () => {
    const { sim, serve } = await setup();
    const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 2 }), {
      'X-Deadline': new Date(Date.now() - 60000).toISOString(),
    });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json().error.code, 'deadline_exceeded');
    assert.equal((await sim.stats()).requests_total, 0);
  });
});

describe('engine error statuses', () => {
  it('an engine 5xx is retried on the other endpoint; when all fail the client gets 502', { timeout: ms(30000) }, async () => {
    const a = await startSim({ ttftMs: 5, itlMs: 2 });
    procs.push(a);
    const b = await startSim({ ttftMs: 5, itlMs: 2 });
    procs.push(b);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [a, b])] }));
    procs.push(serve);
    const r = await postJson(
      serve.port,
      '/v1/chat/completions',
      chatBody({ stream: false, maxTokens: 2, sim_options: { status: 500 } }),
    );
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json().error.code, 'upstream_error');
    const [sa, sb] = await Promise.all([a.stats(), b.stats()]);
    assert.equal(sa.requests_total, 1, 'tried endpoint a once');
    assert.equal(sb.requests_total, 1, 'tried endpoint b once');
    const m = await serve.metrics();
    assert.ok(metric(m, 'switchyard_upstream_errors_total', { kind: 'status_5xx' }) >= 2);
    // 503 is backpressure: retried elsewhere too, and the last engine's answer, Retry-After
    // included, goes back to the client.
    const busy = await postJson(
      serve.port,
      '/v1/chat/completions',
      chatBody({ stream: false, maxTokens: 2, sim_options: { status: 503, retry_after_s: 7 } }),
    );
    assert.equal(busy.status, 503, busy.text);
    assert.equal(busy.headers['retry-after'], '7');
    assert.equal(busy.json().error.code, 'sim_injected');
    const [sa2, sb2] = await Promise.all([a.stats(), b.stats()]);
    assert.equal(sa2.requests_total + sb2.requests_total, 4, 'each endpoint tried once more');
    const m2 = await serve.metrics();
    assert.equal(metric(m2, 'switchyard_upstream_errors_total', { kind: 'backpressure' }), 2);
    // Streamed: the same, as an HTTP status (nothing was relayed yet).
    const s = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ maxTokens: 2, sim_options: { status: 500 } }));
    assert.equal(s.status, 502, s.raw);
  });

  it('an engine 4xx is passed through to the client, not retried', { timeout: ms(30000) }, async () => {
    const a = await startSim({ ttftMs: 5, itlMs: 2 });
    procs.push(a);
    const b = await startSim({ ttftMs: 5, itlMs: 2 });
    procs.push(b);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [a, b])] }));
    procs.push(serve);
    const r = await postJson(
      serve.port,
      '/v1/chat/completions',
      chatBody({ stream: false, maxTokens: 2, sim_options: { status: 422 } }),
    );
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json().error.code, 'sim_injected');
    const [sa, sb] = await Promise.all([a.stats(), b.stats()]);
    assert.equal(sa.requests_total + sb.requests_total, 1, 'not retried');
  });
});

