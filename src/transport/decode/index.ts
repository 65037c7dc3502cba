/**
 * Streaming decoders: wire bytes of a provider download to batches of lines, JSON values or rows.
 * Compose them per provider, e.g. Cloudflare: parseNdjson(maybeGunzip(body, encoding));
 * Gcore: for each member of unzipMembers(body) → parseCsv(member.data), or splitLines for TSV;
 * NAVER ELSA: jsonDocumentTexts(member.data) for a JSON array or NDJSON member.
 */
export { gunzip, maybeGunzip, type GunzipOptions } from './gzip';
export { unzipMembers, type ZipMember, type UnzipOptions } from './zip';
export { splitLines, type LineOptions } from './lines';
export { parseNdjson, type NdjsonOptions } from './ndjson';
export { parseCsv, type CsvOptions } from './csv';
export { jsonDocumentTexts, type JsonDocumentOptions } from './json-array';
