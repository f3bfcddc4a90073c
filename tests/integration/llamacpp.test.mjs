// `engine: llamacpp` pools: POST /v1/completions is sent to the engine's native /completion and
// translated back into OpenAI text_completion chunks ending with [DONE]; chat goes to the engine's
// OpenAI-compatible /v1/chat/completions.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  chatBody,
  completionBody,
  expectedText,
  jsonEvents,
  pool,
  postJson,
  serveConfig,
  simToken,
  sseRequest,
  startServe,
  startSim,
  stopAll,
  streamedText,
} from './harness.mjs';

describe('llama.cpp engine pool', () => {
  let sim;
  let serve;

  before(async () => {
    sim = await startSim({ ttftMs: 5, itlMs: 2, slots: 8, tokens: 16 });
    serve = await startServe(serveConfig({ pools: [pool('llama', [sim], { engine: 'llamacpp', slots: 8 })] }));
  });

  after(async () => {
    await stopAll(serve, sim);
  });

  it('streams /v1/completions as OpenAI text_completion chunks with the exact words, then [DONE]', async () => {
    const seed = 3;
    const n = 16;
    await sim.reset();
    const r = await sseRequest(serve.port, '/v1/completions', completionBody({ seed, maxTokens: n }), {
      headers: { 'X-Correlation-Id': 'llama-stream-1' },
    });
    assert.equal(r.status, 200, r.raw);
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    assert.equal(r.headers['x-correlation-id'], 'llama-stream-1');
    assert.equal(r.complete, true, `not properly ended: ${r.error?.message}`);
    const data = r.dataEvents();
    assert.equal(data.at(-1).data, '[DONE]', r.raw.slice(-300));
    assert.equal(data.filter((e) => e.data === '[DONE]').length, 1);
    const chunks = jsonEvents(data);
    for (const c of chunks) {
      assert.equal(c.error, undefined, JSON.stringify(c));
      assert.equal(c.object, 'text_completion', JSON.stringify(c));
      assert.equal(c.model, 'sim-model');
      assert.equal(typeof c.id, 'string');
      assert.equal(c.id, chunks[0].id);
      assert.equal(c.choices.length, 1);
      assert.equal(c.choices[0].index, 0);
    }
    const texts = chunks.filter((c) => c.choices[0].text !== '').map((c) => c.choices[0].text);
    assert.deepEqual(texts, Array.from({ length: n }, (_, i) => simToken(seed, i)));
    assert.equal(streamedText(r.events), expectedText(seed, n));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
    assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
    // The request really went to the native API (the sim counted one generation).
    const st = await sim.stats();
    assert.equal(st.requests_total, 1);
    assert.equal(st.tokens_sent, n);
  });

  it('adds a usage chunk when stream_options.include_usage is set', async () => {
    const r = await sseRequest(
      serve.port,
      '/v1/completions',
      completionBody({ seed: 0, maxTokens: 5, stream_options: { include_usage: true } }),
    );
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.complete, true);
    const chunks = jsonEvents(r.dataEvents());
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, [], JSON.stringify(usage));
    assert.equal(usage.usage.completion_tokens, 5);
    assert.ok(usage.usage.prompt_tokens >= 1);
    assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + 5);
    assert.equal(streamedText(r.events), expectedText(0, 5));
  });

  it('answers non-streaming /v1/completions as an OpenAI text_completion', async () => {
    const seed = 10;
    const n = 9;
    const r = await postJson(serve.port, '/v1/completions', completionBody({ seed, maxTokens: n, stream: false }));
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = r.json();
    assert.equal(body.object, 'text_completion');
    assert.equal(body.model, 'sim-model');
    assert.equal(body.choices.length, 1);
    assert.equal(body.choices[0].text, expectedText(seed, n));
    assert.equal(body.choices[0].finish_reason, 'length');
    assert.equal(body.usage.completion_tokens, n);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + n);
  });

  it('uses the engine default length when max_tokens is absent', async () => {
    const body = completionBody({ seed: 1, stream: false });
    delete body.max_tokens;
    const r = await postJson(serve.port, '/v1/completions', body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().choices[0].text, expectedText(1, 16));
  });

  it('relays chat through the engine OpenAI-compatible API', async () => {
    const r = await sseRequest(serve.port, '/v1/chat/completions', chatBody({ seed: 6, maxTokens: 7 }));
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.complete, true);
    assert.equal(streamedText(r.events), expectedText(6, 7));
    assert.equal(r.dataEvents().at(-1).data, '[DONE]');
    const u = await postJson(serve.port, '/v1/chat/completions', chatBody({ seed: 6, maxTokens: 7, stream: false }));
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json().choices[0].message.content, expectedText(6, 7));
  });
});
