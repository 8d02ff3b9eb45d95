// The user data a server boots with: strata's own #cloud-config (the volume script, the LUKS key file,
// the hostname), generated with the yaml package so every scalar is quoted as YAML 1.1 (PyYAML, which
// cloud-init uses) needs; and, when the user gave user data of their own, a MIME multipart document with
// strata's part first and theirs second, as cloud-init accepts it.
//
// Decisions (checked against cloud-init 22.4's handlers and user_data.py):
// - The user's part is typed from its start the way cloud-init types text/plain parts itself
//   (case-insensitive, leading whitespace skipped, longest prefix first): #cloud-config,
//   #cloud-config-archive, #cloud-config-jsonp, #cloud-boothook, #include, #include-once, #part-handler,
//   "## template: jinja", #!. Anything else is labelled text/plain, which cloud-init ignores (with a
//   warning), so checkUserData reports it as a problem before launch. User data that is itself a MIME
//   document (it starts with a Content-Type: or MIME-Version: header) is embedded as a nested entity,
//   which cloud-init walks like any other part.
// - A user #cloud-config part carries `Merge-Type: list(append)+dict(no_replace,recurse_list)+str()`.
//   cloud-init's default merge (dict(replace)) would let the user's runcmd or write_files replace
//   strata's, and the volumes would silently never be set up; with this header the user's lists are
//   appended after strata's, and strata's own keys are kept.
// - The user's part is named "user-data": cloud-init runs its scripts in name order, so a user shell
//   script runs after strata's runcmd ("runcmd" < "user-data") and finds the volumes mounted.
// - Parts that are printable ASCII go as 7bit text (readable on the review screen); others go base64
//   with charset utf-8, because cloud-init decodes 8bit non-ASCII text parts wrongly.
// - The boundary is derived from the user's text only (never from the passphrase) and re-derived until
//   it occurs in no part.
// - The passphrase must be 8..512 printable ASCII characters, not starting or ending with a space (it may
//   have to be typed at a console to unlock the volumes). It is written as a YAML literal block, so it
//   appears verbatim in the document and redactUserData can find it.
import YAML from 'yaml';
import type { VolumeDevice } from './capabilities.js';
import { invalid } from './errors.js';
import { hexHash } from './random.js';
import { quoteForSentence, showChar } from './sentence.js';
import type { VolumePlan } from './types.js';
import { buildVolumeScript, PASSPHRASE_FILE, raidUsableGiB, VOLUME_SCRIPT_PATH } from './volumes.js';

/** What cloud providers accept as user data (EC2: 16 KB before base64). */
export const MAX_USER_DATA_BYTES = 16 * 1024;
/** What the review screen shows in place of the passphrase. */
export const REDACTED = '[kept in the keychain]';
export const MIN_PASSPHRASE_LENGTH = 8;
export const MAX_PASSPHRASE_LENGTH = 512;
/** How user cloud-config parts merge into strata's (see the decisions above). */
export const USER_MERGE_TYPE = 'list(append)+dict(no_replace,recurse_list)+str()';

/** cloud-init's prefixes, longest first (as its type_from_starts_with searches them). */
const USER_DATA_TYPES: ReadonlyArray<readonly [prefix: string, type: string]> = (
  [
    ['#include', 'text/x-include-url'],
    ['#include-once', 'text/x-include-once-url'],
    ['#!', 'text/x-shellscript'],
    ['#cloud-config', 'text/cloud-config'],
    ['#part-handler', 'text/part-handler'],
    ['#cloud-boothook', 'text/cloud-boothook'],
    ['#cloud-config-archive', 'text/cloud-config-archive'],
    ['#cloud-config-jsonp', 'text/cloud-config-jsonp'],
    ['## template: jinja', 'text/jinja2'],
  ] as const
)
  .slice()
  .sort((a, b) => b[0].length - a[0].length);

/** True when user data is a MIME document of its own (it starts with a MIME header). */
export function isMimeDocument(text: string): boolean {
  return /^(content-type|mime-version)\s*:/i.test(text);
}

/**
 * The content type cloud-init gives user data from its start: text/cloud-config, text/x-shellscript, …;
 * 'multipart/mixed' for a MIME document; undefined when cloud-init would not recognise it.
 */
export function detectUserDataType(text: string): string | undefined {
  if (isMimeDocument(text)) {
    const header = text.split(/\r?\n\r?\n/, 1)[0];
    return /^content-type\s*:\s*([^;\s]+)/im.exec(header)?.[1].toLowerCase() ?? 'text/plain';
  }
  const start = text.trimStart().toLowerCase();
  return USER_DATA_TYPES.find(([prefix]) => start.startsWith(prefix))?.[1];
}

const utf8 = new TextEncoder();

export function byteLength(text: string): number {
  return utf8.encode(text).length;
}

/**
 * Every problem with the user's own user data (before strata's part is added). `size: false` leaves out
 * the size limit, for when the whole document is measured instead.
 */
export function checkUserData(text: unknown, options: { size?: boolean } = {}): string[] {
  if (typeof text !== 'string') return ['User data must be text.'];
  const problems: string[] = [];
  const bytes = byteLength(text);
  if (options.size !== false && bytes > MAX_USER_DATA_BYTES) {
    problems.push(`User data can be at most ${MAX_USER_DATA_BYTES / 1024} KiB; this is ${(bytes / 1024).toFixed(1)} KiB.`);
  }
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.exec(text);
  if (control) {
    const line = text.slice(0, control.index).split('\n').length;
    problems.push(`User data contains a control character (${showChar(control[0])}) on line ${line}; remove it.`);
  }
  const broken = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  if (broken) {
    const line = text.slice(0, broken.index).split('\n').length;
    problems.push(`User data holds a broken character (half of a UTF-16 pair) on line ${line}; it cannot be sent as text.`);
  }
  const type = detectUserDataType(text);
  if (isMimeDocument(text)) {
    // A MIME document of the user's own: cloud-init walks its parts; strata does not look inside.
  } else if (!type) {
    const first = text.trimStart().split('\n', 1)[0].slice(0, 40);
    problems.push(
      `cloud-init ignores user data that does not start with #cloud-config, #! (a script), #include, #cloud-boothook or another cloud-init header; this starts with ${quoteForSentence(first)}.`,
    );
  } else if (type === 'text/cloud-config') {
    const doc = YAML.parseDocument(text, { version: '1.1', uniqueKeys: false });
    if (doc.errors.length > 0) {
      problems.push(`The user data's cloud-config is not valid YAML: ${doc.errors[0].message.split('\n', 1)[0]}`);
    } else {
      const value: unknown = doc.toJS();
      if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        problems.push('The user data\'s cloud-config must be a mapping of keys (e.g. "packages: [nginx]").');
      } else if (value && ('merge_how' in value || 'merge_type' in value)) {
        problems.push('The user data\'s cloud-config sets merge_how; strata merges it after its own part itself, so remove merge_how.');
      }
    }
  }
  return problems;
}

/** Why a passphrase cannot be used, or undefined. The passphrase itself never appears in the sentence. */
export function checkPassphrase(passphrase: unknown): string | undefined {
  if (typeof passphrase !== 'string') return 'An encrypted volume plan needs a passphrase.';
  if (passphrase.length < MIN_PASSPHRASE_LENGTH || passphrase.length > MAX_PASSPHRASE_LENGTH) {
    return `A passphrase must have ${MIN_PASSPHRASE_LENGTH} to ${MAX_PASSPHRASE_LENGTH} characters; this one has ${passphrase.length}.`;
  }
  if (!/^[\x20-\x7e]+$/.test(passphrase)) {
    return 'A passphrase may hold only printable ASCII characters (it may have to be typed at a console).';
  }
  if (passphrase.trim() !== passphrase) return 'A passphrase cannot start or end with a space (it would be lost when typed).';
  return undefined;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a text cannot be a hostname (RFC 1123: lowercase labels of 1..63 letters, digits and inner hyphens). */
export function checkHostname(hostname: unknown): string | undefined {
  if (typeof hostname !== 'string' || hostname === '') return 'A hostname cannot be empty.';
  if (hostname.length > 253) return `A hostname can have at most 253 characters; this one has ${hostname.length}.`;
  for (const label of hostname.split('.')) {
    if (!LABEL.test(label)) {
      return `${quoteForSentence(hostname)} is not a hostname: each part between dots needs 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen.`;
    }
  }
  return undefined;
}

/** A hostname made from a server name ("Web_01.prod" -> "web-01"), or undefined when nothing is left. */
export function hostnameFor(name: string): string | undefined {
  const label = name
    .split('.')[0]
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? undefined : label;
}

export interface CloudConfigInput {
  /** The validated volume plan and the devices its volumes are attached as (capabilities.launch.volumeDevices). */
  volumes?: { plan: VolumePlan; devices: VolumeDevice[] };
  /** The LUKS passphrase, when the plan encrypts (from the keychain; never shown). */
  passphrase?: string;
  hostname?: string;
}

/**
 * strata's #cloud-config document: write_files with the volume script (0700) and, when the plan
 * encrypts, the passphrase at PASSPHRASE_FILE (0400, tmpfs, removed by the script); runcmd running the
 * script; the hostname. Throws an Invalid StrataError (with the field) for anything invalid.
 */
export function buildCloudConfig(input: CloudConfigInput): string {
  const config: Record<string, unknown> = {};
  const comments: string[] = [];
  if (input.hostname !== undefined) {
    const problem = checkHostname(input.hostname);
    if (problem) throw invalid(problem, 'hostname');
    const [first] = input.hostname.split('.');
    config.hostname = first;
    if (first !== input.hostname) config.fqdn = input.hostname;
  }
  const plan = input.volumes?.plan;
  if (input.passphrase !== undefined && !plan?.encrypt) {
    throw invalid('A passphrase was given but the volume plan does not encrypt; strata will not send a secret it does not need.', 'volumes.encrypt');
  }
  if (plan && input.volumes) {
    if (plan.encrypt) {
      const problem = checkPassphrase(input.passphrase);
      if (problem) throw invalid(problem, 'volumes.encrypt');
    }
    const script = buildVolumeScript(plan, { devices: input.volumes.devices, passphraseFile: PASSPHRASE_FILE });
    const files: Record<string, unknown>[] = [];
    if (plan.encrypt) {
      files.push({ path: PASSPHRASE_FILE, owner: 'root:root', permissions: '0400', content: input.passphrase });
    }
    files.push({ path: VOLUME_SCRIPT_PATH, owner: 'root:root', permissions: '0700', content: script });
    config.write_files = files;
    config.runcmd = [[VOLUME_SCRIPT_PATH]];
    const shape = plan.raid === 'none' ? (plan.count === 1 ? 'one volume' : `${plan.count} separate volumes`) : `RAID ${plan.raid} over ${plan.count} volumes`;
    comments.push(` strata: ${shape}, ${raidUsableGiB(plan)} GiB, ${plan.filesystem}${plan.encrypt ? ', encrypted' : ''}; set up by ${VOLUME_SCRIPT_PATH}.`);
  }
  const doc = new YAML.Document(config, { version: '1.1' });
  // The passphrase as a literal block: verbatim (nothing escaped), so it can be found and redacted.
  if (plan?.encrypt) {
    const content = doc.getIn(['write_files', 0, 'content'], true);
    if (YAML.isScalar(content)) content.type = 'BLOCK_LITERAL';
  }
  const runcmd = doc.getIn(['runcmd', 0], true);
  if (YAML.isSeq(runcmd)) runcmd.flow = true;
  doc.commentBefore = ['cloud-config', ` ${GENERATED_MARK.slice(2)} every value was validated before it was written here.`, ...comments].join('\n');
  const text = Object.keys(config).length === 0 ? '#cloud-config\n' : doc.toString({ lineWidth: 0 });
  if (!isPrintableAscii(text)) {
    // Every value is validated to ASCII; this guards the generator itself (see buildUserData).
    throw invalid('The cloud-config came out with characters that are not plain ASCII.', 'userData');
  }
  if (plan?.encrypt && !text.includes(input.passphrase!)) {
    // Cannot happen for a passphrase that passed checkPassphrase; refuse rather than risk an unredactable document.
    throw invalid('The passphrase could not be written verbatim into the cloud-config.', 'volumes.encrypt');
  }
  return text;
}

function isPrintableAscii(text: string): boolean {
  // Tabs and line feeds are fine in 7bit text; CR, other controls and non-ASCII are not.
  return /^[\x20-\x7e\t\n]*$/.test(text) && text.split('\n').every((line) => line.length <= 998);
}

function base64Lines(text: string): string {
  const bytes = utf8.encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return (btoa(binary).match(/.{1,76}/g) ?? []).join('\n');
}

interface Part {
  type: string;
  filename: string;
  content: string;
  headers?: string[];
}

function renderPart(part: Part): string {
  const ascii = isPrintableAscii(part.content);
  const head = [
    `Content-Type: ${part.type}; charset="${ascii ? 'us-ascii' : 'utf-8'}"`,
    'MIME-Version: 1.0',
    `Content-Transfer-Encoding: ${ascii ? '7bit' : 'base64'}`,
    `Content-Disposition: attachment; filename="${part.filename}"`,
    ...(part.headers ?? []),
  ];
  return `${head.join('\n')}\n\n${ascii ? part.content : base64Lines(part.content)}`;
}

/**
 * The user data to send: strata's cloud-config alone when the user gave none, else a MIME multipart
 * document with strata's part first and the user's second (see the decisions at the top).
 */
export function buildUserData(input: { cloudConfig: string; userData?: string }): string {
  const { cloudConfig, userData } = input;
  if (!cloudConfig.startsWith('#cloud-config\n')) throw invalid("strata's own part must be a #cloud-config document.", 'userData');
  // strata's part must stay readable text: base64 would hide the passphrase from redactUserData.
  if (!isPrintableAscii(cloudConfig)) throw invalid("strata's own part must be plain ASCII text.", 'userData');
  if (userData === undefined || userData.trim() === '') return cloudConfig;

  const type = detectUserDataType(userData);
  const ours = renderPart({ type: 'text/cloud-config', filename: 'strata.cfg', content: cloudConfig });
  const theirs =
    isMimeDocument(userData)
      ? userData // a MIME entity of its own: its headers become the part's headers
      : renderPart({
          type: type ?? 'text/plain',
          filename: 'user-data',
          content: userData,
          headers: type === 'text/cloud-config' ? [`Merge-Type: ${USER_MERGE_TYPE}`] : [],
        });

  let boundary = '';
  for (let attempt = 0; ; attempt++) {
    boundary = `==strata-${hexHash(24, 'boundary', userData, attempt)}==`;
    if (!ours.includes(boundary) && !theirs.includes(boundary)) break;
  }
  // The line break before each delimiter belongs to the delimiter, so every part keeps its content exactly.
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    ours,
    `--${boundary}`,
    theirs,
    `--${boundary}--`,
    '',
  ].join('\n');
}

const GENERATED_MARK = '# Generated by strata;';
const BOUNDARY_LINE = /^Content-Type: multipart\/mixed; boundary="(==strata-[0-9a-f]{24}==)"\nMIME-Version: 1\.0\n\n/;
const OUR_PART_HEAD = /^Content-Type: ([^;\n]+); charset="(us-ascii|utf-8)"\nMIME-Version: 1\.0\nContent-Transfer-Encoding: (7bit|base64)\nContent-Disposition: attachment; filename="[^"\n]*"\n(?:Merge-Type: [^\n]*\n)?\n/;

function decodePart(part: string): string {
  const head = OUR_PART_HEAD.exec(part);
  if (!head) return part; // the user's own MIME entity, embedded verbatim
  const body = part.slice(head[0].length);
  if (head[3] === '7bit') return body;
  const binary = atob(body.replaceAll('\n', ''));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * The inverse of buildUserData: strata's cloud-config and the user's own text from a document strata
 * built, or undefined when the text is not one (it is then the user's own user data).
 */
export function splitUserData(text: string): { cloudConfig: string; userData?: string } | undefined {
  if (text.startsWith('#cloud-config\n') && text.split('\n', 3).some((line) => line.startsWith(GENERATED_MARK))) return { cloudConfig: text };
  const head = BOUNDARY_LINE.exec(text);
  if (!head) return undefined;
  // Each part sits between "\n--boundary\n" lines; the boundary occurs nowhere else (buildUserData saw to it).
  const segments = text.slice(head[0].length - 1).split(`\n--${head[1]}`);
  if (segments.length !== 4 || segments[3] !== '--\n' || segments[0] !== '') return undefined;
  const [ours, theirs] = [segments[1], segments[2]].map((segment) => decodePart(segment.slice(1)));
  if (!ours.startsWith('#cloud-config\n')) return undefined;
  return { cloudConfig: ours, userData: theirs };
}

/** The same document with the passphrase replaced, for the review screen (secrets never reach it). */
export function redactUserData(text: string, passphrase: string | undefined): string {
  if (!passphrase) return text;
  let out = text.replaceAll(passphrase, REDACTED);
  // Belt and braces: the forms a YAML or JSON writer could have escaped it to.
  const escaped = JSON.stringify(passphrase).slice(1, -1);
  if (escaped !== passphrase) out = out.replaceAll(escaped, REDACTED);
  const singleQuoted = passphrase.replaceAll("'", "''");
  if (singleQuoted !== passphrase) out = out.replaceAll(singleQuoted, REDACTED);
  return out;
}
