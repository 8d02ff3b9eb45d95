// The jobs table (migration 4): a job written before anything is sent, moved forward only from the state
// its writer saw, its lease (one runner at a time, taken over from a runner that is gone), cancel requests,
// and the lineage of captured images kept for providers without tags.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../../source/core/errors.js';
import { openStore, SCHEMA_VERSION, STORE_FILE, type Store } from '../../source/store/db.js';
import { FINAL_JOB_STATES, isFinalJobState, JOB_STEPS, type JobRunner } from '../../source/store/jobs.js';
import { MIGRATIONS } from '../../source/store/migrations.js';
import { useTempDirs } from './helpers.js';

const PARAMS = { templateImageId: 'img-v-1', imageName: 'golden', builder: { name: 'b' }, terminateBuilder: true };

function clocked(dir: string) {
  let t = Date.parse('2025-03-01T10:00:00.000Z');
  const store = openStore(dir, { now: () => new Date(t) });
  return { store, tick: (ms = 1000) => (t += ms), at: () => new Date(t).toISOString() };
}

function newJob(store: Store, id = 'job-1', token = `token-${id}`, place: [string, string] = ['sandbox', 'eu-west']) {
  return store.jobs().create({ id, kind: 'safe-workflow', provider: place[0], region: place[1], params: PARAMS, clientToken: token });
}

const A: JobRunner = { id: 'run-a', pid: 100, host: 'h1' };
const B: JobRunner = { id: 'run-b', pid: 200, host: 'h1' };

describe('job records', () => {
  const tempDir = useTempDirs();

  it('a new job starts at launching with its parameters and token; nothing else set', () => {
    const { store } = clocked(tempDir());
    const job = newJob(store);
    expect(job).toEqual({
      id: 'job-1',
      kind: 'safe-workflow',
      provider: 'sandbox',
      region: 'eu-west',
      state: 'launching',
      params: PARAMS,
      clientToken: 'token-job-1',
      cancelRequested: false,
      retries: 0,
      createdAt: '2025-03-01T10:00:00.000Z',
      updatedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(store.jobs().byToken('token-job-1')?.id).toBe('job-1');
    expect(() => newJob(store)).toThrow(/already exists/);
    expect(() => newJob(store, 'job-2', 'token-job-1')).toThrow(/already belongs to another job/);
    expect(() => store.jobs().create({ id: '', kind: 'k', provider: 'p', region: 'r', params: {}, clientToken: 't' })).toThrow(StrataError);
    store.close();
  });

  it('moves forward only from the state the writer saw, keeping each step’s result; a final state is stamped and frozen', () => {
    const { store, tick } = clocked(tempDir());
    const jobs = store.jobs();
    newJob(store);
    tick();
    const launched = jobs.advance('job-1', 'launching', { state: 'waiting-ready', serverId: 'srv-1', note: 'booting' });
    expect(launched).toMatchObject({ state: 'waiting-ready', serverId: 'srv-1', note: 'booting', updatedAt: '2025-03-01T10:00:01.000Z' });
    expect(launched.finishedAt).toBeUndefined();
    // a writer that saw an older state is refused, and nothing changes
    expect(() => jobs.advance('job-1', 'launching', { state: 'waiting-ready', serverId: 'srv-2' })).toThrow(
      expect.objectContaining({ kind: 'Conflict' }),
    );
    expect(jobs.get('job-1')!.serverId).toBe('srv-1');
    const captured = jobs.advance('job-1', 'waiting-ready', { state: 'capturing' });
    expect(captured.serverId).toBe('srv-1'); // kept when not given
    jobs.advance('job-1', 'capturing', { state: 'waiting-image', imageId: 'img-9', note: null });
    expect(jobs.get('job-1')).toMatchObject({ imageId: 'img-9', serverId: 'srv-1' });
    expect(jobs.get('job-1')!.note).toBeUndefined();
    tick();
    const failed = jobs.advance('job-1', 'waiting-image', { state: 'failed', error: 'The image failed.', failedStep: 'waiting-image' });
    expect(failed).toMatchObject({ state: 'failed', error: 'The image failed.', failedStep: 'waiting-image', finishedAt: '2025-03-01T10:00:02.000Z' });
    expect(() => jobs.advance('job-1', 'failed', { state: 'done' })).toThrow(/already ended/);
    expect(() => jobs.advance('nope', 'launching', {})).toThrow(expect.objectContaining({ kind: 'NotFound' }));
    store.close();
  });

  it('lists newest first and returns unfinished ones oldest first, per provider and region', () => {
    const { store, tick } = clocked(tempDir());
    const jobs = store.jobs();
    newJob(store, 'j1');
    tick();
    newJob(store, 'j2');
    tick();
    newJob(store, 'j3', 't3', ['sandbox', 'ap-south']);
    tick();
    newJob(store, 'j4');
    jobs.advance('j2', 'launching', { state: 'cancelled', failedStep: 'launching' });
    expect(jobs.list('sandbox', 'eu-west').map((j) => j.id)).toEqual(['j4', 'j2', 'j1']);
    expect(jobs.unfinished('sandbox', 'eu-west').map((j) => j.id)).toEqual(['j1', 'j4']);
    expect(jobs.unfinished('sandbox', 'ap-south').map((j) => j.id)).toEqual(['j3']);
    expect(jobs.list('aws', 'eu-west')).toEqual([]);
    store.close();
  });

  it('a lease: one runner at a time; taken over when stale or when its process is gone; released', () => {
    const { store, tick, at } = clocked(tempDir());
    const jobs = store.jobs();
    newJob(store);
    const alive = { staleBefore: '2000-01-01T00:00:00.000Z', isGone: () => false };
    expect(jobs.claim('job-1', A, alive)!.runner).toEqual({ ...A, heartbeatAt: at() });
    expect(jobs.claim('job-1', B, alive)).toBeUndefined();
    expect(jobs.claim('job-1', A, alive)).toBeDefined(); // the holder again
    // B's claim succeeds once A's process is gone
    expect(jobs.claim('job-1', B, { ...alive, isGone: (r) => r.id === 'run-a' })!.runner?.id).toBe('run-b');
    // and once B's heartbeat is stale
    tick(5000);
    expect(jobs.heartbeat('job-1', 'run-a')).toBe(false);
    expect(jobs.heartbeat('job-1', 'run-b')).toBe(true);
    const beat = at();
    tick(60_000);
    expect(jobs.claim('job-1', A, { staleBefore: beat, isGone: () => false })).toBeUndefined(); // not older than
    tick(1);
    expect(jobs.claim('job-1', A, { staleBefore: at(), isGone: () => false })!.runner?.id).toBe('run-a');
    jobs.release('job-1', 'run-b'); // not the holder: nothing happens
    expect(jobs.get('job-1')!.runner?.id).toBe('run-a');
    jobs.release('job-1', 'run-a');
    expect(jobs.get('job-1')!.runner).toBeUndefined();
    store.close();
  });

  it('a cancel request is kept until the runner acts on it; an ended job is left as it is', () => {
    const { store } = clocked(tempDir());
    const jobs = store.jobs();
    newJob(store, 'j1');
    newJob(store, 'j2');
    expect(jobs.requestCancel('j1').cancelRequested).toBe(true);
    jobs.advance('j2', 'launching', { state: 'failed', error: 'x' });
    expect(jobs.requestCancel('j2').cancelRequested).toBe(false);
    expect(() => jobs.requestCancel('nope')).toThrow(expect.objectContaining({ kind: 'NotFound' }));
    store.close();
  });

  it('jobs are seen by another connection on the same file (another strata process)', () => {
    const dir = tempDir();
    const { store } = clocked(dir);
    newJob(store);
    store.jobs().setNote('job-1', 'booting: 3 minutes');
    const other = openStore(dir);
    expect(other.jobs().get('job-1')).toMatchObject({ state: 'launching', note: 'booting: 3 minutes' });
    other.close();
    store.close();
  });

  it('the states: steps in order, then the final ones', () => {
    expect(JOB_STEPS).toEqual(['launching', 'waiting-ready', 'capturing', 'waiting-image', 'labelling', 'terminating']);
    expect(FINAL_JOB_STATES).toEqual(['done', 'failed', 'cancelled']);
    expect(JOB_STEPS.some(isFinalJobState)).toBe(false);
  });

  it('the database refuses a state that is not one', () => {
    const dir = tempDir();
    const { store } = clocked(dir);
    newJob(store);
    store.close();
    const raw = new DatabaseSync(join(dir, STORE_FILE));
    expect(() => raw.exec("UPDATE jobs SET state = 'exploded'")).toThrow(/CHECK constraint/);
    raw.close();
  });

  it('a version 3 database is brought forward: jobs and lineage appear, the journal stays', () => {
    const dir = tempDir();
    const old = openStore(dir, { migrations: MIGRATIONS.slice(0, 3) });
    old.journal('sandbox', 'eu-west').begin('old-token', { name: 'a', imageId: 'i', productId: 'p', firewallIds: [], count: 1 });
    old.close();
    const store = openStore(dir);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.jobs().list('sandbox', 'eu-west')).toEqual([]);
    expect(store.journal('sandbox', 'eu-west').get('old-token')!.state).toBe('pending');
    store.close();
  });
});

describe('image lineage', () => {
  const tempDir = useTempDirs();

  it('records where an image came from, per provider and region; replaces on a second record', () => {
    const { store } = clocked(tempDir());
    const lineage = store.lineage();
    expect(lineage.record({ provider: 'sandbox', region: 'ap-south', imageId: 'img-1', sourceImageId: 'img-v-1', sourceServerId: 'srv-1' })).toEqual({
      provider: 'sandbox',
      region: 'ap-south',
      imageId: 'img-1',
      sourceImageId: 'img-v-1',
      sourceServerId: 'srv-1',
      capturedAt: '2025-03-01T10:00:00.000Z',
    });
    lineage.record({ provider: 'sandbox', region: 'ap-south', imageId: 'img-2', sourceServerId: 'srv-2' });
    lineage.record({ provider: 'sandbox', region: 'eu-west', imageId: 'img-1', sourceImageId: 'other' });
    expect(lineage.get('sandbox', 'ap-south', 'img-2')).toMatchObject({ sourceServerId: 'srv-2' });
    expect(lineage.get('sandbox', 'ap-south', 'img-2')!.sourceImageId).toBeUndefined();
    expect([...lineage.list('sandbox', 'ap-south').keys()].sort()).toEqual(['img-1', 'img-2']);
    lineage.record({ provider: 'sandbox', region: 'ap-south', imageId: 'img-2', sourceImageId: 'img-v-2', sourceServerId: 'srv-2' });
    expect(lineage.get('sandbox', 'ap-south', 'img-2')!.sourceImageId).toBe('img-v-2');
    expect(lineage.get('sandbox', 'us-east', 'img-1')).toBeUndefined();
    expect(() => lineage.record({ provider: 'sandbox', region: 'ap-south', imageId: '' })).toThrow(StrataError);
    store.close();
  });
});

describe('what becomes of a job’s builder, and retries (migration 6)', () => {
  const tempDir = useTempDirs();

  it('a cancel writes the builder’s fate with it; a due termination is found; a failed job is reopened at its step', () => {
    const { store } = clocked(tempDir());
    const jobs = store.jobs();
    newJob(store);
    jobs.advance('job-1', 'launching', { state: 'waiting-ready', serverId: 'srv-1' });
    expect(jobs.requestCancel('job-1', 'terminate')).toMatchObject({ cancelRequested: true, builder: 'terminate' });
    jobs.advance('job-1', 'waiting-ready', { state: 'cancelled', failedStep: 'waiting-ready' });
    expect(jobs.builderTerminationsDue('sandbox', 'eu-west').map((j) => j.id)).toEqual(['job-1']);
    expect(jobs.setBuilder('job-1', 'terminated', 'terminate').builder).toBe('terminated');
    expect(() => jobs.setBuilder('job-1', 'terminated', 'terminate')).toThrow(/already terminated/);
    expect(jobs.builderTerminationsDue('sandbox', 'eu-west')).toEqual([]);

    newJob(store, 'job-2');
    jobs.advance('job-2', 'launching', { state: 'waiting-ready', serverId: 'srv-2' });
    jobs.advance('job-2', 'waiting-ready', { state: 'failed', failedStep: 'waiting-ready', error: 'It failed.' });
    expect(() => jobs.reopen('job-1', 'waiting-ready')).toThrow(/only a failed job can be retried/);
    const again = jobs.reopen('job-2', 'waiting-ready');
    expect(again).toMatchObject({ state: 'waiting-ready', serverId: 'srv-2', retries: 1 });
    expect(again.error).toBeUndefined();
    expect(again.finishedAt).toBeUndefined();
    jobs.advance('job-2', 'waiting-ready', { state: 'failed', failedStep: 'waiting-ready', error: 'Again.' });
    const fresh = jobs.reopen('job-2', 'launching', { clientToken: 'token-new', clearServer: true });
    expect(fresh).toMatchObject({ state: 'launching', clientToken: 'token-new', retries: 2 });
    expect(fresh.serverId).toBeUndefined();
    expect(() => jobs.reopen('job-2', 'launching', { clientToken: 'token-job-1' })).toThrow(/only a failed job/);
    store.close();
  });
});
