/** The little XML the simulator writes itself, outside what `soap` serialises. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * A SOAP 1.1 Fault envelope, for refusals decided before `soap` sees the request (and injected
 * faults). `Client`: the request is wrong, do not resend it as is; `Server`: the warehouse failed.
 */
export const soapFaultEnvelope = (code: 'Client' | 'Server', message: string) =>
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
  `<faultcode>soap:${code}</faultcode><faultstring>${escapeXml(message)}</faultstring>` +
  '</soap:Fault></soap:Body></soap:Envelope>';
