// The receipt formats every verifier reads (notary/core/receipts.py): v2 is v1 plus the
// issuer's own signature.

export const RECEIPT_FORMAT = 'notary-receipt-v1';
export const RECEIPT_FORMAT_V2 = 'notary-receipt-v2';
export const RECEIPT_FORMATS = [RECEIPT_FORMAT, RECEIPT_FORMAT_V2];
