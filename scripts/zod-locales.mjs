// zod's classic API re-exports every locale it has (z.locales: 60 languages, ~360 KB of the bundle) that
// strata never uses: its messages are its own, and zod's default is English (registered by its schemas
// from ../locales/en.js directly). In the bundle z.locales is English alone, so the chunk that holds zod
// (loaded on the way to the first frame: the launcher checks journal entries with it) is half the size.
export { default as en } from 'zod/v4/locales/en.js';
