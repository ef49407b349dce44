// Pages are preact components rendered to a string on the server; the renderer escapes every
// text and attribute value, so no page builds HTML by hand.
import type { FastifyReply } from "fastify";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { STATUS_TITLES } from "./errors.js";

export function sendPage(reply: FastifyReply, page: VNode, statusCode = 200): FastifyReply {
  return reply
    .code(statusCode)
    .type("text/html; charset=utf-8")
    .send("<!DOCTYPE html>\n" + renderToString(page));
}

/**
 * An error page that needs nothing but its message: it is also what a request gets when the
 * database is down, so it must not query anything.
 */
export function ErrorPage(props: { statusCode: number; message: string; staticUrl: string }) {
  const title = STATUS_TITLES[props.statusCode] ?? "Error";
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.statusCode} ${title} - Koschei`}</title>
        <link rel="stylesheet" href={`${props.staticUrl}/patternfly/patternfly.min.css`} />
        <link rel="stylesheet" href={`${props.staticUrl}/koschei.css`} />
      </head>
      <body>
        <main class="kk-main kk-error">
          <h1 class="pf-v6-c-title pf-m-2xl">
            {props.statusCode} {title}
          </h1>
          <p>{props.message}</p>
          <p>
            <a href="/">Back to Koschei</a>
          </p>
        </main>
      </body>
    </html>
  );
}
