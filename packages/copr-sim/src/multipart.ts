// multipart/form-data bodies (RFC 7578), as python-copr's FileRequest sends them: a part named
// `json` holding the request's JSON and one part per uploaded file (`upload_comps`, `pkgs`).

export interface FormPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

export class MultipartError extends Error {}

/** The boundary of a `multipart/form-data` content type, or null for any other type. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MultipartError("multipart/form-data without a boundary");
  if (boundary.length > 70)
    throw new MultipartError("multipart boundary longer than 70 characters");
  return boundary;
}

/** A header parameter such as `name="json"` of Content-Disposition. */
function parameter(header: string, name: string): string | null {
  const pattern = new RegExp(`;\\s*${name}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const match = pattern.exec(header);
  if (!match) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? "");
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError("multipart body without its boundary");
  while (true) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === "--") return parts;
    // The delimiter line ends with CRLF (transport padding is allowed before it).
    const lineEnd = body.indexOf("\r\n", position);
    if (lineEnd < 0 || body.subarray(position, lineEnd).toString().trim() !== "")
      throw new MultipartError("malformed multipart delimiter line");
    const headersEnd = body.indexOf("\r\n\r\n", lineEnd);
    if (headersEnd < 0)
      throw new MultipartError("multipart part without the blank line after its headers");
    const headerText = body.subarray(lineEnd + 2, headersEnd).toString("utf8");
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next < 0) throw new MultipartError("multipart body ends before its closing boundary");
    const headers = new Map<string, string>();
    for (const line of headerText.split("\r\n")) {
      if (line === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new MultipartError(`malformed multipart header line '${line}'`);
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get("content-disposition");
    if (!disposition || !/^form-data\s*(;|$)/i.test(disposition))
      throw new MultipartError("multipart part without Content-Disposition: form-data");
    const name = parameter(disposition, "name");
    if (name === null) throw new MultipartError("multipart part without a name");
    parts.push({
      name,
      filename: parameter(disposition, "filename"),
      contentType: headers.get("content-type") ?? null,
      data: body.subarray(headersEnd + 4, next),
    });
    position = next + 2;
  }
}
