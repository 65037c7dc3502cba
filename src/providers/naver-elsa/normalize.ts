import { type AttributeValue, type CdnLogRecord, emptyRecord, type Severity } from '../../core/record';
import { boundedAttribute } from '../../core/attributes';
import { stableId } from '../record-id';
import { inDateRange, parseIsoInstant } from '../../core/time';

/**
 * `logTime`: epoch ms UTC (as a number, or a numeric string in CSV) or an ISO 8601 string [I], read as
 * UTC when it names no zone (never in the machine's zone); null when unusable or outside what a Date can hold.
 */
export function timeMs(value: unknown): number | null {
  if (typeof value === 'number') return inDateRange(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!/^\d+(?:\.\d+)?$/.test(text)) return parseIsoInstant(text, 0);
  const ms = Number(text);
  return inDateRange(ms) ? ms : null;
}

/** `logLevel` to the record's three severities; the level itself stays an attribute. */
export function elsaSeverity(level: unknown): Severity {
  const upper = typeof level === 'string' ? level.toUpperCase() : '';
  if (upper === 'ERROR' || upper === 'FATAL' || upper === 'CRITICAL' || upper === 'SEVERE') return 'error';
  if (upper === 'WARN' || upper === 'WARNING') return 'warning';
  return 'info';
}

/**
 * One ELSA log document: an application log, not an HTTP request (provider-spec §5.4, §8 NAVER
 * column). `body` is the message; `logLevel` gives the severity; every other field, `host` (the
 * emitting server, not an HTTP host), `logType`, `logSource` and the application's custom fields,
 * is kept as an attribute under its own name. `text` is the document as received, its identity.
 * Null when the document has no usable logTime.
 */
export function normalizeElsa(doc: Record<string, unknown>, project: string, text: string): CdnLogRecord | null {
  const timestamp = timeMs(doc.logTime);
  if (timestamp === null) return null;
  const record = emptyRecord('naver-elsa', project, timestamp);
  record.message = typeof doc.body === 'string' ? doc.body : doc.body === undefined || doc.body === null ? null : JSON.stringify(boundedAttribute(doc.body));
  record.severity = elsaSeverity(doc.logLevel);
  for (const key in doc) {
    if (key === 'logTime' || key === 'body') continue;
    const value = doc[key];
    if (value === null || value === undefined || value === '') continue;
    record.attributes[key] = boundedAttribute(value);
  }
  record.id = stableId(`${project}\n${text}`);
  return record;
}
