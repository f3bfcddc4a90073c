// End-to-end: the official `openai` npm client against a real `switchyard serve` in front of real
// `switchyard sim` engines, all on 127.0.0.1 with port 0. Run `npm ci` in this directory first.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  expectedText,
  metric,
  ms,
  openStream,
  pool,
  serveConfig,
  simToken,
  startServe,
  startSim,
  stopAll,
  waitFor,
  waitQueueDepth,
  chatBody,
} from '../integration/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!existsSync(path.join(here, 'node_modules', 'openai'))) {
  throw new Error(`tests/e2e/node_modules/openai is missing: run \`npm ci\` in ${here} before these tests`);
}
const { default: OpenAI, APIError, NotFoundError, RateLimitError, BadRequestError, APIUserAbortError } = await import('openai');

const MODEL = 'sim-model';
const messages = [{ role: 'user', content: 'Say the words.' }];

describe('openai client against switchyard', () => {
  let sim;
  let serve;
  let client;

  before(async () => {
    sim = await startSim({ ttftMs: 5, itlMs: 10, slots: 16 });
    serve = await startServe(serveConfig({ pools: [pool('sim-a', [sim], { slots: 8 })] }));
    client = new OpenAI({
      baseURL: `http://127.0.0.1:${serve.port}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
      timeout: ms(30000),
    });
  });

  after(async () => {
    await stopAll(serve, sim);
  });

  it('streams chat: chunks iterate and the content equals the WORDS sequence', async () => {
    const seed = 4;
    const n = 16;
    const stream = await client.chat.completions.create({ model: MODEL, messages, max_tokens: n, seed, stream: true });
    const pieces = [];
    let finish;
    let id;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      id ??= chunk.id;
      assert.equal(chunk.id, id);
      const choice = chunk.choices[0];
      if (choice?.delta?.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assert.deepEqual(pieces, Array.from({ length: n }, (_, i) => simToken(seed, i)));
    assert.equal(pieces.join(''), expectedText(seed, n));
    assert.equal(finish, 'length');
  });

  it('reports usage with stream_options.include_usage', async () => {
    const n = 7;
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: n,
      seed: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage;
    let text = '';
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, expectedText(1, n));
    assert.ok(usage, 'a usage chunk arrived');
    assert.equal(usage.completion_tokens, n);
    assert.ok(usage.prompt_tokens >= 1);
    assert.equal(usage.total_tokens, usage.prompt_tokens + n);
  });

  it('non-streaming chat returns a ChatCompletion', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages, max_tokens: 10, seed: 9 })
      .withResponse();
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('x-correlation-id'));
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.equal(data.choices[0].message.content, expectedText(9, 10));
    assert.equal(data.choices[0].finish_reason, 'length');
    assert.equal(data.usage.completion_tokens, 10);
  });

  it('completions, streamed and not', async () => {
    const c = await client.completions.create({ model: MODEL, prompt: 'Say the words.', max_tokens: 6, seed: 12 });
    assert.equal(c.object, 'text_completion');
    assert.equal(c.choices[0].text, expectedText(12, 6));
    const s = await client.completions.create({ model: MODEL, prompt: 'x', max_tokens: 6, seed: 12, stream: true });
    let text = '';
    for await (const chunk of s) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, expectedText(12, 6));
  });

  it('lists models', async () => {
    const page = await client.models.list();
    const ids = [];
    for await (const m of page) ids.push(m.id);
    assert.deepEqual(ids, [MODEL]);
  });

  it('aborting mid-stream (AbortController) disconnects, and the engine sees it', { timeout: ms(30000) }, async () => {
    const s0 = await sim.stats();
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages, max_tokens: 500, seed: 0, stream: true },
      { signal: controller.signal, headers: { 'X-Correlation-Id': 'e2e-abort-1' } },
    );
    let got = 0;
    // The client ends the iteration quietly on abort (v5) or throws an abort error (v4).
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) got++;
        if (got === 3) controller.abort();
      }
    } catch (e) {
      assert.ok(e instanceof APIUserAbortError || e.name === 'AbortError', `unexpected ${e?.constructor?.name}: ${e?.message}`);
    }
    assert.equal(got, 3);
    const s1 = await waitFor(
      async () => {
        const s = await sim.stats();
        return s.client_disconnects === s0.client_disconnects + 1 && s.active === 0 ? s : null;
      },
      ms(1000),
      'sim client_disconnects +1 and active 0',
      10,
    );
    assert.ok(s1.disconnects.some((d) => d.correlation_id === 'e2e-abort-1'), JSON.stringify(s1.disconnects));
    assert.ok(s1.tokens_sent - s0.tokens_sent < 500, 'the generation was cut short');
    await waitFor(
      async () => metric(await serve.metrics(), 'switchyard_client_disconnects_total') >= 1,
      ms(2000),
      'switchyard_client_disconnects_total >= 1',
    );
  });

  it('unknown model surfaces as NotFoundError (404, model_not_found)', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 2 }),
      (e) => {
        assert.ok(e instanceof NotFoundError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.ok(e instanceof APIError);
        assert.equal(e.status, 404);
        assert.equal(e.code, 'model_not_found');
        assert.equal(e.param, 'model');
        return true;
      },
    );
  });

  it('bad parameters surface as BadRequestError (400)', async () => {
    await assert.rejects(client.chat.completions.create({ model: MODEL, messages, max_tokens: 'lots' }), (e) => {
      assert.ok(e instanceof BadRequestError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'invalid_params');
      return true;
    });
  });

  it('a mid-stream engine failure surfaces as an APIError while iterating', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 50,
      seed: 2,
      stream: true,
      sim_options: { fail_after_tokens: 3 },
    });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
      (e) => {
        assert.ok(e instanceof APIError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.error?.code, 'upstream_error', JSON.stringify(e.error));
        return true;
      },
    );
    assert.equal(text, expectedText(2, 3));
  });
});

describe('openai client and admission control', () => {
  let sim;
  let serve;
  let client;
  let hold;

  before(async () => {
    sim = await startSim({ ttftMs: 5, itlMs: 20, slots: 16 });
    serve = await startServe(
      serveConfig({ queue: { capacity: 1, policy: 'reject', position_interval_ms: 100 }, pools: [pool('sim-a', [sim], { slots: 1 })] }),
    );
    client = new OpenAI({ baseURL: `http://127.0.0.1:${serve.port}/v1`, apiKey: 'unused', maxRetries: 0, timeout: ms(30000) });
  });

  after(async () => {
    hold?.abort();
    await stopAll(serve, sim);
  });

  it('a full queue surfaces as RateLimitError (429) with retry headers; queued streams ignore queue comments', { timeout: ms(30000) }, async () => {
    hold = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 0, maxTokens: 1000 }));
    assert.ok(await hold.firstData);
    // This stream waits in the queue (receiving `: queued position=1` comments), then streams.
    const queuedStream = client.chat.completions.create({ model: MODEL, messages, max_tokens: 5, seed: 3, stream: true });
    await waitQueueDepth(serve, 1);

    await assert.rejects(client.chat.completions.create({ model: MODEL, messages, max_tokens: 2 }), (e) => {
      assert.ok(e instanceof RateLimitError, `got ${e?.constructor?.name}: ${e?.message}`);
      assert.equal(e.status, 429);
      assert.equal(e.code, 'queue_full');
      assert.match(String(e.headers.get('retry-after')), /^\d+$/);
      assert.match(String(e.headers.get('x-backoff-ms')), /^\d+$/);
      return true;
    });

    hold.abort();
    let text = '';
    for await (const chunk of await queuedStream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, expectedText(3, 5));
  });
});
