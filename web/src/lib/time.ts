// "On sale in 3 h 12 min" and the hold countdown: whole units, never negative.
export interface Remaining {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  totalSeconds: number;
}

export function remaining(untilMs: number, nowMs: number): Remaining {
  const totalSeconds = Math.max(0, Math.floor((untilMs - nowMs) / 1000));
  return {
    days: Math.floor(totalSeconds / 86400),
    hours: Math.floor((totalSeconds % 86400) / 3600),
    minutes: Math.floor((totalSeconds % 3600) / 60),
    seconds: totalSeconds % 60,
    totalSeconds,
  };
}

/** "3 d 4 h", "3 h 12 min", "12 min 5 s", "42 s": the two largest units. */
export function describeRemaining(r: Remaining): string {
  if (r.days > 0) return `${r.days} d ${r.hours} h`;
  if (r.hours > 0) return `${r.hours} h ${r.minutes} min`;
  if (r.minutes > 0) return `${r.minutes} min ${r.seconds} s`;
  return `${r.seconds} s`;
}

/** mm:ss for a hold's countdown. */
export function clock(r: Remaining): string {
  const minutes = Math.floor(r.totalSeconds / 60);
  return `${String(minutes).padStart(2, '0')}:${String(r.seconds).padStart(2, '0')}`;
}

export function formatDateTime(iso: string, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone,
  }).format(new Date(iso));
}
