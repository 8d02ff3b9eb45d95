// Whether a process of this machine is alive: a lease's holder, a partial file's writer, the keychain's
// helper. The one place strata asks the kernel (signal 0 sends nothing). A process of another user answers
// EPERM, and is alive; a pid that is not a positive whole number names no process (0 and negatives would
// ask about process groups).
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
