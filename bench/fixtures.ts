/**
 * Download bodies for the decode benchmark, rendered by the emulators' own wire functions so they look
 * like the wire: a Cloudflare Logpull body (NDJSON of the fields the adapter requests, gzip), a Gcore
 * logs download (one TSV member of the adapter's columns, zipped as the Gcore emulator zips it), a
 * Tencent DSA hourly package (15-field lines, gzip), a Tencent EdgeOne L7 `.log.gz` package (one JSON
 * object per line, gzip) and a NAVER ELSA download (one JSON-array member, zipped as the ELSA
 * emulator zips it).
 */

import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { type CloudflareZone, cloudflareWireFields, serializeCloudflareRecord } from '../src/emulators/cloudflare/fields';
import { type GcoreResource, gcoreWireRow, renderTable } from '../src/emulators/gcore/columns';
import { type ElsaProject, elsaLogDocument, renderJsonMember } from '../src/emulators/naver-elsa/documents';
import { dsaLogLine } from '../src/emulators/tencent-dsa/lines';
import { edgeOneL7Record } from '../src/emulators/tencent-edgeone/records';
import { type TrafficEvent, TrafficGenerator } from '../src/emulators/traffic';
import { CLOUDFLARE_RECORD_FIELDS } from '../src/providers/cloudflare/limits';
import { GCORE_FIELDS } from '../src/providers/gcore/limits';
import type { LogPackage } from '../src/providers/packages';

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

/** The DSA host whose hourly package is read (the adapter passes the package's host as the records' source). */
export const BENCH_DSA_HOST = BENCH_ZONE.hosts[0];

/** The package as the DSA adapter's listing describes it (only key, url and label matter to the decoder). */
export const BENCH_DSA_PACKAGE: LogPackage = {
  key: `${BENCH_DSA_HOST} ${Date.UTC(2026, 0, 15, 10)}`,
  url: `https://log-download.example.com/20260115/18/20260115-${BENCH_DSA_HOST}.gz`,
  label: `${BENCH_DSA_HOST} 2026011518 (UTC+8)`,
  hourStartMs: Date.UTC(2026, 0, 15, 10),
};

/** The EdgeOne zone the L7 package belongs to: the records' source. */
export const BENCH_EDGEONE_ZONE = 'zone-2mzegj4vln5f';

/** The package as the EdgeOne adapter's listing describes it (key `<area>/<name>`, label `<name> (<area>)`). */
export const BENCH_EDGEONE_PACKAGE: LogPackage = {
  key: 'overseas/20260115100000-www.example.com.log.gz',
  url: 'https://edgeone-log.example.com/20260115100000-www.example.com.log.gz',
  label: '20260115100000-www.example.com.log.gz (overseas)',
  hourStartMs: Date.UTC(2026, 0, 15, 10),
};

export const BENCH_ELSA_PROJECT: ElsaProject = { projectId: 8171, projectKey: 'Pbxxxxx_elsa-test', projectName: 'elsa-test' };

const BENCH_FROM_MS = Date.UTC(2026, 0, 15, 10, 0);
const BENCH_TO_MS = BENCH_FROM_MS + 40 * 60_000;

/** 5000 requests/min for 40 min: about 200k events. A fixed start keeps the data the same on every run. */
export function benchEvents(): TrafficEvent[] {
  return new TrafficGenerator({ seed: 1, rpm: 5000 }).events('bench', BENCH_ZONE.hosts, BENCH_FROM_MS, BENCH_TO_MS);
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

/** A DSA hourly package as the DSA emulator serves it: `dsaLogLine` + '\n' per event, gzipSync at the default level. */
export function dsaFixture(events: readonly TrafficEvent[]): Fixture {
  const raw = Buffer.from(events.map((event) => `${dsaLogLine(event)}\n`).join(''));
  return { records: events.length, body: gzipSync(raw), rawBytes: raw.length };
}

/** An EdgeOne L7 `.log.gz` package as renderPackage writes it: one JSON record + '\n' per event, gzipSync at the default level. */
export function edgeOneFixture(events: readonly TrafficEvent[]): Fixture {
  const raw = Buffer.from(events.map((event) => `${JSON.stringify(edgeOneL7Record(event))}\n`).join(''));
  return { records: events.length, body: gzipSync(raw), rawBytes: raw.length };
}

/**
 * A NAVER ELSA JSON download as the ELSA emulator answers it: a zip (deflate level 6, fixed mtime) of one
 * member `<projectKey>_<from>_<to>.json` holding one JSON array of the documents.
 */
export function elsaFixture(events: readonly TrafficEvent[]): Fixture {
  const documents = events.map((event) => elsaLogDocument(event, BENCH_ELSA_PROJECT));
  const raw = Buffer.from(renderJsonMember(documents, 'array'));
  const mtime = new Date(BENCH_FROM_MS);
  const body = zipSync({ [`${BENCH_ELSA_PROJECT.projectKey}_${BENCH_FROM_MS}_${BENCH_TO_MS}.json`]: [raw, { level: 6, mtime }] });
  return { records: events.length, body, rawBytes: raw.length };
}
