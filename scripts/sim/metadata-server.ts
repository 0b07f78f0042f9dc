/**
 * Our own ECS metadata server for the node simulator. It re-reads its JSON config on every request, so a test
 * can change answers and faults mid-run, and appends one JSON line per request to the log (never the token).
 *
 *   node dist/scripts/sim/metadata-server.js --config FILE [--listen 100.100.100.200:80]
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { MetadataConfig, RequestLogLine } from './metadata-model.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const configPath = arg('--config');
if (!configPath) {
  process.stderr.write('usage: metadata-server --config FILE [--listen HOST:PORT]\n');
  process.exit(2);
}
const [host = '100.100.100.200', port = '80'] = (arg('--listen') ?? '100.100.100.200:80').split(':');
const tokens = new Set<string>();
const burstSeen = new Map<string, number>();
/** When each fault with forMs first matched (by its index in the config). */
const outageStarted = new Map<number, number>();

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

function answer(req: http.IncomingMessage, config: MetadataConfig): Answer | 'hang' {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  for (const [i, fault] of config.faults.entries()) {
    if (!path.includes(fault.match) || (fault.method && fault.method !== req.method)) continue;
    if (fault.forMs !== undefined) {
      const started = outageStarted.get(i) ?? Date.now();
      outageStarted.set(i, started);
      if (Date.now() - started >= fault.forMs) continue;
    }
    const headers = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : undefined;
    if (fault.kind === 'hang') return 'hang';
    if (fault.kind === 'status')
      return { status: fault.status ?? 500, body: fault.body ?? 'error', ...(headers ? { headers } : {}) };
    if (fault.kind === 'body') return { status: 200, body: fault.body ?? '' };
    const key = `${i}:${req.method}:${path}`;
    const seen = burstSeen.get(key) ?? 0;
    if (seen < (fault.count ?? 1)) {
      burstSeen.set(key, seen + 1);
      return { status: fault.status ?? 503, body: 'Service Unavailable', ...(headers ? { headers } : {}) };
    }
  }
  if (path === '/latest/api/token') {
    if (config.tokenMode === 'none') return { status: 404, body: 'Not Found' };
    if (req.method !== 'PUT') return { status: 405, body: 'Method Not Allowed' };
    const ttl = Number(req.headers['x-aliyun-ecs-metadata-token-ttl-seconds']);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return { status: 400, body: 'Bad Request' };
    const token = randomBytes(24).toString('base64url');
    tokens.add(token);
    return { status: 200, body: token };
  }
  if (req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
  const token = req.headers['x-aliyun-ecs-metadata-token'];
  const tokenOk = typeof token === 'string' && tokens.has(token);
  if (token !== undefined && !tokenOk) return { status: 401, body: 'Unauthorized' };
  if (config.tokenMode === 'enforced' && !tokenOk) return { status: 403, body: 'Forbidden' };
  if (path === '/latest/meta-data/mac') return { status: 200, body: config.primaryMac };
  const m = /^\/latest\/meta-data\/network\/interfaces\/macs\/([^/]+)\/([^/]+)$/.exec(path);
  const value = m ? config.nics[m[1] ?? '']?.[m[2] ?? ''] : undefined;
  return value === undefined
    ? { status: 404, body: '<html><body><h1>404 Not Found</h1></body></html>' }
    : { status: 200, body: value };
}

const server = http.createServer((req, res) => {
  const arrivedAt = performance.now();
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as MetadataConfig;
  req.resume();
  req.on('end', () => {
    const result = answer(req, config);
    if (result === 'hang') return; // never answers: the client's deadline must end it
    setTimeout(() => {
      // Logged before answering, so a client that has its answer always finds the line.
      if (config.log) {
        const line: RequestLogLine = {
          method: req.method ?? '',
          path: req.url ?? '',
          status: result.status,
          withToken: req.headers['x-aliyun-ecs-metadata-token'] !== undefined,
          arrivedAt,
          answeredAt: performance.now(),
        };
        appendFileSync(config.log, `${JSON.stringify(line)}\n`);
      }
      res.writeHead(result.status, { 'content-type': 'text/plain', ...result.headers }).end(result.body);
    }, config.latencyMs);
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(port), host, () => {
  const bound = server.address();
  process.stdout.write(`ready ${host}:${typeof bound === 'object' && bound ? bound.port : port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
