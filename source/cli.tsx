// strata's entry. The version guard runs before anything that needs Node 22 is loaded: on an older Node the
// user gets a sentence, not a stack trace from deep inside a dependency.
const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    `strata needs Node.js ${REQUIRED_MAJOR} or newer; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      'Run it through npm (npm start), which uses the Node.js the project pins, or install Node.js 22.\n',
  );
  process.exit(1);
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(process.argv.slice(2));
}
