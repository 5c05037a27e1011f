// Generated from docs/openapi.json by openapi-typescript (`pnpm openapi`, scripts/openapi.ts): do not edit.
// The settings page's API types (api.ts) are aliases of these, so a field the API adds or
// drops is a compile error in the page until it follows.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: MongoDB and Kafka reachable */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (text exposition format) */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/event-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The event catalogue */
        get: operations["listEventTypes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Whose token this is: the operator, or an organization's API key */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Operator: a new organization API key; the token is shown only here */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/api-keys/{keyId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Operator: revoke an organization API key */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Webhooks of the organization, newest first */
        get: operations["listWebhooks"];
        put?: never;
        /** Create a webhook; the secret (generated when omitted) is shown only here */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One webhook (never its secret) */
        get: operations["getWebhook"];
        put?: never;
        post?: never;
        /** Delete a webhook; its queued deliveries are cancelled */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        /** Change a webhook (partial) */
        patch: operations["updateWebhook"];
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/secret/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** New secret, shown only here; the previous one keeps signing webhook-signature for 24 h */
        post: operations["rotateWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/ping": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queue a ping delivery now */
        post: operations["pingWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Delivery log, newest first */
        get: operations["listDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/deliveries/{deliveryId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One delivery with every attempt */
        get: operations["getDelivery"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** One manual attempt of the delivery now (same delivery id) */
        post: operations["redeliver"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/recover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send again every failed or cancelled delivery created since a time, each with its delivery id and a fresh retry ladder (the webhook must be active) */
        post: operations["recoverDeliveries"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/webhooks/{webhookId}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Endpoint statistics: attempts, outcomes and latency percentiles per minute, hour or day (docs/statistics.md) */
        get: operations["getWebhookStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Find deliveries across the organization's webhooks by event id or delivery id, newest first (one page: nextCursor is always null) */
        get: operations["searchDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dlq": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Operator: dead-lettered deliveries, newest first */
        get: operations["listDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/dlq/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Operator: replay matching, not yet replayed dead letters with a fresh retry ladder */
        post: operations["replayDeadLetters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish an event of the organization to agiletune.events; 202 once the broker has it */
        post: operations["publishEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/events/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish up to 100 events, all checked before any is produced, all or none; 202 once the broker has them */
        post: operations["publishEventBatch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/portal-sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Operator: a link that signs one user into the settings page for this organization until it expires; its secret (the fragment) is shown only here */
        post: operations["createPortalSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/portal-sessions/{sessionId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Operator: end a portal session at once (its link and any page signed in with it) */
        delete: operations["endPortalSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/portal-sessions/exchange": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The settings page trades a portal link's secret for its session token, once (no Authorization header) */
        post: operations["exchangePortalLink"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/organizations/{orgId}/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who changed what in the organization, newest first; never a secret value */
        get: operations["listAuditLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Operator: the audit log of every organization, newest first */
        get: operations["listAllAuditLog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error: {
                /** @enum {string} */
                code: "malformed_request" | "unauthorized" | "forbidden" | "not_found" | "method_not_allowed" | "conflict" | "idempotency_key_reused" | "payload_too_large" | "unsupported_media_type" | "validation_failed" | "internal" | "unavailable";
                message: string;
                details: {
                    field: string;
                    message: string;
                    pointer?: string;
                }[];
            };
        };
        Health: {
            /** @constant */
            status: "ok";
        };
        Ready: {
            /** @constant */
            status: "ready";
            checks: {
                /** @constant */
                mongo: "ok";
                /** @constant */
                kafka: "ok";
            };
        };
        OpenApiDocument: {
            openapi: string;
            paths: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        EventTypeList: {
            items: components["schemas"]["EventType"][];
            nextCursor: string | null;
        };
        EventType: {
            event: string;
            description: string;
            /** @description JSON Schema (draft 2020-12) of the event's `data` */
            schema: {
                [key: string]: unknown;
            };
            /** @description an example of the event's `data` */
            example: {
                [key: string]: unknown;
            };
        };
        Me: {
            /** @constant */
            kind: "operator";
        } | {
            /** @constant */
            kind: "organization";
            organizationId: string;
        } | {
            /** @constant */
            kind: "portal";
            organizationId: string;
            user: components["schemas"]["PortalUser"];
            readOnly: boolean;
            /** Format: date-time */
            expiresAt: string;
        };
        PortalUser: {
            id: string;
            name?: string;
            email?: string;
        };
        ApiKey: {
            id: string;
            organizationId: string;
            /** @description shown only in this response */
            token: string;
            /** Format: date-time */
            createdAt: string;
        };
        EmptyBody: Record<string, never>;
        WebhookWithSecret: {
            id: string;
            organizationId: string;
            /** Format: uri */
            url: string;
            /** @enum {string} */
            contentType: "json" | "form";
            events: ("*" | "task.created" | "task.updated" | "task.deleted" | "task.moved" | "comment.created" | "member.added" | "member.removed" | "project.created")[];
            active: boolean;
            /** @enum {string} */
            health: "healthy" | "failing" | "disabled";
            /** @description why it is failing or disabled (e.g. gone, failing-too-long); null when healthy */
            healthReason: string | null;
            /** @description start of the current run of failures; null when healthy */
            failingSince: string | null;
            /** @description requests per second its URL may receive; null: no limit */
            rateLimitPerSecond: number | null;
            /** @description each ordering key's deliveries one at a time, in the order of their events */
            ordered: boolean;
            description: string;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @description last four characters of the secret */
            secretHint: string;
            /** @description custom header names, each value shown as "…" and its last four characters */
            headers: {
                [key: string]: string;
            };
            auth: components["schemas"]["EndpointAuth"];
            /** @description deliveries also carry a v1a Ed25519 signature */
            ed25519: boolean;
            /** @description whpk_ and the base64 Ed25519 public key verifying v1a signatures; null unless ed25519 */
            signingPublicKey: string | null;
            /** @description shown only in the create and rotate responses */
            secret: string;
            /**
             * Format: date-time
             * @description rotate only: until then the previous secret still signs webhook-signature
             */
            previousSecretExpiresAt?: string;
        };
        /** @description how deliveries authenticate to the endpoint, without its secret; null: not at all */
        EndpointAuth: ({
            /** @constant */
            type: "basic";
            username: string;
        } | {
            /** @constant */
            type: "bearer";
        } | {
            /** @constant */
            type: "oauth2";
            tokenUrl: string;
            clientId: string;
            scope: string | null;
            audience: string | null;
        } | {
            /** @constant */
            type: "mtls";
            /** @description the client certificate's subject */
            certificateSubject: string;
            /**
             * Format: date-time
             * @description the client certificate's notAfter
             */
            certificateExpiresAt: string;
        }) | null;
        CreateWebhook: {
            url: string;
            /** @enum {string} */
            contentType: "json" | "form";
            /** @description generated when omitted */
            secret?: string;
            /** @description event types, or ["*"] for all */
            events: string[];
            active?: boolean;
            description?: string;
            /** @description requests per second its URL may receive, on all dispatchers together; absent: no limit */
            rateLimitPerSecond?: number;
            /** @description deliver each ordering key's deliveries one at a time, in the order of their events; absent: false */
            ordered?: boolean;
            /** @description custom headers added to every delivery (at most 20); values are write-only */
            headers?: {
                [key: string]: string;
            };
            auth?: components["schemas"]["EndpointAuthInput"];
            /** @description also sign with Ed25519 (v1a in webhook-signature); the public key is signingPublicKey */
            ed25519?: boolean;
        };
        /** @description how deliveries authenticate to the endpoint; null for not at all */
        EndpointAuthInput: ({
            /** @constant */
            type: "basic";
            username: string;
            /** @description write-only */
            password: string;
        } | {
            /** @constant */
            type: "bearer";
            /** @description write-only */
            token: string;
        } | {
            /** @constant */
            type: "oauth2";
            /** @description the authorization server's token endpoint; the address rules of webhook URLs apply */
            tokenUrl: string;
            clientId: string;
            /** @description write-only */
            clientSecret: string;
            scope?: string;
            audience?: string;
        } | {
            /** @constant */
            type: "mtls";
            /** @description client certificate, PEM */
            certificate: string;
            /** @description its private key, PEM, unencrypted; write-only */
            privateKey: string;
        }) | null;
        WebhookList: {
            items: components["schemas"]["Webhook"][];
            nextCursor: string | null;
        };
        Webhook: {
            id: string;
            organizationId: string;
            /** Format: uri */
            url: string;
            /** @enum {string} */
            contentType: "json" | "form";
            events: ("*" | "task.created" | "task.updated" | "task.deleted" | "task.moved" | "comment.created" | "member.added" | "member.removed" | "project.created")[];
            active: boolean;
            /** @enum {string} */
            health: "healthy" | "failing" | "disabled";
            /** @description why it is failing or disabled (e.g. gone, failing-too-long); null when healthy */
            healthReason: string | null;
            /** @description start of the current run of failures; null when healthy */
            failingSince: string | null;
            /** @description requests per second its URL may receive; null: no limit */
            rateLimitPerSecond: number | null;
            /** @description each ordering key's deliveries one at a time, in the order of their events */
            ordered: boolean;
            description: string;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            /** @description last four characters of the secret */
            secretHint: string;
            /** @description custom header names, each value shown as "…" and its last four characters */
            headers: {
                [key: string]: string;
            };
            auth: components["schemas"]["EndpointAuth"];
            /** @description deliveries also carry a v1a Ed25519 signature */
            ed25519: boolean;
            /** @description whpk_ and the base64 Ed25519 public key verifying v1a signatures; null unless ed25519 */
            signingPublicKey: string | null;
        };
        UpdateWebhook: {
            url?: string;
            /** @enum {string} */
            contentType?: "json" | "form";
            /** @description event types, or ["*"] for all */
            events?: string[];
            /** @description true on an inactive (or disabled) webhook also makes it healthy with a closed circuit */
            active?: boolean;
            description?: string;
            /** @description requests per second its URL may receive, on all dispatchers together; null removes the limit */
            rateLimitPerSecond?: number | null;
            /** @description deliver each ordering key's deliveries one at a time, in the order of their events */
            ordered?: boolean;
            /** @description custom headers added to every delivery (at most 20); values are write-only; a string sets one, null removes it, names not given are kept */
            headers?: {
                [key: string]: string | null;
            };
            auth?: components["schemas"]["EndpointAuthPatch"];
            /** @description also sign with Ed25519 (v1a in webhook-signature); the public key is signingPublicKey */
            ed25519?: boolean;
            /** @description cannot be changed here; use POST .../secret/rotate */
            secret?: unknown;
        };
        /** @description how deliveries authenticate to the endpoint; null for not at all; a secret left out keeps the stored one of the same type */
        EndpointAuthPatch: ({
            /** @constant */
            type: "basic";
            username: string;
            /** @description write-only */
            password?: string;
        } | {
            /** @constant */
            type: "bearer";
            /** @description write-only */
            token?: string;
        } | {
            /** @constant */
            type: "oauth2";
            /** @description the authorization server's token endpoint; the address rules of webhook URLs apply */
            tokenUrl: string;
            clientId: string;
            /** @description write-only */
            clientSecret?: string;
            scope?: string;
            audience?: string;
        } | {
            /** @constant */
            type: "mtls";
            /** @description client certificate, PEM */
            certificate: string;
            /** @description its private key, PEM, unencrypted; write-only */
            privateKey?: string;
        }) | null;
        RotateSecret: {
            /** @description generated when omitted */
            secret?: string;
        };
        Accepted: {
            deliveryId: string;
        };
        DeliveryList: {
            items: components["schemas"]["DeliverySummary"][];
            nextCursor: string | null;
        };
        DeliverySummary: {
            id: string;
            webhookId: string;
            eventId: string;
            event: string;
            /** @enum {string} */
            status: "pending" | "succeeded" | "retrying" | "parked" | "held" | "failed" | "cancelled";
            nextAttemptAt: string | null;
            statusReason: string | null;
            /** @description while held: the delivery of the same ordering key it waits for; otherwise null */
            heldBehind: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            attemptCount: number;
            lastAttemptAt: string | null;
            lastResponseStatus: number | null;
        };
        Delivery: {
            id: string;
            webhookId: string;
            eventId: string;
            event: string;
            /** @enum {string} */
            status: "pending" | "succeeded" | "retrying" | "parked" | "held" | "failed" | "cancelled";
            nextAttemptAt: string | null;
            statusReason: string | null;
            /** @description while held: the delivery of the same ordering key it waits for; otherwise null */
            heldBehind: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            attempts: components["schemas"]["Attempt"][];
            /** @description The body the latest attempt sent (the stored event, encoded for that attempt's content type); null before any attempt */
            requestBody: string | null;
        };
        Attempt: {
            attempt: number;
            /** @enum {string} */
            source: "event" | "redeliver" | "ping" | "replay";
            /** Format: date-time */
            startedAt: string;
            durationMs: number;
            /** @enum {string} */
            outcome: "succeeded" | "failed";
            request: {
                url: string;
                headers: {
                    [key: string]: string;
                };
            };
            response: {
                status: number;
                headers: {
                    [key: string]: string;
                };
                body: string;
                bodyTruncated: boolean;
            } | null;
            error: {
                code: string;
                message: string;
            } | null;
            /** @description A 429's or 503's Retry-After header: the next attempt waited for it (docs/endpoint-health.md) */
            retryAfter: string | null;
            /** @description The W3C traceparent the attempt sent: the event's trace id and a span id of the attempt's own (docs/tracing.md); null for attempts logged before it was sent */
            traceparent: string | null;
        };
        RecoverResult: {
            /** @description failed or cancelled deliveries sent again */
            matched: number;
        };
        Recover: {
            /**
             * Format: date-time
             * @description resend the failed and cancelled deliveries created at or after this time (not in the future)
             */
            since: string;
        };
        EndpointStats: {
            /** @description oldest first; buckets without an attempt are left out */
            items: components["schemas"]["StatsBucket"][];
        };
        StatsBucket: {
            /** Format: date-time */
            start: string;
            attempts: number;
            /** @description attempts answered 2xx */
            succeeded: number;
            failed: number;
            /** @description attempts by how they ended: the answer's status class, a timeout, or no answer (connection, DNS or address refused) */
            byOutcome: {
                "2xx": number;
                "3xx": number;
                "4xx": number;
                "5xx": number;
                timeout: number;
                connection: number;
            };
            /** @description attempt duration percentiles, estimated from a fixed histogram (docs/statistics.md): accurate to its bucket bounds */
            latencyMs: {
                p50: number;
                p95: number;
                p99: number;
            };
        };
        DeadLetterList: {
            items: components["schemas"]["DeadLetter"][];
            nextCursor: string | null;
        };
        DeadLetter: {
            id: string;
            deliveryId: string;
            organizationId: string;
            webhookId: string;
            eventId: string;
            event: string;
            attempt: number;
            lastError: string;
            /** Format: date-time */
            deadLetteredAt: string;
            replayedAt: string | null;
            replayCount: number;
        };
        DlqReplayResult: {
            dryRun: boolean;
            matched: number;
            replayed: number;
        };
        DlqReplay: {
            /** @description only this organization */
            organizationId?: string;
            /** @description only this webhook */
            webhookId?: string;
            /** @description only this event type */
            event?: string;
            /**
             * Format: date-time
             * @description deadLetteredAt at or after
             */
            from?: string;
            /**
             * Format: date-time
             * @description deadLetteredAt before
             */
            to?: string;
            /** @description only count the matches */
            dryRun?: boolean;
        };
        PublishAccepted: {
            id: string;
        };
        PublishEvent: {
            /** @description an event type of GET /v1/event-types */
            event: string;
            /** @description must match the schema of its event type (GET /v1/event-types) */
            data: {
                [key: string]: unknown;
            };
            /** @description the event's id, for receivers to recognise it; generated (evt_…) when omitted */
            id?: string;
            /**
             * Format: date-time
             * @description when it happened (ISO 8601); the time of the request when omitted
             */
            timestamp?: string;
            /** @description what ordered webhooks keep in order; data.id when omitted */
            orderingKey?: string;
        };
        PublishBatchAccepted: {
            ids: string[];
        };
        PublishEventBatch: {
            /** @description 1 to 100 events, produced all or none */
            events: components["schemas"]["PublishEvent"][];
        };
        PortalSession: {
            id: string;
            /** @description opens the settings page signed in; its fragment is the secret, shown only here and usable once */
            url: string;
            /** Format: date-time */
            expiresAt: string;
        };
        CreatePortalSession: {
            /** @description who AgileTune signed in */
            user: {
                /** @description the AgileTune user's id, recorded as the actor of what they change */
                id: string;
                /** @description shown on the page as who is signed in, and in the audit log */
                name?: string;
                /** Format: email */
                email?: string;
            };
            /** @description sees everything, changes nothing (writes answer 403); absent: false */
            readOnly?: boolean;
            /** @description how long the session lasts; absent: 3600 */
            ttlSeconds?: number;
        };
        PortalSignIn: {
            /** @description shown only in this response */
            token: string;
            organizationId: string;
            user: components["schemas"]["PortalUser"];
            readOnly: boolean;
            /** Format: date-time */
            expiresAt: string;
        };
        ExchangePortalLink: {
            /** @description the fragment of the portal session's url, without the # */
            link: string;
        };
        AuditLog: {
            items: components["schemas"]["AuditEntry"][];
            nextCursor: string | null;
        };
        AuditEntry: {
            id: string;
            /** @description null for an operator's change spanning organizations */
            organizationId: string | null;
            /** Format: date-time */
            at: string;
            actor: {
                /** @enum {string} */
                type: "operator" | "api-key" | "portal-user";
                id: string;
                name?: string;
            };
            /** @enum {string} */
            action: "webhook.created" | "webhook.updated" | "webhook.deleted" | "webhook.secret_rotated" | "webhook.pinged" | "webhook.recovered" | "delivery.redelivered" | "dead_letters.replayed" | "api_key.created" | "api_key.revoked" | "portal_session.created" | "portal_session.ended";
            target: {
                type: string;
                id: string;
            };
            /** @description each field's value before and after; secrets are [redacted] */
            changes?: {
                [key: string]: {
                    from?: unknown;
                    to?: unknown;
                };
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus metrics (text exposition format) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpenApi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiDocument"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listEventTypes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventTypeList"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["EmptyBody"];
            };
        };
        responses: {
            /** @description success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description API key id */
                keyId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done, no content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listWebhooks: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description `nextCursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookList"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhook"];
            };
        };
        responses: {
            /** @description success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookWithSecret"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done, no content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    updateWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateWebhook"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Webhook"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    rotateWebhookSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RotateSecret"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookWithSecret"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict with the resource's state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    pingWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["EmptyBody"];
            };
        };
        responses: {
            /** @description success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Accepted"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict with the resource's state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listDeliveries: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description `nextCursor` of the previous page */
                cursor?: string;
                /** @description only this status */
                status?: "pending" | "succeeded" | "retrying" | "parked" | "held" | "failed" | "cancelled";
                /** @description only this event type (or ping) */
                event?: string;
            };
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryList"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getDelivery: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
                /** @description delivery id */
                deliveryId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Delivery"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    redeliver: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
                /** @description delivery id */
                deliveryId: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["EmptyBody"];
            };
        };
        responses: {
            /** @description success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Accepted"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict with the resource's state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    recoverDeliveries: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Recover"];
            };
        };
        responses: {
            /** @description success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoverResult"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict with the resource's state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getWebhookStats: {
        parameters: {
            query?: {
                /** @description bucket size */
                interval?: "minute" | "hour" | "day";
                /** @description the first bucket is the one holding this time; default: `to` less an hour (minute), a day (hour) or 30 days (day) */
                from?: string;
                /** @description buckets starting before this time; default: now */
                to?: string;
            };
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description webhook id */
                webhookId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EndpointStats"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    searchDeliveries: {
        parameters: {
            query?: {
                /** @description the deliveries of this event, one per webhook it went to */
                eventId?: string;
                /** @description this delivery */
                deliveryId?: string;
            };
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryList"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listDeadLetters: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description `nextCursor` of the previous page */
                cursor?: string;
                /** @description only this organization */
                organizationId?: string;
                /** @description only this webhook */
                webhookId?: string;
                /** @description only this event type */
                event?: string;
                /** @description deadLetteredAt at or after */
                from?: string;
                /** @description deadLetteredAt before */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetterList"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    replayDeadLetters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["DlqReplay"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DlqReplayResult"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    publishEvent: {
        parameters: {
            query?: never;
            header?: {
                /** @description a repeat within 24 h answers the first answer (header Idempotent-Replayed: true) and produces nothing; the same key with another body: 409 idempotency_key_reused */
                "Idempotency-Key"?: string;
                /** @description W3C Trace Context, passed on to the event's deliveries (with tracestate) */
                traceparent?: string;
            };
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PublishEvent"];
            };
        };
        responses: {
            /** @description success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishAccepted"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict with the resource's state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    publishEventBatch: {
        parameters: {
            query?: never;
            header?: {
                /** @description a repeat within 24 h answers the first answer (header Idempotent-Replayed: true) and produces nothing; the same key with another body: 409 idempotency_key_reused */
                "Idempotency-Key"?: string;
                /** @description W3C Trace Context, passed on to the event's deliveries (with tracestate) */
                traceparent?: string;
            };
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PublishEventBatch"];
            };
        };
        responses: {
            /** @description success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishBatchAccepted"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description conflict with the resource's state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description a dependency (Kafka, MongoDB) is unavailable; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPortalSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreatePortalSession"];
            };
        };
        responses: {
            /** @description success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortalSession"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    endPortalSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
                /** @description portal session id */
                sessionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done, no content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    exchangePortalLink: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExchangePortalLink"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortalSignIn"];
                };
            };
            /** @description malformed request (invalid JSON or UTF-8) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body over 1 MB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description body not JSON (Content-Type: application/json), compressed or not UTF-8 */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAuditLog: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description `nextCursor` of the previous page */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description organization id */
                orgId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditLog"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not found (also another organization's id) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAllAuditLog: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description `nextCursor` of the previous page */
                cursor?: string;
                /** @description only this organization */
                organizationId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditLog"];
                };
            };
            /** @description no or bad token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description not allowed for this token (operator only, or another organization) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description method not allowed on this path */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description validation failed; details name each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
