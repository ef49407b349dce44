// The client half of the XML-RPC codec: method calls out, responses (or faults) in.
import { KojiFault, XmlRpcParseError } from "./faults.js";
import {
  Encoder,
  escapeXml,
  isXmlRpcStruct,
  Parser,
  PROLOG,
  type EncodeOptions,
  type XmlRpcValue,
} from "./xmlrpc.js";

export function encodeCall(
  method: string,
  params: XmlRpcValue[],
  options: EncodeOptions = {},
): string {
  const encoder = new Encoder(options);
  encoder.out = `${PROLOG}<methodCall>\n<methodName>${escapeXml(method)}</methodName>\n`;
  encoder.params(params);
  return encoder.out + "</methodCall>\n";
}

/** Decodes a method response; a `<fault>` is thrown as KojiFault. */
export function decodeResponse(xml: string | Buffer): XmlRpcValue {
  const parser = new Parser(xml, "methodResponse");
  parser.open("methodResponse", false);
  if (parser.peekOpen("fault")) {
    parser.open("fault", false);
    const faultAt = parser.pos;
    const fault = parser.value();
    parser.close("fault");
    parser.close("methodResponse");
    parser.end();
    if (
      !isXmlRpcStruct(fault) ||
      typeof fault.faultCode !== "number" ||
      typeof fault.faultString !== "string"
    ) {
      throw new XmlRpcParseError("fault is not a {faultCode, faultString} struct", faultAt);
    }
    throw new KojiFault(fault.faultCode, fault.faultString);
  }
  parser.open("params", false);
  parser.open("param", false);
  const value = parser.value();
  parser.close("param");
  parser.close("params");
  parser.close("methodResponse");
  parser.end();
  return value;
}
