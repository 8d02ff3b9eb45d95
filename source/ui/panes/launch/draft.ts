// The launch form as data: the draft the user edits (text as typed, so nothing half-typed is lost), the
// fields the provider's capabilities allow, and the conversion to the LaunchRequest the launcher takes.
// Pure: no I/O, no React.
import type { Capabilities, ProviderDescription } from '../../../core/capabilities.js';
import { parseCidr, parsePortRange, parseProtocol, worldOpenWarning } from '../../../core/network.js';
import { LABEL_COLOURS, type Filesystem, type Firewall, type FirewallRule, type Image, type Keypair, type LabelColour, type LaunchSpec, type Product, type RaidLevel } from '../../../core/types.js';
import { validateLaunch } from '../../../core/launch.js';
import type { LaunchRequest } from '../../../services/launcher.js';

export type KeypairMode = 'none' | 'existing' | 'create';

export interface LaunchDraft {
  imageId: string;
  name: string;
  count: string;
  productId: string;
  firewallIds: string[];
  newFirewall: boolean;
  newFirewallName: string;
  /** Rules as typed: "tcp 22 0.0.0.0/0, tcp 8000-8080 10.0.0.0/8, icmp - ::/0". */
  rules: string;
  keypairMode: KeypairMode;
  keypairName: string;
  keypairDirectory: string;
  /** The launcher's own default for the key directory (created 0700 when missing, unlike a chosen one). */
  keypairDirectoryDefault: string;
  group: string;
  billingCode: string;
  volumes: boolean;
  volumeCount: string;
  volumeSize: string;
  raid: RaidLevel;
  filesystem: Filesystem;
  mountPoint: string;
  encrypt: boolean;
  userDataFile: string;
  /** A vendor template: the user read the seed's advice and chose to launch from it anyway. */
  useTemplate: boolean;
  /** A vendor template: run the seed's safe workflow instead (builder, capture, label, terminate). */
  workflow: boolean;
  workflowImageName: string;
  /** The colour label the job gives the captured image ('none' for none). */
  workflowLabel: 'none' | LabelColour;
  workflowTerminate: boolean;
}

export type FieldId =
  | 'image'
  | 'name'
  | 'count'
  | 'productId'
  | 'firewallIds'
  | 'newFirewall'
  | 'newFirewallName'
  | 'rules'
  | 'keypairMode'
  | 'keypairName'
  | 'keypairDirectory'
  | 'group'
  | 'billingCode'
  | 'volumes'
  | 'volumeCount'
  | 'volumeSize'
  | 'raid'
  | 'filesystem'
  | 'mountPoint'
  | 'encrypt'
  | 'userDataFile'
  | 'useTemplate'
  | 'workflow'
  | 'workflowImageName'
  | 'workflowLabel'
  | 'workflowTerminate'
  | 'review';

export type FieldKind = 'readonly' | 'text' | 'choice' | 'toggle' | 'pick' | 'multipick' | 'button';

export interface FieldDef {
  id: FieldId;
  section: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  /** The help line shown while the field has the focus. */
  help: string;
  /** Choices of a choice field, in order. */
  choices?: readonly string[];
}

/** What the form knows besides the draft: the provider's catalogue, loaded when the form opens. */
export interface FormContext {
  description: ProviderDescription;
  image: Image & { shownName?: string };
  products: Product[];
  firewalls: Firewall[];
  keypairs: Keypair[];
  groups: string[];
  billingCodes: string[];
  /** Where created private keys go unless the user says otherwise. */
  keyDirectory: string;
  /** The address the user connects from (this session's SSH client), as a /32 or /128: a new firewall's first rule. */
  clientCidr?: string;
  /** The safe workflow's default image name: the image's name and today's date, fitted to the name rules. */
  workflowImageName?: string;
  /** What the newest recipe of this provider and region chose: the defaults before anything else. */
  lastChoice?: { firewallIds: string[]; keypair?: { mode: KeypairMode; name: string } };
}

const KEYPAIR_CHOICES: Record<KeypairMode, string> = { none: 'none', existing: 'existing', create: 'create at launch' };

function keypairModes(caps: Capabilities): KeypairMode[] {
  const modes: KeypairMode[] = [];
  if (caps.launch.keypair !== 'required') modes.push('none');
  if (caps.launch.keypair !== 'none') {
    modes.push('existing');
    if (caps.launch.createKeypair || caps.launch.importKeypair) modes.push('create');
  }
  return modes;
}

export function keypairChoiceLabel(mode: KeypairMode): string {
  return KEYPAIR_CHOICES[mode];
}

/** A fresh draft for an image: a name from the image, the smallest size that fits, the default firewall. */
/**
 * The firewalls and the root keypair a new form starts with. Never whatever sorts first (another run's
 * security group, a root key the user did not choose): the newest recipe's choice where it still exists,
 * else the provider's firewall named "default" where it has one, and no keypair where none is required.
 */
function defaultAccess(ctx: FormContext, modes: KeypairMode[]): Pick<LaunchDraft, 'firewallIds' | 'keypairMode' | 'keypairName'> {
  const caps = ctx.description.capabilities;
  const known = new Set(ctx.firewalls.map((f) => f.id));
  const fromRecipe = ctx.lastChoice?.firewallIds.filter((id) => known.has(id)) ?? [];
  const byName = ctx.firewalls.filter((f) => f.name.toLowerCase() === 'default').map((f) => f.id);
  const firewallIds = caps.launch.firewall === 'none' ? [] : fromRecipe.length ? fromRecipe : byName.slice(0, 1);
  const kp = ctx.lastChoice?.keypair;
  if (kp && modes.includes(kp.mode) && (kp.mode !== 'existing' || ctx.keypairs.some((k) => k.name === kp.name))) {
    // A keypair the recipe created exists now (or its name is taken): a new one needs a new name.
    return { firewallIds, keypairMode: kp.mode, keypairName: kp.mode === 'existing' ? kp.name : '' };
  }
  // Where a keypair is required and none can be made, an existing one must be picked: the picker shows them.
  return { firewallIds, keypairMode: modes[0], keypairName: '' };
}

/** What deserves a word at its field without stopping the launch: SSH or RDP open to the world. */
export function formWarnings(draft: LaunchDraft, ctx: FormContext): DraftProblem[] {
  const out: DraftProblem[] = [];
  if (draft.newFirewall) {
    for (const rule of parseRules(draft.rules).rules) {
      const warning = worldOpenWarning(rule);
      if (warning) out.push({ field: 'rules', message: warning, level: 'warning' });
    }
  }
  for (const id of draft.firewallIds) {
    const firewall = ctx.firewalls.find((f) => f.id === id);
    const warning = firewall?.rules.map(worldOpenWarning).find((w) => w !== undefined);
    if (warning) out.push({ field: 'firewallIds', message: `Firewall ${firewall!.name}: ${warning}`, level: 'warning' });
  }
  return out;
}

export function newDraft(ctx: FormContext): LaunchDraft {
  const caps = ctx.description.capabilities;
  const product = ctx.products.filter((p) => p.architecture === ctx.image.architecture).sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB)[0];
  const base = (ctx.image.shownName ?? ctx.image.name).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'server';
  const modes = keypairModes(caps);
  return {
    imageId: ctx.image.id,
    name: /^[a-z]/.test(base) ? base : `server-${base}`,
    count: '1',
    productId: product?.id ?? '',
    ...defaultAccess(ctx, modes),
    newFirewall: false,
    newFirewallName: '',
    // SSH from where the user is, never from anywhere by default; without an SSH client the user says who.
    rules: ctx.clientCidr ? `tcp 22 ${ctx.clientCidr}` : '',
    keypairDirectory: ctx.keyDirectory,
    keypairDirectoryDefault: ctx.keyDirectory,
    group: '',
    billingCode: '',
    volumes: caps.launch.volumes === 'required',
    volumeCount: '2',
    volumeSize: String(Math.max(caps.launch.minVolumeGiB, 100)),
    raid: caps.launch.raidLevels.includes('1') ? '1' : caps.launch.raidLevels[0],
    filesystem: caps.launch.filesystems[0],
    mountPoint: '/data',
    encrypt: false,
    userDataFile: '',
    useTemplate: false,
    workflow: false,
    workflowImageName: ctx.workflowImageName ?? `${base.replace(/-\d{8}$/, '')}-own-${new Date().toISOString().slice(0, 10)}`,
    workflowLabel: 'none',
    workflowTerminate: true,
  };
}

/** The fields the provider can honour, in the form's order; what it cannot honour is not offered. */
export function fieldsFor(draft: LaunchDraft, description: ProviderDescription, vendor = false): FieldDef[] {
  const caps = description.capabilities;
  const launch = caps.launch;
  const req = (r: string) => r === 'required';
  const fields: FieldDef[] = [
    { id: 'image', section: 'Image', label: 'Image', kind: 'readonly', required: false, help: 'The image this server starts from.' },
    ...(vendor
      ? [
          {
            id: 'workflow' as const,
            section: 'Image',
            label: 'Safe workflow',
            kind: 'toggle' as const,
            required: false,
            help: 'Space: the seed\'s workflow as one resumable job: launch a builder from the template, wait until ready, capture your own image, label it, terminate the builder.',
          },
          ...(draft.workflow
            ? [
                { id: 'workflowImageName' as const, section: 'Image', label: '  image name', kind: 'text' as const, required: true, help: `The name of your own image, captured from the builder: ${caps.images.nameRules.description}.` },
                {
                  id: 'workflowLabel' as const,
                  section: 'Image',
                  label: '  its label',
                  kind: 'choice' as const,
                  required: false,
                  choices: ['none', ...LABEL_COLOURS],
                  help: 'Space or ←/→: the colour label the job gives your image once it is captured (none, or one of ten colours).',
                },
                { id: 'workflowTerminate' as const, section: 'Image', label: '  then terminate', kind: 'toggle' as const, required: false, help: 'Space: terminate the builder server once the image is available (only the server the job started).' },
              ]
            : [{ id: 'useTemplate' as const, section: 'Image', label: 'Use template', kind: 'toggle' as const, required: true, help: 'Space: launch from this image directly anyway (read the advice above first).' }]),
        ]
      : []),
    { id: 'name', section: 'Server', label: 'Name', kind: 'text', required: true, help: `Server name: ${launch.nameRules.description}.` },
    { id: 'count', section: 'Server', label: 'Count', kind: 'text', required: true, help: `How many servers (1 to ${launch.maxCount}); several are named name-1, name-2, …` },
  ];
  if (launch.product !== 'none') {
    fields.push({ id: 'productId', section: 'Hardware', label: 'Size', kind: 'pick', required: req(launch.product), help: 'Enter picks a size (vCPUs, memory, storage); only sizes for the image\'s architecture are listed.' });
  }
  if (launch.firewall !== 'none') {
    fields.push({ id: 'firewallIds', section: 'Firewall', label: 'Firewalls', kind: 'multipick', required: req(launch.firewall) && !draft.newFirewall, help: 'Enter picks one or more existing firewalls (Space toggles in the list).' });
    if (launch.createFirewall) {
      fields.push({ id: 'newFirewall', section: 'Firewall', label: 'New firewall', kind: 'toggle', required: false, help: 'Space: create a firewall at launch, with the rules below.' });
      if (draft.newFirewall) {
        fields.push({ id: 'newFirewallName', section: 'Firewall', label: '  its name', kind: 'text', required: true, help: 'The new firewall\'s name.' });
        fields.push({ id: 'rules', section: 'Firewall', label: '  its rules', kind: 'text', required: true, help: 'Rules, comma-separated: protocol ports source, e.g. "tcp 22 203.0.113.0/24, tcp 8000-8080 10.0.0.0/8, icmp - 0.0.0.0/0".' });
      }
    }
  }
  const modes = keypairModes(caps);
  if (launch.keypair !== 'none') {
    const how = launch.createKeypair
      ? 'the provider creates it; the private key is saved with mode 0600'
      : 'strata generates it with ssh-keygen and imports the public half';
    fields.push({ id: 'keypairMode', section: 'Root keypair', label: 'Keypair', kind: 'choice', required: req(launch.keypair), choices: modes, help: `←/→ or Space: none, an existing keypair, or create one at launch (${how}).` });
    if (draft.keypairMode === 'existing') {
      fields.push({ id: 'keypairName', section: 'Root keypair', label: '  which', kind: 'pick', required: true, help: 'Enter picks an existing keypair.' });
    } else if (draft.keypairMode === 'create') {
      fields.push({ id: 'keypairName', section: 'Root keypair', label: '  its name', kind: 'text', required: true, help: 'The new keypair\'s name; the private key file takes the same name.' });
      fields.push({ id: 'keypairDirectory', section: 'Root keypair', label: '  key file in', kind: 'text', required: true, help: 'The directory for the private key: the default is created (0700) if missing, another must exist. The key is never shown.' });
    }
  }
  const where = caps.images.tags ? 'sent as tags' : 'kept in the local store (this provider holds no tags here)';
  fields.push({ id: 'group', section: 'Group and billing', label: 'Group', kind: 'text', required: req(launch.group), help: `A group for the servers (${where}); Enter picks a known one.` });
  fields.push({ id: 'billingCode', section: 'Group and billing', label: 'Billing code', kind: 'text', required: req(launch.billingCode), help: `A billing code (${where}); Enter picks a known one. Quotas come from config.yaml.` });
  if (launch.volumes !== 'none') {
    fields.push({ id: 'volumes', section: 'Volumes', label: 'Volumes', kind: 'toggle', required: req(launch.volumes), help: 'Space: attach a volume group at launch, formatted (and assembled into RAID, and encrypted) by cloud-init.' });
    if (draft.volumes) {
      fields.push({ id: 'volumeCount', section: 'Volumes', label: '  how many', kind: 'text', required: true, help: `1 to ${launch.maxVolumes} volumes.` });
      fields.push({ id: 'volumeSize', section: 'Volumes', label: '  size each, GiB', kind: 'text', required: true, help: `${launch.minVolumeGiB} to ${launch.maxVolumeGiB} GiB each.` });
      if (launch.raidLevels.length > 1) {
        fields.push({ id: 'raid', section: 'Volumes', label: '  RAID', kind: 'choice', required: true, choices: launch.raidLevels, help: '←/→: none, 0 (striped), 1 (mirrored, 2+), 5 (parity, 3+), 10 (striped mirrors, an even 4+).' });
      }
      if (launch.filesystems.length > 1) {
        fields.push({ id: 'filesystem', section: 'Volumes', label: '  filesystem', kind: 'choice', required: true, choices: launch.filesystems, help: '←/→: the filesystem to make.' });
      }
      fields.push({ id: 'mountPoint', section: 'Volumes', label: '  mount point', kind: 'text', required: true, help: 'An absolute path, e.g. /data (no spaces or shell characters; not a system directory).' });
      if (launch.encryption) {
        fields.push({ id: 'encrypt', section: 'Volumes', label: '  encrypt', kind: 'toggle', required: false, help: 'Space: LUKS encryption; the passphrase is generated and kept in the keychain under the server\'s id.' });
      }
    }
  }
  if (launch.userData !== 'none') {
    fields.push({ id: 'userDataFile', section: 'User data', label: 'User data file', kind: 'text', required: req(launch.userData), help: 'A file whose content runs after strata\'s own cloud-init parts (cloud-config or a script), at most 16 KiB.' });
  }
  fields.push({ id: 'review', section: '', label: '', kind: 'button', required: false, help: 'Enter reviews the launch: the exact request, the cloud-init document, then launch or save as a recipe.' });
  return fields;
}

/** What the provider cannot do here, each in a sentence: shown under the form, so nothing is a mystery. */
export function notOffered(description: ProviderDescription): string[] {
  const caps = description.capabilities;
  const launch = caps.launch;
  const here = `${description.displayName} in ${description.region}`;
  const lines: string[] = [];
  if (launch.volumes === 'none') lines.push(`Volumes: ${here} cannot attach volumes at launch.`);
  else {
    if (launch.raidLevels.length <= 1) lines.push(`RAID: ${here} cannot assemble volumes into RAID.`);
    if (!launch.encryption) lines.push(`Encryption: ${here} cannot encrypt volumes at launch.`);
  }
  if (launch.firewall === 'none') lines.push(`Firewalls: ${here} puts no firewall on a server at launch (no network to filter).`);
  if (launch.firewall !== 'none' && !launch.createFirewall) lines.push(`New firewall: ${here} cannot create a firewall at launch; pick an existing one.`);
  if (launch.keypair === 'none') lines.push(`Keypair: ${here} takes no root keypair at launch.`);
  else if (!launch.createKeypair && launch.importKeypair) lines.push(`Keypair creation: ${here} cannot create keypairs; strata generates one with ssh-keygen and imports the public half.`);
  else if (!launch.createKeypair && !launch.importKeypair) lines.push(`Keypair creation: ${here} can neither create nor import keypairs; pick an existing one.`);
  if (launch.userData === 'none') lines.push(`User data: ${here} takes no user data.`);
  if (!caps.images.tags) lines.push(`Tags: ${here} holds no tags; group and billing code are kept in strata's local store.`);
  return lines;
}

export interface DraftProblem {
  field: FieldId;
  message: string;
  /** A warning is shown at its field and does not stop the review (an error does). */
  level?: 'warning';
}

function wholeNumber(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
}

/** Parses typed rules; each problem names the rule by its position. */
export function parseRules(text: string): { rules: FirewallRule[]; problems: string[] } {
  const rules: FirewallRule[] = [];
  const problems: string[] = [];
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  parts.forEach((part, i) => {
    const where = parts.length > 1 ? `Rule ${i + 1} ("${part}")` : `The rule "${part}"`;
    const words = part.split(/\s+/);
    if (words.length !== 3) {
      problems.push(`${where} needs three parts: protocol, ports and source, e.g. "tcp 22 203.0.113.0/24".`);
      return;
    }
    const protocol = parseProtocol(words[0]);
    if (!protocol.ok) return void problems.push(`${where}: ${protocol.problem}`);
    let fromPort = -1;
    let toPort = -1;
    if (protocol.value === 'icmp') {
      if (words[1] !== '-' && words[1] !== 'all') return void problems.push(`${where}: icmp has no ports; write "-" for them.`);
    } else {
      const ports = parsePortRange(words[1]);
      if (!ports.ok) return void problems.push(`${where}: ${ports.problem}`);
      fromPort = ports.value.from;
      toPort = ports.value.to;
    }
    const source = parseCidr(words[2]);
    if (!source.ok) return void problems.push(`${where}: ${source.problem}`);
    rules.push({ protocol: protocol.value, fromPort, toPort, source: words[2] });
  });
  if (parts.length === 0) problems.push('A new firewall needs at least one rule, e.g. "tcp 22 203.0.113.0/24".');
  return { rules, problems };
}

/**
 * An image the user does not own (a vendor template, a public image): whoever published it may deprecate
 * and delete it, so the form gives the seed's advice and wants a deliberate choice, as for a template.
 */
export function isBorrowed(image: Pick<Image, 'kind'>): boolean {
  return image.kind === 'vendor' || image.kind === 'public';
}

/** The request the launcher takes, and the problems only the form can see (numbers and rules as typed). */
export function draftToRequest(draft: LaunchDraft, description: ProviderDescription, vendor = false): { request: LaunchRequest; problems: DraftProblem[] } {
  const problems: DraftProblem[] = [];
  const fields = new Set(fieldsFor(draft, description, vendor).map((f) => f.id));
  if (vendor && !draft.useTemplate && !draft.workflow) {
    problems.push({
      field: 'useTemplate',
      message: 'This image is not yours: its publisher will delete it one day. Turn on the safe workflow above, or launch from it directly anyway (Space).',
    });
  }
  const count = wholeNumber(draft.count);
  if (Number.isNaN(count)) problems.push({ field: 'count', message: `Count must be a whole number; "${draft.count}" is not.` });
  const request: LaunchRequest = {
    name: draft.name,
    imageId: draft.imageId,
    productId: draft.productId,
    count: Number.isNaN(count) ? 1 : count,
    firewallIds: fields.has('firewallIds') ? draft.firewallIds : [],
    keypair: { mode: 'none' },
  };
  if (fields.has('newFirewall') && draft.newFirewall) {
    const parsed = parseRules(draft.rules);
    for (const message of parsed.problems) problems.push({ field: 'rules', message });
    request.newFirewall = { name: draft.newFirewallName, rules: parsed.rules };
  }
  if (fields.has('keypairMode')) {
    if (draft.keypairMode === 'existing') request.keypair = { mode: 'existing', name: draft.keypairName };
    else if (draft.keypairMode === 'create') {
      const directory = draft.keypairDirectory.trim();
      const chosen = directory !== '' && directory !== draft.keypairDirectoryDefault;
      request.keypair = { mode: 'create', name: draft.keypairName, ...(chosen ? { directory } : {}) };
    }
  }
  if (draft.group.trim()) request.group = draft.group.trim();
  if (draft.billingCode.trim()) request.billingCode = draft.billingCode.trim();
  if (fields.has('volumes') && draft.volumes) {
    const volumeCount = wholeNumber(draft.volumeCount);
    const size = wholeNumber(draft.volumeSize);
    if (Number.isNaN(volumeCount)) problems.push({ field: 'volumeCount', message: `The number of volumes must be a whole number; "${draft.volumeCount}" is not.` });
    if (Number.isNaN(size)) problems.push({ field: 'volumeSize', message: `The size must be a whole number of GiB; "${draft.volumeSize}" is not.` });
    request.volumes = {
      count: Number.isNaN(volumeCount) ? 1 : volumeCount,
      sizeGiB: Number.isNaN(size) ? description.capabilities.launch.minVolumeGiB : size,
      raid: fields.has('raid') ? draft.raid : description.capabilities.launch.raidLevels[0],
      filesystem: fields.has('filesystem') ? draft.filesystem : description.capabilities.launch.filesystems[0],
      mountPoint: draft.mountPoint,
      encrypt: fields.has('encrypt') ? draft.encrypt : false,
    };
  }
  if (fields.has('userDataFile') && draft.userDataFile.trim()) request.userDataFile = draft.userDataFile.trim();
  return { request, problems };
}

/** A draft from a saved request (a recipe), for the form to open again. */
export function requestToDraft(request: LaunchRequest, base: LaunchDraft): LaunchDraft {
  const rules = request.newFirewall?.rules
    .map((r) => `${r.protocol} ${r.protocol === 'icmp' ? '-' : r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`} ${r.source}`)
    .join(', ');
  return {
    ...base,
    name: request.name,
    count: String(request.count),
    productId: request.productId,
    firewallIds: request.firewallIds,
    newFirewall: request.newFirewall !== undefined,
    newFirewallName: request.newFirewall?.name ?? '',
    rules: rules ?? base.rules,
    keypairMode: request.keypair.mode,
    keypairName: request.keypair.mode === 'none' ? '' : request.keypair.name,
    keypairDirectory: request.keypair.mode === 'create' ? (request.keypair.directory ?? base.keypairDirectory) : base.keypairDirectory,
    group: request.group ?? '',
    billingCode: request.billingCode ?? '',
    volumes: request.volumes !== undefined,
    volumeCount: String(request.volumes?.count ?? base.volumeCount),
    volumeSize: String(request.volumes?.sizeGiB ?? base.volumeSize),
    raid: request.volumes?.raid ?? base.raid,
    filesystem: request.volumes?.filesystem ?? base.filesystem,
    mountPoint: request.volumes?.mountPoint ?? base.mountPoint,
    encrypt: request.volumes?.encrypt ?? base.encrypt,
    userDataFile: request.userDataFile ?? '',
  };
}

/** Maps a launcher/validator field path ('volumes.count', 'newFirewall.rules.0.source') to the form field. */
export function fieldOfPath(path: string): FieldId {
  // The safe workflow's problems: its own fields, and the builder's launch request under builder.
  if (path.startsWith('builder.')) return fieldOfPath(path.slice('builder.'.length));
  const map: [RegExp, FieldId][] = [
    [/^imageName/, 'workflowImageName'],
    [/^templateImageId/, 'image'],
    [/^terminateBuilder/, 'workflowTerminate'],
    [/^label/, 'workflowLabel'],
    [/^name$/, 'name'],
    [/^count$/, 'count'],
    [/^product/, 'productId'],
    [/^firewallIds/, 'firewallIds'],
    [/^newFirewall\.name/, 'newFirewallName'],
    [/^newFirewall\.rules/, 'rules'],
    [/^newFirewall/, 'newFirewall'],
    [/^keypair\.directory/, 'keypairDirectory'],
    [/^keypair/, 'keypairName'],
    [/^group/, 'group'],
    [/^billing/, 'billingCode'],
    [/^volumes\.count/, 'volumeCount'],
    [/^volumes\.sizeGiB/, 'volumeSize'],
    [/^volumes\.raid/, 'raid'],
    [/^volumes\.filesystem/, 'filesystem'],
    [/^volumes\.mountPoint/, 'mountPoint'],
    [/^volumes\.encrypt/, 'encrypt'],
    [/^volumes/, 'volumes'],
    [/^userData/, 'userDataFile'],
    [/^image/, 'image'],
  ];
  return map.find(([re]) => re.test(path))?.[1] ?? 'review';
}

/** Sizes the image can run on, smallest first. */
export function productsFor(ctx: Pick<FormContext, 'products' | 'image'>): Product[] {
  return ctx.products.filter((p) => p.architecture === ctx.image.architecture).sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB);
}

export function describeProduct(p: Product): string {
  const memory = p.memoryMiB >= 1024 ? `${(p.memoryMiB / 1024).toFixed(p.memoryMiB % 1024 ? 1 : 0)} GiB` : `${p.memoryMiB} MiB`;
  const price = p.hourlyPrice !== undefined ? `  $${p.hourlyPrice.toFixed(4)}/h` : '';
  return `${p.id}  ${p.vcpus} vCPU  ${memory}  ${p.storageGiB} GiB${price}`;
}

/** The spec the launcher would build from a request, as far as the form can tell (for inline problems). */
export function requestToSpec(request: LaunchRequest): LaunchSpec {
  return {
    name: request.name,
    imageId: request.imageId,
    productId: request.productId,
    firewallIds: request.firewallIds,
    ...(request.newFirewall ? { newFirewall: request.newFirewall } : {}),
    ...(request.keypair.mode === 'existing' ? { keypairName: request.keypair.name } : {}),
    ...(request.group ? { group: request.group } : {}),
    ...(request.billingCode ? { billingCode: request.billingCode } : {}),
    ...(request.volumes ? { volumes: request.volumes } : {}),
    count: request.count,
  };
}

/**
 * Every problem the form can see at once, field by field: what it parses itself, then the provider's rules
 * (core validation). Files and quotas are checked by the launcher's review.
 */
export function formProblems(draft: LaunchDraft, ctx: FormContext): DraftProblem[] {
  const vendor = isBorrowed(ctx.image);
  const { request, problems } = draftToRequest(draft, ctx.description, vendor);
  const own = new Set(problems.map((p) => p.field));
  const core = validateLaunch(requestToSpec(request), ctx.description.capabilities, {
    products: ctx.products,
    firewalls: ctx.firewalls,
    keypairs: ctx.keypairs,
    image: ctx.image,
    keypairToCreate: request.keypair.mode === 'create' ? request.keypair.name : undefined,
  });
  for (const p of core) {
    const field = fieldOfPath(p.field);
    // A number the form could not read is reported once, by the form.
    if (!own.has(field)) problems.push({ field, message: p.message });
  }
  return problems;
}
