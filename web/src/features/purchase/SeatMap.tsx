import { type KeyboardEvent, type PointerEvent, useMemo, useRef, useState, type WheelEvent } from 'react';

import type { PriceLevel, SeatMapSeat, UnitStatus } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';
import { formatMoney } from '@/lib/money';

import { type Direction, isSelectable, nearestSeat } from './seatSelection';

// Colour-blind-safe palette, dark enough for white text and 3:1 against the page.
export const LEVEL_COLOURS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490'];
const UNAVAILABLE = '#cbd5e1';
const SELECTED = '#111827';
const RADIUS = 4;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function bounds(seats: readonly SeatMapSeat[]): Box {
  if (!seats.length) return { x: 0, y: 0, w: 100, h: 100 };
  const xs = seats.map((s) => s.x);
  const ys = seats.map((s) => s.y);
  const pad = RADIUS * 3;
  const x = Math.min(...xs) - pad;
  const y = Math.min(...ys) - pad;
  return { x, y, w: Math.max(...xs) - x + pad, h: Math.max(...ys) - y + pad };
}

const ARROWS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
};

export function SeatMap({
  seats,
  statuses,
  priceLevels,
  currency,
  selected,
  onToggle,
}: {
  seats: readonly SeatMapSeat[];
  statuses: Record<string, UnitStatus>;
  priceLevels: readonly PriceLevel[];
  currency: string;
  selected: readonly string[];
  onToggle: (seatId: string) => void;
}) {
  const { t, locale } = useI18n();
  const full = useMemo(() => bounds(seats), [seats]);
  const [view, setView] = useState<Box>(full);
  const [focused, setFocused] = useState<string | null>(null);
  const drag = useRef<{ x: number; y: number; view: Box } | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  const colour = useMemo(
    () => new Map(priceLevels.map((level, i) => [level.id, LEVEL_COLOURS[i % LEVEL_COLOURS.length]!])),
    [priceLevels],
  );
  const byId = useMemo(() => new Map(seats.map((s) => [s.seat_id, s])), [seats]);
  const selectable = useMemo(() => seats.filter((s) => isSelectable(s, statuses[s.seat_id])), [seats, statuses]);
  const tabStop = focused && byId.has(focused) ? focused : (selectable[0]?.seat_id ?? null);

  function zoom(factor: number) {
    setView((v) => {
      const w = Math.min(full.w * 1.5, Math.max(full.w / 20, v.w * factor));
      const h = (w / v.w) * v.h;
      return { x: v.x + (v.w - w) / 2, y: v.y + (v.h - h) / 2, w, h };
    });
  }

  function onWheel(e: WheelEvent) {
    zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2);
  }

  function onPointerDown(e: PointerEvent) {
    if ((e.target as Element).getAttribute('role') === 'checkbox') return;
    drag.current = { x: e.clientX, y: e.clientY, view };
    (e.currentTarget as Element).setPointerCapture(e.pointerId);
  }

  function onPointerMove(e: PointerEvent) {
    const start = drag.current;
    const rect = svg.current?.getBoundingClientRect();
    if (!start || !rect) return;
    const scale = start.view.w / rect.width;
    setView({ ...start.view, x: start.view.x - (e.clientX - start.x) * scale, y: start.view.y - (e.clientY - start.y) * scale });
  }

  function onSeatKey(e: KeyboardEvent, seat: SeatMapSeat) {
    const direction = ARROWS[e.key];
    if (direction) {
      e.preventDefault();
      const next = nearestSeat(selectable, seat, direction);
      if (next) {
        setFocused(next.seat_id);
        document.getElementById(`seat-${next.seat_id}`)?.focus();
      }
    } else if (e.key === ' ' || e.key === 'Enter') {
      e.preventDefault();
      onToggle(seat.seat_id);
    } else if (e.key === '+' || e.key === '=') zoom(1 / 1.2);
    else if (e.key === '-') zoom(1.2);
  }

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className="min-h-11 min-w-11 rounded border border-slate-400 bg-white" aria-label={t('buy.zoomIn')} onClick={() => zoom(1 / 1.4)}>
          +
        </button>
        <button type="button" className="min-h-11 min-w-11 rounded border border-slate-400 bg-white" aria-label={t('buy.zoomOut')} onClick={() => zoom(1.4)}>
          −
        </button>
        <p className="text-sm text-slate-700" aria-live="polite">
          {t('buy.selectedSeats', { count: selected.length })}
        </p>
      </div>
      <svg
        ref={svg}
        role="group"
        aria-label={t('buy.title')}
        viewBox={`${view.x} ${view.y} ${view.w} ${view.h}`}
        className="h-[60vh] max-h-[600px] w-full touch-none select-none rounded-lg border border-slate-300 bg-white"
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
      >
        {seats.map((seat) => {
          const status = statuses[seat.seat_id] ?? 'available';
          const can = isSelectable(seat, status);
          const isSelected = selected.includes(seat.seat_id);
          const fill = isSelected ? SELECTED : can ? (colour.get(seat.price_level_id ?? '') ?? UNAVAILABLE) : UNAVAILABLE;
          const label = t('buy.seat', { section: seat.section_id, row: seat.row_label, seat: seat.seat_label });
          return (
            <g key={seat.seat_id}>
              <circle
                id={`seat-${seat.seat_id}`}
                data-seat={seat.seat_id}
                data-status={isSelected ? 'selected' : status}
                cx={seat.x}
                cy={seat.y}
                r={RADIUS}
                fill={fill}
                stroke={isSelected ? '#fbbf24' : 'none'}
                strokeWidth={isSelected ? 1.5 : 0}
                role="checkbox"
                aria-checked={isSelected}
                aria-disabled={!can && !isSelected}
                aria-label={seat.accessibility.length ? `${label} (${t('buy.accessible')})` : label}
                tabIndex={seat.seat_id === tabStop ? 0 : -1}
                className={can || isSelected ? 'cursor-pointer focus:outline-none' : 'cursor-not-allowed'}
                onClick={() => (can || isSelected) && onToggle(seat.seat_id)}
                onFocus={() => setFocused(seat.seat_id)}
                onKeyDown={(e) => onSeatKey(e, seat)}
              />
              {seat.accessibility.length ? (
                <text x={seat.x} y={seat.y + 1.6} fontSize={4.5} textAnchor="middle" fill="#fff" pointerEvents="none" aria-hidden="true">
                  ♿
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <section aria-label={t('buy.legend')} className="flex flex-wrap gap-4 text-sm">
        {priceLevels.map((level) => (
          <span key={level.id} className="flex items-center gap-1">
            <span aria-hidden="true" className="inline-block h-3 w-3 rounded-full" style={{ background: colour.get(level.id) }} />
            {level.name} — {formatMoney(level.amount_minor, currency, locale)}
          </span>
        ))}
        <span className="flex items-center gap-1">
          <span aria-hidden="true" className="inline-block h-3 w-3 rounded-full" style={{ background: SELECTED }} />
          {t('buy.selected')}
        </span>
        <span className="flex items-center gap-1">
          <span aria-hidden="true" className="inline-block h-3 w-3 rounded-full" style={{ background: UNAVAILABLE }} />
          {t('buy.unavailable')}
        </span>
        <span>♿ {t('buy.accessible')}</span>
      </section>
    </div>
  );
}
