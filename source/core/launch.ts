// Validation of a launch form against what the provider can do: every problem, each with the field it
// belongs to and a sentence that says what is wrong and, where it can, what to do instead.
//
// Field paths: name, count, imageId, productId, firewallIds, newFirewall, newFirewall.name,
// newFirewall.rules.<i>.protocol|ports|source, keypairName, group, billingCode, volumes,
// volumes.count|sizeGiB|raid|filesystem|mountPoint|encrypt, userData.
//
// An empty string in an optional text field (as a form sends it) counts as absent, as the providers do.
import { checkName, type Capabilities, type Requirement } from './capabilities.js';
import { checkFirewallRule } from './network.js';
import { quoteForSentence as q, showChar } from './sentence.js';
import type { Firewall, Image, Keypair, LaunchSpec, Product } from './types.js';
import { buildCloudConfig, buildUserData, byteLength, checkUserData, MAX_USER_DATA_BYTES, splitUserData } from './userdata.js';
import { checkVolumePlan } from './volumes.js';

export { describeRaid, raidUsableGiB } from './volumes.js';

export interface LaunchProblem {
  field: string;
  message: string;
}

export interface LaunchContext {
  products: Product[];
  firewalls: Firewall[];
  keypairs: Keypair[];
  /** The image being launched, when known (its architecture must match the size). */
  image?: Image;
  /** The name of a keypair the form will create (or import) just before the launch. */
  keypairToCreate?: string;
}

/** Group and billing code: strata's own labels, the same rule on every provider. */
const LABEL_TEXT = /^[A-Za-z0-9._-]{1,64}$/;

/** How long a passphrase strata's generated passphrases are assumed to be, to size the user-data budget. */
const PASSPHRASE_ESTIMATE = 64;

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function checkLabel(value: unknown, label: string): string | undefined {
  if (typeof value !== 'string') return `The ${label} must be text.`;
  if (LABEL_TEXT.test(value)) return undefined;
  if (value.length > 64) return `The ${label} can have at most 64 characters; it has ${value.length}.`;
  if (value === '') return `The ${label} cannot be empty.`;
  const bad = [...value].find((ch) => !/^[A-Za-z0-9._-]$/.test(ch))!;
  const what = bad === ' ' ? 'A space' : showChar(bad);
  return `${what} cannot be in the ${label}; use letters, digits, dot, underscore and hyphen (1 to 64).`;
}

/** The provider cannot honour a field the form filled in, or needs one the form left empty. */
function requirementProblem(requirement: Requirement, given: boolean, what: string, need: string): string | undefined {
  if (requirement === 'none' && given) return `This provider cannot take ${what} at launch; clear it.`;
  if (requirement === 'required' && !given) return `This provider needs ${need}.`;
  return undefined;
}

function listSome(items: string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Every problem of a launch form, in the order of the form's fields. An empty list means it can go. */
export function validateLaunch(spec: LaunchSpec, caps: Capabilities, ctx: LaunchContext): LaunchProblem[] {
  const problems: LaunchProblem[] = [];
  const add = (field: string, message: string | undefined) => {
    if (message) problems.push({ field, message });
  };
  const launch = caps.launch;

  // name and count
  const countOk = Number.isInteger(spec.count) && spec.count >= 1 && spec.count <= launch.maxCount;
  if (typeof spec.name !== 'string') {
    add('name', 'The server needs a name.');
  } else {
    const problem = checkName(spec.name, launch.nameRules);
    if (problem) add('name', `The server name is refused: ${problem}`);
    else if (countOk && spec.count > 1) {
      // Several servers are named name-1 … name-N: the longest must pass the rules too.
      const last = `${spec.name}-${spec.count}`;
      const lastProblem = checkName(last, launch.nameRules);
      if (lastProblem) add('name', `With ${spec.count} servers the last is named ${q(last, 80)}, which is refused: ${lastProblem}`);
    }
  }
  if (!countOk) {
    add('count', `The number of servers must be a whole number from 1 to ${launch.maxCount}; the form has ${typeof spec.count === 'number' ? spec.count : q(spec.count, 20)}.`);
  }

  // image
  if (typeof spec.imageId !== 'string' || spec.imageId === '') add('imageId', 'Choose an image to launch from.');
  else if (ctx.image && ctx.image.id === spec.imageId && ctx.image.state !== 'available' && ctx.image.state !== 'deprecated') {
    add('imageId', `Image ${q(ctx.image.id)} is ${ctx.image.state} and cannot be launched.`);
  }

  // size
  const hasProduct = present(spec.productId);
  const productProblem = requirementProblem(launch.product, hasProduct, 'a size', 'a size for the server; choose one');
  add('productId', productProblem);
  if (hasProduct && !productProblem) {
    const product = ctx.products.find((p) => p.id === spec.productId);
    if (!product) {
      add('productId', `Size ${q(spec.productId)} does not exist here; choose one of ${listSome(ctx.products.map((p) => p.id))}.`);
    } else if (ctx.image && product.architecture !== ctx.image.architecture) {
      add('productId', `Image ${q(ctx.image.id)} is built for ${ctx.image.architecture} but size ${q(product.id)} is ${product.architecture}; choose an ${ctx.image.architecture} size.`);
    }
  }

  // firewalls
  const firewallIds = Array.isArray(spec.firewallIds) ? spec.firewallIds : [];
  if (!Array.isArray(spec.firewallIds)) add('firewallIds', 'Firewalls must be a list.');
  const hasFirewall = firewallIds.length > 0 || spec.newFirewall !== undefined;
  const firewallProblem = requirementProblem(launch.firewall, hasFirewall, 'firewalls', 'at least one firewall for a server; choose one or create one');
  if (firewallProblem && launch.firewall === 'none') {
    if (firewallIds.length > 0) add('firewallIds', firewallProblem);
    if (spec.newFirewall !== undefined) add('newFirewall', firewallProblem);
  } else add('firewallIds', firewallProblem);
  if (!firewallProblem) {
    const seen = new Set<string>();
    for (const id of firewallIds) {
      if (seen.has(id)) add('firewallIds', `Firewall ${q(id)} is chosen twice.`);
      else if (!ctx.firewalls.some((f) => f.id === id)) add('firewallIds', `Firewall ${q(id)} does not exist here (any more); choose another.`);
      seen.add(id);
    }
  }
  if (spec.newFirewall !== undefined && launch.firewall !== 'none') {
    const fw = spec.newFirewall;
    if (!launch.createFirewall) {
      add('newFirewall', 'This provider cannot create a firewall at launch; choose an existing one.');
    } else {
      if (typeof fw.name !== 'string') add('newFirewall.name', 'The new firewall needs a name.');
      else {
        const problem = checkName(fw.name, launch.nameRules);
        if (problem) add('newFirewall.name', `The firewall name is refused: ${problem}`);
        else if (ctx.firewalls.some((f) => f.name === fw.name)) add('newFirewall.name', `A firewall named ${q(fw.name)} exists already; choose it, or give the new one another name.`);
      }
      if (!Array.isArray(fw.rules)) add('newFirewall.rules', 'The rules of the new firewall must be a list.');
      else {
        fw.rules.forEach((rule, i) => {
          for (const problem of checkFirewallRule(rule)) add(`newFirewall.rules.${i}.${problem.part}`, `Rule ${i + 1}: ${problem.message}`);
        });
      }
    }
  }

  // keypair
  const keypairName = present(spec.keypairName) ? spec.keypairName! : undefined;
  const toCreate = present(ctx.keypairToCreate) ? ctx.keypairToCreate! : undefined;
  const keypairProblem = requirementProblem(launch.keypair, keypairName !== undefined || toCreate !== undefined, 'a keypair', 'a keypair for a server; choose one or create one');
  add('keypairName', keypairProblem);
  if (!keypairProblem && launch.keypair !== 'none') {
    if (toCreate !== undefined) {
      if (!launch.createKeypair && !launch.importKeypair) {
        add('keypairName', 'This provider can neither create nor import a keypair; choose an existing one.');
      } else {
        const problem = checkName(toCreate, launch.nameRules);
        if (problem) add('keypairName', `The keypair name is refused: ${problem}`);
        else if (ctx.keypairs.some((k) => k.name === toCreate)) add('keypairName', `A keypair named ${q(toCreate)} exists already; choose it, or give the new one another name.`);
      }
      if (keypairName !== undefined && keypairName !== toCreate) {
        add('keypairName', `The form chooses keypair ${q(keypairName)} but creates ${q(toCreate)}; a server takes one keypair.`);
      }
    } else if (keypairName !== undefined && !ctx.keypairs.some((k) => k.name === keypairName)) {
      add('keypairName', `Keypair ${q(keypairName)} does not exist here; choose another${launch.createKeypair || launch.importKeypair ? ' or create it' : ''}.`);
    }
  }

  // group and billing code
  for (const [field, value, label, requirement] of [
    ['group', spec.group, 'group', launch.group],
    ['billingCode', spec.billingCode, 'billing code', launch.billingCode],
  ] as const) {
    const given = present(value);
    const problem = requirementProblem(requirement, given, `a ${label}`, `a ${label} for every server`);
    add(field, problem);
    if (given && !problem) add(field, checkLabel(value, label));
  }

  // volumes
  const plan = spec.volumes;
  const volumesProblem = requirementProblem(launch.volumes, plan !== undefined, 'volumes', 'a volume plan for every server');
  add('volumes', volumesProblem);
  if (plan !== undefined && !volumesProblem && launch.userData === 'none') {
    add('volumes', 'This provider takes no user data, so strata cannot format, assemble or encrypt the volumes in the guest.');
  }
  let planOk = false;
  if (plan !== undefined && !volumesProblem) {
    if (plan === null || typeof plan !== 'object') add('volumes', 'The volume plan is empty.');
    else {
      const planProblems = checkVolumePlan(plan, launch);
      for (const problem of planProblems) add(`volumes.${problem.field}`, problem.message);
      planOk = planProblems.length === 0;
    }
  }

  // user data
  const hasUserData = present(spec.userData);
  const userDataProblem = requirementProblem(launch.userData, hasUserData, 'user data', 'user data for every server');
  add('userData', userDataProblem);
  if (hasUserData && !userDataProblem) {
    // spec.userData is either the user's own text (a form) or the document strata built from it (the
    // launcher): check the user's text in both cases, and the size of what will be sent.
    const built = typeof spec.userData === 'string' ? splitUserData(spec.userData) : undefined;
    if (built) {
      if (built.userData !== undefined) for (const problem of checkUserData(built.userData, { size: false })) add('userData', problem);
      const total = byteLength(spec.userData!);
      if (total > MAX_USER_DATA_BYTES) {
        add('userData', `With strata's volume setup the user data comes to ${(total / 1024).toFixed(1)} KiB; providers take at most ${MAX_USER_DATA_BYTES / 1024} KiB, so shorten yours by ${Math.ceil((total - MAX_USER_DATA_BYTES) / 1024)} KiB.`);
      }
    }
    const userProblems = built ? [] : checkUserData(spec.userData);
    for (const problem of userProblems) add('userData', problem);
    if (!built && userProblems.length === 0 && planOk && plan) {
      // strata's volume part travels in the same user data: the two together must fit.
      const ours = buildCloudConfig({
        volumes: { plan, devices: launch.volumeDevices },
        passphrase: plan.encrypt ? 'x'.repeat(PASSPHRASE_ESTIMATE) : undefined,
      });
      const total = byteLength(buildUserData({ cloudConfig: ours, userData: spec.userData }));
      if (total > MAX_USER_DATA_BYTES) {
        add(
          'userData',
          `With strata's volume setup (${(byteLength(ours) / 1024).toFixed(1)} KiB) the user data comes to ${(total / 1024).toFixed(1)} KiB; providers take at most ${MAX_USER_DATA_BYTES / 1024} KiB, so shorten yours by ${Math.ceil((total - MAX_USER_DATA_BYTES) / 1024)} KiB.`,
        );
      }
    }
  }
  return problems;
}

/** The same problem reported twice (by two checks of one field) is shown once; the order is kept. */
export function dedupeProblems<P extends LaunchProblem>(problems: readonly P[]): P[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
