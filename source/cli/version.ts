// strata's version, as the build stamps it (STRATA_VERSION), else a development build's.
declare const STRATA_VERSION: string | undefined;

export const VERSION = typeof STRATA_VERSION === 'string' ? STRATA_VERSION : '0.0.0-dev';
