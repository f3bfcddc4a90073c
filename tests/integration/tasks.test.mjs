// The native task API (api/openapi.yaml) through the real binary: submit → 202 with the real queue
// position; the stream's frames (started, token, end) with ids from 1; resume with Last-Event-ID
// after disconnects at random points (no gap, no duplicate); race-free cancel while running and
// while queued; 404/409/400/410 as coded errors; the contract served at /openapi.yaml; requests
// for one task arriving on either I/O thread.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, describe, it } from 'node:test';

import {
  HOST,
  httpRequest,
  metric,
  ms,
  pool,
  postJson,
  serveConfig,
  simToken,
  startServe,
  startSim,
  stopAll,
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

async function setup({ sim: simOpts = {}, slots = 8, config = {} } = {}) {
  const sim = await startSim({ ttftMs: 5, itlMs: 5, slots: 64, ...simOpts });
  procs.push(sim);
  const serve = await startServe(serveConfig({ ...config, pools: [pool('sim-a', [sim], { slots })] }));
  procs.push(serve);
  return { sim, serve };
}

function taskBody({ seed = 0, maxTokens = 8, ...extra } = {}) {
  return { model_ref: 'sim-model', prompt: 'Say something.', max_tokens: maxTokens, seed, ...extra };
}

async function submit(port, body) {
  const r = await postJson(port, '/v1/tasks', body);
  return { status: r.status, body: r.text ? JSON.parse(r.text) : undefined, headers: r.headers };
}

/**
 * Follows GET /v1/tasks/{id}/stream. Resolves to {status, frames: [{id, event, data}], complete,
 * raw}. `abortAfter`: leave after this many frames; `onFrame(frame, frames)`: return true to
 * leave.
 */
function follow(port, id, { lastEventId, abortAfter, onFrame, timeoutMs = ms(20000) } = {}) {
  return new Promise((resolve) => {
    const result = { status: undefined, frames: [], complete: false, raw: '', aborted: false };
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const headers = { Accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    const req = http.request({ host: HOST, port, path: `/v1/tasks/${id}/stream`, headers, agent: false }, (res) => {
      result.status = res.statusCode;
      res.setEncoding('utf8');
      let buf = '';
      let cur = {};
      res.on('data', (text) => {
        if (settled) return;
        result.raw += text;
        buf += text;
        for (;;) {
          const nl = buf.indexOf('\n');
          if (nl < 0) break;
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === '') {
            if (cur.data !== undefined) {
              const frame = { id: cur.id === undefined ? undefined : Number(cur.id), event: cur.event, data: JSON.parse(cur.data) };
              result.frames.push(frame);
              if ((abortAfter !== undefined && result.frames.length >= abortAfter) || (onFrame && onFrame(frame, result.frames))) {
                result.aborted = true;
                req.destroy();
                finish();
                return;
              }
            }
            cur = {};
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          cur[field] = value;
        }
      });
      res.on('end', () => {
        result.complete = res.complete;
        finish();
      });
      res.on('close', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => {
      result.timedOut = true;
      req.destroy();
      finish();
    }, timeoutMs);
    req.on('error', finish);
    req.end();
  });
}

function terminal(frames) {
  return frames.filter((f) => f.event === 'end' || f.event === 'error');
}

describe('submit and follow', () => {
  it('a task streams started, its tokens and end, with ids from 1', { timeout: ms(30000) }, async () => {
    const { serve } = await setup();
    const seed = 5;
    const r = await submit(serve.port, taskBody({ seed, maxTokens: 12, task_id: 'task-one' }));
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.task_id, 'task-one');
    assert.equal(r.body.queue_position, 0);
    assert.equal(typeof r.body.predicted_start_ms, 'number');
    assert.equal(r.body.backoff_ms, 0);
    assert.ok(r.headers['x-correlation-id']);

    const f = await follow(serve.port, 'task-one');
    assert.equal(f.status, 200);
    assert.equal(f.complete, true, f.raw);
    assert.deepEqual(f.frames.map((x) => x.id), f.frames.map((_, i) => i + 1));
    assert.equal(f.frames[0].event, 'started');
    assert.equal(f.frames[0].data.pool_id, 'sim-a');
    const tokens = f.frames.filter((x) => x.event === 'token');
    assert.equal(tokens.length, 12);
    tokens.forEach((t, i) => {
      assert.equal(t.data.i, i);
      assert.equal(t.data.t, simToken(seed, i));
    });
    assert.equal(terminal(f.frames).length, 1);
    const end = f.frames.at(-1);
    assert.equal(end.event, 'end');
    assert.equal(end.data.tokens_out, 12);
    assert.equal(typeof end.data.decode_time_ms, 'number');

    const s = await httpRequest(serve.port, { path: '/v1/tasks/task-one' });
    assert.equal(s.status, 200);
    const st = s.json();
    assert.equal(st.state, 'completed');
    assert.equal(st.tokens_out, 12);
    assert.equal(st.model_ref, 'sim-model');
  });

  it('the frames are there for a follower that comes after the end, and for several', { timeout: ms(30000) }, async () => {
    const { serve } = await setup();
    const r = await submit(serve.port, taskBody({ seed: 1, maxTokens: 6 }));
    assert.equal(r.status, 202);
    const [a, b] = await Promise.all([follow(serve.port, r.body.task_id), follow(serve.port, r.body.task_id)]);
    const late = await follow(serve.port, r.body.task_id);
    for (const f of [a, b, late]) {
      assert.equal(f.complete, true);
      assert.deepEqual(f.frames, a.frames);
    }
    const past = await follow(serve.port, r.body.task_id, { lastEventId: a.frames.at(-1).id });
    assert.equal(past.status, 200);
    assert.equal(past.frames.length, 0);
    assert.equal(past.complete, true);
  });
});

describe('resume', () => {
  it('100 disconnects at random points lose and repeat no frame', { timeout: ms(120000) }, async () => {
    const { serve } = await setup({ sim: { itlMs: 4 } });
    let trials = 0;
    let rng = 12345;
    const random = (n) => {
      rng = (rng * 1103515245 + 12345) % 2147483648;
      return rng % n;
    };
    for (let t = 0; trials < 100 && t < 40; t++) {
      const seed = 100 + t;
      const r = await submit(serve.port, taskBody({ seed, maxTokens: 60 }));
      assert.equal(r.status, 202);
      const seen = [];
      let last;
      for (let leg = 0; leg < 40; leg++) {
        const leave = trials < 100 ? 1 + random(12) : undefined;
        const f = await follow(serve.port, r.body.task_id, { lastEventId: last, abortAfter: leave });
        assert.equal(f.status, 200, f.raw);
        seen.push(...f.frames);
        if (f.frames.length) last = f.frames.at(-1).id;
        if (f.aborted) trials++;
        if (!f.aborted) break;
      }
      assert.deepEqual(seen.map((x) => x.id), seen.map((_, i) => i + 1), 'ids without a gap or a repeat');
      const tokens = seen.filter((x) => x.event === 'token');
      assert.equal(tokens.length, 60);
      tokens.forEach((x, i) => assert.equal(x.data.t, simToken(seed, i)));
      assert.equal(terminal(seen).length, 1);
      assert.equal(seen.at(-1).event, 'end');
    }
    assert.ok(trials >= 100, `only ${trials} disconnects`);
  });

  it('a resume point whose frames were dropped is 410; a bad one 400', { timeout: ms(60000) }, async () => {
    const { serve } = await setup({ sim: { itlMs: 0 }, config: { tasks: { max_frames: 64 } } });
    // More tokens than the task's frame log keeps (64 frames): the first frames are dropped.
    const r = await submit(serve.port, taskBody({ seed: 3, maxTokens: 500 }));
    assert.equal(r.status, 202);
    await waitFor(async () => (await httpRequest(serve.port, { path: `/v1/tasks/${r.body.task_id}` })).json().state === 'completed', ms(30000), 'task end');
    const gone = await httpRequest(serve.port, { path: `/v1/tasks/${r.body.task_id}/stream`, headers: { 'Last-Event-ID': '10' } });
    assert.equal(gone.status, 410, gone.text);
    assert.equal(gone.json().code, 'FRAMES_EXPIRED');
    const bad = await httpRequest(serve.port, { path: `/v1/tasks/${r.body.task_id}/stream`, headers: { 'Last-Event-ID': 'ten' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().code, 'INVALID_PARAMS');
    // The kept tail is still readable, ending with the terminal frame.
    const tail = await follow(serve.port, r.body.task_id, { lastEventId: 480 });
    assert.equal(tail.complete, true);
    // started is 1, the tokens 2..501, end 502.
    assert.deepEqual(tail.frames.map((x) => x.id), Array.from({ length: 22 }, (_, i) => 481 + i));
    assert.equal(tail.frames.at(-1).event, 'end');
    assert.equal(tail.frames.at(-1).data.tokens_out, 500);
    const whole = await follow(serve.port, r.body.task_id);
    assert.equal(whole.status, 410, 'a follower from the start needs frame 1, which is gone');
  });

  it('a finished task is kept for retention_ms, then forgotten', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ config: { tasks: { retention_ms: 300 } } });
    const r = await submit(serve.port, taskBody({ seed: 4, maxTokens: 3 }));
    assert.equal(r.status, 202);
    await waitFor(async () => (await httpRequest(serve.port, { path: `/v1/tasks/${r.body.task_id}` })).json().state === 'completed', ms(5000), 'task end');
    await waitFor(async () => (await httpRequest(serve.port, { path: `/v1/tasks/${r.body.task_id}` })).status === 404, ms(5000), 'the task to be forgotten');
    // Its id is free again.
    const again = await submit(serve.port, taskBody({ seed: 4, maxTokens: 3, task_id: r.body.task_id }));
    assert.equal(again.status, 202);
  });
});

describe('cancel', () => {
  it('no token frame follows a cancel, wherever it lands, and the engine stops', { timeout: ms(120000) }, async () => {
    const { sim, serve } = await setup({ sim: { itlMs: 3 } });
    for (let trial = 0; trial < 20; trial++) {
      const r = await submit(serve.port, taskBody({ seed: trial, maxTokens: 400 }));
      assert.equal(r.status, 202);
      const id = r.body.task_id;
      const cancelAt = 2 + ((trial * 7) % 15);
      let ack;
      const f = await follow(serve.port, id, {
        onFrame: (frame, frames) => {
          if (frames.filter((x) => x.event === 'token').length === cancelAt && !ack) {
            ack = postJson(serve.port, `/v1/tasks/${id}/cancel`, {});
          }
          return false;
        },
      });
      const a = await ack;
      assert.equal(a.status, 204);
      assert.equal(f.complete, true);
      const ends = terminal(f.frames);
      assert.equal(ends.length, 1);
      assert.equal(f.frames.at(-1).event, 'end');
      assert.equal(f.frames.at(-1).data.canceled, true);
      const tokens = f.frames.filter((x) => x.event === 'token');
      assert.equal(f.frames.at(-1).data.tokens_out, tokens.length, 'end counts exactly the tokens sent');
      assert.ok(tokens.length < 400);
      const st = (await httpRequest(serve.port, { path: `/v1/tasks/${id}` })).json();
      assert.equal(st.state, 'canceled');
      assert.equal(st.tokens_out, tokens.length);
      // Idempotent.
      assert.equal((await postJson(serve.port, `/v1/tasks/${id}/cancel`, {})).status, 204);
    }
    await waitFor(async () => (await sim.stats()).active === 0, ms(5000), 'the engine saw every cancel');
  });

  it('a queued task leaves the queue; its follower gets end {canceled: true}', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 1, sim: { itlMs: 20 } });
    const first = await submit(serve.port, taskBody({ seed: 1, maxTokens: 200 }));
    assert.equal(first.status, 202);
    assert.equal(first.body.queue_position, 0);
    const second = await submit(serve.port, taskBody({ seed: 2, maxTokens: 5 }));
    assert.equal(second.status, 202);
    assert.equal(second.body.queue_position, 1, JSON.stringify(second.body));
    // Admission's live estimate of when it starts.
    assert.ok(second.body.predicted_start_ms > 0, JSON.stringify(second.body));
    // The cancel goes out once the follower is attached (its first frame, the queue position).
    let attached;
    const seenFirst = new Promise((resolve) => {
      attached = resolve;
    });
    const followed = follow(serve.port, second.body.task_id, {
      onFrame: (frame) => {
        attached(frame);
        return false;
      },
    });
    assert.equal((await seenFirst).event, 'metrics');
    assert.equal((await postJson(serve.port, `/v1/tasks/${second.body.task_id}/cancel`, {})).status, 204);
    const f = await followed;
    assert.equal(f.complete, true);
    assert.equal(f.frames.filter((x) => x.event === 'token').length, 0);
    assert.deepEqual(f.frames.at(-1), {
      id: f.frames.at(-1).id,
      event: 'end',
      data: { tokens_out: 0, decode_time_ms: 0, decode_ms: 0, canceled: true },
    });
    await waitFor(async () => metric(await serve.metrics(), 'switchyard_queue_depth', { model: 'sim-model', priority: 'interactive' }) === 0,
      ms(5000), 'the queue to empty');
    await postJson(serve.port, `/v1/tasks/${first.body.task_id}/cancel`, {});
  });
});

describe('deadlines', () => {
  it('a queued task whose deadline passes leaves the queue with an error frame', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 1, sim: { itlMs: 20 } });
    const first = await submit(serve.port, taskBody({ seed: 1, maxTokens: 300 }));
    assert.equal(first.status, 202);
    const late = await submit(serve.port, taskBody({ seed: 2, maxTokens: 5, deadline_ms: 300 }));
    assert.equal(late.status, 202);
    assert.equal(late.body.queue_position, 1);
    const f = await follow(serve.port, late.body.task_id);
    assert.equal(f.complete, true);
    assert.equal(terminal(f.frames).length, 1);
    const last = f.frames.at(-1);
    assert.equal(last.event, 'error', JSON.stringify(f.frames));
    assert.equal(last.data.code, 'DEADLINE_EXCEEDED');
    assert.equal(f.frames.filter((x) => x.event === 'token').length, 0);
    const st = (await httpRequest(serve.port, { path: `/v1/tasks/${late.body.task_id}` })).json();
    assert.equal(st.state, 'failed');
    assert.equal(st.error.code, 'DEADLINE_EXCEEDED');
    await waitFor(async () => metric(await serve.metrics(), 'switchyard_queue_depth', { model: 'sim-model', priority: 'interactive' }) === 0,
      ms(5000), 'the queue to empty');
    await postJson(serve.port, `/v1/tasks/${first.body.task_id}/cancel`, {});
  });

  it('a running task whose deadline passes ends with DEADLINE_EXCEEDED and the engine stops', { timeout: ms(30000) }, async () => {
    const { sim, serve } = await setup({ sim: { itlMs: 10 } });
    const r = await submit(serve.port, taskBody({ seed: 6, maxTokens: 400, deadline_ms: 400 }));
    assert.equal(r.status, 202);
    const f = await follow(serve.port, r.body.task_id);
    assert.equal(f.complete, true);
    const last = f.frames.at(-1);
    assert.equal(last.event, 'error', JSON.stringify(last));
    assert.equal(last.data.code, 'DEADLINE_EXCEEDED');
    const tokens = f.frames.filter((x) => x.event === 'token').length;
    assert.ok(tokens > 0 && tokens < 400, `tokens: ${tokens}`);
    assert.equal(terminal(f.frames).length, 1);
    await waitFor(async () => (await sim.stats()).active === 0, ms(5000), 'the engine to stop');
  });
});

describe('deadline forwarding', () => {
  it('the engine receives the deadline as X-Deadline (RFC 3339) and X-Timeout-Ms', { timeout: ms(30000) }, async () => {
    // A minimal engine that records the headers of what it is sent.
    const seen = [];
    const engine = http.createServer((req, res) => {
      if (req.url === '/health') return res.end('ok');
      seen.push(req.headers);
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end('data: {"choices":[{"index":0,"text":"ok","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
      return undefined;
    });
    await new Promise((r) => engine.listen(0, HOST, r));
    try {
      const serve = await startServe(serveConfig({ pools: [pool('fake', [`http://${HOST}:${engine.address().port}`])] }));
      procs.push(serve);
      const before = Date.now();
      const r = await submit(serve.port, taskBody({ maxTokens: 4, deadline_ms: 5000 }));
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await waitFor(() => seen.length > 0, ms(5000), 'the engine request');
      const deadline = Date.parse(seen[0]['x-deadline']);
      assert.ok(Number.isFinite(deadline), `X-Deadline: ${seen[0]['x-deadline']}`);
      assert.match(seen[0]['x-deadline'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(deadline > before && deadline <= Date.now() + 5000, `${deadline - before} ms after submit`);
      const timeout = Number(seen[0]['x-timeout-ms']);
      assert.ok(timeout > 0 && timeout <= 5000, `X-Timeout-Ms ${timeout}`);
    } finally {
      engine.close();
    }
  });
});

describe('shutdown', () => {
  it('a running task ends with a SHUTTING_DOWN error frame when the grace period runs out; exit 0', { timeout: ms(30000) }, async () => {
    const sim = await startSim({ ttftMs: 5, itlMs: 20, slots: 8 });
    procs.push(sim);
    const serve = await startServe(serveConfig({ pools: [pool('sim-a', [sim])] }), { args: ['--shutdown-grace-ms', '500'] });
    procs.push(serve);
    const r = await submit(serve.port, taskBody({ seed: 2, maxTokens: 400 }));
    assert.equal(r.status, 202);
    let signalled = false;
    const f = await follow(serve.port, r.body.task_id, {
      onFrame: (frame) => {
        if (frame.event === 'token' && !signalled) {
          signalled = true;
          serve.signal('SIGTERM');
        }
        return false;
      },
    });
    const exit = await serve.waitExit(ms(8000));
    assert.equal(exit.code, 0, serve.stderrTail());
    assert.equal(f.complete, true, 'the follower saw its stream end');
    assert.equal(terminal(f.frames).length, 1);
    assert.equal(f.frames.at(-1).event, 'error', JSON.stringify(f.frames.at(-1)));
    assert.equal(f.frames.at(-1).data.code, 'SHUTTING_DOWN');
    await waitFor(async () => (await sim.stats()).active === 0, ms(3000), 'the engine to be released');
  });
});

describe('discovery', () => {
  it('capabilities and pool health come from the live registry and load', { timeout: ms(30000) }, async () => {
    const { serve } = await setup({ slots: 2, sim: { itlMs: 20 } });
    const caps = (await httpRequest(serve.port, { path: '/v1/capabilities' })).json();
    assert.equal(caps.api_version, '1.0.0');
    assert.equal(caps.engines.length, 1);
    assert.deepEqual(caps.engines[0].model_refs, ['sim-model']);
    assert.equal(caps.engines[0].pool_id, 'sim-a');
    assert.equal(caps.engines[0].slots, 2);
    const idle = (await httpRequest(serve.port, { path: '/v1/pools/sim-a/health' })).json();
    assert.deepEqual(idle, { id: 'sim-a', live: true, ready: true, draining: false, slots_total: 2, slots_free: 2, queue_depth: 0 });
    // Two running tasks take both slots; a third waits.
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(serve.port, taskBody({ seed: i, maxTokens: 300 }))).body.task_id);
    const busy = (await httpRequest(serve.port, { path: '/v1/pools' })).json();
    assert.equal(busy.pools.length, 1);
    assert.equal(busy.pools[0].slots_free, 0);
    assert.equal(busy.pools[0].queue_depth, 1);
    for (const id of ids) await postJson(serve.port, `/v1/tasks/${id}/cancel`, {});
    await waitFor(async () => (await httpRequest(serve.port, { path: '/v1/pools/sim-a/health' })).json().slots_free === 2,
      ms(5000), 'the slots to come back');
    const missing = await httpRequest(serve.port, { path: '/v1/pools/nope/health' });
    assert.equal(missing.status, 404);
    assert.equal(missing.json().code, 'NOT_FOUND');
  });
});

describe('errors and the contract', () => {
  it('unknown ids, bad bodies and duplicate ids get coded errors', { timeout: ms(30000) }, async () => {
    const { serve } = await setup();
    for (const [method, path] of [['GET', '/v1/tasks/nope'], ['GET', '/v1/tasks/nope/stream'], ['POST', '/v1/tasks/nope/cancel']]) {
      const r = await httpRequest(serve.port, { method, path, body: method === 'POST' ? {} : undefined });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.json().code, 'NOT_FOUND');
      assert.equal(r.json().retriable, false);
    }
    const bad = await submit(serve.port, { model_ref: 'sim-model', prompt: 'x', max_tokens: 0 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'INVALID_PARAMS');
    assert.equal(bad.body.param, 'max_tokens');
    const unknownModel = await submit(serve.port, taskBody({ model_ref: 'no-such-model' }));
    assert.equal(unknownModel.status, 404);
    assert.equal(unknownModel.body.code, 'NOT_FOUND');
    const ok = await submit(serve.port, taskBody({ task_id: 'dup-1', maxTokens: 2 }));
    assert.equal(ok.status, 202);
    const dup = await submit(serve.port, taskBody({ task_id: 'dup-1', maxTokens: 2 }));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'TASK_EXISTS');
    // A refused task was not kept: its id is free again.
    assert.equal((await httpRequest(serve.port, { path: '/v1/tasks/nope' })).status, 404);
  });

  it('serves the contract at /openapi.yaml', { timeout: ms(30000) }, async () => {
    const { serve } = await setup();
    const r = await httpRequest(serve.port, { path: '/openapi.yaml' });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /yaml/);
    assert.match(r.text, /^openapi: 3\.0\.3/m);
    for (const p of ['/v1/tasks:', '/v1/tasks/{id}:', '/v1/tasks/{id}/stream:', '/v1/tasks/{id}/cancel:']) {
      assert.ok(r.text.includes(p), p);
    }
  });

  it('requests for one task work from either I/O thread', { timeout: ms(30000) }, async () => {
    const { serve } = await setup();
    const r = await submit(serve.port, taskBody({ seed: 9, maxTokens: 20, task_id: 'roaming' }));
    assert.equal(r.status, 202);
    // Fresh connections land on either thread (SO_REUSEPORT); each must find the task.
    const statuses = await Promise.all(Array.from({ length: 24 }, () => httpRequest(serve.port, { path: '/v1/tasks/roaming' })));
    for (const s of statuses) assert.equal(s.status, 200, s.text);
    // Some of them arrived on the other thread and were handed over (24 fresh connections all on
    // the task's own thread would be a 1 in 2^24 chance).
    assert.ok(metric(await serve.metrics(), 'switchyard_connections_handed_over_total') > 0);
    const follows = await Promise.all(Array.from({ length: 6 }, () => follow(serve.port, 'roaming')));
    for (const f of follows) {
      assert.equal(f.complete, true);
      assert.equal(f.frames.filter((x) => x.event === 'token').length, 20);
    }
    // And the connection keeps serving after it moved: keep-alive requests on one socket.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5; i++) {
      const s = await new Promise((resolve, reject) => {
        http.get({ host: HOST, port: serve.port, path: '/v1/tasks/roaming', agent }, (res) => {
          let t = '';
          res.on('data', (c) => (t += c));
          res.on('end', () => resolve({ status: res.statusCode, text: t }));
        }).on('error', reject);
      });
      assert.equal(s.status, 200);
      assert.equal(JSON.parse(s.text).task_id, 'roaming');
    }
    agent.destroy();
  });
});
