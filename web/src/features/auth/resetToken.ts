// The e-mailed link carries the reset token in the URL fragment (`#token=…`), which the
// browser never sends to a server, so it stays out of access logs.
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && token.length >= 10 ? token : null;
}
