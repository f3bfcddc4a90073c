// Hot reload: `switchyard serve --config FILE` re-reads FILE on SIGHUP and on POST /admin/reload
// and applies a valid new configuration atomically, with a live registry.
//
// - The admin route's guards: no admin.token configured → 403 admin_disabled; a wrong or missing
//   bearer token → 401 invalid_admin_token; GET → 405 with Allow: POST; a token shorter than 16
//   characters is refused at startup.
// - Adding an endpoint under load: the new one starts unready, takes work once its probes pass,
//   and no running or new request fails.
// - Removing an endpoint under load: it takes no new work, its running requests finish, no request
//   fails; once idle it is retired (its /metrics series disappear, `endpoint_retired` is logged).
// - An invalid file is refused (422 invalid_config naming file:line:column, or a `reload_refused`
//   log line for SIGHUP) and the old configuration keeps serving; a change to a restart-only
//   setting is refused with 409 restart_required naming the keys, and nothing is applied.
// - SIGHUP applies a valid configuration (`reload_requested`, `reloaded`).
// - 200 concurrent streams across 5 reloads (endpoints added and removed, pool slots and retry
//   settings changed): every reload answers 200 and every stream completes with exact content.
// - The drain deadline: a stream still running on a removed endpoint when
//   limits.endpoint_drain_ms passes ends with an `endpoint_removed` error event and [DONE]
//   (`endpoint_drain_expired` is logged); a stream on a kept endpoint completes normally.
//
// Every engine is a real `switchyard sim`; every test rewrites the file the server was started
// with (serve.configFile) and then triggers the reload. Every load loop is bounded in time and in
// count.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, afterEach, describe, it } from 'node:test';

import {
  chatBody,
  expectedText,
  httpRequest,
  metric,
  ms,
  openStream,
  pool,
  postJson,
  runToExit,
  serveConfig,
  sleep,
  sseRequest,
  startServe,
  startSim,
  stopAll,
  streamedText,
  toYaml,
  waitFor,
  writeTempFile,
} from './harness.mjs';

const CHAT = '/v1/chat/completions';
const RELOAD = '/admin/reload';
const TOKEN = 'reload-test-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

let procs = [];
afterEach(async () => {
  await stopAll(procs);
  procs = [];
});
after(async () => {
  await stopAll(procs);
});

// ---------------------------------------------------------------------------------------------
// Helpers

async function sim(opts = {}) {
  const s = await startSim({ ttftMs: 2, itlMs: 3, slots: 64, ...opts });
  procs.push(s);
  return s;
}

/** A serve config with the admin token (unless `admin` is given) and test-friendly defaults. */
function config({ admin = { token: TOKEN }, ...rest }) {
  return serveConfig({ ...rest, ...(admin ? { admin } : {}) });
}

async function serveWith(cfg) {
  const s = await startServe(cfg);
  procs.push(s);
  return s;
}

/** Rewrites the file the server was started with. */
function rewrite(serve, cfg) {
  writeFileSync(serve.configFile, typeof cfg === 'string' ? cfg : toYaml(cfg));
}

/** POST /admin/reload with the test token (or `headers`). */
function reload(serve, headers = AUTH) {
  return httpRequest(serve.port, { method: 'POST', path: RELOAD, body: '', headers, timeoutMs: ms(10000) });
}

/** Reloads and asserts 200 {reloaded:true, added, removed, kept}. */
async function reloadOk(serve, { added, removed, kept }, what = 'reload') {
  const r = await reload(serve);
  assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}\nserve stderr:\n${serve.stderrTail(10)}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, what);
  assert.deepEqual(r.json(), { reloaded: true, added, removed, kept }, `${what}: ${r.text}`);
  return r;
}

/** Asserts an error envelope with `status` and `code`; returns the error object. */
function assertError(r, status, code, what) {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, `${what}: content-type`);
  const error = r.json().error;
  assert.ok(error, `${what}: no error envelope: ${r.text}`);
  assert.equal(error.code, code, `${what}: ${r.text}`);
  assert.equal(typeof error.message, 'string', r.text);
  assert.ok(error.message.length > 0, r.text);
  assert.equal(typeof error.type, 'string', r.text);
  assert.ok('param' in error, `${what}: param missing: ${r.text}`);
  assert.equal(typeof error.retriable, 'boolean', `${what}: retriable: ${r.text}`);
  return error;
}

function safeJsonEvents(events) {
  const out = [];
  for (const e of events) {
    if (e.data === undefined || e.data === '[DONE]') continue;
    try {
      out.push(JSON.parse(e.data));
    } catch {
      /* not JSON */
    }
  }
  return out;
}

/** Why a streamed result (with .seed, .maxTokens) is not a full, correct answer; undefined if it is. */
function problem(r) {
  if (r.status !== 200) return `status ${r.status}: ${String(r.raw).slice(0, 300)}`;
  if (r.timedOut) return `stream timed out: ${r.raw.slice(-300)}`;
  if (!r.complete) return `stream incomplete (${r.error?.message}): ${r.raw.slice(-300)}`;
  const errors = safeJsonEvents(r.events).filter((x) => x.error);
  if (errors.length) return `stream error event: ${JSON.stringify(errors[0])}`;
  if (r.dataEvents().at(-1)?.data !== '[DONE]') return `no [DONE]: ${r.raw.slice(-300)}`;
  const got = streamedText(r.events);
  const want = expectedText(r.seed, r.maxTokens);
  return got === want ? undefined : `streamed ${JSON.stringify(got)} != ${JSON.stringify(want)}`;
}

/** Every problem among `results`, as "seed N: ..." lines. */
function problems(results) {
  return results.map((r) => [r.seed, problem(r)]).filter(([, p]) => p).map(([seed, p]) => `seed ${seed}: ${p}`);
}

/** One streaming chat request; the result carries its seed and length. */
async function stream(serve, { seed, maxTokens = 8, simOptions, timeoutMs = ms(15000) }) {
  const body = chatBody({ seed, maxTokens, ...(simOptions ? { sim_options: simOptions } : {}) });
  const r = await sseRequest(serve.port, CHAT, body, { timeoutMs });
  return { ...r, seed, maxTokens };
}

/**
 * A bounded load: `workers` loops, each sending sequential streaming chat requests until stop()
 * or until `maxRequests` were sent in all. Seeds start at `seedBase`.
 */
function startLoad(serve, { workers = 4, maxTokens = 16, seedBase = 0, maxRequests = 3000 } = {}) {
  let stopping = false;
  let sent = 0;
  const results = [];
  const loops = Array.from({ length: workers }, async () => {
    while (!stopping && sent < maxRequests) {
      const seed = seedBase + sent++;
      results.push(await stream(serve, { seed, maxTokens, timeoutMs: ms(10000) }));
    }
  });
  const all = Promise.all(loops);
  const load = {
    results,
    get sent() {
      return sent;
    },
    async stop() {
      stopping = true;
      await all;
      return results;
    },
  };
  procs.push(load); // afterEach stops a load a failed test left running
  return load;
}

/** A single chat request that must succeed with exact content. */
async function assertChatWorks(serve, seed, what) {
  const r = await stream(serve, { seed, maxTokens: 6 });
  assert.equal(problem(r), undefined, `${what}: ${problem(r)}`);
}

const endpointLabels = (poolId, s) => ({ pool: poolId, endpoint: s.endpoint() });

async function ready(serve, poolId, s) {
  return metric(await serve.metrics(), 'switchyard_endpoint_ready', endpointLabels(poolId, s));
}

/** Waits for a JSON log line with `event` (and, if given, one whose fields satisfy `match`). */
async function waitLog(serve, event, match = () => true, timeoutMs = ms(5000)) {
  return waitFor(
    () => serve.logs().find((l) => l.event === event && match(l)),
    timeoutMs,
    `a log line with "event":"${event}"`,
  ).catch((e) => {
    throw new Error(`${e.message}\nserve stderr:\n${serve.stderrTail(20)}`);
  });
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------

describe('the admin route', () => {
  it('without admin.token: 403 admin_disabled (whatever the bearer token)', { timeout: ms(20000) }, async () => {
    const a = await sim();
    const serve = await serveWith(config({ admin: null, pools: [pool('p', [a])] }));
    for (const headers of [{}, AUTH, { Authorization: 'Bearer ' }]) {
      assertError(await reload(serve, headers), 403, 'admin_disabled', `headers ${JSON.stringify(headers)}`);
    }
    const m = await serve.metrics();
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '403' }), 3, 'counted per route and status');
  });

  it('with a token: a wrong or missing bearer token → 401 invalid_admin_token; the right one → 200', { timeout: ms(20000) }, async () => {
    const a = await sim();
    const serve = await serveWith(config({ pools: [pool('p', [a])] }));
    const wrong = [
      {},
      { Authorization: `Bearer ${TOKEN}x` },
      { Authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { Authorization: `Bearer ${TOKEN.slice(0, -1)}X` },
      { Authorization: 'Bearer ' },
      { Authorization: TOKEN },
      { Authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of wrong) {
      assertError(await reload(serve, headers), 401, 'invalid_admin_token', `headers ${JSON.stringify(headers)}`);
    }
    await reloadOk(serve, { added: 0, removed: 0, kept: 1 }, 'the unchanged file with the right token');
    const m = await serve.metrics();
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '401' }), wrong.length);
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '200' }), 1);
    await assertChatWorks(serve, 3, 'after the no-op reload');
  });

  it('GET /admin/reload → 405 with Allow: POST', { timeout: ms(20000) }, async () => {
    const a = await sim();
    const serve = await serveWith(config({ pools: [pool('p', [a])] }));
    const r = await httpRequest(serve.port, { path: RELOAD, headers: AUTH });
    assertError(r, 405, 'method_not_allowed', 'GET /admin/reload');
    assert.equal(r.headers.allow, 'POST', JSON.stringify(r.headers));
  });

  it('an admin.token shorter than 16 characters is refused at startup', { timeout: ms(20000) }, async () => {
    const file = writeTempFile('short-token.yaml', toYaml(config({ admin: { token: 'short-token' }, pools: [] })));
    const r = await runToExit(['serve', '--config', file]);
    assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, /admin\.token/, r.stderr);
  });
});

describe('adding and removing endpoints under load', () => {
  it('add: the new endpoint takes work once its probes pass; no request fails', { timeout: ms(40000) }, async (t) => {
    const a = await sim();
    const b = await sim();
    const serve = await serveWith(config({ pools: [pool('p', [a], { slots: 8 })] }));
    assert.equal(await ready(serve, 'p', b), undefined, 'B is not configured yet');

    const load = startLoad(serve, { workers: 4, maxTokens: 16, seedBase: 0 });
    await waitFor(() => load.results.length >= 20, ms(5000), '20 requests done before the reload');
    rewrite(serve, config({ pools: [pool('p', [a, b], { slots: 8 })] }));
    await reloadOk(serve, { added: 1, removed: 0, kept: 1 });
    assert.notEqual(await ready(serve, 'p', b), undefined, "B's series exists right after the reload");
    await waitLog(serve, 'endpoint_added', (l) => l.endpoint === b.endpoint());
    await waitLog(serve, 'reloaded', (l) => l.added === 1 && l.kept === 1);
    await waitFor(async () => (await ready(serve, 'p', b)) === 1, ms(5000), "B's switchyard_endpoint_ready == 1");
    await waitFor(async () => (await b.stats()).requests_total > 0, ms(5000), 'B takes work');
    const seenAt = load.results.length;
    await waitFor(() => load.results.length >= seenAt + 20, ms(5000), '20 more requests after B took work');
    const results = await load.stop();

    const bad = problems(results);
    assert.deepEqual(bad, [], `${bad.length} of ${results.length} requests failed`);
    const [aTotal, bTotal] = [(await a.stats()).requests_total, (await b.stats()).requests_total];
    t.diagnostic(`${results.length} requests: A served ${aTotal}, B served ${bTotal}`);
    assert.equal(aTotal + bTotal, results.length, 'each request reached an engine exactly once');
    assert.ok(bTotal > 0);
  });

  it('remove: the removed endpoint takes no new work, its running requests finish, then it is retired', { timeout: ms(40000) }, async (t) => {
    const a = await sim();
    const b = await sim();
    const serve = await serveWith(config({ pools: [pool('p', [a, b], { slots: 8 })] }));

    const load = startLoad(serve, { workers: 4, maxTokens: 16, seedBase: 1000 });
    await waitFor(async () => (await b.stats()).requests_total >= 5, ms(5000), 'B serves part of the load');
    const b0 = (await b.stats()).requests_total;
    rewrite(serve, config({ pools: [pool('p', [a], { slots: 8 })] }));
    await reloadOk(serve, { added: 0, removed: 1, kept: 1 });
    await waitLog(serve, 'endpoint_removed', (l) => l.endpoint === b.endpoint());
    const doneAtReload = load.results.length;
    await waitFor(async () => (await b.stats()).active === 0, ms(5000), 'the requests B already had finish');
    const b1 = (await b.stats()).requests_total;
    await waitFor(() => load.results.length >= doneAtReload + 30, ms(8000), '30 more requests after the reload');
    await sleep(ms(300));
    const results = await load.stop();
    const b2 = (await b.stats()).requests_total;

    const bad = problems(results);
    assert.deepEqual(bad, [], `${bad.length} of ${results.length} requests failed`);
    t.diagnostic(`${results.length} requests; B: ${b0} before the reload, ${b1} 300 ms after, ${b2} at the end`);
    // Between reading b0 and the reload each of the 4 workers may have started one or two more.
    assert.ok(b1 - b0 <= 8, `B got only requests already running or on their way (got ${b1 - b0})`);
    assert.equal(b2, b1, 'B took no new work after the reload');
    const aTotal = (await a.stats()).requests_total;
    assert.equal(aTotal + b2, results.length, 'each request reached an engine exactly once');

    await waitLog(serve, 'endpoint_retired', (l) => l.endpoint === b.endpoint());
    await waitFor(
      async () => {
        const m = await serve.metrics();
        return (
          metric(m, 'switchyard_endpoint_ready', endpointLabels('p', b)) === undefined &&
          metric(m, 'switchyard_endpoint_in_flight', endpointLabels('p', b)) === undefined
        );
      },
      ms(3000),
      "B's switchyard_endpoint_ready / _in_flight series are gone",
    );
    assert.equal(await ready(serve, 'p', a), 1, "A's series stays");
    assert.equal(serve.logs().filter((l) => l.event === 'endpoint_drain_expired').length, 0, 'nothing outlived the drain');
  });
});

describe('refused reloads keep the running configuration', () => {
  it('an invalid file (422 / SIGHUP reload_refused) and a restart-only change (409) change nothing', { timeout: ms(40000) }, async () => {
    const a = await sim();
    const b = await sim();
    const good = config({ pools: [pool('p', [a])] });
    const serve = await serveWith(good);
    const file = serve.configFile;

    // 1. A pool without `models`: POST → 422 invalid_config, naming file:line:column.
    const noModels = config({ pools: [{ ...pool('p', [a, b]), models: undefined }] });
    rewrite(serve, noModels);
    let r = await reload(serve);
    let err = assertError(r, 422, 'invalid_config', 'a pool without models');
    assert.match(err.message, new RegExp(`${escapeRe(file)}:\\d+:\\d+: `), `file:line:column: in ${err.message}`);
    assert.match(err.message, /models/, err.message);
    assert.ok(err.message.includes('(the running configuration stays in force)'), err.message);
    await waitLog(serve, 'reload_refused');
    assert.equal((await httpRequest(serve.port, { path: '/ready' })).status, 200, 'still ready');
    await assertChatWorks(serve, 5, 'after the refused reload');
    assert.equal(await ready(serve, 'p', b), undefined, 'B was not added');

    // 2. A YAML syntax error: POST → 422 too.
    rewrite(serve, `${toYaml(good)}pools: [ { id: broken\n`);
    r = await reload(serve);
    err = assertError(r, 422, 'invalid_config', 'a YAML syntax error');
    assert.match(err.message, new RegExp(`${escapeRe(file)}:\\d+:\\d+: `), err.message);

    // 3. The same broken file by SIGHUP: a reload_refused line, still serving.
    const refusedBefore = serve.logs().filter((l) => l.event === 'reload_refused').length;
    serve.signal('SIGHUP');
    await waitLog(serve, 'reload_requested');
    await waitFor(
      () => serve.logs().filter((l) => l.event === 'reload_refused').length > refusedBefore,
      ms(5000),
      'a reload_refused line after SIGHUP',
    );
    const refused = serve.logs().filter((l) => l.event === 'reload_refused').at(-1);
    assert.ok(JSON.stringify(refused).includes(file), `the refusal names the file: ${JSON.stringify(refused)}`);
    assert.ok(serve.running, 'the server is still running');
    assert.equal((await httpRequest(serve.port, { path: '/ready' })).status, 200, 'still ready after SIGHUP');
    await assertChatWorks(serve, 6, 'after the refused SIGHUP');

    // 4. Restart-only settings (with an endpoint added too): 409 restart_required, nothing applied.
    rewrite(serve, config({ threads: 3, pools: [pool('p', [a, b])] }));
    err = assertError(await reload(serve), 409, 'restart_required', 'threads changed');
    assert.match(err.message, /threads/, err.message);
    assert.doesNotMatch(err.message, /listen|queue|breaker/, `only the changed key is named: ${err.message}`);
    rewrite(serve, config({ threads: 3, queue: { capacity: 7 }, health: { healthy_after: 2 }, pools: [pool('p', [a, b])] }));
    err = assertError(await reload(serve), 409, 'restart_required', 'three restart-only keys changed');
    for (const key of ['threads', 'queue.capacity', 'health.healthy_after']) {
      assert.ok(err.message.includes(key), `${key} named in: ${err.message}`);
    }
    await sleep(ms(400)); // two probe intervals: an added B would show up by now
    assert.equal(await ready(serve, 'p', b), undefined, 'B was not added by a refused reload');
    await assertChatWorks(serve, 7, 'after the 409s');
    assert.equal((await b.stats()).requests_total, 0, 'B never got a request');

    // 5. The valid file is applied after all that.
    rewrite(serve, config({ pools: [pool('p', [a, b])] }));
    await reloadOk(serve, { added: 1, removed: 0, kept: 1 }, 'a valid file after the refusals');
    await waitFor(async () => (await ready(serve, 'p', b)) === 1, ms(5000), 'B ready');

    const m = await serve.metrics();
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '422' }), 2);
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '409' }), 2);
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '200' }), 1);
  });
});

describe('SIGHUP', () => {
  it('applies a valid configuration: the added endpoint takes work', { timeout: ms(30000) }, async () => {
    const a = await sim();
    const b = await sim();
    const serve = await serveWith(config({ pools: [pool('p', [a])] }));
    rewrite(serve, config({ pools: [pool('p', [a, b])] }));
    serve.signal('SIGHUP');
    await waitLog(serve, 'reload_requested');
    const line = await waitLog(serve, 'reloaded');
    assert.equal(line.added, 1, JSON.stringify(line));
    assert.equal(line.kept, 1, JSON.stringify(line));
    assert.equal(line.removed, 0, JSON.stringify(line));
    await waitFor(async () => (await ready(serve, 'p', b)) === 1, ms(5000), 'B ready after SIGHUP');
    // Four concurrent streams: the least loaded endpoint wins, so B gets some.
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => stream(serve, { seed: 50 + i, maxTokens: 20, simOptions: { itl_ms: 10 } })),
    );
    assert.deepEqual(problems(results), []);
    assert.ok((await b.stats()).requests_total > 0, 'B took work');
    assert.equal((await a.stats()).requests_total + (await b.stats()).requests_total, 4);
  });
});

describe('200 streams across 5 reloads', () => {
  it('every reload answers 200 and every stream completes with exact content', { timeout: ms(60000) }, async (t) => {
    const N = 200;
    const MAX_TOKENS = 80; // at 25 ms per token (scaled): about 2 s, spanning the reloads
    const a = await sim({ slots: 160, itlMs: ms(25) });
    const b = await sim({ slots: 160, itlMs: ms(25) });
    const c = await sim({ slots: 160, itlMs: 3 });
    const cfg = (sims, { slots = 128, retry } = {}) =>
      config({ ...(retry ? { retry } : {}), pools: [pool('p', sims, { slots })] });
    const serve = await serveWith(cfg([a, b]));

    const streams = Array.from({ length: N }, (_, i) => {
      const seed = 5000 + i;
      const s = openStream(serve.port, CHAT, chatBody({ seed, maxTokens: MAX_TOKENS }), { timeoutMs: ms(30000) });
      const entry = { seed, maxTokens: MAX_TOKENS, s, endedAt: undefined };
      entry.done = s.done.then((r) => {
        entry.endedAt = Date.now();
        return { ...r, seed, maxTokens: MAX_TOKENS };
      });
      return entry;
    });
    procs.push({ stop: async () => streams.forEach((x) => x.s.abort()) });
    const firsts = await Promise.all(streams.map((x) => x.s.firstData));
    assert.ok(firsts.every(Boolean), 'all 200 streams started');
    const allStartedAt = Date.now();
    const ended = streams.filter((x) => x.endedAt !== undefined).length;
    assert.equal(ended, 0, `no stream ended before the reloads (${ended} did: lengthen them)`);

    // A small side load of short streams during the reloads (it lands on C while C serves).
    const side = startLoad(serve, { workers: 2, maxTokens: 4, seedBase: 9000, maxRequests: 400 });

    const steps = [
      { cfg: cfg([a, b, c]), want: { added: 1, removed: 0, kept: 2 }, what: 'add C' },
      { cfg: cfg([a, b], { slots: 160 }), want: { added: 0, removed: 1, kept: 2 }, what: 'remove C, slots 160' },
      { cfg: cfg([a, b], { slots: 160, retry: { max_attempts: 2 } }), want: { added: 0, removed: 0, kept: 2 }, what: 'retry.max_attempts 2' },
      { cfg: cfg([a, b, c], { slots: 144, retry: { max_attempts: 2 } }), want: { added: 1, removed: 0, kept: 2 }, what: 'add C again, slots 144' },
      { cfg: cfg([a, b]), want: { added: 0, removed: 1, kept: 2 }, what: 'back to the start' },
    ];
    let lastReloadAt;
    for (const [i, step] of steps.entries()) {
      rewrite(serve, step.cfg);
      await reloadOk(serve, step.want, `reload ${i + 1} (${step.what})`);
      lastReloadAt = Date.now();
      if (i < steps.length - 1) await sleep(ms(150));
    }
    const stillRunning = streams.filter((x) => x.endedAt === undefined).length;
    t.diagnostic(`5 reloads in ${lastReloadAt - allStartedAt} ms after all ${N} streams started; ${stillRunning} still running after the last`);

    const results = await Promise.all(streams.map((x) => x.done));
    const sideResults = await side.stop();
    const bad = problems(results);
    assert.deepEqual(bad, [], `${bad.length} of ${N} streams failed`);
    assert.equal(stillRunning, N, 'every stream spanned all 5 reloads');
    const sideBad = problems(sideResults);
    assert.deepEqual(sideBad, [], `${sideBad.length} of ${sideResults.length} side requests failed`);
    const totals = await Promise.all([a, b, c].map(async (s) => (await s.stats()).requests_total));
    t.diagnostic(`requests: A ${totals[0]}, B ${totals[1]}, C ${totals[2]}; side load ${sideResults.length}`);
    assert.equal(totals[0] + totals[1] + totals[2], N + sideResults.length, 'each request reached an engine exactly once');
    const m = await serve.metrics();
    assert.equal(metric(m, 'switchyard_requests_total', { route: RELOAD, status: '200' }), 5);
    assert.equal(serve.logs().filter((l) => l.event === 'reloaded').length, 5);
    // C (removed twice) is retired once idle.
    await waitFor(
      async () => metric(await serve.metrics(), 'switchyard_endpoint_ready', endpointLabels('p', c)) === undefined,
      ms(5000),
      "C's series are gone",
    );
  });
});

describe('limits.endpoint_drain_ms', () => {
  it('a stream still running on a removed endpoint at the deadline ends with endpoint_removed; one on a kept endpoint completes', { timeout: ms(30000) }, async () => {
    const DRAIN = 300;
    const a = await sim();
    const b = await sim();
    const cfg = (sims) => config({ limits: { endpoint_drain_ms: DRAIN }, pools: [pool('p', sims, { slots: 8 })] });
    const serve = await serveWith(cfg([a, b]));

    // Long stream first (about 5 s); find which engine took it. The short one (about 1.2 s) then
    // goes to the other, less loaded one.
    const longSeed = 77;
    const long = openStream(serve.port, CHAT, chatBody({ seed: longSeed, maxTokens: 200, sim_options: { itl_ms: 25 } }), {
      timeoutMs: ms(20000),
    });
    procs.push({ stop: async () => long.abort() });
    assert.ok(await long.firstData, 'the long stream started');
    const active = async () => Promise.all([a, b].map(async (s) => (await s.stats()).active));
    const [aActive, bActive] = await active();
    assert.equal(aActive + bActive, 1, `one engine holds the long stream (active ${aActive}, ${bActive})`);
    const [removed, kept] = bActive === 1 ? [b, a] : [a, b];

    const shortSeed = 78;
    const short = openStream(serve.port, CHAT, chatBody({ seed: shortSeed, maxTokens: 40, sim_options: { itl_ms: 30 } }), {
      timeoutMs: ms(20000),
    });
    procs.push({ stop: async () => short.abort() });
    assert.ok(await short.firstData, 'the short stream started');
    assert.equal((await kept.stats()).active, 1, 'the short stream is on the endpoint that stays');

    rewrite(serve, cfg([kept]));
    const reloadedAt = Date.now();
    await reloadOk(serve, { added: 0, removed: 1, kept: 1 });

    const longResult = await long.done;
    const took = Date.now() - reloadedAt;
    assert.equal(longResult.status, 200, longResult.raw.slice(0, 300));
    assert.equal(longResult.timedOut, false, 'the long stream did not run to the client timeout');
    assert.ok(took < DRAIN + ms(3000), `the long stream ended ${took} ms after the reload (drain ${DRAIN} ms)`);
    assert.ok(took >= DRAIN - 50, `not before the deadline (${took} ms)`);
    const data = longResult.dataEvents();
    assert.equal(data.at(-1)?.data, '[DONE]', `[DONE] last: ${longResult.raw.slice(-300)}`);
    const last = safeJsonEvents(data).at(-1);
    assert.equal(last?.error?.code, 'endpoint_removed', `an endpoint_removed error event before [DONE]: ${longResult.raw.slice(-400)}`);
    assert.equal(typeof last.error.message, 'string');
    assert.equal(typeof last.error.retriable, 'boolean');
    assert.equal(longResult.complete, true, 'the stream ended properly (terminating chunk)');
    const partial = streamedText(longResult.events);
    assert.ok(partial.length > 0 && expectedText(longSeed, 200).startsWith(partial), `a correct prefix: ${JSON.stringify(partial)}`);
    assert.ok(partial.length < expectedText(longSeed, 200).length, 'cut short');

    const shortResult = { ...(await short.done), seed: shortSeed, maxTokens: 40 };
    assert.equal(problem(shortResult), undefined, `the stream on the kept endpoint: ${problem(shortResult)}`);

    await waitLog(serve, 'endpoint_drain_expired', (l) => l.endpoint === removed.endpoint());
    await waitLog(serve, 'endpoint_retired', (l) => l.endpoint === removed.endpoint());
    await waitFor(async () => (await removed.stats()).active === 0, ms(3000), 'the removed engine sees its stream closed');
    await assertChatWorks(serve, 9, 'after the drain');
  });
});
