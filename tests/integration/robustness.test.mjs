// Robustness: malformed and hostile input gets a proper error (or a clean close) and never hurts
// the server; every case is followed by a check that /health is 200 and a normal request works.
// Also: no ready pool → 503 pool_unavailable, and configuration errors → exit code 2 with
// file:line:column.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';

import {
  assertEnvelope,
  assertServing,
  chatBody,
  expectedText,
  httpRequest,
  ms,
  pool,
  postJson,
  rawTcp,
  runToExit,
  serveConfig,
  startServe,
  startSim,
  stopAll,
  toYaml,
  waitFor,
  writeTempFile,
} from './harness.mjs';

const MAX_BODY = 65536;


/** Parses the status line of a raw HTTP response. */
function rawStatus(text) {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('hostile and malformed input', () => {
  let sim;
  let serve;

  before(async () => {
    sim = await startSim({ ttftMs: 2, itlMs: 1, slots: 16 });
    serve = await startServe(
      serveConfig({
        limits: { max_header_bytes: 8192, max_body_bytes: MAX_BODY, idle_timeout_ms: 1000 },
        pools: [pool('sim-a', [sim], { slots: 16 })],
      }),
    );
  });

  after(async () => {
    await stopAll(serve, sim);
  });

  // After every case the server must still be healthy and serve.
  const check = () => assertServing(serve);

  it('garbage bytes on a connection → 400 or a clean close, server unharmed', async () => {
    const r1 = await rawTcp(serve.port, Buffer.from('\x00\x01\x02 garbage \xff\xfe\r\n\r\n', 'latin1'));
    assert.ok(r1.closed, 'the server closes the connection');
    if (r1.text) assert.equal(rawStatus(r1.text), 400, r1.text);
    await check();

    const junk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    const r2 = await rawTcp(serve.port, junk);
    assert.ok(r2.closed);
    if (r2.text) assert.equal(rawStatus(r2.text), 400, r2.text.slice(0, 200));
    await check();

    const r3 = await rawTcp(serve.port, 'GET / HTTP/9.9\r\nHost: x\r\n\r\n');
    assert.ok(r3.closed || rawStatus(r3.text) >= 400, r3.text);
    await check();

    // Broken chunked framing.
    const r4 = await rawTcp(
      serve.port,
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    );
    assert.ok(r4.closed);
    if (r4.text) assert.equal(rawStatus(r4.text), 400, r4.text);
    await check();
  });

  it('a connection that sends half a request is closed after idle_timeout_ms', { timeout: ms(20000) }, async () => {
    const t0 = Date.now();
    const r = await rawTcp(serve.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le', {
      timeoutMs: ms(8000),
    });
    assert.equal(r.timedOut, false, 'the half request was not cut off');
    assert.ok(Date.now() - t0 >= 900, `closed after ${Date.now() - t0} ms`);
    await check();
  });

  it('invalid JSON → 400 invalid_json', async () => {
    for (const body of ['{"model": "sim-model", "messages": [', 'not json at all', '[1,2,3]', '']) {
      const r = await httpRequest(serve.port, { method: 'POST', path: '/v1/chat/completions', body });
      assert.ok(r.status === 400, `body ${JSON.stringify(body)} → ${r.status} ${r.text}`);
      assert.ok(['invalid_json', 'invalid_params'].includes(r.json().error.code), r.text);
    }
    const r = await httpRequest(serve.port, { method: 'POST', path: '/v1/chat/completions', body: '{"model": "sim-model", "messages": [' });
    assertEnvelope(r, 400, 'invalid_json');
    await check();
  });

  it('wrong parameter types → 400 invalid_params naming the parameter', async () => {
    const r = await postJson(serve.port, '/v1/chat/completions', { ...chatBody({ stream: false }), max_tokens: 'many' });
    const err = assertEnvelope(r, 400, 'invalid_params');
    assert.equal(err.param, 'max_tokens');
    const r2 = await postJson(serve.port, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(assertEnvelope(r2, 400, 'invalid_params').param, 'model');
    const r3 = await postJson(serve.port, '/v1/completions', { ...chatBody({ stream: 'yes' }) });
    assertEnvelope(r3, 400, 'invalid_params');
    await check();
  });

  it('oversized headers → 431 headers_too_large', async () => {
    const r = await httpRequest(serve.port, { path: '/health', headers: { 'X-Big': 'a'.repeat(20000) } });
    assertEnvelope(r, 431, 'headers_too_large');
    const r2 = await rawTcp(serve.port, `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`);
    assert.equal(rawStatus(r2.text), 431, r2.text.slice(0, 200));
    await check();
  });

  it('oversized body with Content-Length → 413 payload_too_large', async () => {
    // An ordinary client sending a body over the limit.
    const r = await httpRequest(serve.port, {
      method: 'POST',
      path: '/v1/chat/completions',
      body: JSON.stringify({ ...chatBody({ stream: false }), pad: 'x'.repeat(MAX_BODY) }),
    });
    assertEnvelope(r, 413, 'payload_too_large');
    await check();

    // Declared too large, body not sent: answered from the head alone.
    const r2 = await rawTcp(
      serve.port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`,
      { until: (t) => t.includes('\r\n\r\n') && t.includes('}') },
    );
    assert.equal(rawStatus(r2.text), 413, r2.text);
    assert.equal(JSON.parse(r2.text.slice(r2.text.indexOf('\r\n\r\n') + 4)).error.code, 'payload_too_large');
    await check();
  });

  it('oversized chunked body → 413 payload_too_large', async () => {
    const big = 'x'.repeat(MAX_BODY + 1024);
    const r = await rawTcp(
      serve.port,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
      { until: (t) => t.includes('\r\n\r\n') && t.includes('}') },
    );
    assert.equal(rawStatus(r.text), 413, r.text.slice(0, 300));
    assert.equal(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).error.code, 'payload_too_large');
    await check();
  });

  it('wrong method → 405 method_not_allowed', async () => {
    assertEnvelope(await httpRequest(serve.port, { path: '/v1/chat/completions' }), 405, 'method_not_allowed');
    assertEnvelope(await httpRequest(serve.port, { method: 'DELETE', path: '/v1/completions' }), 405, 'method_not_allowed');
    assertEnvelope(await httpRequest(serve.port, { method: 'POST', path: '/health', body: '{}' }), 405, 'method_not_allowed');
    await check();
  });

  it('unknown route → 404 not_found', async () => {
    assertEnvelope(await httpRequest(serve.port, { path: '/v2/chat' }), 404, 'not_found');
    assertEnvelope(await httpRequest(serve.port, { method: 'POST', path: '/v1/embeddings', body: '{}' }), 404, 'not_found');
    await check();
  });

  it('unknown model → 404 model_not_found (param model)', async () => {
    const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ model: 'gpt-nope', stream: false }));
    const err = assertEnvelope(r, 404, 'model_not_found');
    assert.equal(err.param, 'model');
    const s = await postJson(serve.port, '/v1/chat/completions', chatBody({ model: 'gpt-nope', stream: true }));
    assertEnvelope(s, 404, 'model_not_found');
    await check();
  });

  it('keep-alive and pipelined requests on one connection are all answered', async () => {
    const req = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
    const r = await rawTcp(serve.port, req + req + 'GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 200, 200], r.text);
    await check();
  });

  it('pipelined completion requests on one connection are answered in order', async () => {
    const one = (seed, n) => {
      const body = JSON.stringify(chatBody({ seed, maxTokens: n, stream: false }));
      return `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    const last = JSON.stringify(chatBody({ seed: 3, maxTokens: 3, stream: true }));
    const r = await rawTcp(
      serve.port,
      one(1, 4) +
        one(2, 5) +
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(last)}\r\n\r\n${last}`,
      { timeoutMs: ms(10000) },
    );
    assert.equal(r.timedOut, false, `no close after the last response: ${r.text.slice(-300)}`);
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 200, 200], r.text.slice(0, 500));
    const first = r.text.indexOf(expectedText(1, 4));
    const second = r.text.indexOf(expectedText(2, 5));
    assert.ok(first > 0 && second > first, 'answers in request order with their own content');
    assert.ok(r.text.includes('data: [DONE]'), 'the streamed third answer ended with [DONE]');
    await check();
  });

  it('Expect: 100-continue gets 100 Continue, then the answer', async () => {
    const body = JSON.stringify(chatBody({ seed: 5, maxTokens: 2, stream: false }));
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const r = await new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port: serve.port });
      let text = '';
      let sentBody = false;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`no answer: ${text}`));
      }, ms(5000));
      sock.on('connect', () => sock.write(head));
      sock.setEncoding('utf8');
      sock.on('data', (d) => {
        text += d;
        if (!sentBody && text.includes('100 Continue\r\n\r\n')) {
          sentBody = true;
          sock.write(body);
        }
      });
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
      sock.on('error', reject);
    });
    assert.match(r, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /, r.slice(0, 200));
    assert.ok(r.includes(expectedText(5, 2)));
    await check();
  });

  it('many abrupt connections (connect + reset) leave the server healthy', async () => {
    const body = JSON.stringify(chatBody({ maxTokens: 50 }));
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        rawTcp(
          serve.port,
          i % 2
            ? `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
            : 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"mo',
          { timeoutMs: 100 },
        ),
      ),
    );
    await waitFor(async () => (await sim.stats()).active === 0, ms(3000), 'engine idle after abrupt clients');
    await check();
    assert.ok(serve.running);
  });
});

describe('no ready pool', () => {
  let serve;
  after(async () => {
    await stopAll(serve);
  });

  it('answers 503 pool_unavailable and /ready 503 while /health stays 200', { timeout: ms(20000) }, async () => {
    // A port nobody listens on.
    const srv = net.createServer();
    await new Promise((res) => srv.listen(0, '127.0.0.1', res));
    const deadPort = srv.address().port;
    await new Promise((res) => srv.close(res));

    serve = await startServe(
      serveConfig({
        health: { interval_ms: 200, timeout_ms: 200, healthy_after: 1, unhealthy_after: 1 },
        pools: [pool('dead', [`http://127.0.0.1:${deadPort}`])],
      }),
      { waitReady: false },
    );
    const ready = await httpRequest(serve.port, { path: '/ready' });
    assert.equal(ready.status, 503, ready.text);
    const rb = ready.json();
    assert.equal(rb.ready, false);
    assert.equal(rb.pools[0].id, 'dead');
    assert.equal(rb.pools[0].ready, false);
    const r = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: false }));
    const err = assertEnvelope(r, 503, 'pool_unavailable');
    assert.equal(err.retriable, true);
    assert.match(String(r.headers['retry-after']), /^\d+$/);
    const s = await postJson(serve.port, '/v1/chat/completions', chatBody({ stream: true }));
    assertEnvelope(s, 503, 'pool_unavailable');
    const models = await httpRequest(serve.port, { path: '/v1/models' });
    assert.equal(models.status, 200);
    assert.deepEqual(models.json().data, [], 'models of unready pools are not listed');
    assert.equal((await httpRequest(serve.port, { path: '/health' })).status, 200);
  });
});

describe('configuration errors', () => {
  it('an unknown key exits with code 2 and names file:line:column', async () => {
    const yaml = 'listen: 127.0.0.1:0\nlimits:\n  max_header_bytes: 16384\n  colour: red\npools: []\n';
    const file = writeTempFile('bad-key.yaml', yaml);
    const r = await runToExit(['serve', '--config', file]);
    assert.equal(r.code, 2, `exit ${r.code} ${r.signal}; stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes(`${file}:4:3`), `stderr should name ${file}:4:3: ${r.stderr}`);
    assert.match(r.stderr, /colour/);
    assert.ok(!r.stdout.includes('"listening"'), 'it never listened');
  });

  it('a bad value exits with code 2 and names file:line:column', async () => {
    const yaml = toYaml(serveConfig({ queue: { policy: 'fifo' }, pools: [pool('p', ['http://127.0.0.1:1'])] }));
    const file = writeTempFile('bad-value.yaml', yaml);
    const lines = yaml.split('\n');
    const line = lines.findIndex((l) => l.includes('policy:')) + 1;
    const r = await runToExit(['serve', '--config', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+`));
    assert.match(r.stderr, /fifo/);
  });

  it('a pool without endpoints, a bad endpoint URL and a missing file exit with code 2', async () => {
    const noEndpoints = writeTempFile('no-endpoints.yaml', 'pools:\n  - id: p\n    models: [m]\n');
    let r = await runToExit(['serve', '--config', noEndpoints]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /endpoints/);
    assert.match(r.stderr, new RegExp(`no-endpoints\\.yaml:\\d+:\\d+`));

    const badUrl = writeTempFile('bad-url.yaml', 'pools:\n  - id: p\n    models: [m]\n    endpoints: [ftp://x]\n');
    r = await runToExit(['serve', '--config', badUrl]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad-url\.yaml:4:\d+/);

    r = await runToExit(['serve', '--config', '/nonexistent/switchyard-test.yaml']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /switchyard-test\.yaml/);
  });
});
