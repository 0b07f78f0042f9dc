/**
 * ECS metadata client. Hardened (token) mode is detected, never configured: the token PUT starts at once and
 * overlaps with device discovery; GETs carry the token when it has arrived, and a GET answered 401/403 before
 * it arrived is asked again with it. So a normal-mode server costs one round trip on the critical path and an
 * enforcing one two, whatever the NIC count. The token stays inside this module and is never logged.
 */
import http from 'node:http';
import https from 'node:https';
import { backoffMs, sleep, type Deadline } from '../core/deadline.js';

export const DEFAULT_METADATA_URL = 'http://100.100.100.200';
const TOKEN_PATH = '/latest/api/token';
const TOKEN_TTL_SECONDS = '300';
const MAX_BODY_BYTES = 64 * 1024;
const ATTEMPT_TIMEOUT_MS = 5000;
const MAX_ATTEMPTS = 4;

export type MetadataFailure = 'unreachable' | 'timeout' | 'http' | 'too-large';

export class MetadataError extends Error {
  constructor(
    readonly failure: MetadataFailure,
    readonly path: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface HttpAnswer {
  status: number;
  body: string;
}

class AttemptError extends Error {
  constructor(
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
  }
}

export interface MetadataClientOptions {
  baseUrl: string;
  deadline: Deadline;
  /** At boot the metadata server may not answer yet: keep retrying connection errors until the deadline. */
  waitForServer?: boolean;
  /** Called once per request with what happened (no headers, so never the token). */
  trace?: (line: string) => void;
}

export class MetadataClient {
  private token: string | undefined;
  private tokenRound: Promise<void> | undefined;
  private tokenSettled = false;
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  requestCount = 0;

  constructor(private readonly options: MetadataClientOptions) {
    this.base = new URL(options.baseUrl);
    this.transport = this.base.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: Infinity });
  }

  /** Releases keep-alive sockets so the process can exit at once. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Starts the token round trip now so it overlaps with local work (device discovery); getAll awaits it.
   * Hardened mode when the server hands out a token; normal mode when it has no token endpoint.
   */
  prefetchToken(): void {
    if (this.tokenRound) return;
    this.tokenRound = this.withRetries(TOKEN_PATH, 'PUT', { 'X-aliyun-ecs-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS })
      .then((answer) => {
        const body = answer.body.trim();
        if (answer.status === 200 && /^[\x21-\x7e]{1,4096}$/.test(body)) this.token = body;
      })
      .finally(() => {
        this.tokenSettled = true;
      });
    // A failed token round only matters if a GET is refused without it (getAll awaits it then).
    this.tokenRound.catch(() => {});
  }

  private tokenHeaders(): Record<string, string> {
    return this.token ? { 'X-aliyun-ecs-metadata-token': this.token } : {};
  }

  /** GETs every path concurrently; values are the trimmed bodies. */
  async getAll(paths: string[]): Promise<Map<string, string>> {
    this.prefetchToken();
    const entries = await Promise.all(
      paths.map(async (path) => {
        const askedAfterToken = this.tokenSettled;
        let answer = await this.withRetries(path, 'GET', this.tokenHeaders());
        if ((answer.status === 401 || answer.status === 403) && !askedAfterToken) {
          await this.tokenRound;
          if (this.token) answer = await this.withRetries(path, 'GET', this.tokenHeaders());
        }
        if (answer.status !== 200) {
          throw new MetadataError('http', path, `${path} answered HTTP ${answer.status}`, answer.status);
        }
        return [path, answer.body.trim()] as const;
      }),
    );
    return new Map(entries);
  }

  /**
   * Bounded retries with backoff and jitter on connection errors, timeouts, 5xx and 429; never past the deadline.
   * Any other status is returned for the caller to judge (404 on the token path means "normal mode").
   */
  private async withRetries(path: string, method: string, headers: Record<string, string>): Promise<HttpAnswer> {
    const { deadline } = this.options;
    let last = 'no attempt made';
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline.remaining();
      if (remaining === 0) {
        throw new MetadataError('timeout', path, `no answer for ${path} within the ${deadline.totalMs / 1000} s deadline (last: ${last})`);
      }
      try {
        const answer = await this.attempt(path, method, headers, Math.min(ATTEMPT_TIMEOUT_MS, remaining));
        if (answer.status >= 500 || answer.status === 429) throw new AttemptError(true, `HTTP ${answer.status}`);
        return answer;
      } catch (e) {
        if (!(e instanceof AttemptError)) throw e;
        last = e.message;
        if (!e.retryable) throw new MetadataError('too-large', path, `${path}: ${e.message}`);
        const budgetLeft = this.options.waitForServer || attempt + 1 < MAX_ATTEMPTS;
        if (!budgetLeft) {
          throw new MetadataError('unreachable', path, `${path} failed after ${MAX_ATTEMPTS} attempts (last: ${last})`);
        }
        await sleep(Math.min(backoffMs(attempt), deadline.remaining()));
      }
    }
  }

  private attempt(path: string, method: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    const url = new URL(path, this.base);
    const started = Date.now();
    this.requestCount++;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = this.transport.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new AttemptError(false, `answer larger than ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          this.options.trace?.(`${method} ${path} → ${status} (${Date.now() - started} ms)`);
          resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => reject(e instanceof AttemptError ? e : new AttemptError(true, e.message)));
      });
      const timer = setTimeout(() => req.destroy(new AttemptError(true, `timed out after ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e: NodeJS.ErrnoException) => {
        this.options.trace?.(`${method} ${path} → ${e.code ?? e.message} (${Date.now() - started} ms)`);
        reject(e instanceof AttemptError ? e : new AttemptError(true, e.code ?? e.message));
      });
      req.end();
    });
  }
}

export const NIC_KEYS = ['primary-ip-address', 'netmask', 'gateway'] as const;

export function nicPath(mac: string, key: string): string {
  return `/latest/meta-data/network/interfaces/macs/${mac.toLowerCase()}/${key}`;
}
