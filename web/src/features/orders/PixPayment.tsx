import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

import { Button } from '@/components/Button';
import { type PaymentOut, useSandboxPspPayPixMutation } from '@/lib/api/generated';
import { useI18n } from '@/lib/i18n';

import { pixTxid } from './brcode';

export function PixPayment({ payment, onPaid }: { payment: PaymentOut; onPaid: () => void }) {
  const { t } = useI18n();
  const code = payment.instructions.pix_copia_e_cola ?? '';
  const [svg, setSvg] = useState('');
  const [copied, setCopied] = useState(false);
  const [pay, payResult] = useSandboxPspPayPixMutation();
  useEffect(() => {
    if (code) void QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then(setSvg);
  }, [code]);
  const txid = payment.instructions.pix_txid ?? pixTxid(code);
  return (
    <div className="space-y-3">
      <p>{t('order.pixScan')}</p>
      {svg ? (
        <img alt="PIX QR code" className="h-64 w-64 border border-slate-300 bg-white" src={`data:image/svg+xml;utf8,${encodeURIComponent(svg)}`} />
      ) : null}
      <textarea readOnly aria-label="PIX copia e cola" className="w-full rounded border border-slate-400 p-2 font-mono text-xs" rows={3} value={code} />
      <Button
        variant="secondary"
        onClick={() => {
          void navigator.clipboard?.writeText(code).then(() => setCopied(true));
        }}
      >
        {copied ? t('order.copied') : t('order.copy')}
      </Button>
      {payment.test_mode && txid ? (
        <Button disabled={payResult.isLoading || payResult.isSuccess} onClick={() => pay({ txid }).then(onPaid)}>
          {t('order.sandboxPay')}
        </Button>
      ) : null}
    </div>
  );
}
