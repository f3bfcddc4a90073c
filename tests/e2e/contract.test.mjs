// The contract test: the native task API's real answers, held to api/openapi.yaml as the server
// itself serves it (GET /openapi.yaml). Every answer's status must be one the operation
// documents, and its JSON body (or each SSE frame's data) must validate against the documented
// schema (ajv; OpenAPI 3.0 schemas are JSON Schema with a few extra keywords, which are ignored).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';

import {
  HOST,
  httpRequest,
  ms,
  pool,
  postJson,
  serveConfig,
  startServe,
  startSim,
  stopAll,
  waitFor,
} from '../integration/harness.mjs';

const { default: Ajv } = await import('ajv');
const { parse: parseYaml } = await import('yaml');

let procs = [];
let serve;
let doc;
let ajv;

before(async () => {
  const sim = await startSim({ ttftMs: 5, itlMs: 5, slots: 64 });
  procs.push(sim);
  serve = await startServe(
    serveConfig({ tasks: { max_frames: 32 }, pools: [pool('sim-a', [sim], { slots: 1 })] }),
  );
  procs.push(serve);
  const r = await httpRequest(serve.port, { path: '/openapi.yaml' });
  assert.equal(r.status, 200);
  doc = parseYaml(r.text);
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(doc, 'openapi.yaml');
});
after(async () => {
  await stopAll(procs);
});

const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** The documented response of `method path` for `status`, and the JSON pointer to it. */
function documented(method, path, status) {
  const op = doc.paths[path]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${path} is not in the contract`);
  let response = op.responses[String(status)];
  assert.ok(response, `${method} ${path} answered ${status}, which the contract does not list (lists ${Object.keys(op.responses)})`);
  let at = `#/${pointer('paths', path, method.toLowerCase(), 'responses', String(status))}`;
  if (response.$ref) {
    at = response.$ref;
    response = response.$ref.slice(2).split('/').reduce((o, k) => o[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return { response, at };
}

function validate(schemaRef, value, what) {
  const ok = ajv.validate({ $ref: `openapi.yaml${schemaRef}` }, value);
  assert.ok(ok, `${what} does not match ${schemaRef}: ${ajv.errorsText(ajv.errors)}\n${JSON.stringify(value)}`);
}

/** Holds an answer (status, content type, body text) of `method path` to the contract. */
function check(method, path, r) {
  const { response, at } = documented(method, path, r.status);
  if (!response.content) {
    assert.equal(r.text ?? '', '', `${method} ${path} ${r.status} has no documented body`);
    return;
  }
  const json = response.content['application/json'];
  if (json) {
    assert.match(String(r.headers['content-type']), /application\/json/);
    validate(`${at}/${pointer('content', 'application/json', 'schema')}`, JSON.parse(r.text), `${method} ${path} ${r.status}`);
  }
}

/** The SSE frames of a task stream: [{id, event, data}]. */
function frames(port, id, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: `/v1/tasks/${id}/stream`, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const out = [];
        for (const block of text.split('\n\n')) {
          const f = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            f[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
          }
          if (f.data !== undefined) out.push({ id: f.id, event: f.event, data: JSON.parse(f.data) });
        }
        resolve({ status: res.statusCode, headers: res.headers, frames: out, text });
      });
    });
    req.on('error', reject);
  });
}

function checkFrames(list) {
  const { at } = documented('GET', '/v1/tasks/{id}/stream', 200);
  const map = `${at}/${pointer('content', 'text/event-stream', 'x-sse-frames')}`;
  for (const f of list) {
    assert.ok(f.event, `a frame without an event name: ${JSON.stringify(f)}`);
    validate(`${map}/${pointer(f.event)}`, f.data, `frame ${f.id} (${f.event})`);
  }
}

describe('the native API against api/openapi.yaml', () => {
  it('submit, status, stream and cancel answers match the contract', { timeout: ms(60000) }, async () => {
    const body = { model_ref: 'sim-model', prompt: 'Hi.', max_tokens: 6, seed: 3, task_id: 'contract-1' };
    const a = await postJson(serve.port, '/v1/tasks', body);
    check('POST', '/v1/tasks', a);
    assert.equal(a.status, 202);
    await waitFor(async () => (await httpRequest(serve.port, { path: '/v1/tasks/contract-1' })).json().state === 'completed', ms(10000), 'the task to end');
    const s = await httpRequest(serve.port, { path: '/v1/tasks/contract-1' });
    check('GET', '/v1/tasks/{id}', s);
    const f = await frames(serve.port, 'contract-1');
    assert.equal(f.status, 200);
    assert.match(String(f.headers['content-type']), /text\/event-stream/);
    checkFrames(f.frames);
    assert.deepEqual(f.frames.map((x) => x.event), ['started', ...Array(6).fill('token'), 'end']);
    const c = await postJson(serve.port, '/v1/tasks/contract-1/cancel', {});
    check('POST', '/v1/tasks/{id}/cancel', c);
    assert.equal(c.status, 204);
  });

  it('queued, canceled and failed tasks match too', { timeout: ms(60000) }, async () => {
    // One slot: the second task queues (metrics frames), then is canceled.
    const first = await postJson(serve.port, '/v1/tasks', { model_ref: 'sim-model', prompt: 'a', max_tokens: 400 });
    check('POST', '/v1/tasks', first);
    const second = await postJson(serve.port, '/v1/tasks', { model_ref: 'sim-model', prompt: 'b', max_tokens: 5 });
    check('POST', '/v1/tasks', second);
    assert.equal(second.json().queue_position, 1);
    const queued = await httpRequest(serve.port, { path: `/v1/tasks/${second.json().task_id}` });
    check('GET', '/v1/tasks/{id}', queued);
    assert.equal(queued.json().state, 'queued');
    await postJson(serve.port, `/v1/tasks/${second.json().task_id}/cancel`, {});
    await postJson(serve.port, `/v1/tasks/${first.json().task_id}/cancel`, {});
    for (const t of [first, second]) {
      const st = await httpRequest(serve.port, { path: `/v1/tasks/${t.json().task_id}` });
      check('GET', '/v1/tasks/{id}', st);
      assert.equal(st.json().state, 'canceled');
      const f = await frames(serve.port, t.json().task_id);
      checkFrames(f.frames);
    }
    // A task whose deadline passes while it runs: an error frame and a failed status.
    const late = await postJson(serve.port, '/v1/tasks', { model_ref: 'sim-model', prompt: 'c', max_tokens: 400, deadline_ms: 100 });
    check('POST', '/v1/tasks', late);
    await waitFor(async () => (await httpRequest(serve.port, { path: `/v1/tasks/${late.json().task_id}` })).json().state === 'failed', ms(10000), 'the deadline');
    const failed = await httpRequest(serve.port, { path: `/v1/tasks/${late.json().task_id}` });
    check('GET', '/v1/tasks/{id}', failed);
    const f = await frames(serve.port, late.json().task_id, { 'Last-Event-ID': '0' });
    checkFrames(f.frames);
    assert.equal(f.frames.at(-1).event, 'error');
  });

  it('discovery answers match the contract', { timeout: ms(30000) }, async () => {
    for (const [template, path] of [
      ['/v1/capabilities', '/v1/capabilities'],
      ['/v1/pools', '/v1/pools'],
      ['/v1/pools/{id}/health', '/v1/pools/sim-a/health'],
      ['/v1/pools/{id}/health', '/v1/pools/no-such-pool/health'],
    ]) {
      check('GET', template, await httpRequest(serve.port, { path }));
    }
    const caps = (await httpRequest(serve.port, { path: '/v1/capabilities' })).json();
    assert.equal(caps.api_version, doc.info.version);
  });

  it('error answers match the contract', { timeout: ms(60000) }, async () => {
    const cases = [
      ['POST', '/v1/tasks', '/v1/tasks', { model_ref: 'sim-model' }],
      ['POST', '/v1/tasks', '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', temperature: 1 }],
      ['POST', '/v1/tasks', '/v1/tasks', { model_ref: 'nobody-serves-this', prompt: 'x' }],
      ['GET', '/v1/tasks/{id}', '/v1/tasks/unknown-task'],
      ['GET', '/v1/tasks/{id}/stream', '/v1/tasks/unknown-task/stream'],
      ['POST', '/v1/tasks/{id}/cancel', '/v1/tasks/unknown-task/cancel', {}],
    ];
    for (const [method, template, path, body] of cases) {
      const r = await httpRequest(serve.port, { method, path, body });
      assert.ok(r.status >= 400, `${method} ${path}: ${r.status}`);
      check(method, template, r);
    }
    const dup = await postJson(serve.port, '/v1/tasks', { model_ref: 'sim-model', prompt: 'x', max_tokens: 1, task_id: 'contract-dup' });
    check('POST', '/v1/tasks', dup);
    const again = await postJson(serve.port, '/v1/tasks', { model_ref: 'sim-model', prompt: 'y', max_tokens: 1, task_id: 'contract-dup' });
    assert.equal(again.status, 409);
    check('POST', '/v1/tasks', again);
    // 410: the log keeps 32 frames; a follower from the start needs frame 1.
    const long = await postJson(serve.port, '/v1/tasks', { model_ref: 'sim-model', prompt: 'z', max_tokens: 100, task_id: 'contract-long' });
    check('POST', '/v1/tasks', long);
    await waitFor(async () => (await httpRequest(serve.port, { path: '/v1/tasks/contract-long' })).json().state === 'completed', ms(10000), 'the long task');
    const gone = await httpRequest(serve.port, { path: '/v1/tasks/contract-long/stream' });
    assert.equal(gone.status, 410);
    check('GET', '/v1/tasks/{id}/stream', gone);
    const bad = await httpRequest(serve.port, { path: '/v1/tasks/contract-long/stream', headers: { 'Last-Event-ID': 'x' } });
    assert.equal(bad.status, 400);
    check('GET', '/v1/tasks/{id}/stream', bad);
  });
});
