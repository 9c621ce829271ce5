import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { sandboxBanner } from '../../src/sandbox/banner';

const ADMIN = 'banner-admin-token-0123456789abcdef';
let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hc-banner-'));
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sandboxConfig = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, ...env });

describe('the sandbox banner says where the operator token is', () => {
  it('with ADMIN_TOKEN set: the variable, never a file (and no file holding another token is written)', () => {
    const banner = sandboxBanner(sandboxConfig({ ADMIN_TOKEN: ADMIN }));
    expect(banner).toContain('operator token: the ADMIN_TOKEN you set');
    expect(banner).not.toContain('admin-token');
    expect(banner).not.toContain(ADMIN);
    expect(fs.existsSync(path.join(dataDir, 'admin-token'))).toBe(false);
  });

  it('without it: the file the generated token is in, which holds the token in use', () => {
    const config = sandboxConfig();
    const banner = sandboxBanner(config);
    expect(banner).toContain(`operator token in ${dataDir}/admin-token`);
    expect(banner).not.toContain(config.ADMIN_TOKEN);
    expect(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8')).toBe(config.ADMIN_TOKEN);
  });

  it('a generated token whose file was deleted gets its file back', () => {
    const first = sandboxConfig();
    fs.rmSync(path.join(dataDir, 'admin-token'));
    const again = sandboxConfig();
    expect(again.ADMIN_TOKEN).toBe(first.ADMIN_TOKEN);
    expect(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8')).toBe(first.ADMIN_TOKEN);
  });
});
