import { createHash } from 'node:crypto';
import fc from 'fast-check';
import Sign from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/sign';
import { AbstractClient } from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/abstract_client';
import { signNcpV2 } from './ncp-v2';
import { signTc3, type Tc3Input } from './tc3';
import { signTencentV1, tencentV1StringToSign, type TencentV1Input } from './tencent-v1';

// Vectors from provider-spec §4.3, §5.2, §6.2 and §7; the official signer is tencentcloud-sdk-nodejs-common 4.1.220.

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

const EXAMPLE_ID = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE';
const EXAMPLE_KEY = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE';

/** The string to sign exactly as the official SDK's v1 path builds it (`AbstractClient#formatSignString`, private). */
function officialV1StringToSign(method: 'GET' | 'POST', host: string, path: string, params: Record<string, string>): string {
  const client = new AbstractClient(host, '2017-03-12', {
    credential: { secretId: 'unused', secretKey: 'unused' },
    profile: { signMethod: 'HmacSHA1', httpProfile: { reqMethod: method } },
  });
  client.path = path;
  return (client as unknown as { formatSignString(p: Record<string, string>): string }).formatSignString(params);
}

describe('Tencent API 2.0 signature (signature v1)', () => {
  const DSA_PARAMS = {
    Action: 'GetDsaHostLogs',
    Nonce: '123456789',
    SecretId: EXAMPLE_ID,
    Timestamp: '1524096000',
    hosts: '["a.dsa.qcloud.com","b.dsa.qcloud.com"]',
    startDate: '2018-04-18',
    endDate: '2018-04-18',
  };
  const DSA = { method: 'POST', host: 'dsa.api.qcloud.com', path: '/v2/index.php', secretKey: EXAMPLE_KEY } as const;

  it('builds the DSA string to sign with raw JSON values and upper-case names before lower-case (§4.3)', () => {
    expect(tencentV1StringToSign({ ...DSA, params: DSA_PARAMS })).toBe(
      'POSTdsa.api.qcloud.com/v2/index.php?Action=GetDsaHostLogs&Nonce=123456789&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE' +
        '&Timestamp=1524096000&endDate=2018-04-18&hosts=["a.dsa.qcloud.com","b.dsa.qcloud.com"]&startDate=2018-04-18',
    );
  });

  it('signs the DSA worked vector with HMAC-SHA1 by default (§4.3)', () => {
    expect(signTencentV1({ ...DSA, params: DSA_PARAMS })).toBe('bYcBsf3zxISbVrQsfsXP/4qVDrA=');
  });

  it('signs with HMAC-SHA256 when SignatureMethod=HmacSHA256, and signs that parameter too (§4.3)', () => {
    const params = { ...DSA_PARAMS, SignatureMethod: 'HmacSHA256' };
    expect(tencentV1StringToSign({ ...DSA, params })).toContain('&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&SignatureMethod=HmacSHA256&Timestamp=');
    expect(signTencentV1({ ...DSA, params })).toBe('Egjsb7O1MyG2k/qv+vkI6a07BiAc//o+kiX3sRC8vkg=');
  });

  // The python SDK's tests pass SignatureMethod among the params (the §7 row lists the others); it is signed.
  it.each([
    ['POST', 'HmacSHA1', 'p3n+pxBqF5JGZtDSxoVn5tGngf0='],
    ['GET', 'HmacSHA1', '5HAq1BOKNLEE2/uauWnp6Zv9Z3c='],
    ['POST', 'HmacSHA256', 'B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4='],
  ] as const)('reproduces the QcloudApi python SDK test vector for %s with %s (§7 rows 8–10)', (method, signatureMethod, expected) => {
    const params = {
      SecretId: 'secretIdFoo',
      Region: 'ap-guangzhou',
      SignatureMethod: signatureMethod,
      Nonce: '1290303896666895346',
      Timestamp: '1512393162',
      Action: 'DescribeInstances',
      Version: '2017-03-12',
    };
    expect(signTencentV1({ method, host: 'cvm.api.qcloud.com', path: '/v2/index.php', params, secretKey: 'secretKeyBar' })).toBe(expected);
  });

  it('signs the RequestClient and the empty Region that qcloudapi-sdk 0.2.1 always sends (§7 rows 11–12)', () => {
    const params = { ...DSA_PARAMS, RequestClient: 'SDK_NODEJS_0.2.1', Region: '' };
    expect(tencentV1StringToSign({ ...DSA, params })).toContain('&Nonce=123456789&Region=&RequestClient=SDK_NODEJS_0.2.1&SecretId=');
    expect(signTencentV1({ ...DSA, params })).toBe('BsWnbZorDyiz8Tp4oet6n9VFWUI=');
    expect(signTencentV1({ ...DSA, params: { ...params, SignatureMethod: 'HmacSHA256' } })).toBe('69FoTDgHSLbPdEhP1z3OG4srS3YxvdzRUyRMR4/HRqE=');
  });

  it("matches the official SDK's formatSignString + Sign.sign on the DSA params with SignatureMethod=HmacSHA1 (§7 row 13)", () => {
    const params = { ...DSA_PARAMS, SignatureMethod: 'HmacSHA1' };
    const official = Sign.sign(EXAMPLE_KEY, officialV1StringToSign('POST', DSA.host, DSA.path, params), 'HmacSHA1');
    expect(official).toBe('xhuDlmCvh7kTN+HpGKVPvhcdpsM=');
    expect(signTencentV1({ ...DSA, params })).toBe('xhuDlmCvh7kTN+HpGKVPvhcdpsM=');
  });

  it('signs GET and POST of the same parameters differently', () => {
    const post = signTencentV1({ ...DSA, params: DSA_PARAMS });
    const get = signTencentV1({ ...DSA, method: 'GET', params: DSA_PARAMS });
    expect(tencentV1StringToSign({ ...DSA, method: 'GET', params: DSA_PARAMS })).toMatch(/^GETdsa\.api\.qcloud\.com\/v2\/index\.php\?Action=/);
    expect(get).not.toBe(post);
  });

  it('leaves a Signature parameter out of the string to sign', () => {
    expect(signTencentV1({ ...DSA, params: { ...DSA_PARAMS, Signature: 'stale' } })).toBe('bYcBsf3zxISbVrQsfsXP/4qVDrA=');
  });

  it('replaces every underscore in a name with a dot, and none in a value', () => {
    expect(tencentV1StringToSign({ method: 'GET', host: 'h', path: '/p', params: { Filters_0_Values_1: 'a_b' } })).toBe(
      'GETh/p?Filters.0.Values.1=a_b',
    );
  });

  it('sorts names by UTF-8 byte order, which differs from UTF-16 order outside the BMP', () => {
    // U+FF21 is EF BC A1 in UTF-8 and U+1F600 is F0 9F 98 80; in UTF-16 the emoji's surrogate (D83D) sorts first.
    expect(tencentV1StringToSign({ method: 'GET', host: 'h', path: '/p', params: { '\u{1F600}': '2', '\uFF21': '1', z: '0' } })).toBe(
      'GETh/p?z=0&\uFF21=1&\u{1F600}=2',
    );
  });

  it('rejects an unknown SignatureMethod with a RangeError naming it', () => {
    expect(() => signTencentV1({ ...DSA, params: { ...DSA_PARAMS, SignatureMethod: 'HmacMD5' } })).toThrow(RangeError);
    expect(() => signTencentV1({ ...DSA, params: { ...DSA_PARAMS, SignatureMethod: 'HmacMD5' } })).toThrow(/"HmacMD5"/);
    expect(() => signTencentV1({ ...DSA, params: { ...DSA_PARAMS, SignatureMethod: 'toString' } })).toThrow(/"toString"/);
  });

  it('agrees with the official Sign.sign over 250 random GET/POST, SHA1/SHA256 parameter sets', () => {
    // Names are ASCII, as Tencent's are: there JavaScript's sort (the SDK's) and byte order agree. The SDK does not
    // rename '_' (that line is commented out), so its input gets the spec's renaming first.
    const name = fc
      .stringMatching(/^[A-Za-z][A-Za-z0-9_.]{0,11}$/)
      .filter((n) => !n.startsWith('Signature') && n !== 'toString');
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.stringMatching(/^[a-z0-9=&?%+ ]{0,16}$/),
      fc.json({ maxDepth: 2 }),
    );
    const input = fc.record({
      method: fc.constantFrom('GET' as const, 'POST' as const),
      signatureMethod: fc.constantFrom('HmacSHA1', 'HmacSHA256'),
      host: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.api\.qcloud\.com$/),
      path: fc.constantFrom('/v2/index.php', '/', '/v2/other.php'),
      secretKey: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      entries: fc.uniqueArray(fc.tuple(name, value), { maxLength: 12, selector: ([n]) => n.replaceAll('_', '.') }),
    });
    fc.assert(
      fc.property(input, ({ method, signatureMethod, host, path, secretKey, entries }) => {
        const params: Record<string, string> = { ...Object.fromEntries(entries), SignatureMethod: signatureMethod };
        const renamed = Object.fromEntries(Object.entries(params).map(([n, v]) => [n.replaceAll('_', '.'), v]));
        const officialString = officialV1StringToSign(method, host, path, renamed);
        const ours: TencentV1Input = { method, host, path, params, secretKey };
        expect(tencentV1StringToSign(ours)).toBe(officialString);
        expect(signTencentV1(ours)).toBe(Sign.sign(secretKey, officialString, signatureMethod));
      }),
      { numRuns: 250, seed: 20261122 },
    );
  });
});

describe('TC3-HMAC-SHA256', () => {
  const EDGEONE_BODY =
    '{"StartTime":"2023-11-13T00:00:00Z","EndTime":"2023-11-14T00:00:00Z","ZoneIds":["zone-2mzegj4vln5f"],"Limit":300,"Offset":0}';
  const EDGEONE: Tc3Input = {
    secretId: EXAMPLE_ID,
    secretKey: EXAMPLE_KEY,
    service: 'teo',
    host: 'teo.tencentcloudapi.com',
    timestampSec: 1700000000,
    body: EDGEONE_BODY,
    contentType: 'application/json',
  };
  const EDGEONE_AUTHORIZATION =
    'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/teo/tc3_request, SignedHeaders=content-type;host, ' +
    'Signature=1e8f0c6b5ed43fe0404bf42ebd900c4e645ba695d6fc3490e051a8e77d12f088';

  it('signs the EdgeOne DownloadL4Logs worked vector: canonical request, string to sign and Authorization (§6.2, §7 row 1)', () => {
    expect(sha256Hex(EDGEONE_BODY)).toBe('fd3801588c1c713da5cc54a358ebde4a303d3510399b917dc1dea9063daeb9c1');
    const signed = signTc3(EDGEONE);
    expect(signed.canonicalRequest).toBe(
      'POST\n/\n\ncontent-type:application/json\nhost:teo.tencentcloudapi.com\n\ncontent-type;host\n' +
        'fd3801588c1c713da5cc54a358ebde4a303d3510399b917dc1dea9063daeb9c1',
    );
    expect(sha256Hex(signed.canonicalRequest)).toBe('b8dcd80b967494d178c0c6656eb939acb590ba06e9dec129292a7054023d793e');
    expect(signed.stringToSign).toBe(
      'TC3-HMAC-SHA256\n1700000000\n2023-11-14/teo/tc3_request\nb8dcd80b967494d178c0c6656eb939acb590ba06e9dec129292a7054023d793e',
    );
    expect(signed.credentialScope).toBe('2023-11-14/teo/tc3_request');
    expect(signed.signedHeaders).toBe('content-type;host');
    expect(signed.signature).toBe('1e8f0c6b5ed43fe0404bf42ebd900c4e645ba695d6fc3490e051a8e77d12f088');
    expect(signed.authorization).toBe(EDGEONE_AUTHORIZATION);
  });

  it('gives the same Authorization as the official Sign.sign3 for the EdgeOne vector (§7 row 1)', () => {
    const official = Sign.sign3({
      method: 'POST',
      url: 'https://teo.tencentcloudapi.com',
      payload: Buffer.from(EDGEONE_BODY),
      timestamp: 1700000000,
      service: 'teo',
      secretId: EXAMPLE_ID,
      secretKey: EXAMPLE_KEY,
      multipart: false,
      boundary: '',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(official).toBe(EDGEONE_AUTHORIZATION);
    expect(signTc3({ ...EDGEONE, body: new TextEncoder().encode(EDGEONE_BODY) }).authorization).toBe(official);
  });

  // The official repo test passes the same JSON payload for GET, and sign3 hashes it whatever the method.
  it.each([
    ['POST', 'application/json', '96473b50fe407833672a5d6d067238d88bb44c8abcc39ef83baa3132afbfadd3'],
    ['GET', 'application/x-www-form-urlencoded', '39ce411ac32014b7d814118b33f82d3445be566f67e1f4b369ccdc3791ce9a13'],
  ] as const)('reproduces the official sign.test.ts vector for %s (§7 rows 4–5)', (method, contentType, expected) => {
    const signed = signTc3({
      secretId: 'test-secret-id',
      secretKey: 'test-secret-key',
      service: 'cvm',
      host: 'cvm.tencentcloudapi.com',
      timestampSec: 1640995200,
      body: '{"Action":"DescribeInstances","Version":"2017-03-12"}',
      contentType,
      method,
    });
    expect(signed.authorization).toBe(
      `TC3-HMAC-SHA256 Credential=test-secret-id/2022-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${expected}`,
    );
  });

  describe('the Tencent documentation example (DescribeInstances, 2019-02-25)', () => {
    // The body holds literal backslash-u escapes, as the doc prints it, not the Chinese characters.
    const DOC: Tc3Input = {
      secretId: EXAMPLE_ID,
      secretKey: EXAMPLE_KEY,
      service: 'cvm',
      host: 'cvm.tencentcloudapi.com',
      timestampSec: 1551113065,
      body: String.raw`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`,
      contentType: 'application/json; charset=utf-8',
    };

    it('signs content-type;host like the SDK (§7 row 6)', () => {
      expect(signTc3(DOC).signature).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
    });

    it('signs x-tc-action too, with its value lower-cased, reproducing the doc hashes (§7 rows 7a–7b)', () => {
      const signed = signTc3({ ...DOC, extraSignedHeaders: { 'X-TC-Action': 'DescribeInstances' } });
      expect(signed.signedHeaders).toBe('content-type;host;x-tc-action');
      expect(signed.canonicalRequest).toBe(
        'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\n' +
          'content-type;host;x-tc-action\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
      );
      expect(sha256Hex(signed.canonicalRequest)).toBe('7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84');
      expect(signed.signature).toBe('644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26');
    });
  });

  it('lower-cases and trims signed header names and values', () => {
    const plain = signTc3({ ...EDGEONE, extraSignedHeaders: { 'x-tc-action': 'downloadl4logs' } });
    const mixed = signTc3({
      ...EDGEONE,
      host: 'TEO.TencentCloudAPI.com',
      contentType: ' Application/JSON ',
      extraSignedHeaders: { 'X-TC-Action': ' DownloadL4Logs' },
    });
    expect(mixed.canonicalRequest).toBe(plain.canonicalRequest);
    expect(mixed.authorization).toBe(plain.authorization);
  });

  it('puts the UTC date of the timestamp in the scope, changing at UTC midnight', () => {
    expect(signTc3({ ...EDGEONE, timestampSec: 1700006399 }).credentialScope).toBe('2023-11-14/teo/tc3_request');
    expect(signTc3({ ...EDGEONE, timestampSec: 1700006400 }).credentialScope).toBe('2023-11-15/teo/tc3_request');
  });

  it('uses the service it is given, not the first label of the host', () => {
    expect(signTc3({ ...EDGEONE, host: 'teo.intl.tencentcloudapi.com' }).credentialScope).toBe('2023-11-14/teo/tc3_request');
    expect(signTc3({ ...EDGEONE, host: '127.0.0.1:8080' }).authorization).toContain('/2023-11-14/teo/tc3_request,');
  });

  it('rejects a timestamp that is not whole seconds', () => {
    expect(() => signTc3({ ...EDGEONE, timestampSec: 1700000000.5 })).toThrow(RangeError);
    expect(() => signTc3({ ...EDGEONE, timestampSec: Number.NaN })).toThrow(/whole non-negative Unix seconds, got NaN/);
  });

  it('agrees with the official Sign.sign3 over 250 random bodies, timestamps, content types, services and hosts', () => {
    const day = 86_400;
    const timestampSec = fc.oneof(
      fc.integer({ min: 946_684_800, max: 4_102_444_800 }), // 2000..2100
      fc.tuple(fc.integer({ min: 10_957, max: 47_482 }), fc.integer({ min: -2, max: 2 })).map(([d, s]) => d * day + s),
    );
    const body = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.uint8Array({ maxLength: 200 }),
    );
    // Lower-case and unpadded: the SDK signs Content-Type as sent, the doc rule lower-cases and trims (tested above).
    const contentType = fc.oneof(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded'),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,12}(; charset=[a-z0-9-]{1,8})?$/),
    );
    // Labels start with a letter so that WHATWG URL (used by sign3) never reads the host as an IPv4 address.
    const host = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}(\.[A-Za-z][A-Za-z0-9-]{0,8}){0,3}$/);
    const input = fc.record({
      secretId: fc.stringMatching(/^AKID[A-Za-z0-9]{8,32}$/),
      secretKey: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      service: fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/),
      host,
      timestampSec,
      body,
      contentType,
      method: fc.constantFrom('POST' as const, 'GET' as const),
      path: fc.oneof(fc.constant('/'), fc.stringMatching(/^(\/[a-z0-9_-]{1,8}){1,3}$/)),
      query: fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9_.~-]{1,8}=[A-Za-z0-9_.~-]{0,8}(&[A-Za-z0-9_.~-]{1,8}=[A-Za-z0-9_.~-]{0,8}){0,3}$/)),
    });
    fc.assert(
      fc.property(input, (tc3) => {
        const official = Sign.sign3({
          method: tc3.method,
          url: `https://${tc3.host}${tc3.path}${tc3.query ? `?${tc3.query}` : ''}`,
          payload: typeof tc3.body === 'string' ? Buffer.from(tc3.body, 'utf8') : Buffer.from(tc3.body),
          timestamp: tc3.timestampSec,
          service: tc3.service,
          secretId: tc3.secretId,
          secretKey: tc3.secretKey,
          multipart: false,
          boundary: '',
          headers: { 'Content-Type': tc3.contentType },
        });
        expect(signTc3(tc3).authorization).toBe(official);
      }),
      { numRuns: 250, seed: 20261122 },
    );
  });
});

describe('NAVER Cloud API Gateway signature v2', () => {
  const KEYS = { timestamp: '1700000000000', accessKey: 'ncpAccessKeyEXAMPLE', secretKey: 'ncpSecretKeyEXAMPLE' };
  const FIELDS_URI = '/api/v1/fields?projectKey=Pbxxxxx_elsa-test&projectId=8171&from=1381190400000&to=1381190400000';

  it("reproduces the POST vector, which NAVER's make_signature also gives (§5.2, §7 row 14)", () => {
    expect(signNcpV2({ method: 'POST', uri: '/api/v1/logs/download', ...KEYS })).toBe('NwR/riL3uA9IJ++jXB38+LUNrjtQr87kfpMmASzZee0=');
  });

  it('signs the query string of a GET as part of the uri (§5.2)', () => {
    expect(signNcpV2({ method: 'GET', uri: FIELDS_URI, ...KEYS })).toBe('y3gM9cw+yzlWCa9eZbqbaR+fYad3T6lJe4Uau2QdQsc=');
  });

  it('does not sign the body: the documented POST and GET vectors come from method, uri, timestamp and keys alone', () => {
    // The POST vector is for a download whose JSON body the doc sends; the same uri with any body signs the same.
    const post = signNcpV2({ method: 'POST', uri: '/api/v1/logs/download', ...KEYS });
    const get = signNcpV2({ method: 'GET', uri: FIELDS_URI, ...KEYS });
    expect([post, get]).toEqual(['NwR/riL3uA9IJ++jXB38+LUNrjtQr87kfpMmASzZee0=', 'y3gM9cw+yzlWCa9eZbqbaR+fYad3T6lJe4Uau2QdQsc=']);
  });

  it('changes the GET signature whenever the query string changes', () => {
    const query = fc.stringMatching(/^[a-zA-Z]{1,8}=[a-zA-Z0-9_.-]{0,12}(&[a-zA-Z]{1,8}=[a-zA-Z0-9_.-]{0,12}){0,3}$/);
    fc.assert(
      fc.property(query, query, (a, b) => {
        fc.pre(a !== b);
        const signA = signNcpV2({ method: 'GET', uri: `/api/v1/fields?${a}`, ...KEYS });
        const signB = signNcpV2({ method: 'GET', uri: `/api/v1/fields?${b}`, ...KEYS });
        expect(signA).not.toBe(signB);
      }),
      { numRuns: 200, seed: 20261122 },
    );
  });
});
