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
