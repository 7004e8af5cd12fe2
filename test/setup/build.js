// globalSetup of the scale-out tests: they run the production build in processes of their own.
const { execSync } = require('node:child_process');

module.exports = () => {
  execSync('npx --no-install nest build', {
    cwd: require('node:path').join(__dirname, '..', '..'),
    stdio: 'inherit',
  });
};
