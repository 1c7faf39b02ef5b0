import { describe, expect, it } from 'vitest';
import { credentialLine, goJson } from './go-json.js';

// The protocol suite's exact-bytes expectations are built with these: check them against bytes
// Go's encoding/json produced (observed from docker-credential-secretservice 0.6.4).
describe('goJson', () => {
  it('escapes <, > and & as Go does, and leaves other UTF-8 raw', () => {
    expect(goJson({ Username: '<token>', Secret: 'a&b ä𝄞 "q" \\' })).toBe(
      '{"Username":"\\u003ctoken\\u003e","Secret":"a\\u0026b ä𝄞 \\"q\\" \\\\"}',
    );
  });

  it('writes a credential in Go field order with a trailing newline', () => {
    expect(credentialLine('h:5000', 'u', 's')).toBe('{"ServerURL":"h:5000","Username":"u","Secret":"s"}\n');
  });
});
