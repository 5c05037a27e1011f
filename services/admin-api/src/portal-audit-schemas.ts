import { z } from "zod";
import { text } from "./schema-fields.js";
import { idSchema, pageQuerySchema } from "./schemas.js";

/** docs/portal-and-audit.md: a portal session lasts 60 s to 24 h, an hour unless told. */
export const PORTAL_TTL_SECONDS = { min: 60, max: 86_400, default: 3_600 } as const;

const ttlMessage = `must be a whole number of seconds from ${PORTAL_TTL_SECONDS.min} to ${PORTAL_TTL_SECONDS.max}`;

export const createPortalSessionSchema = z
  .strictObject({
    user: z
      .strictObject({
        id: text(128).min(1, "must not be empty").meta({ description: "the AgileTune user's id, recorded as the actor of what they change" }),
        name: text(200).optional().meta({ description: "shown on the page as who is signed in, and in the audit log" }),
        email: z.email("must be an email address").max(254).optional(),
      })
      .meta({ description: "who AgileTune signed in" }),
    readOnly: z.boolean("must be true or false").optional().meta({ description: "sees everything, changes nothing (writes answer 403); absent: false" }),
    ttlSeconds: z
      .int(ttlMessage)
      .min(PORTAL_TTL_SECONDS.min, ttlMessage)
      .max(PORTAL_TTL_SECONDS.max, ttlMessage)
      .optional()
      .meta({ description: `how long the session lasts; absent: ${PORTAL_TTL_SECONDS.default}` }),
  })
  .meta({ id: "CreatePortalSession" });

/** The page trades the secret of its link's fragment for a session token, once. */
export const exchangePortalLinkSchema = z
  .strictObject({ link: z.string().min(1, "must not be empty").max(200, "is not a portal link secret").meta({ description: "the fragment of the portal session's url, without the #" }) })
  .meta({ id: "ExchangePortalLink" });

export const adminAuditQuerySchema = pageQuerySchema.extend({ organizationId: idSchema.optional().meta({ description: "only this organization" }) });
