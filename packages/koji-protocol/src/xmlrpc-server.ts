// The server half of the XML-RPC codec: method calls in, responses and faults out.
import { Encoder, Parser, PROLOG, type EncodeOptions, type XmlRpcValue } from "./xmlrpc.js";

export function decodeCall(xml: string | Buffer): { method: string; params: XmlRpcValue[] } {
  const parser = new Parser(xml, "methodCall");
  parser.open("methodCall", false);
  parser.open("methodName", false);
  const method = parser.text();
  parser.close("methodName");
  const params: XmlRpcValue[] = [];
  if (parser.peekOpen("params") && !parser.open("params", true)) {
    while (parser.peekOpen("param")) {
      parser.open("param", false);
      params.push(parser.value());
      parser.close("param");
    }
    parser.close("params");
  }
  parser.close("methodCall");
  parser.end();
  return { method, params };
}

export function encodeResponse(value: XmlRpcValue, options: EncodeOptions = {}): string {
  const encoder = new Encoder(options);
  encoder.out = `${PROLOG}<methodResponse>\n`;
  encoder.params([value]);
  return encoder.out + "</methodResponse>\n";
}

export function encodeFault(code: number, faultString: string): string {
  const encoder = new Encoder({});
  encoder.out = `${PROLOG}<methodResponse>\n<fault>\n`;
  encoder.value({ faultCode: code, faultString }, 0, false);
  return encoder.out + "</fault>\n</methodResponse>\n";
}
