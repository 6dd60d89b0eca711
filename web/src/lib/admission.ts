// The waiting room's admission token for an event, kept for this tab only: the hold
// request sends it as X-Admission-Token.
export interface Admission {
  token: string;
  expiresAt: string | null;
}

const key = (eventId: string) => `ticketsafe.admission.${eventId}`;

export function saveAdmission(eventId: string, admission: Admission): void {
  sessionStorage.setItem(key(eventId), JSON.stringify(admission));
}

export function loadAdmission(eventId: string): Admission | null {
  const raw = sessionStorage.getItem(key(eventId));
  if (!raw) return null;
  const admission = JSON.parse(raw) as Admission;
  if (admission.expiresAt && Date.parse(admission.expiresAt) < Date.now()) {
    sessionStorage.removeItem(key(eventId));
    return null;
  }
  return admission;
}

export function dropAdmission(eventId: string): void {
  sessionStorage.removeItem(key(eventId));
}
