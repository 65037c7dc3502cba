import type { AttributeValue } from './record';

/** Deeper than any real log field; JSON nested deeper is cut here so that writing it cannot overflow the stack. */
export const MAX_ATTRIBUTE_DEPTH = 32;

/** What stands where a value nested deeper than MAX_ATTRIBUTE_DEPTH was cut. */
export const TOO_DEEP = `[nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels]`;

/**
 * A provider's JSON value, safe to keep as an attribute: the same value when it is at most
 * MAX_ATTRIBUTE_DEPTH deep and holds only finite numbers (the common case: no copy), else a copy
 * whose deeper parts are TOO_DEEP and whose ±Infinity (JSON's `1e400`, which JSON would write back as
 * null) is the text "Infinity". Measured without recursion: 200,000 levels deep cost no stack.
 */
export function boundedAttribute(value: unknown): AttributeValue {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value !== 'object') return value as AttributeValue;
  return isTame(value) ? (value as AttributeValue) : cut(value, 1);
}

function isTame(root: object): boolean {
  const stack: Array<[object, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > MAX_ATTRIBUTE_DEPTH) return false;
    for (const child of Object.values(value)) {
      if (typeof child === 'number' && !Number.isFinite(child)) return false;
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return true;
}

/** A copy down to MAX_ATTRIBUTE_DEPTH: recursion at most that deep. */
function cut(value: unknown, depth: number): AttributeValue {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value !== 'object') return value as AttributeValue;
  if (depth > MAX_ATTRIBUTE_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => cut(v, depth + 1));
  const out: Record<string, AttributeValue> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = cut(v, depth + 1);
  return out;
}
