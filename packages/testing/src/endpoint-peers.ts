// Real protocol peers for endpoint authentication, on loopback: an OAuth 2.0 authorization
// server (oidc-provider, for the client-credentials grant) and an https receiver that
// requires a client certificate, with certificates made at run time (selfsigned).
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import Provider from "oidc-provider";
import selfsigned from "selfsigned";

export type OAuthServer = {
  /** The token endpoint. */
  tokenUrl: string;
  /** Requests to the token endpoint so far, answered or refused. */
  tokenRequests: () => number;
  /** Whether the server issued this access token to `clientId` and it is still valid. */
  issued: (accessToken: string, clientId: string) => Promise<boolean>;
  close: () => Promise<void>;
};

/** oidc-provider with one confidential client per entry, allowed the client-credentials grant only. */
export async function startOAuthServer(opts: { clients: Array<{ clientId: string; clientSecret: string }>; scope: string; tokenTtlSeconds: number }): Promise<OAuthServer> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      scope: opts.scope,
    })),
    scopes: [opts.scope],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    ttl: { ClientCredentials: opts.tokenTtlSeconds },
  });
  let tokenRequests = 0;
  provider.use(async (ctx, next) => {
    if (ctx.path === "/token") tokenRequests++;
    await next();
  });
  server.on("request", provider.callback());
  return {
    tokenUrl: `${issuer}/token`,
    tokenRequests: () => tokenRequests,
    issued: async (accessToken, clientId) => (await provider.ClientCredentials.find(accessToken))?.clientId === clientId,
    close: () => closeServer(server),
  };
}

export type TestCertificates = {
  /** The CA that signed both: the dispatcher trusts it for the server, the server for the client. */
  ca: string;
  server: { certificate: string; privateKey: string };
  client: { certificate: string; privateKey: string };
  /** A key of another pair: does not match `client.certificate`. */
  strayPrivateKey: string;
};

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made now (EC P-256). */
export async function makeTestCertificates(clientName: string): Promise<TestCertificates> {
  const common = { keyType: "ec", algorithm: "sha256" } as const;
  const ca = await selfsigned.generate([{ name: "commonName", value: "AgileTune test CA" }], {
    ...common,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const signedBy = { key: ca.private, cert: ca.cert };
  const server = await selfsigned.generate([{ name: "commonName", value: "localhost" }], { ...common, ca: signedBy });
  const client = await selfsigned.generate([{ name: "commonName", value: clientName }], { ...common, ca: signedBy });
  const stray = await selfsigned.generate([{ name: "commonName", value: "stray" }], common);
  return {
    ca: ca.cert,
    server: { certificate: server.cert, privateKey: server.private },
    client: { certificate: client.cert, privateKey: client.private },
    strayPrivateKey: stray.private,
  };
}

export type MtlsReceiver = {
  url: (path: string) => string;
  /** Requests that completed the handshake with a certificate the CA signed, with its subject's CN. */
  requests: Array<{ path: string; clientName: string; body: string }>;
  /** Handshakes that ended in an error (no certificate, or one the CA did not sign). */
  failedHandshakes: () => number;
  close: () => Promise<void>;
};

/** An https receiver on 127.0.0.1 that refuses any client without a certificate signed by `certs.ca`. */
export async function startMtlsReceiver(certs: TestCertificates): Promise<MtlsReceiver> {
  const requests: MtlsReceiver["requests"] = [];
  let failedHandshakes = 0;
  const server = createHttpsServer({ key: certs.server.privateKey, cert: certs.server.certificate, ca: [certs.ca], requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      requests.push({ path: req.url ?? "/", clientName: String(peer.subject?.CN ?? ""), body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  server.on("tlsClientError", () => failedHandshakes++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (path) => base + path, requests, failedHandshakes: () => failedHandshakes, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
