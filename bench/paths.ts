/**
 * What the decode benchmark times, per format: the full path (the adapter's own decoders and
 * normaliser, fed the body as 64 KiB chunks from memory, as undici would) and a bare baseline that
 * does only the unavoidable work (inflate, split into lines, JSON.parse or split on tabs or spaces;
 * one JSON.parse for a JSON array) the cheapest way we found for that format, without bounds, checks,
 * batching or normalisation.
 * Each pass resolves to the number of records it produced, which measure.ts checks.
 */

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, inflateRawSync } from 'node:zlib';
import { decodeCloudflareBody } from '../src/providers/cloudflare/parse';
import { decodeGcoreZip } from '../src/providers/gcore/parse';
import { decodeElsaZip } from '../src/providers/naver-elsa/parse';
import { DEFAULT_MAX_DECODED_BYTES } from '../src/providers/run';
import { decodeDsaPackage } from '../src/providers/tencent-dsa/parse';
import { decodeEdgeOnePackage } from '../src/providers/tencent-edgeone/parse';
import { gunzip } from '../src/transport/decode';
import {
  BENCH_DSA_HOST,
  BENCH_DSA_PACKAGE,
  BENCH_EDGEONE_PACKAGE,
  BENCH_EDGEONE_ZONE,
  BENCH_ELSA_PROJECT,
  BENCH_RESOURCE,
  BENCH_ZONE,
  type Fixture,
} from './fixtures';
import { type Pass, inChunks } from './measure';

/** One line per baseline for the report: which bare way it takes. */
export const BASELINE_NOTES = {
  cloudflare: 'node:zlib createGunzip streamed over the same 64 KiB chunks + split("\\n") + JSON.parse per line',
  gcore: 'node:zlib inflateRawSync of each member (one-shot, framing read bare) + split("\\n") + split("\\t")',
  dsa: 'node:zlib createGunzip streamed over the same 64 KiB chunks + split("\\n") + split(" ") per line',
  edgeone: 'node:zlib createGunzip streamed over the same 64 KiB chunks + split("\\n") + JSON.parse per line',
  elsa: 'node:zlib inflateRawSync of each member (one-shot, framing read bare) + JSON.parse of the whole member',
};

/** Keeps the baselines' results observable, so no engine can drop the work as dead. */
let sink: unknown;

/** The Cloudflare adapter's body decoding (what readAttempt in client.ts does after the status check). */
export function cloudflareFull(fixture: Fixture): Pass {
  const options = { contentEncoding: 'gzip', zone: BENCH_ZONE.id, maxBytes: DEFAULT_MAX_DECODED_BYTES, label: 'bench Cloudflare' };
  return async () => {
    let records = 0;
    for await (const batch of decodeCloudflareBody(inChunks(fixture.body), options)) records += batch.length;
    return records;
  };
}

/**
 * node:zlib gunzip streamed over the same 64 KiB chunks, split on '\n', `perLine` on each line.
 * Streamed because that is the cheaper bare way here: one string of the whole 140 MB body
 * (gunzipSync, toString, split) costs more in allocation and GC than the streaming it saves.
 */
function gunzippedLines(fixture: Fixture, perLine: (line: string) => unknown): Pass {
  return async () => {
    let records = 0;
    let partial = '';
    const text = new StringDecoder('utf8');
    const inflater = createGunzip({ chunkSize: 64 * 1024 });
    const piping = pipeline(Readable.from(inChunks(fixture.body)), inflater);
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      const lines = (partial + text.write(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        sink = perLine(line);
        records++;
      }
    }
    await piping;
    partial += text.end();
    if (partial !== '') {
      sink = perLine(partial);
      records++;
    }
    return records;
  };
}

/** Gunzip, split on '\n', JSON.parse per line. */
export function cloudflareBare(fixture: Fixture): Pass {
  return gunzippedLines(fixture, (line) => JSON.parse(line));
}

/** The Gcore adapter's page decoding (what readPage in client.ts does after the status check). */
export function gcoreFull(fixture: Fixture): Pass {
  const options = { format: 'tsv', source: String(BENCH_RESOURCE.id), maxMemberBytes: DEFAULT_MAX_DECODED_BYTES, label: 'bench Gcore' };
  return async () => {
    let records = 0;
    for await (const batch of decodeGcoreZip(inChunks(fixture.body), options)) records += batch.length;
    return records;
  };
}

/**
 * The members of a zip as the bare minimum reads them: local headers only (the fixtures carry sizes
 * there), each member inflated in one call of node:zlib, the inflater the full path streams through
 * and the fastest one here (fflate's unzipSync takes about twice as long).
 */
function bareUnzip(zip: Uint8Array): Buffer[] {
  const bytes = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const members: Buffer[] = [];
  for (let at = 0; bytes.readUInt32LE(at) === 0x04034b50; ) {
    const compressedSize = bytes.readUInt32LE(at + 18);
    const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
    const data = bytes.subarray(start, start + compressedSize);
    members.push(bytes.readUInt16LE(at + 8) === 0 ? data : inflateRawSync(data));
    at = start + compressedSize;
  }
  return members;
}

/** Each member inflated one-shot (bareUnzip), split on '\n', then on '\t'. */
export function gcoreBare(fixture: Fixture): Pass {
  return async () => {
    let records = 0;
    for (const data of bareUnzip(fixture.body)) {
      const lines = data.toString('utf8').split('\n');
      for (let i = 1; i < lines.length; i++) {
        if (lines[i] === '') continue;
        sink = lines[i].split('\t');
        records++;
      }
    }
    return records;
  };
}

/**
 * The Tencent DSA adapter's package decoding: what readPackage in providers/packages.ts does after the
 * download's status check (gunzip bounded by the decoded-size limit, then decodeDsaPackage).
 */
export function dsaFull(fixture: Fixture): Pass {
  const options = { maxBytes: DEFAULT_MAX_DECODED_BYTES, label: `Tencent DSA package ${BENCH_DSA_PACKAGE.label}` };
  return async () => {
    let records = 0;
    for await (const batch of decodeDsaPackage(gunzip(inChunks(fixture.body), options), BENCH_DSA_PACKAGE, BENCH_DSA_HOST)) records += batch.length;
    return records;
  };
}

/** Gunzip, split on '\n', then on ' '. */
export function dsaBare(fixture: Fixture): Pass {
  return gunzippedLines(fixture, (line) => line.split(' '));
}

/**
 * The Tencent EdgeOne adapter's L7 package decoding: what readPackage in providers/packages.ts does
 * after the download's status check (gunzip bounded by the decoded-size limit, then decodeEdgeOnePackage).
 */
export function edgeOneFull(fixture: Fixture): Pass {
  const options = { maxBytes: DEFAULT_MAX_DECODED_BYTES, label: `Tencent EdgeOne package ${BENCH_EDGEONE_PACKAGE.label}` };
  return async () => {
    let records = 0;
    for await (const batch of decodeEdgeOnePackage(gunzip(inChunks(fixture.body), options), BENCH_EDGEONE_PACKAGE, 'l7', BENCH_EDGEONE_ZONE)) {
      records += batch.length;
    }
    return records;
  };
}

/** The same bare work as Cloudflare's (gzip NDJSON): node:zlib gunzip streamed, split on '\n', JSON.parse per line. */
export function edgeOneBare(fixture: Fixture): Pass {
  return cloudflareBare(fixture);
}

/** The NAVER ELSA adapter's download decoding (what the client does after the status check). */
export function elsaFull(fixture: Fixture): Pass {
  const options = { project: BENCH_ELSA_PROJECT.projectKey, maxMemberBytes: DEFAULT_MAX_DECODED_BYTES, label: 'bench NAVER ELSA' };
  return async () => {
    let records = 0;
    for await (const batch of decodeElsaZip(inChunks(fixture.body), options)) records += batch.length;
    return records;
  };
}

/**
 * Each member inflated one-shot (bareUnzip), then one JSON.parse of the whole member. One-shot because a
 * JSON array has no cheap split points: parsing it whole is the least work there is.
 */
export function elsaBare(fixture: Fixture): Pass {
  return async () => {
    let records = 0;
    for (const data of bareUnzip(fixture.body)) {
      const documents = JSON.parse(data.toString('utf8')) as unknown[];
      sink = documents;
      records += documents.length;
    }
    return records;
  };
}
