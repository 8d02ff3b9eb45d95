// The tags strata writes where a provider can hold them (shared with teammates). One documented prefix.
export const TAG_PREFIX = 'strata:';
/** The display name: the conventional Name tag, which every EC2-style console shows. */
export const NAME_TAG = 'Name';
export const LABEL_TAG = `${TAG_PREFIX}label`;
export const GROUP_TAG = `${TAG_PREFIX}group`;
export const BILLING_TAG = `${TAG_PREFIX}billing-code`;
export const SOURCE_IMAGE_TAG = `${TAG_PREFIX}source-image`;
export const SOURCE_SERVER_TAG = `${TAG_PREFIX}source-server`;
export const LAUNCH_TAG = `${TAG_PREFIX}launch-id`;
/** Where a copied image came from: "<region>/<image id>" of the image it copies (services/copies.ts). */
export const COPIED_FROM_TAG = `${TAG_PREFIX}copied-from`;
/** The client token a copy was made with (a provider that does not keep CopyImage's token finds it so). */
export const COPY_TOKEN_TAG = `${TAG_PREFIX}copy-token`;
/** The tags that name things of the image's own region (its lineage), left off a copy in another region. */
export const REGIONAL_TAGS: readonly string[] = [SOURCE_IMAGE_TAG, SOURCE_SERVER_TAG, LAUNCH_TAG, COPIED_FROM_TAG, COPY_TOKEN_TAG];

/** "eu-west-1/ami-0123" as a copy's tag holds it; undefined where the value is not one. */
export function parseCopiedFrom(value: string | undefined): { region: string; imageId: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const at = value.indexOf('/');
  if (at <= 0 || at === value.length - 1) return undefined;
  return { region: value.slice(0, at), imageId: value.slice(at + 1) };
}
