import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvFile } from './env-file';

describe(loadEnvFile.name, () => {
  const names = ['ENV_FILE_SPEC_NEW', 'ENV_FILE_SPEC_SET'];
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'env-file-spec-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
    for (const name of names) {
      delete process.env[name];
    }
  });

  it('should add the variables of the file, leaving those already set alone', () => {
    const file = join(folder, '.env');
    writeFileSync(file, 'ENV_FILE_SPEC_NEW=from-file\nENV_FILE_SPEC_SET=from-file\n');
    process.env.ENV_FILE_SPEC_SET = 'from-environment';

    loadEnvFile(file);

    expect(process.env.ENV_FILE_SPEC_NEW).toBe('from-file');
    expect(process.env.ENV_FILE_SPEC_SET).toBe('from-environment');
  });

  it('should do nothing when there is no file', () => {
    expect(() => loadEnvFile(join(folder, '.env'))).not.toThrow();
    expect(process.env.ENV_FILE_SPEC_NEW).toBeUndefined();
  });
});
