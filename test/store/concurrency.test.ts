import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION } from '../../source/store/db.js';
import { useTempDirs } from './helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
const COUNT = 500;

interface Writer {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function startWriter(dir: string, name: string): Writer {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', '--import', 'tsx', WRITER, dir, name, String(COUNT)],
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: join(fileURLToPath(new URL('../..', import.meta.url))) },
  );
  const writer = { child, stdout: '', stderr: '' } as Writer;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (writer.stderr += chunk));
  writer.ready = new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      writer.stdout += chunk;
      if (writer.stdout.startsWith('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code}): ${writer.stderr}`)));
  });
  writer.exited = new Promise((resolve) => child.once('exit', resolve));
  return writer;
}

describe('two processes on one store', () => {
  const tempDir = useTempDirs();

  it(
    'both create, migrate and write the same file at once: no "database is locked", every row present',
    async () => {
      const dir = tempDir();
      // both open a file that does not exist yet, so they also race to create and migrate it
      const writers = [startWriter(dir, 'alpha'), startWriter(dir, 'beta')];
      await Promise.all(writers.map((w) => w.ready));
      for (const w of writers) w.child.stdin!.write('go\n');
      const codes = await Promise.all(writers.map((w) => w.exited));

      for (const w of writers) {
        expect(w.stderr).not.toMatch(/locked|busy/i);
        expect(w.stderr).toBe('');
      }
      expect(codes).toEqual([0, 0]);
      const reports = writers.map((w) => JSON.parse(w.stdout.split('\n')[1]!) as { name: string; errors: string[] });
      expect(reports).toEqual([
        { name: 'alpha', errors: [] },
        { name: 'beta', errors: [] },
      ]);

      const store = openStore(dir);
      try {
        for (const name of ['alpha', 'beta']) {
          const writes = store.audit.list({ limit: 10_000, action: 'write' }).filter((e) => e.actor === name);
          expect(writes.length, name).toBe(COUNT);
          expect(new Set(writes.map((e) => e.target)).size).toBe(COUNT);
          const renames = store.audit.list({ limit: 10_000, action: 'image.rename' }).filter((e) => e.actor === name);
          expect(renames.length, name).toBe(COUNT / 4);
          expect(store.journal('sandbox', name).unfinished().length, name).toBe(COUNT / 4);
        }
        const meta = store.listImageMeta('sandbox', 'eu-west');
        // per writer: COUNT/4 names, COUNT/4 labels, plus the one shared image both renamed
        expect(meta.size).toBe((2 * COUNT) / 2 + 1);
        expect(meta.get('alpha-img-0')?.displayName).toBe('name 0 from alpha');
        expect(meta.get('beta-img-1')?.label).toBe('green');
        expect(meta.get('shared-img')?.displayName).toMatch(/^(alpha|beta) \d+$/);
        expect(store.schemaVersion).toBe(SCHEMA_VERSION);
      } finally {
        store.close();
      }
    },
    60_000,
  );
});
