import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, loggablePath, prettyLogsWanted, prettyStream } from '../../src/logger';

describe('log format', () => {
  it.each([
    [true, 'development', true],
    [true, undefined, true],
    [true, 'production', false],
    [true, 'test', false],
    [false, 'development', false],
    [undefined, 'development', false],
  ])('stdout a TTY: %s, NODE_ENV %s → pretty: %s', (isTTY, nodeEnv, pretty) => {
    expect(prettyLogsWanted({ isTTY, nodeEnv })).toBe(pretty);
  });

  it('pretty lines are readable and still redacted', () => {
    const lines: string[] = [];
    const out = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const log = createLogger('info', prettyStream(out, false) as pino.DestinationStream);
    log.info({ order_id: 'ord_1', req: { headers: { authorization: 'Bearer pretty-secret-token' } } }, 'charge declined');
    const text = lines.join('');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: charge declined/);
    expect(text).toContain('order_id: "ord_1"');
    expect(text).not.toContain('pretty-secret-token');
    expect(text).toContain('[redacted]');
    expect(text).not.toMatch(/^\{/);
  });
});

describe('logged paths', () => {
  it('never carry the capability tokens of buyer links or merchant onboarding pages', () => {
    expect(loggablePath('/link/tok_abc.Sig?x=1')).toBe('/link/:token');
    expect(loggablePath('/connect/return/mer_Abc_1800000000.Sig-_0123456789abcdefgh')).toBe('/connect/return/:token');
    expect(loggablePath('/connect/refresh/mer_Abc_1800000000.Sig')).toBe('/connect/refresh/:token');
    expect(loggablePath('/v1/account/onboarding_link')).toBe('/v1/account/onboarding_link');
  });
});
