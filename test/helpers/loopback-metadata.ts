/** Our metadata server on 127.0.0.1 (a random port) for client tests that need no namespace. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, macOf } from '../../scripts/sim/sim-node.js';
import type { MetadataConfig, RequestLogLine } from '../../scripts/sim/metadata-model.js';

export class LoopbackMetadata {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly config: MetadataConfig,
  ) {}

  static async start(patch: Partial<MetadataConfig> = {}): Promise<LoopbackMetadata> {
    const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-md-'));
    const config: MetadataConfig = {
      tokenMode: 'optional',
      latencyMs: 0,
      primaryMac: macOf(0),
      nics: {
        [macOf(1)]: { 'primary-ip-address': '192.168.0.11', netmask: '255.255.255.0', gateway: '192.168.0.253' },
      },
      faults: [],
      log: join(dir, 'requests.jsonl'),
      ...patch,
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'dist/scripts/sim/metadata-server.js'),
        '--config',
        join(dir, 'config.json'),
        '--listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout?.once('data', (d: Buffer) => resolve(/:(\d+)/.exec(d.toString())?.[1] ?? ''));
      child.once('exit', (code) => reject(new Error(`metadata server exited ${code}`)));
    });
    return new LoopbackMetadata(`http://127.0.0.1:${port}`, child, dir, config);
  }

  requests(): RequestLogLine[] {
    const f = this.config.log ?? '';
    return existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as RequestLogLine)
      : [];
  }

  /** Stops the server and removes its directory once it has exited (it may still be writing its request log). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
