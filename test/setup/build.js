// globalSetup of the scale-out and entry-point tests: they run the production build (dist/) in
// processes of their own. Jest runs it once per run, however many projects name it.
const { execSync } = require('node:child_process');

module.exports = () => {
  execSync('npx --no-install nest build', {
    cwd: require('node:path').join(__dirname, '..', '..'),
    stdio: 'inherit',
  });
};
