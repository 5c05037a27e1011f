import type { Db } from "mongodb";
import { deliveryIdFor } from "../delivery-job.js";
import { webhooksCollection } from "../webhook-store.js";
import type { DeliveryDoc } from "./documents.js";
import { asParked, entriesById, parkedById, speaksFor } from "./parked.js";

/**
 * An organization's deliveries by event id or delivery id, newest first, as the log shows
 * them (parked ones as parked). Read by `_id` only: a delivery's id is derived from its
 * event id and webhook id (`deliveryIdFor`), so an event's deliveries are the ids it makes
 * with each of the organization's webhooks, and the log needs no index of event ids (which
 * every delivery would pay for on insert). Given both ids, a delivery must match both.
 */
export async function searchDeliveries(db: Db, query: { organizationId: string; eventId?: string | undefined; deliveryId?: string | undefined }): Promise<DeliveryDoc[]> {
  let ids: string[];
  if (query.eventId === undefined) ids = query.deliveryId === undefined ? [] : [query.deliveryId];
  else {
    const eventId = query.eventId;
    const webhooks = await webhooksCollection(db)
      .find({ organizationId: query.organizationId }, { projection: { _id: 1 } })
      .toArray();
    ids = webhooks.map((w) => deliveryIdFor(eventId, w._id)).filter((id) => query.deliveryId === undefined || id === query.deliveryId);
  }
  if (ids.length === 0) return [];
  const [entries, parked] = await Promise.all([entriesById(db, ids, { payload: 0 }), parkedById(db, ids)]);
  const found = ids.flatMap((id): DeliveryDoc[] => {
    const entry = entries.get(id);
    const p = parked.get(id);
    const shown = p && speaksFor(p, entry) ? asParked(p, entry) : entry;
    return shown && shown.organizationId === query.organizationId ? [shown] : [];
  });
  return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : -1));
}
