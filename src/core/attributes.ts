import type { AttributeValue } from './record';

/** Deeper than any real log field; JSON nested deeper is cut here so that writing it cannot overflow the stack. */
export const MAX_ATTRIBUTE_DEPTH = 32;

/** What stands where a value nested deeper than MAX_ATTRIBUTE_DEPTH was cut. */
export const TOO_DEEP = `[nested deeper than ${MAX_ATTRIBUTE_DEPTH} levels]`;

/**
 * A provider's JSON value, safe to keep as an attribute: the same value when it is at most
 * MAX_ATTRIBUTE_DEPTH deep (the common case: no copy), else a copy whose deeper parts are TOO_DEEP.
 * The depth is measured without recursion, so a value 200,000 levels deep costs no stack.
 */
export function boundedAttribute(value: unknown): AttributeValue {
  if (value === null || typeof value !== 'object') return value as AttributeValue;
  return depthOf(value) <= MAX_ATTRIBUTE_DEPTH ? (value as AttributeValue) : cut(value, 1);
}

function depthOf(root: object): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_ATTRIBUTE_DEPTH) return deepest;
    for (const child of Object.values(value as object)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A copy down to MAX_ATTRIBUTE_DEPTH: recursion at most that deep. */
function cut(value: unknown, depth: number): AttributeValue {
  if (value === null || typeof value !== 'object') return value as AttributeValue;
  if (depth > MAX_ATTRIBUTE_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => cut(v, depth + 1));
  const out: Record<string, AttributeValue> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = cut(v, depth + 1);
  return out;
}
