/**
 * Download bodies for the decode benchmark, rendered by the emulators so they look like the wire:
 * a Cloudflare Logpull body (NDJSON of the fields the adapter requests, gzip) and a Gcore logs
 * download (one TSV member of the adapter's columns, zipped as the Gcore emulator zips it).
 */

import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { type CloudflareZone, cloudflareWireFields, serializeCloudflareRecord } from '../src/emulators/cloudflare-fields';
import { type GcoreResource, gcoreWireRow, renderTable } from '../src/emulators/gcore-columns';
import { type TrafficEvent, TrafficGenerator } from '../src/emulators/traffic';
import { CLOUDFLARE_RECORD_FIELDS } from '../src/providers/cloudflare/limits';
import { GCORE_FIELDS } from '../src/providers/gcore/limits';

export interface Fixture {
  /** Records in the body (Gcore: data rows, header excluded). */
  records: number;
  /** The body as it arrives: gzip or zip bytes. */
  body: Uint8Array;
  /** Inflated size of the body. */
  rawBytes: number;
}

export const BENCH_ZONE: CloudflareZone = {
  id: '023e105f4ecef8ad9ca31a8372d0c353',
  name: 'example.com',
  hosts: ['www.example.com', 'static.example.com'],
};

export const BENCH_RESOURCE: GcoreResource = { id: 100001, cname: 'cdn.example.com' };

/** 5000 requests/min for 40 min: about 200k events. A fixed start keeps the data the same on every run. */
export function benchEvents(): TrafficEvent[] {
  const fromMs = Date.UTC(2026, 0, 15, 10, 0);
  return new TrafficGenerator({ seed: 1, rpm: 5000 }).events('bench', BENCH_ZONE.hosts, fromMs, fromMs + 40 * 60_000);
}

/** What `logs/received?fields=<CLOUDFLARE_RECORD_FIELDS>&timestamps=unixnano` answers, gzip-encoded. */
export function cloudflareFixture(events: readonly TrafficEvent[]): Fixture {
  const lines = events.map(
    (event) => `${serializeCloudflareRecord(cloudflareWireFields(event, BENCH_ZONE, CLOUDFLARE_RECORD_FIELDS, 'unixnano'))}\n`,
  );
  const raw = Buffer.from(lines.join(''));
  return { records: events.length, body: gzipSync(raw), rawBytes: raw.length };
}

/** What `logs/download?format=tsv&fields=<GCORE_FIELDS>` answers: a zip of one TSV member, deflate level 6 as the emulator writes it. */
export function gcoreFixture(events: readonly TrafficEvent[]): Fixture {
  const table = renderTable(
    events.map((event) => gcoreWireRow(event, BENCH_RESOURCE)),
    GCORE_FIELDS,
    'tsv',
  );
  const raw = Buffer.from(table);
  const mtime = new Date(Date.UTC(2026, 0, 15, 10, 0));
  const body = zipSync({ '20260115T100000_20260115T104000_tsv.tsv': [raw, { level: 6, mtime }] });
  return { records: events.length, body, rawBytes: raw.length };
}
