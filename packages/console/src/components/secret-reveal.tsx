import type { ComponentChildren } from "preact";
import { useId, useState } from "preact/hooks";

/** The user guide's verifySignature, word for word (its indentation restored). */
export const VERIFY_SIGNATURE_SNIPPET = `import crypto from "crypto";

function verifySignature(payload: string, signature: string, secret: string) {
  const expected = crypto
    .createHmac("sha256", secret)
    .update(payload)
    .digest("hex");

  return crypto.timingSafeEqual(
    Buffer.from(signature),
    Buffer.from(expected)
  );
}`;

/**
 * A secret shown this once: a read-only field, a copy button, and the guide's snippet.
 * It lives only in the state of the component that shows it; closing it forgets it.
 */
export function SecretReveal(props: { title: string; secret: string; children?: ComponentChildren; onDone: () => void; doneLabel: string }) {
  const id = useId();
  const headingId = useId();
  const [copy, setCopy] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <section class="panel secret-panel" aria-labelledby={headingId}>
      <h2 id={headingId} tabIndex={-1}>
        {props.title}
      </h2>
      {props.children}
      <p class="warning">Copy the secret now: this is the only time it is shown. AgileTune keeps it encrypted and will not show it again.</p>
      <div class="field">
        <label for={id}>Secret</label>
        <div class="with-button">
          <input id={id} type="text" readOnly value={props.secret} class="mono" autoComplete="off" spellcheck={false} onFocus={(e) => e.currentTarget.select()} />
          <button
            type="button"
            class="button"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(props.secret);
                setCopy({ ok: true, text: "Secret copied to the clipboard." });
              } catch (err) {
                setCopy({ ok: false, text: `Could not copy (${(err as Error).message}); select the field and copy it instead.` });
              }
            }}
          >
            Copy secret
          </button>
        </div>
        <p role="status" class={`message ${copy ? (copy.ok ? "message-ok" : "message-error") : "message-empty"}`}>
          {copy?.text ?? ""}
        </p>
      </div>
      <h3>Verify the signature</h3>
      <p>
        Every delivery carries an <code>X-AgileTune-Signature</code> header: the HMAC-SHA256 of the exact request body, keyed with this secret. Check it with the guide's <code>verifySignature</code>,
        passing the raw body as received:
      </p>
      <pre class="code" tabIndex={0} role="group" aria-label="verifySignature example">
        <code>{VERIFY_SIGNATURE_SNIPPET}</code>
      </pre>
      <button type="button" class="button button-primary" onClick={props.onDone}>
        {props.doneLabel}
      </button>
    </section>
  );
}
