// One run: unit specs next to the code; the e2e suite twice, on an in-memory SQLite database and
// on a scratch MariaDB/MySQL database (TEST_MYSQL_URL); the entry points as processes on both;
// the scale-out processes on MariaDB; the browser tests in Chromium.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
  },
];
const common = {
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: __dirname,
};
const e2e = (name, setup) => ({
  ...common,
  displayName: name,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  setupFiles: [`<rootDir>/test/setup/${setup}.ts`],
});

// The entry points README documents (CLI, REPL, migration runner, npm start), run from the
// build as processes. `npm start` and the server's start-up checks don't depend on the database:
// they run on SQLite only.
const entryPoints = (name, setup, ignore = []) => ({
  ...common,
  displayName: name,
  testMatch: ['<rootDir>/test/entrypoints/**/*.process-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...ignore],
  setupFiles: [`<rootDir>/test/setup/${setup}.ts`],
  globalSetup: '<rootDir>/test/setup/build.js',
});

// The hostile-input suite (issue 13): every route, form and the stream attacked as an outsider
// would, on SQLite; the cases that only MariaDB can show (locks, collations) on MariaDB.
const attack = (name, setup, pattern) => ({
  ...common,
  displayName: name,
  testMatch: [`<rootDir>/test/attack/**/${pattern}`],
  setupFiles: [`<rootDir>/test/setup/${setup}.ts`],
});

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

async function mysqlAnswers(url) {
  try {
    const connection = await require('mysql2/promise').createConnection(url);
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

module.exports = async () => {
  const projects = [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/*.spec.ts'],
    },
    e2e('e2e-sqlite', 'sqlite'),
    entryPoints('entry-points', 'sqlite'),
    attack('attack', 'sqlite', '*.attack-spec.ts'),
  ];
  const mysqlUrl = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
  if (process.env.CI === 'true' || (await mysqlAnswers(mysqlUrl))) {
    projects.push(e2e('e2e-mysql', 'mysql'));
    projects.push(
      entryPoints('entry-points-mysql', 'mysql', ['/test/entrypoints/(start|cluster)\\.']),
    );
    projects.push(attack('attack-mysql', 'mysql', '*.attack-mysql-spec.ts'));
    projects.push({
      ...common,
      displayName: 'scale-out',
      testMatch: ['<rootDir>/test/scaleout/**/*.scaleout-spec.ts'],
      setupFiles: ['<rootDir>/test/setup/mysql.ts'],
      globalSetup: '<rootDir>/test/setup/build.js',
    });
  } else {
    console.warn(
      `\n!!! SKIPPING the e2e, entry-point and scale-out suites on MySQL: nothing answers at ${mysqlUrl}.\n` +
        '!!! Start MariaDB or set TEST_MYSQL_URL (with CI=true this is a failure, not a skip).\n',
    );
  }
  if (process.env.CI === 'true' || require('node:fs').existsSync(CHROMIUM)) {
    projects.push({
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      setupFiles: ['<rootDir>/test/setup/sqlite.ts'],
    });
  } else {
    console.warn(
      `\n!!! SKIPPING the browser tests: no Chromium at ${CHROMIUM}.\n` +
        '!!! Install it with `apt-get install -y chromium` (with CI=true this is a failure, not a skip).\n',
    );
  }
  return { testTimeout: 30000, projects };
};
