// The PIX "copia e cola" payload is EMV TLV: two-digit id, two-digit length, value.
// The transaction id sits in Additional Data (62), sub-field 05.

export function parseTlv(payload: string): Map<string, string> {
  const fields = new Map<string, string>();
  let at = 0;
  while (at + 4 <= payload.length) {
    const id = payload.slice(at, at + 2);
    const length = Number(payload.slice(at + 2, at + 4));
    if (!Number.isInteger(length)) break;
    fields.set(id, payload.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

export function pixTxid(payload: string): string | null {
  const additional = parseTlv(payload).get('62');
  const txid = additional ? parseTlv(additional).get('05') : undefined;
  return txid && txid !== '***' ? txid : null;
}
