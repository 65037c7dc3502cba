/**
 * What the decode benchmark times, per format: the full path (the adapter's own decoders and
 * normaliser, fed the body as 64 KiB chunks from memory, as undici would) and a bare baseline that
 * does only the unavoidable work (inflate, split into lines, JSON.parse or split on tabs) the
 * cheapest way we found for that format, without bounds, checks, batching or normalisation.
 * Each pass resolves to the number of records it produced, which measure.ts checks.
 */

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { unzipSync } from 'fflate';
import { decodeCloudflareBody } from '../src/providers/cloudflare/parse';
import { decodeGcoreZip } from '../src/providers/gcore/parse';
import { DEFAULT_MAX_DECODED_BYTES } from '../src/providers/run';
import { BENCH_RESOURCE, BENCH_ZONE, type Fixture } from './fixtures';
import { type Pass, inChunks } from './measure';

/** One line per baseline for the report: which bare way it takes. */
export const BASELINE_NOTES = {
  cloudflare: 'node:zlib createGunzip streamed over the same 64 KiB chunks + split("\\n") + JSON.parse per line',
  gcore: 'fflate unzipSync of the whole archive (one-shot) + split("\\n") + split("\\t")',
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
 * node:zlib gunzip streamed over the same 64 KiB chunks, split on '\n', JSON.parse per line. Streamed
 * because that is the cheaper bare way here: one string of the whole 140 MB body (gunzipSync, toString,
 * split) costs more in allocation and GC than the streaming it saves.
 */
export function cloudflareBare(fixture: Fixture): Pass {
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
        sink = JSON.parse(line);
        records++;
      }
    }
    await piping;
    partial += text.end();
    if (partial !== '') {
      sink = JSON.parse(partial);
      records++;
    }
    return records;
  };
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
 * fflate unzipSync of the whole archive (the inflater the full path streams through), split on '\n',
 * then on '\t'. One-shot because that is the cheaper bare way here: fflate's streaming Unzip costs more.
 */
export function gcoreBare(fixture: Fixture): Pass {
  return async () => {
    let records = 0;
    for (const data of Object.values(unzipSync(fixture.body))) {
      const lines = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8').split('\n');
      for (let i = 1; i < lines.length; i++) {
        if (lines[i] === '') continue;
        sink = lines[i].split('\t');
        records++;
      }
    }
    return records;
  };
}
