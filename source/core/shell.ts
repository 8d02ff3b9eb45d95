// Quoting for POSIX sh. strata never pastes text into a script: every value is validated first and then
// put inside single quotes, where the shell gives no character a meaning except the closing quote.

/**
 * Quotes any string as one POSIX sh word. Inside single quotes nothing is special ($, `, \, ", newlines,
 * escape sequences, globs all stay literal); a single quote itself is written as '\'' (close, an escaped
 * quote, reopen). The result is always a single word, also for the empty string ('').
 * NUL cannot be part of a shell word (nor of an argument), so it is refused.
 */
export function shellQuote(value: string): string {
  if (typeof value !== 'string') throw new TypeError('shellQuote needs a string.');
  if (value.includes('\0')) throw new RangeError('A NUL character cannot be passed to a shell.');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Shell variable names the generator may assign (so a name can never become code either). */
export function isShellName(name: string): boolean {
  return /^[A-Z_][A-Z0-9_]*$/.test(name);
}

/** `NAME='value'` for the data block at the top of a generated script. */
export function shellAssign(name: string, value: string): string {
  if (!isShellName(name)) throw new RangeError(`"${name}" is not a variable name the generator uses.`);
  return `${name}=${shellQuote(value)}`;
}

/** A word as a user would type it: as it is where the shell reads it so (ids, paths, flags), else quoted. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(value) ? value : shellQuote(value);
}
