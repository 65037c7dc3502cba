import { unzipSync, zipSync } from 'fflate';
import { gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { damagedGzip, damagedZip } from './damage';

const text = Buffer.from('a log line\n'.repeat(1000));

describe('damaged bodies for the corrupt fault switches', () => {
  it('a damaged zip keeps its framing but its member fails to inflate with a data error, and the original is untouched', () => {
    const zip = zipSync({ 'logs.csv': [text, { level: 6 }] });
    const damaged = damagedZip(zip);
    expect(damaged.length).toBe(zip.length);
    expect(() => unzipSync(damaged)).toThrow();
    const view = new DataView(damaged.buffer, damaged.byteOffset);
    const dataStart = 30 + view.getUint16(26, true) + view.getUint16(28, true);
    expect(() => inflateRawSync(damaged.subarray(dataStart, dataStart + view.getUint32(18, true)))).toThrow(/invalid block type/);
    expect(Buffer.from(unzipSync(zip)['logs.csv'])).toEqual(text);
  });

  it('a damaged gzip keeps its header but fails to inflate with a data error, and the original is untouched', () => {
    const gz = gzipSync(text);
    const damaged = damagedGzip(gz);
    expect(damaged.subarray(0, 3)).toEqual(gz.subarray(0, 3));
    expect(() => gunzipSync(damaged)).toThrow(/invalid block type/);
    expect(gunzipSync(gz)).toEqual(text);
  });
});
