/** The man page and completion script as the release builds them (scripts/package/docs.js), for the tests. */
import { join } from 'node:path';
import { buildProgram } from '../../src/cli.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

interface Docs {
  manPage(program: unknown, version: string, date: string, facts: unknown): string;
  bashCompletion(program: unknown): string;
  programFacts(dist: string): Promise<unknown>;
  DOC_DIR: string;
}

export const docs = (): Promise<Docs> => import(join(REPO_ROOT, 'scripts/package/docs.js')) as Promise<Docs>;

export async function generatedManPage(): Promise<string> {
  const d = await docs();
  return d.manPage(buildProgram(), '0.0.0-test', '2026-01-01', await d.programFacts(join(REPO_ROOT, 'dist')));
}

export async function generatedCompletion(): Promise<string> {
  return (await docs()).bashCompletion(buildProgram());
}
