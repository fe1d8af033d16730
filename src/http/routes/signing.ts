/**
 * Two-step signing (scope "submit"): the portal prepares and completes on behalf of the citizen
 * whose card or browser holds the key. The work is in ../signing.ts; these are the HTTP forms.
 */
import { isMultipart, readMultipart, readRaw } from "../body.js";
import { HttpProblem } from "../problem.js";
import type { Packaging, PrepareRequest, TwoStepSigning } from "../signing.js";
import { type RouteContext, type Router, json, jsonOf, problem, send } from "./route.js";

const SIGNING_CHOICES = {
  format: { enum: ["cades", "xades"] },
  packaging: { enum: ["enveloping", "enveloped", "detached"], description: "default: enveloping (CAdES), enveloped (XAdES)" },
  hash: { enum: ["sha256", "sha384", "sha512"], default: "sha256" },
  scheme: { enum: ["rsa-pkcs1", "rsa-pss", "ecdsa"], description: "default: PKCS#1 v1.5 for RSA, ECDSA for EC" },
  level: { enum: ["B-B", "B-T"], default: "B-B" },
  name: { type: "string", description: "XAdES detached: the reference's file name" },
  mimeType: { type: "string", description: "XAdES DataObjectFormat MIME type" },
};
const PREPARE_FIELDS = ["format", "packaging", "hash", "scheme", "level", "name", "mimeType", "certificate"] as const;

const signing = (ctx: RouteContext): TwoStepSigning => ctx.signing ?? (() => { throw new HttpProblem("NOT_IMPLEMENTED", "two-step signing is not configured"); })();
const one = (q: unknown): string | undefined => (typeof q === "string" && q !== "" ? q : undefined);

export const signingRouter: Router = {
  name: "signing",
  scope: "submit",
  rateLimited: true,
  routes: [
    {
      method: "POST",
      path: "/api/v1/signing/prepare",
      doc: {
        summary: "Two-step signing, step 1: the exact octets a client-held key must sign, and a sealed state",
        description:
          "CAdES: toBeSigned is the DER of the signed attributes SET (RFC 5652 §5.4); XAdES: the exclusive-canonical ds:SignedInfo. " +
          "The state is HMAC-protected by the service and expires (expiresAt); no session is kept.",
        parameters: [
          ...Object.keys(SIGNING_CHOICES).map((name) => ({ name, in: "query", required: false, description: "raw-body form only", schema: { type: "string" } })),
          { name: "X-Signer-Certificate", in: "header", required: false, description: "raw-body form: the signer's certificate, then its chain, base64 DER, comma-separated", schema: { type: "string" } },
        ],
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object", required: ["document", "certificate", "format"],
                properties: {
                  document: { type: "string", contentMediaType: "application/octet-stream", description: "the document to sign" },
                  certificate: { type: "string", description: "the signer's certificate (DER or PEM; a PEM bundle may carry the chain after it)" },
                  chain: { type: "string", contentMediaType: "application/octet-stream", description: "further chain certificates (repeatable)" },
                  ...SIGNING_CHOICES,
                },
              },
            },
            "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream", description: "the document; choices in the query, certificates in X-Signer-Certificate" } },
          },
        },
        responses: {
          "200": jsonOf("what to sign, how, and the state to send back", "SigningPrepared"),
          "400": problem("malformed or truncated request"),
          "413": problem("over the size limit"),
          "422": problem("CANNOT_SIGN: unreadable certificate, unsupported key or scheme, enveloped into a non-XML document"),
          "501": problem("B-T without a TSA"),
        },
      },
      handler: async ({ req, res, query, ctx, bodyLimit }) => {
        let r: PrepareRequest;
        if (isMultipart(req)) {
          const u = await readMultipart(req, bodyLimit, ["document", "certificate", "chain"], PREPARE_FIELDS);
          const docs = u.files.get("document") ?? [];
          if (docs.length !== 1) throw new HttpProblem("BAD_REQUEST", "the multipart request needs exactly one part named \"document\"");
          const certField = u.fields.get("certificate");
          const certificates = [...(certField ? [Buffer.from(certField, "utf8")] : []), ...(u.files.get("certificate") ?? []), ...(u.files.get("chain") ?? [])];
          const f = (k: string) => one(u.fields.get(k));
          r = { document: docs[0]!, certificates, format: f("format") as PrepareRequest["format"], packaging: f("packaging") as Packaging | undefined, hash: f("hash") as PrepareRequest["hash"], scheme: f("scheme") as PrepareRequest["scheme"], level: f("level") as PrepareRequest["level"], name: f("name"), mimeType: f("mimeType") };
        } else {
          const header = req.headers["x-signer-certificate"];
          const certificates = (typeof header === "string" ? header : "").split(",").map((c) => c.trim()).filter(Boolean).map((c) => Buffer.from(c, "base64"));
          const q = query;
          r = { document: await readRaw(req, bodyLimit), certificates, format: one(q.format) as PrepareRequest["format"], packaging: one(q.packaging) as Packaging | undefined, hash: one(q.hash) as PrepareRequest["hash"], scheme: one(q.scheme) as PrepareRequest["scheme"], level: one(q.level) as PrepareRequest["level"], name: one(q.name), mimeType: one(q.mimeType) };
        }
        const prepared = signing(ctx).prepare(r);
        ctx.metrics.inc("podpis_signing_total", { step: "prepare", format: prepared.format });
        json(res, 200, prepared);
      },
    },
    {
      method: "POST",
      path: "/api/v1/signing/complete",
      doc: {
        summary: "Two-step signing, step 2: the signature value in, the assembled CAdES/XAdES out",
        description: "The service rebuilds the to-be-signed octets from the state (and the document, for CAdES enveloping and XAdES enveloped/enveloping) and verifies the signature value against the certificate before assembling.",
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: { $ref: "#/components/schemas/SigningComplete" } },
            "multipart/form-data": {
              schema: {
                type: "object", required: ["state", "signatureValue"],
                properties: { state: { type: "string" }, signatureValue: { type: "string", contentEncoding: "base64" }, document: { type: "string", contentMediaType: "application/octet-stream" } },
              },
            },
          },
        },
        responses: {
          "200": { description: "the signed file", content: { "application/pkcs7-mime": {}, "application/pkcs7-signature": {}, "application/xml": {} } },
          "400": problem("INVALID_SIGNING_STATE (altered or foreign state), missing field or document, a body that is not JSON, a truncated body"),
          "413": problem("over the size limit"),
          "415": problem("neither JSON nor multipart"),
          "422": problem("SIGNATURE_VALUE_INVALID, SIGNING_STATE_EXPIRED, DOCUMENT_MISMATCH"),
        },
      },
      handler: async ({ req, res, ctx, bodyLimit }) => {
        let state: string | undefined;
        let value: string | undefined;
        let document: Buffer | undefined;
        if (isMultipart(req)) {
          const u = await readMultipart(req, bodyLimit, ["document"], ["state", "signatureValue"]);
          state = u.fields.get("state");
          value = u.fields.get("signatureValue");
          const docs = u.files.get("document") ?? [];
          if (docs.length > 1) throw new HttpProblem("BAD_REQUEST", "at most one part named \"document\"");
          document = docs[0];
        } else {
          if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new HttpProblem("UNSUPPORTED_MEDIA_TYPE", "send application/json { state, signatureValue, document? } or multipart/form-data");
          // read outside the parse's try: a body over the cap is a 413, not "not JSON" (issue 10.13)
          const raw = await readRaw(req, bodyLimit);
          let body: { state?: unknown; signatureValue?: unknown; document?: unknown };
          try {
            body = JSON.parse(raw.toString("utf8")) as typeof body;
          } catch {
            throw new HttpProblem("BAD_REQUEST", "the body is not JSON");
          }
          state = typeof body?.state === "string" ? body.state : undefined;
          value = typeof body?.signatureValue === "string" ? body.signatureValue : undefined;
          if (body?.document !== undefined && typeof body.document !== "string") throw new HttpProblem("BAD_REQUEST", "document is base64 text");
          document = typeof body?.document === "string" ? Buffer.from(body.document, "base64") : undefined;
        }
        if (!state || !value) throw new HttpProblem("BAD_REQUEST", "state and signatureValue (base64) are required");
        if (!/^[A-Za-z0-9+/=_-\s]+$/.test(value)) throw new HttpProblem("BAD_REQUEST", "signatureValue is base64 text");
        const done = await signing(ctx).complete({ state, signatureValue: Buffer.from(value, "base64"), document });
        ctx.metrics.inc("podpis_signing_total", { step: "complete", format: done.mediaType === "application/xml" ? "xades" : "cades" });
        res.setHeader("Content-Disposition", `attachment; filename="${done.filename}"`);
        send(res, 200, done.mediaType, done.bytes);
      },
    },
  ],
};

/**
 * The same two steps for the citizen page, without a key (`/api/v1/public/signing/…`): what the
 * service sees is the document, the certificate and the signature value — the key stays in the
 * browser or on the card. Rate-limited per address, under the public body cap.
 */
export const publicSigningRoutes = signingRouter.routes.map((r) => ({
  ...r,
  path: r.path.replace("/api/v1/signing/", "/api/v1/public/signing/"),
  doc: { ...r.doc, summary: `${r.doc.summary} (public, for the citizen page)` },
}));
