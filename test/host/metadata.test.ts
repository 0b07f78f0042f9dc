import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Deadline } from '../../src/core/deadline.js';
import { nicPath, NIC_KEYS } from '../../src/core/metadata-layout.js';
import { MetadataError } from '../../src/host/host-errors.js';
import { MetadataClient, parseRetryAfter } from '../../src/host/metadata.js';
import { macOf } from '../../scripts/sim/sim-node.js';
import { LoopbackMetadata } from '../helpers/loopback-metadata.js';
import { roundTripDepth, type MetadataConfig } from '../../scripts/sim/metadata-model.js';

const paths = NIC_KEYS.map((k) => nicPath(macOf(1), k));

async function fetchWith(patch: Partial<MetadataConfig>, timeoutMs = 10_000, trace?: (l: string) => void) {
  const server = await LoopbackMetadata.start(patch);
  const client = new MetadataClient({
    baseUrl: server.url,
    deadline: new Deadline(timeoutMs),
    ...(trace ? { trace } : {}),
  });
  try {
    const started = Date.now();
    const result = await client.getAll(paths).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    return { result, requests: server.requests(), elapsed: Date.now() - started };
  } finally {
    client.close();
    await server.stop();
  }
}

const modes = [
  { tokenMode: 'none', depth: 1, requests: 4 },
  { tokenMode: 'optional', depth: 1, requests: 4 },
  // the GETs race the token PUT, are refused, and are asked again with the token
  { tokenMode: 'enforced', depth: 2, requests: 7 },
] as const;

for (const m of modes) {
  test(`token mode ${m.tokenMode}: every key in ${m.depth} round trip(s)`, async () => {
    const { result, requests } = await fetchWith({ tokenMode: m.tokenMode, latencyMs: 100 });
    assert.ok(result.ok, String(!result.ok && result.e));
    assert.equal(result.v.get(paths[0] as string), '192.168.0.11');
    assert.equal(result.v.get(paths[2] as string), '192.168.0.253');
    assert.equal(requests.length, m.requests);
    assert.equal(roundTripDepth(requests), m.depth);
    const answered = requests.filter((r) => r.method === 'GET' && r.status === 200);
    assert.equal(answered.length, 3);
    if (m.tokenMode === 'enforced') assert.ok(answered.every((r) => r.withToken));
  });
}

test('a GET sent after the token arrived carries it', async () => {
  const server = await LoopbackMetadata.start({ tokenMode: 'enforced' });
  let tokenAnswered = (): void => undefined;
  const answered = new Promise<void>((resolve) => {
    tokenAnswered = resolve;
  });
  const trace = (line: string) => {
    if (line.startsWith('PUT /latest/api/token → 200')) tokenAnswered();
  };
  const client = new MetadataClient({ baseUrl: server.url, deadline: new Deadline(10_000), trace });
  try {
    client.prefetchToken();
    // The token's answer is in; the client keeps it in the promise callbacks that run before the next turn.
    await answered;
    await new Promise((resolve) => setImmediate(resolve));
    await client.getAll(paths);
    const gets = server.requests().filter((r) => r.method === 'GET');
    assert.equal(gets.length, 3);
    assert.ok(gets.every((r) => r.withToken && r.status === 200));
  } finally {
    client.close();
    await server.stop();
  }
});

test('an enforcing server whose token endpoint fails: the GETs report it at the deadline', async () => {
  const { result, elapsed } = await fetchWith(
    { tokenMode: 'enforced', faults: [{ match: '/api/token', kind: 'status', status: 500 }] },
    1500,
  );
  assert.ok(!result.ok && result.e instanceof MetadataError);
  assert.match(
    result.e.message,
    /^no answer for \/latest\/api\/token within the 1.5 s deadline \(\d+ attempt\(s\), last: HTTP 500\)$/,
  );
  assert.ok(elapsed < 4000, `elapsed ${elapsed}`);
});

test('5xx bursts and 429 are retried', async () => {
  const { result, requests } = await fetchWith({
    faults: [
      { match: '/netmask', kind: 'burst', status: 503, count: 2 },
      { match: '/gateway', kind: 'burst', status: 429, count: 1 },
    ],
  });
  assert.ok(result.ok);
  assert.equal(requests.filter((r) => r.path.endsWith('/netmask')).length, 3);
  assert.equal(requests.filter((r) => r.path.endsWith('/gateway')).length, 2);
});

test('404 is not retried and names the path', async () => {
  const { result, requests } = await fetchWith({ faults: [{ match: '/gateway', kind: 'status', status: 404 }] });
  assert.ok(!result.ok);
  assert.ok(result.e instanceof MetadataError);
  assert.equal(result.e.status, 404);
  assert.match(result.e.path, /gateway$/);
  assert.equal(requests.filter((r) => r.path.endsWith('/gateway')).length, 1);
});

test('persistent 500 is retried until the deadline, not a fixed number of times', async () => {
  const { result, requests, elapsed } = await fetchWith(
    { faults: [{ match: '/netmask', kind: 'status', status: 500 }] },
    3000,
  );
  assert.ok(
    !result.ok && result.e instanceof MetadataError && result.e.failure === 'http',
    String(!result.ok && result.e),
  );
  assert.equal(result.e.status, 500);
  assert.ok(requests.filter((r) => r.path.endsWith('/netmask')).length > 4, 'more than the old 4 attempts');
  assert.ok(elapsed >= 2900 && elapsed < 6000, `elapsed ${elapsed}`);
});

test('Retry-After (seconds) is honoured on 429, then the answer is used', async () => {
  const { result, requests } = await fetchWith({
    faults: [{ match: '/gateway', kind: 'burst', status: 429, count: 2, retryAfter: '1' }],
  });
  assert.ok(result.ok, String(!result.ok && result.e));
  const gateway = requests.filter((r) => r.path.endsWith('/gateway')).sort((a, b) => a.arrivedAt - b.arrivedAt);
  assert.deepEqual(
    gateway.map((r) => r.status),
    [429, 429, 200],
  );
  for (let i = 1; i < gateway.length; i++) {
    const gap = (gateway[i] as { arrivedAt: number }).arrivedAt - (gateway[i - 1] as { answeredAt: number }).answeredAt;
    assert.ok(gap >= 950, `asked again after ${gap} ms, before Retry-After`);
  }
});

test('Retry-After as an HTTP date; past the deadline it fails at once, saying so', async () => {
  assert.equal(parseRetryAfter('120'), 120_000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')), 2000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 08:00:00 GMT')), 0);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter('-1'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
  const later = new Date(Date.now() + 60_000).toUTCString();
  const { result, elapsed } = await fetchWith(
    { faults: [{ match: '/netmask', kind: 'status', status: 503, retryAfter: later }] },
    5000,
  );
  assert.ok(!result.ok && result.e instanceof MetadataError, String(!result.ok && result.e));
  assert.match(
    result.e.message,
    new RegExp(
      String.raw`netmask answered HTTP 503 and asked to retry after 5\d\.?\d* s, past the deadline \(\d\.\d s ` +
        String.raw`left, 1 attempt\(s\)\)`,
    ),
  );
  assert.ok(elapsed < 2000, `gave up at once, not at the deadline: ${elapsed} ms`);
});

test('close() aborts an in-flight request and the retry loop; nothing keeps running', async () => {
  const server = await LoopbackMetadata.start({
    faults: [
      { match: '/api/token', kind: 'hang' },
      { match: '/netmask', kind: 'status', status: 503 },
    ],
  });
  const client = new MetadataClient({ baseUrl: server.url, deadline: new Deadline(60_000) });
  try {
    client.prefetchToken();
    const pending = client.getAll(paths);
    pending.catch(() => undefined);
    // closed once the server has seen the 503 loop start: an event, not a sleep
    for (let i = 0; i < 200 && !server.requests().some((r) => r.status === 503); i++)
      await new Promise((r) => setTimeout(r, 25));
    const closedAt = Date.now();
    client.close();
    await assert.rejects(pending, (e: unknown) => e instanceof MetadataError && e.failure === 'closed');
    assert.ok(Date.now() - closedAt < 1000, 'rejected at once, not at the deadline');
    // a request already on the wire at close() may still be logged; none may start after
    await new Promise((r) => setTimeout(r, 300));
    const seen = server.requests().length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(server.requests().length, seen, 'no request after close()');
    await assert.rejects(client.getAll(paths), (e: unknown) => e instanceof MetadataError && e.failure === 'closed');
  } finally {
    client.close();
    await server.stop();
  }
});

test('a server that never answers ends at the deadline', async () => {
  const { result, elapsed } = await fetchWith({ faults: [{ match: '/primary-ip-address', kind: 'hang' }] }, 1200);
  assert.ok(
    !result.ok && result.e instanceof MetadataError && result.e.failure === 'timeout',
    String(!result.ok && result.e),
  );
  assert.ok(elapsed >= 1100 && elapsed < 4000, `elapsed ${elapsed}`);
});

test('connection refused is retried then reported as unreachable', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const client = new MetadataClient({ baseUrl: `http://127.0.0.1:${port}`, deadline: new Deadline(1500) });
  await assert.rejects(
    client.getAll(paths),
    (e: unknown) => e instanceof MetadataError && e.failure === 'unreachable' && /ECONNREFUSED/.test(e.message),
  );
  // retried until the deadline: a server still booting gets its chance
  client.close();
});

test('an oversized answer is refused', async () => {
  const { result } = await fetchWith({ faults: [{ match: '/netmask', kind: 'body', body: 'x'.repeat(100_000) }] });
  assert.ok(!result.ok && result.e instanceof MetadataError && result.e.failure === 'too-large');
});

test('the token never appears in the trace', async () => {
  const lines: string[] = [];
  const { result } = await fetchWith({ tokenMode: 'enforced' }, 10_000, (l) => lines.push(l));
  assert.ok(result.ok);
  assert.equal(lines.length, 7);
  assert.ok(
    lines.every((l) => !/token:|[A-Za-z0-9_-]{32}/.test(l)),
    lines.join('\n'),
  );
});
