// Three projects in one run: unit specs next to the code, and the e2e suite twice, on an
// in-memory SQLite database and on a fresh MariaDB/MySQL database (TEST_MYSQL_URL).
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' } }];
const common = { transform: { '^.+\\.ts$': swc }, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['<rootDir>/**/*.spec.ts'] },
    { ...common, displayName: 'e2e-sqlite', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/test/setup/sqlite.ts'] },
    { ...common, displayName: 'e2e-mysql', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/test/setup/mysql.ts'] },
  ],
};
