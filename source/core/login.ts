// The user an image expects at login, known per vendor family (cloud images create one default user and
// put the launch's key there: ubuntu on Ubuntu, admin on Debian's EC2 images, ec2-user on Amazon Linux…).
// Pure: the family is read from what the provider says of the image (its name, description, platform) and,
// for an image captured from another, of the image it came from.

/** A vendor family strata knows the login user of. */
export type Family =
  | 'ubuntu'
  | 'debian'
  | 'amazon'
  | 'rhel'
  | 'centos'
  | 'rocky'
  | 'alma'
  | 'fedora'
  | 'suse'
  | 'alpine'
  | 'freebsd'
  | 'windows';

/**
 * How a provider's images name their default user: 'ec2' where the vendors publish images for EC2 (their
 * EC2 builds differ: Debian's is admin, RHEL's ec2-user), 'cloud' for the vendors' generic cloud images
 * (OpenStack/KVM/NoCloud: Debian's is debian, RHEL's cloud-user).
 */
export type LoginConvention = 'ec2' | 'cloud';

interface FamilyRule {
  family: Family;
  /** Matched against the image's name, description and platform, lower-cased. */
  pattern: RegExp;
  ec2: string | undefined;
  cloud: string | undefined;
}

/** Most specific first: "rocky" before "rhel" (Rocky's descriptions say "RHEL-compatible"). */
export const FAMILY_RULES: readonly FamilyRule[] = [
  { family: 'windows', pattern: /\bwindows\b|windows_server/, ec2: undefined, cloud: undefined },
  { family: 'ubuntu', pattern: /ubuntu|canonical/, ec2: 'ubuntu', cloud: 'ubuntu' },
  { family: 'debian', pattern: /debian/, ec2: 'admin', cloud: 'debian' },
  { family: 'amazon', pattern: /amazon[ -]?linux|amzn|\bal20\d\d|\bal2\b/, ec2: 'ec2-user', cloud: 'ec2-user' },
  { family: 'rocky', pattern: /rocky/, ec2: 'rocky', cloud: 'rocky' },
  { family: 'alma', pattern: /alma ?linux|\balma\b|alma-\d/, ec2: 'ec2-user', cloud: 'almalinux' },
  { family: 'centos', pattern: /centos/, ec2: 'ec2-user', cloud: 'cloud-user' },
  { family: 'fedora', pattern: /fedora/, ec2: 'fedora', cloud: 'fedora' },
  { family: 'rhel', pattern: /\brhel|red hat/, ec2: 'ec2-user', cloud: 'cloud-user' },
  { family: 'suse', pattern: /suse|\bsles\b/, ec2: 'ec2-user', cloud: 'sles' },
  { family: 'alpine', pattern: /alpine/, ec2: 'alpine', cloud: 'alpine' },
  { family: 'freebsd', pattern: /freebsd/, ec2: 'ec2-user', cloud: 'freebsd' },
];

/** What an image says of itself, as far as the family goes. */
export interface ImageFacts {
  name: string;
  displayName?: string;
  description?: string;
  platform?: string;
}

/** The family an image's own words name, or undefined. A display name a user gave is not evidence. */
export function familyOf(image: ImageFacts): Family | undefined {
  const text = [image.name, image.description ?? '', image.platform ?? ''].join('\n').toLowerCase();
  return FAMILY_RULES.find((r) => r.pattern.test(text))?.family;
}

/** The family of the first image of a lineage (the image, then the one it was captured from, …) that names one. */
export function familyOfLineage(chain: readonly ImageFacts[]): Family | undefined {
  for (const image of chain) {
    const family = familyOf(image);
    if (family) return family;
  }
  return undefined;
}

/** The login user of a family under a provider's convention (undefined: Windows, which takes no ssh login). */
export function loginUserOf(family: Family, convention: LoginConvention): string | undefined {
  const rule = FAMILY_RULES.find((r) => r.family === family)!;
  return convention === 'ec2' ? rule.ec2 : rule.cloud;
}

/** A login name strata passes to ssh (what useradd and cloud-init accept; never an option, never a space). */
export const LOGIN_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/i;
