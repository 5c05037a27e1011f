/**
 * A request body as the page shows it: JSON pretty-printed; a form body's `payload`
 * decoded and pretty-printed; anything else as it is.
 */
export function prettyBody(body: string): { pretty: string; kind: "json" | "form" | "text" } {
  try {
    return { pretty: JSON.stringify(JSON.parse(body), null, 2), kind: "json" };
  } catch {
    // not JSON
  }
  if (body.startsWith("payload=")) {
    const payload = new URLSearchParams(body).get("payload");
    if (payload !== null) {
      try {
        return { pretty: JSON.stringify(JSON.parse(payload), null, 2), kind: "form" };
      } catch {
        // not JSON inside: show as is
      }
    }
  }
  return { pretty: body, kind: "text" };
}
