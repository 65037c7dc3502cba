/**
 * NAVER ELSA log documents (provider-spec §5.4): how a traffic event becomes the application log
 * document an ELSA project holds, and how a download's member renders those documents as JSON (an
 * array or NDJSON) or CSV. ELSA is an application log service, so the HTTP facts of an event appear
 * only as custom fields the "application" chose to log.
 */

import Papa from 'papaparse';
import { seededDice } from '../random';
import type { TrafficEvent } from '../traffic';

export interface ElsaProject {
  projectId: number;
  projectKey: string;
  projectName: string;
}

/** One log document: field name to value. Which custom fields are present varies per document. */
export type ElsaLogDocument = Record<string, string | number>;

/** The fields ELSA itself defines (N5), plus `host` (N4), in the order a CSV header lists them. */
const ELSA_STANDARD_FIELDS = [
  'logTime',
  'sendTime',
  'projectName',
  'projectVersion',
  'logLevel',
  'logType',
  'logSource',
  'body',
  'host',
] as const;

/** The custom fields our synthetic application sends, in CSV header order; `ExceptionType` only on 5xx (N1 example). */
const ELSA_CUSTOM_FIELDS = ['clientIp', 'userAgent', 'status', 'durationMs', 'ExceptionType'] as const;

/** Every field a document can have: the header of a CSV member downloaded without includeFields. */
export const ELSA_FIELDS: readonly string[] = [...ELSA_STANDARD_FIELDS, ...ELSA_CUSTOM_FIELDS];

/** The servers that emit a project's logs: a document's `host`. */
export const ELSA_HOSTS = ['app-01', 'app-02', 'app-03'] as const;

const ELSA_PROJECT_VERSION = '1.4.2';

const MAX_SEND_DELAY_MS = 2000;
const DEBUG_SHARE = 0.05;
const EXCEPTION_TYPES = [
  'java.lang.NullPointerException',
  'java.lang.IllegalStateException',
  'java.net.SocketTimeoutException',
  'java.sql.SQLTransientConnectionException',
  'org.springframework.dao.DataAccessResourceFailureException',
] as const;

/** The traffic source key of a project, for `TrafficGenerator.events`. */
export function elsaTrafficSource(project: ElsaProject): string {
  return `elsa:${project.projectKey}`;
}

/**
 * The full log document of one event (spec 5.4 fields), before includeFields. The few values an event
 * does not carry (send delay, DEBUG level, exception class) are drawn from dice keyed by its ray id,
 * so a document never changes between downloads.
 */
export function elsaLogDocument(event: TrafficEvent, project: ElsaProject): ElsaLogDocument {
  const dice = seededDice('elsa-document', event.rayId);
  // Always three draws in this order, whatever the event, so each value depends on the ray id alone.
  const sendDelayMs = dice.int(0, MAX_SEND_DELAY_MS);
  const debug = dice.chance(DEBUG_SHARE);
  const exceptionType = dice.pick(EXCEPTION_TYPES);
  const access = event.method === 'GET' || event.method === 'HEAD';
  const target = event.query === null ? event.path : `${event.path}?${event.query}`;
  const document: ElsaLogDocument = {
    logTime: event.timestampMs,
    sendTime: event.timestampMs + sendDelayMs,
    projectName: project.projectName,
    projectVersion: ELSA_PROJECT_VERSION,
    logLevel: event.status >= 500 ? 'ERROR' : event.status >= 400 ? 'WARN' : debug ? 'DEBUG' : 'INFO',
    logType: access ? 'access' : 'app',
    logSource: access ? 'nginx' : 'api-server',
    body: `${event.method} ${target} ${event.status} ${event.durationMs}ms`,
    host: event.host,
    clientIp: event.clientIp,
    userAgent: event.userAgent,
    status: event.status,
    durationMs: event.durationMs,
  };
  if (event.status >= 500) document.ExceptionType = exceptionType;
  return document;
}

/**
 * `includeFields` applied to one document: those fields in the listed order, a name the document lacks
 * simply absent (Elasticsearch `_source` filtering, which ELSA's field list mirrors [I]).
 */
export function projectFields(document: ElsaLogDocument, fields: readonly string[]): ElsaLogDocument {
  const projected: ElsaLogDocument = {};
  for (const field of fields) {
    if (Object.hasOwn(document, field)) projected[field] = document[field];
  }
  return projected;
}

/** How a JSON member is written; undocumented, so both are served and clients must accept both (spec 5.4, §10 #8). */
export type ElsaJsonShape = 'array' | 'ndjson';

/** A JSON member: one JSON array of the documents, or one document per line (each line ends with `\n`). */
export function renderJsonMember(documents: readonly ElsaLogDocument[], shape: ElsaJsonShape): string {
  if (shape === 'array') return JSON.stringify(documents);
  return documents.map((document) => `${JSON.stringify(document)}\n`).join('');
}

/**
 * A CSV member (spec 5.4): a header row of `fields`, then one row per document, RFC 4180 quoting and
 * CRLF line ends (every row, the last included); a field a document lacks is an empty cell.
 */
export function renderCsvMember(documents: readonly ElsaLogDocument[], fields: readonly string[]): string {
  // Own fields only: `constructor` or `toString` in includeFields are names the document lacks, not its prototype's.
  const data = documents.map((document) => fields.map((field) => (Object.hasOwn(document, field) ? document[field] : '')));
  const text = Papa.unparse({ fields: [...fields], data }, { newline: '\r\n', quotes: false, escapeFormulae: false });
  // papaparse ends a header-only table with a line break but not one with rows; make every row end alike.
  return text.endsWith('\r\n') ? text : `${text}\r\n`;
}
