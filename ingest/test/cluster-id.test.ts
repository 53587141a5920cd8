import { describe, expect, test } from 'vitest';
import { kraftClusterId } from '@cotrans/ingest';

describe('kraftClusterId', () => {
  test('draws again when the id would start with "-", which the storage tool reads as an option', () => {
    // 0xf8 encodes to '-' as the first base64url character
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    let calls = 0;
    const id = kraftClusterId(() => draws[calls++]);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(calls).toBe(3);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
  });

  test('is 22 URL-safe base64 characters, as Kafka prints a Uuid', () => {
    for (let i = 0; i < 500; i++) {
      const id = kraftClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
