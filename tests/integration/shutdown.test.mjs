// Graceful shutdown: on SIGTERM /ready turns 503, new requests get 503 shutting_down, running
// streams may finish (or end with an error event), and the process exits 0.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, describe, it } from 'node:test';

import {
  chatBody,
  expectedText,
  httpRequest,
  jsonEvents,
  ms,
  openStream,
  pool,
  postJson,
  serveConfig,
  startServe,
  startSim,
  stopAll,
  streamedText,
  waitFor,
} from './harness.mjs';

let procs = [];
afterEach(async () => {
  await stopAll(procs);
  procs = [];
});
after(async () => {
  await stopAll(procs);
});

/** A client bound to one kept-alive connection (opened before SIGTERM closes the listener). */
function keepAliveClient(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method, p, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: p,
          agent,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode, text, json: () => JSON.parse(text) }));
        },
      );
      req.setTimeout(ms(3000), () => req.destroy(new Error(`${method} ${p} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  return { request, close: () => agent.destroy() };
}

describe('SIGTERM', () => {
  it('drains: /ready 503, new work 503 shutting_down, the running stream finishes, exit 0', { timeout: ms(40000) }, async () => {
    const sim = await startSim({ ttftMs: 10, itlMs: 25, slots: 8 });
    procs.push(sim);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [sim])] }), {
      args: ['--shutdown-grace-ms', String(ms(10000))],
    });
    procs.push(serve);
    const client = keepAliveClient(serve.port);
    procs.push({ stop: async () => client.close() });
    assert.equal((await client.request('GET', '/ready')).status, 200);

    // ~60 tokens x 25 ms = 1.5 s of streaming, well inside the grace period.
    const s = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 5, maxTokens: 60 }));
    await s.firstData;
    serve.signal('SIGTERM');

    const ready = await waitFor(
      async () => {
        const r = await client.request('GET', '/ready');
        return r.status === 503 ? r : null;
      },
      ms(2000),
      '/ready 503 during the drain',
    );
    assert.equal(ready.json().ready, false);
    assert.equal(ready.json().draining, true);
    assert.ok(serve.running, 'still running while the stream drains');
    assert.equal((await client.request('GET', '/health')).status, 200, '/health stays 200 while draining');

    const refused = await client.request('POST', '/v1/chat/completions', chatBody({ stream: false, maxTokens: 1 }));
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json().error.code, 'shutting_down');
    assert.equal(refused.json().error.retriable, true);

    // A fresh connection is refused, or answered 503 shutting_down; never served.
    try {
      const fresh = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 1 }), {}, ms(2000));
      assert.equal(fresh.status, 503, fresh.text);
      assert.equal(fresh.json().error.code, 'shutting_down');
    } catch (e) {
      assert.match(e.code ?? e.message, /ECONNREFUSED|ECONNRESET|socket hang up/);
    }

    const r = await s.done;
    assert.equal(r.status, 200);
    assert.equal(r.complete, true, `the running stream must end properly (${r.error?.message})`);
    const data = r.dataEvents();
    assert.equal(data.at(-1).data, '[DONE]', r.raw.slice(-300));
    const errors = jsonEvents(data).filter((c) => c.error);
    if (errors.length === 0) {
      assert.equal(streamedText(r.events), expectedText(5, 60), 'the stream finished with every token');
    } else {
      assert.ok(expectedText(5, 60).startsWith(streamedText(r.events)));
    }

    const exit = await serve.waitExit(ms(15000));
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr:\n${serve.stderrTail()}`);
    assert.equal(exit.signal, null);
    assert.ok(
      serve.logs().some((l) => l.event === 'draining'),
      `a draining log line: ${serve.stderrTail(10)}`,
    );
  });

  it('a queued request is answered 503 shutting_down on SIGTERM and the server exits 0', { timeout: ms(40000) }, async () => {
    const sim = await startSim({ ttftMs: 10, itlMs: 25, slots: 8 });
    procs.push(sim);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [sim], { slots: 1 })] }), {
      args: ['--shutdown-grace-ms', String(ms(10000))],
    });
    procs.push(serve);
    const s = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 2, maxTokens: 30 }));
    await s.firstData;
    const queued = postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false, maxTokens: 2 }));
    await waitFor(
      async () => {
        const m = (await httpRequest(serve.port, { path: '/metrics' })).text;
        return /switchyard_queue_depth\{model="sim-model",priority="interactive"\} 1\b/.test(m);
      },
      ms(3000),
      'the second request queued',
    );
    serve.signal('SIGTERM');
    const q = await queued;
    assert.equal(q.status, 503, q.text);
    assert.equal(q.json().error.code, 'shutting_down');
    const r = await s.done;
    assert.equal(r.complete, true);
    assert.equal(r.dataEvents().at(-1).data, '[DONE]');
    const exit = await serve.waitExit(ms(15000));
    assert.equal(exit.code, 0, serve.stderrTail());
  });

  it('exits 0 once the grace period runs out, even with a stream still running', { timeout: ms(40000) }, async () => {
    const sim = await startSim({ ttftMs: 10, itlMs: 25, slots: 8 });
    procs.push(sim);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [sim])] }), {
      args: ['--shutdown-grace-ms', '500'],
    });
    procs.push(serve);
    const s = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 1, maxTokens: 400 })); // ~10 s
    await s.firstData;
    const t0 = Date.now();
    serve.signal('SIGTERM');
    const exit = await serve.waitExit(ms(8000));
    const took = Date.now() - t0;
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr:\n${serve.stderrTail()}`);
    assert.ok(took >= 400, `exited after ${took} ms, before the 500 ms grace period`);
    assert.ok(took < ms(4000), `exited ${took} ms after SIGTERM with a 500 ms grace period`);
    const r = await s.done;
    assert.ok(r.events.length > 0);
    assert.equal(r.timedOut, false, 'the client saw its stream end when the server exited');
    // The cut stream ends the OpenAI way: an error event saying why, then [DONE].
    const data = r.events.filter((e) => e.data !== undefined).map((e) => e.data);
    assert.equal(data.at(-1), '[DONE]', `last events: ${data.slice(-3).join(' | ')}`);
    const err = JSON.parse(data.at(-2));
    assert.equal(err.error?.code, 'shutting_down', data.at(-2));
    assert.ok(serve.logs().some((l) => l.event === 'aborting'), serve.stderrTail());
    // The engine's connection went away with the server.
    await waitFor(async () => (await sim.stats()).active === 0, ms(3000), 'engine idle after the server exited');
  });

  it('an idle server exits 0 promptly on SIGTERM', { timeout: ms(20000) }, async () => {
    const sim = await startSim({});
    procs.push(sim);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [sim])] }));
    procs.push(serve);
    const t0 = Date.now();
    const exit = await serve.stop({ signal: 'SIGTERM', timeoutMs: ms(5000) });
    assert.equal(exit.killed, false, 'needed SIGKILL');
    assert.equal(exit.code, 0, serve.stderrTail());
    assert.ok(Date.now() - t0 < ms(3000), `took ${Date.now() - t0} ms`);
  });
});
