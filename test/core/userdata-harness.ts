// Runs cloud-init's own code on documents strata builds: its UserDataProcessor (how it splits and types
// the parts of user data), its cloud-config part handler (how it merges cloud-config parts), and
// `cloud-init schema` (whether a cloud-config is valid). cloud-init is a Debian package
// (`apt-get install -y --no-install-recommends cloud-init`); the tests that need it are skipped with a
// visible line when it is missing, or fail when STRATA_REQUIRE_CLOUD_INIT is set.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROCESS = String.raw`
import sys, json, tempfile, logging
logging.disable(logging.CRITICAL)
from cloudinit.helpers import Paths
from cloudinit import user_data as ud, handlers, util
from cloudinit.handlers.cloud_config import CloudConfigPartHandler
docs = json.load(sys.stdin)
out = []
tmp = tempfile.mkdtemp()
for doc in docs:
    paths = Paths({'cloud_dir': tmp, 'run_dir': tmp})
    msg = ud.UserDataProcessor(paths).process(doc.encode('utf-8'))
    parts = []
    cc = CloudConfigPartHandler(paths)
    cc.cloud_fn = None
    cc.handle_part(None, handlers.CONTENT_START, None, None, None, None)
    for part in msg.walk():
        if part.get_content_maintype() == 'multipart':
            continue
        ctype = part.get_content_type()
        payload = util.fully_decoded_payload(part)
        if isinstance(payload, bytes):
            payload = payload.decode('utf-8', 'surrogateescape')
        parts.append({'type': ctype, 'filename': part.get_filename(), 'payload': payload})
        if ctype == 'text/cloud-config':
            cc.handle_part(None, ctype, part.get_filename(), payload, None, dict(part))
    out.append({'parts': parts, 'config': cc.cloud_buf})
json.dump(out, sys.stdout)
`;

export interface CloudInitPart {
  type: string;
  filename: string | null;
  payload: string;
}

export interface CloudInitResult {
  parts: CloudInitPart[];
  /** The cloud-config parts merged as cloud-init merges them. */
  config: Record<string, unknown> | null;
}

/** A python that can import cloudinit, or undefined. */
export function findCloudInitPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const result = spawnSync(python, ['-c', 'import cloudinit.user_data, cloudinit.handlers.cloud_config'], { stdio: 'ignore' });
    if (!result.error && result.status === 0) return python;
  }
  return undefined;
}

/** Processes each document with cloud-init's own code (one python process for all of them). */
export function processWithCloudInit(python: string, docs: string[]): CloudInitResult[] {
  const result = spawnSync(python, ['-c', PROCESS], { input: JSON.stringify(docs), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`cloud-init's user-data processing failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as CloudInitResult[];
}

/** `cloud-init schema --config-file` on a document; returns its verdict. */
export function cloudInitSchema(document: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-schema-'));
  try {
    const file = join(dir, 'user-data');
    writeFileSync(file, document);
    const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
