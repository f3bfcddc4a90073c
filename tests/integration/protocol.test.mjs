// HTTP protocol details: HEAD answers without a body, 405 with an Allow header, GET /v1/models/{id},
// HTTP/1.0 clients (keep-alive, and streams without chunked framing), `Expect: 100-continue`,
// a lingering close after 413 (the client reads the answer instead of a reset), queued requests
// answered 503 when their pool becomes unready, and startup failures for the listen address
// (a host name, a port already in use).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';

import {
  assertEnvelope,
  HOST,
  SseParser,
  chatBody,
  expectedText,
  httpRequest,
  jsonEvents,
  ms,
  openStream,
  pool,
  postJson,
  runToExit,
  serveConfig,
  startServe,
  startSim,
  stopAll,
  streamedText,
  toYaml,
  waitFor,
  waitQueueDepth,
  writeTempFile,
} from './harness.mjs';

const MAX_BODY = 65536;


/**
 * Parses one HTTP response head starting at `offset` of `buf` (a Buffer). Returns
 * {version, status, headers (lower-cased names; repeated names joined with ', '), headEnd (offset
 * just past the blank line)} or undefined when the head is not complete yet.
 */
function parseHead(buf, offset = 0) {
  const end = buf.indexOf('\r\n\r\n', offset, 'latin1');
  if (end < 0) return undefined;
  const lines = buf.toString('latin1', offset, end).split('\r\n');
  const m = /^HTTP\/(\d\.\d) (\d{3}) /.exec(lines[0] + ' ');
  assert.ok(m, `not a status line: ${JSON.stringify(lines[0])}`);
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `bad header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { version: m[1], status: Number(m[2]), headers, headEnd: end + 4 };
}

/**
 * Parses a whole response with a Content-Length body at `offset` (for HEAD: `noBody`). Returns
 * {…head, body (Buffer), end} or undefined when incomplete.
 */
function parseResponse(buf, offset = 0, { noBody = false } = {}) {
  const head = parseHead(buf, offset);
  if (!head) return undefined;
  if (noBody) return { ...head, body: Buffer.alloc(0), end: head.headEnd };
  assert.match(String(head.headers['content-length']), /^\d+$/, `no Content-Length: ${JSON.stringify(head.headers)}`);
  const len = Number(head.headers['content-length']);
  if (buf.length < head.headEnd + len) return undefined;
  return { ...head, body: buf.subarray(head.headEnd, head.headEnd + len), end: head.headEnd + len };
}

/**
 * A raw client connection for exchanges in steps: write, wait until the received bytes satisfy a
 * predicate, write again. Records every byte, whether the server closed, and any socket error.
 */
class RawConn {
  static async open(port) {
    const c = new RawConn(port);
    await withDeadline(
      new Promise((resolve, reject) => {
        c.sock.once('connect', resolve);
        c.sock.once('error', reject);
      }),
      ms(3000),
      'connect',
    );
    return c;
  }

  constructor(port) {
    this.chunks = [];
    this.closed = false;
    this.error = undefined;
    this.waiters = new Set();
    this.sock = net.connect({ host: HOST, port });
    this.sock.on('data', (d) => {
      this.chunks.push(d);
      this.notify();
    });
    this.sock.on('end', () => {
      this.closed = true;
      this.notify();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.notify();
    });
    this.sock.on('error', (e) => {
      this.error = e;
      this.closed = true;
      this.notify();
    });
  }

  get buf() {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  get text() {
    return this.buf.toString('utf8');
  }

  write(bytes) {
    this.sock.write(bytes);
  }

  notify() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with `pred(buf)`'s truthy value; rejects on timeout or when the connection closed first. */
  until(pred, what, timeoutMs = ms(5000)) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let v;
        try {
          v = pred(this.buf);
        } catch (e) {
          finish();
          reject(e);
          return;
        }
        if (v) {
          finish();
          resolve(v);
        } else if (this.closed) {
          finish();
          reject(new Error(`connection closed (${this.error?.code ?? 'eof'}) before ${what}; received: ${JSON.stringify(this.text.slice(0, 600))}`));
        }
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.text.slice(0, 600))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits until the server closes the connection. */
  waitClosed(timeoutMs = ms(5000)) {
    return this.until(() => this.closed, 'the server to close the connection', timeoutMs).catch((e) => {
      if (this.closed) return true;
      throw e;
    });
  }

  destroy() {
    this.sock.destroy();
  }
}

async function withDeadline(promise, timeoutMs, what) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function chatRequestHead(body, { version = '1.1', extra = '' } = {}) {
  return (
    `POST /v1/chat/completions HTTP/${version}\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`
  );
}

describe('HTTP protocol details', () => {
  let sim;
  let serve;
  const conns = [];

  before(async () => {
    sim = await startSim({ ttftMs: 2, itlMs: 1, slots: 16 });
    serve = await startServe(
      serveConfig({
        limits: { max_body_bytes: MAX_BODY, idle_timeout_ms: 5000 },
        pools: [pool('sim-a', [sim], { slots: 16 })],
      }),
    );
  });

  afterEach(() => {
    while (conns.length) conns.pop().destroy();
  });

  after(async () => {
    await stopAll(serve, sim);
  });

  async function open() {
    const c = await RawConn.open(serve.port);
    conns.push(c);
    return c;
  }

  it('HEAD /health and HEAD /v1/models: 200, the GET Content-Length, and no body bytes', async () => {
    for (const target of ['/health', '/v1/models']) {
      // Pipelined in one write: HEAD, then GET. The GET answer must start right where the HEAD head ends.
      const c = await open();
      c.write(`HEAD ${target} HTTP/1.1\r\nHost: x\r\n\r\nGET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const head = await c.until((b) => parseResponse(b, 0, { noBody: true }), `the HEAD ${target} answer`);
      const get = await c.until((b) => b.length > head.end + 4 && parseResponse(b, head.end), `the GET ${target} answer`);
      assert.equal(head.status, 200, c.text);
      assert.equal(get.status, 200, c.text);
      assert.match(c.buf.toString('latin1', head.end, head.end + 9), /^HTTP\/1\.1 /, `the GET answer starts where the HEAD head ends: ${JSON.stringify(c.text)}`);
      assert.match(String(head.headers['content-length']), /^\d+$/, JSON.stringify(head.headers));
      assert.equal(Number(head.headers['content-length']), get.body.length, 'HEAD Content-Length == GET body length');
      assert.ok(get.body.length > 0);
      assert.equal(head.headers['content-type'], get.headers['content-type']);
      if (target === '/health') assert.deepEqual(JSON.parse(get.body.toString('utf8')), { status: 'ok' });
      else assert.ok(JSON.parse(get.body.toString('utf8')).data.some((m) => m.id === 'sim-model'));
      // Nothing after the GET body: the HEAD answer carried no stray bytes.
      assert.equal(c.buf.length, get.end, `bytes past the GET answer: ${JSON.stringify(c.buf.toString('utf8', get.end))}`);
      assert.equal(c.closed, false, 'keep-alive: the connection stays open');

      // Sequentially on one connection: HEAD, wait for its head, then GET.
      const s = await open();
      s.write(`HEAD ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const h2 = await s.until((b) => parseResponse(b, 0, { noBody: true }), `the HEAD ${target} answer (sequential)`);
      assert.equal(h2.status, 200);
      assert.equal(h2.headers['content-length'], head.headers['content-length']);
      s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const g2 = await s.until((b) => b.length > h2.end + 4 && parseResponse(b, h2.end), `the GET ${target} answer (sequential)`);
      assert.equal(g2.status, 200, s.text);
      assert.equal(g2.body.length, Number(h2.headers['content-length']));
      await s.waitClosed();
      assert.equal(s.buf.length, g2.end, 'nothing but the two answers on the connection');
    }
  });

  it('405 carries an Allow header and the error envelope', async () => {
    const r1 = await httpRequest(serve.port, { path: '/v1/chat/completions' });
    const e1 = assertEnvelope(r1, 405, 'method_not_allowed');
    assert.equal(e1.type, 'invalid_request_error');
    assert.equal(r1.headers.allow, 'POST');

    const r2 = await httpRequest(serve.port, { method: 'POST', path: '/health', body: '{}' });
    assertEnvelope(r2, 405, 'method_not_allowed');
    assert.equal(r2.headers.allow, 'GET, HEAD');

    const r3 = await httpRequest(serve.port, { method: 'DELETE', path: '/v1/completions' });
    assertEnvelope(r3, 405, 'method_not_allowed');
    assert.equal(r3.headers.allow, 'POST');

    // Allowed methods never carry it.
    const ok = await httpRequest(serve.port, { path: '/health' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.allow, undefined);
  });

  it('GET /v1/models/{id}: the model, 404 model_not_found, and a percent-encoded id', async () => {
    const r = await httpRequest(serve.port, { path: '/v1/models/sim-model' });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const m = r.json();
    assert.equal(m.id, 'sim-model');
    assert.equal(m.object, 'model');

    const nope = await httpRequest(serve.port, { path: '/v1/models/nope' });
    assertEnvelope(nope, 404, 'model_not_found');

    const enc = await httpRequest(serve.port, { path: '/v1/models/sim%2Dmodel' });
    assert.equal(enc.status, 200, enc.text);
    assert.equal(enc.json().id, 'sim-model');
    assert.deepEqual(enc.json(), m, 'the same answer as the plain id');
  });

  it('HTTP/1.0 with Connection: keep-alive keeps the connection open', async () => {
    const c = await open();
    c.write('GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const first = await c.until((b) => parseResponse(b), 'the first HTTP/1.0 answer');
    assert.equal(first.status, 200, c.text);
    assert.match(String(first.headers.connection), /^keep-alive$/i, JSON.stringify(first.headers));
    assert.deepEqual(JSON.parse(first.body.toString('utf8')), { status: 'ok' });
    assert.equal(c.closed, false, 'still open after the first answer');

    // A second request on the same connection (plain HTTP/1.0: the server closes after it).
    c.write('GET /v1/models HTTP/1.0\r\n\r\n');
    const second = await c.until((b) => b.length > first.end + 4 && parseResponse(b, first.end), 'the second HTTP/1.0 answer');
    assert.equal(second.status, 200, c.text);
    assert.ok(JSON.parse(second.body.toString('utf8')).data.some((m) => m.id === 'sim-model'));
    await c.waitClosed();
  });

  it('an HTTP/1.0 stream is plain SSE (no chunked framing) ended by the server closing', async () => {
    const body = JSON.stringify(chatBody({ seed: 4, maxTokens: 6, stream: true }));
    const c = await open();
    c.write(chatRequestHead(body, { version: '1.0' }) + body);
    await c.waitClosed(ms(8000));
    assert.equal(c.error, undefined, `socket error: ${c.error?.message}`);
    const head = parseHead(c.buf);
    assert.ok(head, `no response head: ${JSON.stringify(c.text)}`);
    assert.equal(head.status, 200, c.text);
    assert.match(String(head.headers['content-type']), /^text\/event-stream/);
    assert.equal(head.headers['transfer-encoding'], undefined, `HTTP/1.0 must not get chunked: ${JSON.stringify(head.headers)}`);
    assert.equal(head.headers['content-length'], undefined);

    const text = c.buf.toString('utf8', head.headEnd);
    // Every line is SSE: data, a comment, or blank; no chunk-size lines.
    for (const line of text.split('\n')) {
      assert.match(line, /^(data: .*|:.*|)$/, `not an SSE line: ${JSON.stringify(line)} in ${JSON.stringify(text.slice(0, 400))}`);
    }
    const events = new SseParser().feed(text);
    const data = events.filter((e) => e.data !== undefined);
    assert.ok(data.length >= 2, text);
    assert.equal(data.at(-1).data, '[DONE]', 'ends with data: [DONE]');
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), JSON.stringify(text.slice(-100)));
    for (const obj of jsonEvents(events)) assert.equal(obj.object, 'chat.completion.chunk');
    assert.equal(streamedText(events), expectedText(4, 6));
  });

  it('Expect: 100-Continue (mixed case) gets 100 Continue before the body is sent', async () => {
    const body = JSON.stringify(chatBody({ seed: 7, maxTokens: 3, stream: false }));
    const c = await open();
    c.write(chatRequestHead(body, { extra: 'Expect: 100-Continue\r\nConnection: close\r\n' }));
    await c.until((b) => b.includes('\r\n\r\n'), '100 Continue');
    assert.match(c.text, /^HTTP\/1\.1 100 Continue\r\n\r\n$/, JSON.stringify(c.text));
    const afterContinue = c.buf.length;
    c.write(body);
    const r = await c.until((b) => parseResponse(b, afterContinue), 'the answer after the body');
    assert.equal(r.status, 200, c.text);
    assert.equal(JSON.parse(r.body.toString('utf8')).choices[0].message.content, expectedText(7, 3));
    await c.waitClosed();
  });

  it('413 with a large body still being sent: lingering close delivers the answer, no reset', { timeout: ms(20000) }, async () => {
    const declared = 4_000_000;
    const result = await new Promise((resolve) => {
      const chunks = [];
      const out = { errors: [], errorAt: undefined, closed: false, timedOut: false };
      const sock = net.connect({ host: HOST, port: serve.port });
      const timer = setTimeout(() => {
        out.timedOut = true;
        sock.destroy();
      }, ms(10000));
      sock.on('connect', () => {
        sock.write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
        );
        // Stream the whole body at once, without waiting for an answer or for 'drain'.
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let sent = 0; sent < declared; sent += chunk.length) {
          const n = Math.min(chunk.length, declared - sent);
          sock.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        }
      });
      sock.on('data', (d) => chunks.push(d));
      sock.on('error', (e) => {
        out.errors.push(e.code ?? e.message);
        out.errorAt ??= Buffer.concat(chunks).length;
      });
      sock.on('close', () => {
        clearTimeout(timer);
        out.closed = true;
        out.buf = Buffer.concat(chunks);
        resolve(out);
      });
    });
    const detail = `errors ${JSON.stringify(result.errors)} (after ${result.errorAt} bytes received), received ${JSON.stringify(result.buf.toString('utf8').slice(0, 400))}`;
    assert.equal(result.timedOut, false, `the server never closed: ${detail}`);
    assert.ok(result.buf.length > 0, `no answer at all (reset before the 413 could be read?): ${detail}`);
    const r = parseResponse(result.buf);
    assert.ok(r, `incomplete answer: ${detail}`);
    assert.equal(r.status, 413, detail);
    const err = JSON.parse(r.body.toString('utf8')).error;
    assert.equal(err.code, 'payload_too_large');
    assert.equal(typeof err.message, 'string');
    assert.equal(typeof err.type, 'string');
    assert.ok('param' in err);
    // No reset: the server read (and dropped) the rest of the body before closing.
    assert.deepEqual(result.errors, [], `socket errors: ${detail}`);
    // The server is unharmed.
    assert.equal((await httpRequest(serve.port, { path: '/health' })).status, 200);
  });
});

describe('queued requests and pool health', () => {
  let procs = [];
  let hold;
  afterEach(async () => {
    hold?.abort();
    hold = undefined;
    // A sim may be SIGSTOPped: SIGKILL works on a stopped process, SIGTERM would wait.
    for (const p of procs) if (p.name === 'sim') p.signal('SIGKILL');
    await stopAll(procs);
    procs = [];
  });

  /** One sim (1 slot) behind a 1-slot pool with fast probes; a long stream holds the slot and a
   * second (non-streaming) request waits in the queue. */
  async function setupQueued(config = {}) {
    const sim = await startSim({ ttftMs: 5, itlMs: 20, slots: 1 });
    procs.push(sim);
    const serve = await startServe(
      serveConfig({
        health: { interval_ms: 100, timeout_ms: 200, healthy_after: 1, unhealthy_after: 1 },
        ...config,
        pools: [pool('sim-a', [sim], { slots: 1 })],
      }),
    );
    procs.push(serve);
    hold = openStream(serve.port, '/v1/chat/completions', chatBody({ seed: 0, maxTokens: 1000 }));
    assert.ok(await hold.firstData, 'the slot-holding stream started');
    const queued = postJson(serve.port, '/v1/chat/completions', chatBody({ seed: 1, maxTokens: 2, stream: false }), {}, ms(15000)).then(
      (r) => ({ ...r, at: Date.now() }),
      (e) => ({ error: e, at: Date.now() }),
    );
    await waitQueueDepth(serve, 1);
    return { sim, serve, queued };
  }

  async function assertPoolUnavailable(serve, queued, since) {
    const r = await queued;
    assert.equal(r.error, undefined, `the queued request failed: ${r.error?.message}`);
    const err = assertEnvelope(r, 503, 'pool_unavailable');
    assert.equal(err.retriable, true);
    assert.ok(r.at - since < ms(5000), `answered ${r.at - since} ms after the engine went away`);
    await waitQueueDepth(serve, 0);
  }

  it('engine frozen (probes time out, slot still held): the queued request gets 503 pool_unavailable', { timeout: ms(20000) }, async () => {
    const { sim, serve, queued } = await setupQueued();
    sim.signal('SIGSTOP');
    const since = Date.now();
    await assertPoolUnavailable(serve, queued, since);
    const ready = await httpRequest(serve.port, { path: '/ready' });
    assert.equal(ready.status, 503, ready.text);
  });

  it('engine killed, breaker failure_threshold 1: the open breaker does not hold the queued request back', { timeout: ms(20000) }, async () => {
    // The killed engine ends the slot-holding stream, and that failure opens the breaker. Breakers
    // never eject a model's last endpoint (only health probes take it out), so the freed slot
    // goes to the queued request at once: its connect is refused and it gets 502 upstream_error
    // (or 503 pool_unavailable if a failing probe got there first), without waiting for open_ms.
    const { sim, serve, queued } = await setupQueued({ breaker: { failure_threshold: 1, open_ms: 60000 } });
    sim.signal('SIGKILL');
    const since = Date.now();
    await sim.waitExit(ms(5000));
    const r = await queued;
    assert.equal(r.error, undefined, `the queued request failed: ${r.error?.message}`);
    const err = r.status === 502 ? assertEnvelope(r, 502, 'upstream_error') : assertEnvelope(r, 503, 'pool_unavailable');
    assert.equal(err.retriable, true);
    assert.ok(r.at - since < ms(2000), `answered ${r.at - since} ms after the engine went away`);
    await waitQueueDepth(serve, 0);
    // The probes then take the pool out.
    await waitFor(async () => (await httpRequest(serve.port, { path: '/ready' })).status === 503, ms(10000), 'pool unready');
  });

  it('engine killed, default breaker: the queued request is answered at once with a coded 5xx', { timeout: ms(20000) }, async () => {
    // The freed slot may reach the queued request before any probe fails: its connect is refused
    // and, with no other endpoint, it gets 502 upstream_error; if a probe wins the race, 503
    // pool_unavailable. Either way a coded, retriable error arrives promptly, never a hang.
    const { sim, serve, queued } = await setupQueued();
    sim.signal('SIGKILL');
    const since = Date.now();
    await sim.waitExit(ms(5000));
    const r = await queued;
    assert.equal(r.error, undefined, `the queued request failed: ${r.error?.message}`);
    const err = r.status === 502 ? assertEnvelope(r, 502, 'upstream_error') : assertEnvelope(r, 503, 'pool_unavailable');
    assert.equal(err.retriable, true);
    assert.ok(r.at - since < ms(5000), `answered ${r.at - since} ms after the engine went away`);
    await waitQueueDepth(serve, 0);
  });
});

describe('listen address at startup', () => {
  let first;
  after(async () => {
    await stopAll(first);
  });

  it('a host name in `listen` exits 2 naming file:line:column and "not an IP address"', async () => {
    const yaml = toYaml(serveConfig({ pools: [] })).replace(/^listen: .*$/m, 'listen: gateway.invalid:8080');
    assert.match(yaml, /^listen: gateway\.invalid:8080$/m);
    const file = writeTempFile('listen-name.yaml', yaml);
    const line = yaml.split('\n').findIndex((l) => l.startsWith('listen:')) + 1;
    const r = await runToExit(['serve', '--config', file], { timeoutMs: ms(10000) });
    assert.equal(r.code, 2, `exit ${r.code} ${r.signal}; stderr: ${r.stderr}`);
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(r.stderr, new RegExp(`${escaped}:${line}:\\d+`), r.stderr);
    assert.match(r.stderr, /not an IP address/, r.stderr);
    assert.match(r.stderr, /gateway\.invalid/, r.stderr);
    assert.ok(!r.stdout.includes('"listening"'), 'it never listened');
  });

  it('a second serve on a port already in use fails to start', { timeout: ms(20000) }, async () => {
    first = await startServe(serveConfig({ pools: [] }), { waitReady: false });
    const yaml = toYaml(serveConfig({ pools: [] })).replace(/^listen: .*$/m, `listen: "${HOST}:${first.port}"`);
    const file = writeTempFile('listen-busy.yaml', yaml);
    let r;
    try {
      r = await runToExit(['serve', '--config', file], { timeoutMs: ms(5000) });
    } catch (e) {
      assert.fail(`the second serve kept running on port ${first.port} (it shares the port?): ${e.message}`);
    }
    assert.notEqual(r.code, 0, `exit ${r.code} ${r.signal}; stderr: ${r.stderr}`);
    assert.equal(r.code, 2, `exit code 2 as documented; stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes(String(first.port)) || /in use/i.test(r.stderr), `stderr names the port or "in use": ${r.stderr}`);
    assert.ok(!r.stdout.includes('"listening"'), `it never listened: ${r.stdout}`);
    // The first one still serves.
    const h = await httpRequest(first.port, { path: '/health' });
    assert.equal(h.status, 200);
    assert.ok(first.running);
  });
});
