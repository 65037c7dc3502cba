import { strFromU8, unzipSync, zipSync } from 'fflate';
import { oneMemberZip } from './zip';

/** The member's MS-DOS date and time as fflate writes them (local time), from the local file header. */
function dosStamp(zip: Uint8Array): number {
  return new DataView(zip.buffer, zip.byteOffset).getUint32(10, true);
}

const dosStampOf = (mtime: Date) => dosStamp(zipSync({ m: [new Uint8Array(0), { mtime }] }));

describe('oneMemberZip', () => {
  it('zips one member, the same bytes for the same input', () => {
    const zip = oneMemberZip('a.json', Buffer.from('[1,2]'), Date.UTC(2026, 10, 22));
    expect(Object.entries(unzipSync(zip)).map(([name, bytes]) => [name, strFromU8(bytes)])).toEqual([['a.json', '[1,2]']]);
    expect(Buffer.from(oneMemberZip('a.json', Buffer.from('[1,2]'), Date.UTC(2026, 10, 22))).equals(Buffer.from(zip))).toBe(true);
  });

  it('clamps an mtime outside the zip date range (1980–2099) instead of throwing', () => {
    const late = oneMemberZip('late.csv', Buffer.from('x\r\n'), Date.UTC(2150, 0, 1));
    expect(strFromU8(unzipSync(late)['late.csv'])).toBe('x\r\n');
    expect(dosStamp(late)).toBe(dosStampOf(new Date(2099, 11, 31, 23, 59, 58)));
    const early = oneMemberZip('early.csv', Buffer.from('x\r\n'), 0);
    expect(dosStamp(early)).toBe(dosStampOf(new Date(1980, 0, 1)));
    expect(() => oneMemberZip('edge.csv', Buffer.from(''), Date.UTC(2099, 11, 31, 23, 59, 59))).not.toThrow();
  });
});
