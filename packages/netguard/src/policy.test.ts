import { describe, expect, it } from 'vitest';
import { parseAllowList } from './allow-list.ts';
import { checkUrlSyntax, type NetPolicy, type ResolvedAddress, resolveAndCheck } from './policy.ts';
import { BLOCKED_LITERALS } from './ssrf-cases.ts';

const none = parseAllowList([]);
const dev: NetPolicy = { requireHttps: false, allow: none };

/** A resolver answering from a table, counting its calls. */
function table(answers: Record<string, string[]>): NetPolicy['resolve'] & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

describe('checkUrlSyntax', () => {
  it.each(BLOCKED_LITERALS)('blocks %s as %s', (url, range) => {
    const result = checkUrlSyntax(url, dev);
    expect(result).toMatchObject({ ok: false, code: 'non_public_address' });
    if (!result.ok) expect(result.reason).toContain(`is a ${range} address`);
  });

  it('names the IPv4 an IPv4-mapped address stands for', () => {
    expect(checkUrlSyntax('http://[::ffff:7f00:1]/', dev)).toEqual({
      ok: false,
      code: 'non_public_address',
      reason: '::ffff:7f00:1 (IPv4 127.0.0.1) is a loopback address, not a public one',
    });
  });

  it.each([
    'https://93.184.215.14/hook',
    'http://8.8.8.8/',
    'https://[2606:4700:4700::1111]/',
    'https://example.com/hook?x=1',
    // A hostname is only judged once resolved.
    'http://localhost/',
  ])('lets %s through', (url) => {
    const result = checkUrlSyntax(url, dev);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.url.href).toBe(new URL(url).href);
  });

  it('refuses other schemes and invalid URLs without echoing them', () => {
    for (const url of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'gopher://127.0.0.1/',
      'javascript:alert(1)',
    ]) {
      expect(checkUrlSyntax(url, dev)).toMatchObject({ ok: false, code: 'unsupported_scheme' });
    }
    expect(checkUrlSyntax('not a url?token=s3cret', dev)).toEqual({
      ok: false,
      code: 'invalid_url',
      reason: 'not a valid absolute URL',
    });
  });

  it('refuses http when https is required', () => {
    const prod: NetPolicy = { requireHttps: true, allow: none };
    expect(checkUrlSyntax('http://example.com/', prod)).toMatchObject({ ok: false, code: 'https_required' });
    expect(checkUrlSyntax('https://example.com/', prod).ok).toBe(true);
    // The allow-list opens addresses, not plain http.
    const allowed: NetPolicy = { requireHttps: true, allow: parseAllowList(['127.0.0.1']) };
    expect(checkUrlSyntax('http://127.0.0.1/', allowed)).toMatchObject({ ok: false, code: 'https_required' });
  });

  it.each([
    'https://alice:hunter2@example.com/',
    'https://alice@example.com/',
    'https://:hunter2@example.com/',
  ])('refuses credentials in %s without repeating them', (url) => {
    const result = checkUrlSyntax(url, dev);
    expect(result).toMatchObject({ ok: false, code: 'credentials_in_url' });
    if (!result.ok) expect(result.reason).not.toMatch(/alice|hunter2/);
  });

  it('lets an allow-listed address, CIDR or mapped spelling through, and nothing else', () => {
    const policy: NetPolicy = {
      requireHttps: false,
      allow: parseAllowList(['127.0.0.0/8', 'fd00::/8', '10.9.8.7']),
    };
    for (const url of [
      'http://127.0.0.1:3000/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://10.9.8.7/',
    ]) {
      expect(checkUrlSyntax(url, policy).ok, url).toBe(true);
    }
    for (const url of ['http://[::1]/', 'http://10.9.8.6/', 'http://[fc00::1]/', 'http://169.254.169.254/']) {
      expect(checkUrlSyntax(url, policy).ok, url).toBe(false);
    }
  });
});

describe('resolveAndCheck', () => {
  it('checks every resolved address: one private answer blocks the host', async () => {
    const resolve = table({
      'public.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
      'private.test': ['10.0.0.5'],
      'mixed.test': ['93.184.215.14', '127.0.0.1'],
      'mapped.test': ['::ffff:a9fe:a9fe'],
      'metadata.test': ['169.254.169.254'],
    });
    const policy: NetPolicy = { requireHttps: false, allow: none, resolve };
    expect(await resolveAndCheck(new URL('https://public.test/hook'), policy)).toEqual({
      ok: true,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    expect(await resolveAndCheck(new URL('https://private.test/'), policy)).toEqual({
      ok: false,
      code: 'non_public_address',
      // The internal address itself is not disclosed.
      reason: 'private.test resolves to a private address, not a public one',
    });
    expect(await resolveAndCheck(new URL('https://mixed.test/'), policy)).toMatchObject({
      ok: false,
      reason: 'mixed.test resolves to a loopback address, not a public one',
    });
    expect(await resolveAndCheck(new URL('https://mapped.test/'), policy)).toMatchObject({ ok: false });
    expect(await resolveAndCheck(new URL('https://metadata.test/'), policy)).toMatchObject({ ok: false });
  });

  it('blocks localhost through the real OS resolver', async () => {
    const result = await resolveAndCheck(new URL('http://localhost:8080/'), dev);
    expect(result).toMatchObject({ ok: false, code: 'non_public_address' });
    if (!result.ok) expect(result.reason).toMatch(/^localhost resolves to a loopback address/);
  });

  it('judges an IP literal without resolving it, and runs the syntax checks first', async () => {
    const resolve = table({});
    const policy: NetPolicy = { requireHttps: true, allow: none, resolve };
    expect(await resolveAndCheck(new URL('https://127.0.0.1/'), policy)).toMatchObject({ ok: false });
    expect(await resolveAndCheck(new URL('https://8.8.8.8/'), policy)).toEqual({
      ok: true,
      addresses: ['8.8.8.8'],
    });
    expect(await resolveAndCheck(new URL('http://example.test/'), policy)).toMatchObject({
      code: 'https_required',
    });
    expect(resolve.calls).toEqual([]);
  });

  it('reports a name that does not resolve as a DNS failure, not a block', async () => {
    const policy: NetPolicy = { requireHttps: false, allow: none, resolve: table({ 'empty.test': [] }) };
    expect(await resolveAndCheck(new URL('https://nowhere.test/'), policy)).toEqual({
      ok: false,
      code: 'dns_failure',
      reason: 'nowhere.test did not resolve (ENOTFOUND)',
    });
    expect(await resolveAndCheck(new URL('https://empty.test/'), policy)).toMatchObject({
      code: 'dns_failure',
    });
  });

  it('lets an allow-listed hostname or CIDR through whatever it resolves to', async () => {
    const resolve = table({
      'hooks.local': ['127.0.0.1', '::1'],
      'hooks.local.': ['127.0.0.1'],
      'lab.test': ['10.20.0.7'],
      'other.test': ['10.30.0.1'],
    });
    const policy: NetPolicy = {
      requireHttps: false,
      allow: parseAllowList(['Hooks.Local', '10.20.0.0/16']),
      resolve,
    };
    expect(await resolveAndCheck(new URL('http://hooks.local/'), policy)).toEqual({
      ok: true,
      addresses: ['127.0.0.1', '::1'],
    });
    expect(await resolveAndCheck(new URL('http://hooks.local./'), policy)).toMatchObject({ ok: true });
    expect(await resolveAndCheck(new URL('http://lab.test/'), policy)).toEqual({
      ok: true,
      addresses: ['10.20.0.7'],
    });
    expect(await resolveAndCheck(new URL('http://other.test/'), policy)).toMatchObject({ ok: false });
  });
});

describe('parseAllowList', () => {
  it('accepts IPs, CIDRs and hostnames, skipping blanks', () => {
    const allow = parseAllowList(['127.0.0.1', ' 10.0.0.0/8 ', 'fd00::/8', '::1', 'Hooks.Local', '', '  ']);
    expect(allow.entries).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'hooks.local']);
    expect(allow.allowsAddress('10.255.0.1')).toBe(true);
    expect(allow.allowsAddress('11.0.0.1')).toBe(false);
    expect(allow.allowsAddress('fdff::1')).toBe(true);
    expect(allow.allowsAddress('::1')).toBe(true);
    expect(allow.allowsAddress('::2')).toBe(false);
    expect(allow.allowsHostname('hooks.local')).toBe(true);
    expect(allow.allowsHostname('evil.hooks.local')).toBe(false);
  });

  it.each([
    ['10.0.0.1/8', 'host bits are set; did you mean 10.0.0.0/8?'],
    ['10.0.0.0/33', 'not an IP, a CIDR'],
    ['::/129', 'not an IP, a CIDR'],
    ['10.0.0.0/abc', 'not an IP, a CIDR'],
    ['10.0.0.0/08', 'not an IP, a CIDR'],
    ['0.0.0.0/0', 'a /0 range would allow every address'],
    ['::/0', 'a /0 range would allow every address'],
    ['::ffff:10.0.0.0/104', 'write IPv4-mapped ranges as IPv4 CIDRs'],
    ['*.example.com', 'wildcards are not supported'],
    ['http://example.com', 'not a bare hostname'],
    ['example.com:8080', 'not a bare hostname'],
    ['user@example.com', 'not a bare hostname'],
    ['bad host', 'not an IP, a CIDR or a hostname'],
    ['127.1', 'not a plain address; write 127.0.0.1'],
    ['0x7f.1', 'not a plain address; write 127.0.0.1'],
    ['2130706433', 'not a plain address; write 127.0.0.1'],
    ['[::1]', 'not a plain address; write ::1'],
  ])('refuses %s naming it', (entry, why) => {
    expect(() => parseAllowList(['127.0.0.1', entry])).toThrow(
      `invalid allow-list entry ${JSON.stringify(entry)}: ${why}`,
    );
  });
});
