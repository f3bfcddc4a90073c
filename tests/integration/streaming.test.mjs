// Streaming and non-streaming relay through `switchyard serve` to real `switchyard sim` engines:
// exact token content (multi-byte UTF-8 included), chunk shapes, usage, correlation ids, model
// listing, and 500 concurrent streams with no crossed or failed streams.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  WORDS,
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
  simToken,
  sseRequest,
  startServe,
  startSim,
  stopAll,
  streamedText,
  waitFor,
} from './harness.mjs';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

describe('streaming relay', () => {
  let sim;
  let serve;

  before(async () => {
    sim = await startSim({ ttftMs: 5, itlMs: 2, slots: 32, models: ['sim-model', 'sim-model-2'] });
    serve = await startServe(
      serveConfig({ pools: [pool('sim-a', [sim], { slots: 32, models: ['sim-model', 'sim-model-2'] })] }),
    );
  });

  after(async () => {
    await stopAll(serve, sim);
  });

  it('the WORDS table matches the simulator (16 words, multi-byte UTF-8 included)', () => {
    assert.equal(WORDS.length, 16);
    const bytes = WORDS.map((w) => Buffer.byteLength(w));
    // 2-, 3- and 4-byte sequences are all present.
    assert.ok(WORDS.some((w) => /[\u0080-\u07ff]/.test(w)), '2-byte UTF-8 word');
    assert.ok(WORDS.some((w) => /[\u0800-\uffff]/.test(w) && !/[\ud800-\udfff]/.test(w)), '3-byte UTF-8 word');
    assert.ok(WORDS.some((w) => /[\ud800-\udfff]/.test(w)), '4-byte UTF-8 word');
    assert.ok(bytes.every((b) => b > 1));
    assert.equal(simToken(-1, 0), WORDS[15]);
  });

  it('streams chat tokens exactly, with role chunk, finish chunk, usage chunk and [DONE]', async () => {
    const seed = 4;
    const n = 16; // every word once, starting with 'héllo '
    const r = await sseRequest(
      serve.port,
      '/v1/chat/completions',
      chatBody({ seed, maxTokens: n, stream_options: { include_usage: true } }),
      { headers: { 'X-Correlation-Id': 'stream-chat-1' } },
    );
    assert.equal(r.status, 200, r.raw);
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers['x-correlation-id'], 'stream-chat-1');
    assert.equal(r.complete, true, `response not properly ended: ${r.error}`);
    assert.equal(r.error, undefined);

    const data = r.dataEvents();
    assert.equal(data.at(-1).data, '[DONE]', 'the last event is [DONE]');
    assert.equal(data.filter((e) => e.data === '[DONE]').length, 1, 'exactly one [DONE]');
    const chunks = jsonEvents(data);
    for (const c of chunks) {
      assert.equal(c.error, undefined, `unexpected error event ${JSON.stringify(c)}`);
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.id, chunks[0].id, 'one id per stream');
      assert.equal(c.model, 'sim-model');
    }
    // Role chunk first.
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    // One content chunk per token, in order.
    const contents = chunks
      .filter((c) => c.choices.length > 0 && typeof c.choices[0].delta.content === 'string' && c.choices[0].delta.content !== '')
      .map((c) => c.choices[0].delta.content);
    assert.deepEqual(contents, Array.from({ length: n }, (_, i) => simToken(seed, i)));
    assert.equal(streamedText(r.events), expectedText(seed, n));
    assert.ok(streamedText(r.events).includes('🚀 '), 'the 4-byte word survives intact');
    // Finish chunk then usage chunk.
    const finish = chunks.filter((c) => c.choices.length > 0 && c.choices[0].finish_reason !== null);
    assert.equal(finish.length, 1, 'one finish chunk');
    assert.equal(finish[0].choices[0].finish_reason, 'length');
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.completion_tokens, n);
    assert.ok(usage.usage.prompt_tokens >= 1);
    assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + n);
  });

  it('streams completions text exactly, without a usage chunk unless asked', async () => {
    const seed = 7;
    const n = 12;
    const r = await sseRequest(serve.port, '/v1/completions', completionBody({ seed, maxTokens: n }));
    assert.equal(r.status, 200, r.raw);
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    assert.equal(r.complete, true);
    const data = r.dataEvents();
    assert.equal(data.at(-1).data, '[DONE]');
    const chunks = jsonEvents(data);
    for (const c of chunks) {
      assert.equal(c.error, undefined, JSON.stringify(c));
      assert.equal(c.object, 'text_completion');
      assert.equal(c.usage, undefined, 'no usage without stream_options.include_usage');
    }
    const texts = chunks.filter((c) => c.choices[0]?.text).map((c) => c.choices[0].text);
    assert.deepEqual(texts, Array.from({ length: n }, (_, i) => simToken(seed, i)));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
    assert.match(r.headers['x-correlation-id'], UUID_RE, 'a generated correlation id is returned');
  });

  it('answers non-streaming chat with the OpenAI JSON shape', async () => {
    const seed = 9;
    const n = 10;
    const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ seed, maxTokens: n, stream: false }), {
      'X-Correlation-Id': 'unary-chat-1',
    });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers['x-correlation-id'], 'unary-chat-1');
    const body = r.json();
    assert.equal(body.object, 'chat.completion');
    assert.equal(typeof body.id, 'string');
    assert.equal(body.model, 'sim-model');
    assert.equal(body.choices.length, 1);
    assert.equal(body.choices[0].message.role, 'assistant');
    assert.equal(body.choices[0].message.content, expectedText(seed, n));
    assert.equal(body.choices[0].finish_reason, 'length');
    assert.equal(body.usage.completion_tokens, n);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + n);
  });

  it('answers non-streaming completions with the OpenAI JSON shape', async () => {
    const seed = 13;
    const n = 6;
    const r = await postJson(serve.port, '/v1/completions', completionBody({ seed, maxTokens: n, stream: false }));
    assert.equal(r.status, 200, r.text);
    const body = r.json();
    assert.equal(body.object, 'text_completion');
    assert.equal(body.choices[0].text, expectedText(seed, n));
    assert.equal(body.choices[0].finish_reason, 'length');
    assert.equal(body.usage.completion_tokens, n);
  });

  it('counts relayed tokens exactly in switchyard_tokens_out_total', async () => {
    const m0 = await serve.metrics();
    const r = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 0, maxTokens: 11 }));
    assert.equal(r.status, 200);
    const u = await postJson(serve.port, '/v1/completions', completionBody({ seed: 0, maxTokens: 5, stream: false }));
    assert.equal(u.status, 200);
    const m1 = await serve.metrics();
    assert.equal(metric(m1, 'switchyard_tokens_out_total') - metric(m0, 'switchyard_tokens_out_total'), 16);
    assert.ok(metric(m1, 'switchyard_tokens_in_total') > metric(m0, 'switchyard_tokens_in_total'));
  });

  it('serves a second model of the same pool', async () => {
    const r = await postJson(
      serve.port,
      '/v1/chat/completions',
      chatBody({ seed: 1, maxTokens: 3, stream: false, model: 'sim-model-2' }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().model, 'sim-model-2');
    assert.equal(r.json().choices[0].message.content, expectedText(1, 3));
  });

  it('generates distinct UUID correlation ids when none is sent, and echoes valid ones', async () => {
    const a = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 1 }));
    const b = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 1 }));
    assert.equal(a.status, 200);
    assert.match(a.headers['x-correlation-id'], UUID_RE);
    assert.match(b.headers['x-correlation-id'], UUID_RE);
    assert.notEqual(a.headers['x-correlation-id'], b.headers['x-correlation-id']);
    // An unacceptable id (spaces, too long) is replaced by a generated one.
    for (const bad of ['has spaces in it', 'x'.repeat(200)]) {
      const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 1 }), {
        'X-Correlation-Id': bad,
      });
      assert.equal(r.status, 200);
      assert.match(r.headers['x-correlation-id'], UUID_RE, `replaced ${JSON.stringify(bad.slice(0, 20))}`);
    }
    // Also on errors and simple routes.
    const e = await httpRequest(serve.port, { path: '/no/such/route', headers: { 'X-Correlation-Id': 'err-corr-7' } });
    assert.equal(e.status, 404);
    assert.equal(e.headers['x-correlation-id'], 'err-corr-7');
    // The id is carried into the structured logs.
    await waitFor(
      () => serve.logs().some((l) => l.correlation_id === 'unary-chat-1' || l.correlation_id === 'stream-chat-1'),
      ms(3000),
      'a log line with the echoed correlation id',
    );
    for (const l of serve.logs().slice(0, 50)) {
      assert.equal(typeof l.event, 'string', `log line without event: ${JSON.stringify(l)}`);
      assert.equal(typeof l.narration, 'string', `log line without narration: ${JSON.stringify(l)}`);
    }
  });

  it('lists the models of ready pools at GET /v1/models', async () => {
    const r = await httpRequest(serve.port, { path: '/v1/models' });
    assert.equal(r.status, 200);
    const body = r.json();
    assert.equal(body.object, 'list');
    const ids = body.data.map((m) => m.id).sort();
    assert.deepEqual(ids, ['sim-model', 'sim-model-2']);
    for (const m of body.data) assert.equal(m.object, 'model');
  });

  it('GET /health, /ready and /metrics answer', async () => {
    const h = await httpRequest(serve.port, { path: '/health' });
    assert.equal(h.status, 200);
    assert.deepEqual(h.json(), { status: 'ok' });
    const ready = await httpRequest(serve.port, { path: '/ready' });
    assert.equal(ready.status, 200);
    assert.ok(Array.isArray(ready.json().pools));
    const m = await serve.metrics();
    assert.ok(metric(m, 'switchyard_requests_total', { route: '/v1/chat/completions', status: 200 }) >= 1);
    assert.ok(metric(m, 'switchyard_tokens_out_total') > 0);
    assert.ok(metric(m, 'switchyard_time_to_first_token_seconds_count') > 0);
    assert.ok(metric(m, 'switchyard_inter_token_latency_seconds_count') > 0);
  });
});

describe('500 concurrent streams', () => {
  const STREAMS = 500;
  const TOKENS = 20;
  let sims = [];
  let serve;

  before(async () => {
    sims = await Promise.all([
      startSim({ ttftMs: 10, itlMs: 5, slots: 300, threads: 1 }),
      startSim({ ttftMs: 10, itlMs: 5, slots: 300, threads: 1 }),
    ]);
    serve = await startServe(
      serveConfig({
        log_level: 'warn',
        queue: { capacity: 1024 },
        pools: [pool('sim-a', sims, { slots: 300 })],
      }),
    );
  });

  after(async () => {
    await stopAll(serve, ...sims);
  });

  it('every stream gets exactly its own tokens, with no errors', { timeout: ms(120000) }, async () => {
    const before = await serve.metrics();
    const okBefore = metric(before, 'switchyard_requests_total', { route: '/v1/chat/completions', status: 200 }) ?? 0;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: STREAMS }, (_, seed) =>
        sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed, maxTokens: TOKENS }), {
          headers: { 'X-Correlation-Id': `load-${seed}` },
          timeoutMs: ms(60000),
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const failures = [];
    results.forEach((r, seed) => {
      const problems = [];
      if (r.status !== 200) problems.push(`status ${r.status}`);
      if (!r.complete) problems.push(`not complete (${r.error?.message ?? (r.timedOut ? 'timed out' : '?')})`);
      if (r.headers?.['x-correlation-id'] !== `load-${seed}`) problems.push(`correlation ${r.headers?.['x-correlation-id']}`);
      const data = r.dataEvents();
      if (data.at(-1)?.data !== '[DONE]') problems.push('no final [DONE]');
      let chunks = [];
      try {
        chunks = jsonEvents(data);
      } catch (e) {
        problems.push(`bad JSON: ${e.message}`);
      }
      if (chunks.some((c) => c.error)) problems.push('error event');
      if (new Set(chunks.map((c) => c.id)).size !== 1) problems.push('chunk ids differ within one stream');
      const text = streamedText(r.events);
      if (text !== expectedText(seed, TOKENS)) problems.push(`text ${JSON.stringify(text.slice(0, 60))}`);
      if (problems.length) failures.push(`seed ${seed}: ${problems.join(', ')}`);
    });
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${STREAMS} streams failed (in ${elapsed} ms)`);

    // Both engines did the work, every stream completed on an engine, nothing is left running.
    const stats = await Promise.all(sims.map((s) => s.stats()));
    assert.equal(stats.reduce((a, s) => a + s.completed, 0), STREAMS, JSON.stringify(stats.map(({ disconnects, ...s }) => s)));
    assert.equal(stats.reduce((a, s) => a + s.client_disconnects, 0), 0);
    for (const s of stats) assert.ok(s.requests_total > 0, 'each sim got a share of the load');
    await waitFor(
      async () => metric(await serve.metrics(), 'switchyard_active_streams') === 0,
      ms(5000),
      'switchyard_active_streams == 0',
    );
    const afterM = await serve.metrics();
    assert.equal(
      metric(afterM, 'switchyard_requests_total', { route: '/v1/chat/completions', status: 200 }) - okBefore,
      STREAMS,
    );
    assert.equal(metric(afterM, 'switchyard_client_disconnects_total'), 0);
    assert.ok(serve.running, `serve died: ${serve.stderrTail()}`);
  });
});

describe('300 concurrent streams through a small pool (most of them queue)', () => {
  const STREAMS = 300;
  const TOKENS = 20;
  let sims = [];
  let serve;

  before(async () => {
    sims = await Promise.all([
      startSim({ ttftMs: 5, itlMs: 5, slots: 64 }),
      startSim({ ttftMs: 5, itlMs: 5, slots: 64 }),
    ]);
    serve = await startServe(
      serveConfig({
        log_level: 'warn',
        queue: { capacity: 1024, position_interval_ms: 50 },
        pools: [pool('sim-a', sims, { slots: 20 })],
      }),
    );
  });

  after(async () => {
    await stopAll(serve, ...sims);
  });

  it('every stream waits its turn and then gets exactly its own tokens', { timeout: ms(120000) }, async () => {
    const results = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 1000 + i, maxTokens: TOKENS }), {
          timeoutMs: ms(60000),
        }),
      ),
    );
    const failures = [];
    let queued = 0;
    results.forEach((r, i) => {
      const seed = 1000 + i;
      const problems = [];
      if (r.status !== 200) problems.push(`status ${r.status}`);
      if (!r.complete) problems.push(`not complete (${r.error?.message ?? (r.timedOut ? 'timed out' : '?')})`);
      if (r.dataEvents().at(-1)?.data !== '[DONE]') problems.push('no final [DONE]');
      if (streamedText(r.events) !== expectedText(seed, TOKENS)) problems.push('wrong text');
      const firstData = r.events.findIndex((e) => e.data !== undefined);
      if (r.events.slice(firstData).some((e) => e.comment !== undefined)) problems.push('comment after a token');
      if (r.events.some((e) => e.comment !== undefined && !/^queued position=\d+$/.test(e.comment))) problems.push('odd comment');
      if (r.events.some((e) => e.comment !== undefined)) queued++;
      if (problems.length) failures.push(`seed ${seed}: ${problems.join(', ')}`);
    });
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${STREAMS} streams failed`);
    assert.ok(queued >= STREAMS / 2, `most streams should have queued (queued: ${queued})`);
    // Never more than the pool's slots in flight on an engine.
    const stats = await Promise.all(sims.map((s) => s.stats()));
    for (const st of stats) assert.ok(st.max_active <= 20, `an engine ran ${st.max_active} at once with slots: 20`);
    assert.equal(stats.reduce((a, st) => a + st.completed, 0), STREAMS);
    const m = await serve.metrics();
    assert.equal(metric(m, 'switchyard_queue_depth', { model: 'sim-model', priority: 'interactive' }), 0);
  });
});

