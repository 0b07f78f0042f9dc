/**
 * ECS metadata client. Hardened (token) mode is detected, never configured: the token PUT starts at once and
 * overlaps with device discovery; GETs carry the token when it has arrived, and a GET answered 401/403 before
 * it arrived is asked again with it. So a normal-mode server costs one round trip on the critical path and an
 * enforcing one two, whatever the NIC count. The token stays inside this module and is never logged.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { backoffMs, type Deadline } from '../core/deadline.js';
import { MetadataError, type MetadataFailure } from './host-errors.js';

export const DEFAULT_METADATA_URL = 'http://100.100.100.200';
const TOKEN_PATH = '/latest/api/token';
const TOKEN_TTL_SECONDS = '300';
const MAX_BODY_BYTES = 64 * 1024;
const ATTEMPT_TIMEOUT_MS = 5000;

interface HttpAnswer {
  status: number;
  body: string;
  /** Retry-After, in ms from now, when the server sent a usable one. */
  retryAfterMs?: number;
}

class AttemptError extends Error {
  constructor(
    readonly retryable: boolean,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After is delay-seconds or an HTTP date (RFC 9110 10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A sleep that ends early (rejecting) when the client is closed. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface MetadataClientOptions {
  baseUrl: string;
  deadline: Deadline;
  /** Called once per request with what happened (no headers, so never the token). */
  trace?: (line: string) => void;
}

export class MetadataClient {
  private token: string | undefined;
  private tokenRound: Promise<void> | undefined;
  private tokenSettled = false;
  /** Made on the first request: loading node:http costs ~3 ms, which should not delay discovery's first spawn. */
  private agentMade: http.Agent | undefined;
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  /** close() aborts every request and retry wait, now and later: nothing keeps the process alive after it. */
  private readonly aborter = new AbortController();
  /** Requests in flight, which close() destroys (not an AbortSignal per request: its listeners cost start-up). */
  private readonly live = new Set<http.ClientRequest>();

  constructor(private readonly options: MetadataClientOptions) {
    this.base = new URL(options.baseUrl);
    this.transport = this.base.protocol === 'https:' ? https : http;
    // One abort listener per concurrent request (3 per NIC): not a leak, so no warning on stderr.
    setMaxListeners(0, this.aborter.signal);
  }

  /** Aborts in-flight and future requests (the retry loops too) and releases the sockets. */
  close(): void {
    if (!this.aborter.signal.aborted) {
      this.aborter.abort(new MetadataError('closed', '', 'the metadata client was closed'));
    }
    for (const req of this.live) req.destroy(this.aborter.signal.reason as Error);
    this.live.clear();
    this.agentMade?.destroy();
  }

  private get agent(): http.Agent {
    this.agentMade ??= new this.transport.Agent({ keepAlive: true, maxSockets: Infinity });
    return this.agentMade;
  }

  /**
   * Starts the token round trip now so it overlaps with local work (device discovery); getAll awaits it.
   * Hardened mode when the server hands out a token; normal mode when it has no token endpoint.
   * Nothing is sent until this (or getAll) is called; close() cancels it.
   */
  prefetchToken(): void {
    if (this.tokenRound) return;
    const ttl = { 'X-aliyun-ecs-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS };
    this.tokenRound = this.withRetries(TOKEN_PATH, 'PUT', ttl)
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
   * Retries connection errors, timeouts, 5xx and 429 until the deadline, with backoff and jitter, or after
   * the server's Retry-After when it sends one; a Retry-After past the deadline ends it at once. Any other
   * status is returned for the caller to judge (404 on the token path means "normal mode").
   */
  private async withRetries(path: string, method: string, headers: Record<string, string>): Promise<HttpAnswer> {
    const { deadline } = this.options;
    const signal = this.aborter.signal;
    let last: AttemptError | undefined;
    let cutShort = false;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw signal.reason;
      const remaining = deadline.remaining();
      if (remaining === 0) throw this.deadlineError(path, attempt, last);
      try {
        cutShort = remaining < ATTEMPT_TIMEOUT_MS;
        const answer = await this.attempt(path, method, headers, Math.min(ATTEMPT_TIMEOUT_MS, remaining));
        if (answer.status >= 500 || answer.status === 429) {
          throw new AttemptError(true, `HTTP ${answer.status}`, answer.status, answer.retryAfterMs);
        }
        return answer;
      } catch (e) {
        if (!(e instanceof AttemptError)) throw e;
        // An attempt the deadline cut short says less than the failure before it (HTTP 500, ECONNREFUSED).
        if (!(cutShort && last && /timed out/.test(e.message))) last = e;
        if (!e.retryable) throw new MetadataError('too-large', path, `${path}: ${e.message}`);
        const wait = e.retryAfterMs ?? backoffMs(attempt);
        if (e.retryAfterMs !== undefined && e.retryAfterMs >= deadline.remaining()) {
          throw new MetadataError(
            'http',
            path,
            `${path} answered ${e.message} and asked to retry after ${e.retryAfterMs / 1000} s, past the deadline ` +
              `(${(deadline.remaining() / 1000).toFixed(1)} s left, ${attempt + 1} attempt(s))`,
            e.status,
          );
        }
        await abortableSleep(Math.min(wait, deadline.remaining()), signal);
      }
    }
  }

  private deadlineError(path: string, attempts: number, last: AttemptError | undefined): MetadataError {
    const seconds = this.options.deadline.totalMs / 1000;
    const lastText = last ? `${attempts} attempt(s), last: ${last.message}` : 'no attempt made';
    let failure: MetadataFailure = 'unreachable';
    if (last === undefined || /timed out/.test(last.message)) failure = 'timeout';
    else if (last.status) failure = 'http';
    const message = `no answer for ${path} within the ${seconds} s deadline (${lastText})`;
    return new MetadataError(failure, path, message, last?.status);
  }

  private attempt(
    path: string,
    method: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<HttpAnswer> {
    const url = new URL(path, this.base);
    const started = Date.now();
    const signal = this.aborter.signal;
    return new Promise<HttpAnswer>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
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
          const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
          const asked = retryAfterMs !== undefined ? ` retry-after ${retryAfterMs} ms` : '';
          this.options.trace?.(`${method} ${path} → ${status}${asked} (${Date.now() - started} ms)`);
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status, body, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
        });
        res.on('error', (e) => reject(this.attemptError(e)));
      });
      const timer = setTimeout(() => req.destroy(new AttemptError(true, `timed out after ${timeoutMs} ms`)), timeoutMs);
      this.live.add(req);
      req.on('close', () => {
        clearTimeout(timer);
        this.live.delete(req);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!signal.aborted) {
          this.options.trace?.(`${method} ${path} → ${e.code ?? e.message} (${Date.now() - started} ms)`);
        }
        reject(this.attemptError(e));
      });
      req.end();
    });
  }

  /** Closing wins over whatever the socket said; otherwise every transport error is worth another attempt. */
  private attemptError(e: Error): Error {
    if (this.aborter.signal.aborted) return this.aborter.signal.reason as Error;
    if (e instanceof AttemptError) return e;
    return new AttemptError(true, (e as NodeJS.ErrnoException).code ?? e.message);
  }
}
