import { useId, useState } from "preact/hooks";
import { useTitle } from "../components/feedback.js";
import { Link, navigate } from "../router.js";
import { paths } from "../routes.js";

/** The operator opens an organization by its id (the API has no list of organizations). */
export function OrganizationPage(props: { current: string | null; onChoose: (organizationId: string) => void }) {
  useTitle("Choose an organization");
  const id = useId();
  const [value, setValue] = useState(props.current ?? "");
  const [error, setError] = useState<string | null>(null);
  return (
    <div class="narrow">
      <h1 tabIndex={-1}>Choose an organization</h1>
      <p>
        You are signed in with the operator token. Open an organization's webhooks by its id, or go to the <Link href={paths.deadLetters()}>Dead letters</Link>.
      </p>
      <form
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          const org = value.trim();
          if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(org)) {
            setError("Organization ID: enter an organization id such as org_42 (letters, digits, _ . : -).");
            return;
          }
          props.onChoose(org);
          navigate(paths.webhooks());
        }}
      >
        <div class="field">
          <label for={`${id}-org`}>Organization ID</label>
          <input
            id={`${id}-org`}
            type="text"
            class="mono"
            autoComplete="off"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? `${id}-err` : undefined}
          />
          {error ? (
            <p id={`${id}-err`} class="field-error" role="alert">
              {error}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button type="submit" class="button button-primary">
            Open webhooks
          </button>
        </div>
      </form>
    </div>
  );
}
