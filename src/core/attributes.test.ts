import { boundedAttribute, MAX_ATTRIBUTE_DEPTH, TOO_DEEP } from './attributes';

function nested(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

describe('boundedAttribute', () => {
  it('returns values within the bound as they are, without a copy', () => {
    const value = { a: [1, { b: 'c' }], d: null };
    expect(boundedAttribute(value)).toBe(value);
    expect(boundedAttribute('text')).toBe('text');
    expect(boundedAttribute(nested(MAX_ATTRIBUTE_DEPTH))).toEqual(nested(MAX_ATTRIBUTE_DEPTH));
  });

  it('cuts a value 200000 levels deep at the bound, so that JSON.stringify of it works', () => {
    const cut = boundedAttribute(nested(200_000));
    const text = JSON.stringify(cut);
    expect(text).toBe('['.repeat(MAX_ATTRIBUTE_DEPTH) + JSON.stringify(TOO_DEEP) + ']'.repeat(MAX_ATTRIBUTE_DEPTH));
  });

  it('keeps a __proto__ key of provider JSON as an own key when it copies', () => {
    const value = JSON.parse(`{"__proto__":{"evil":"yes"},"deep":${'['.repeat(100)}${']'.repeat(100)}}`);
    const cut = boundedAttribute(value) as Record<string, unknown>;
    expect(Object.keys(cut)).toEqual(['__proto__', 'deep']);
    expect((cut as { evil?: string }).evil).toBeUndefined();
  });
});
