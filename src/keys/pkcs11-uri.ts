/** RFC 7512 PKCS#11 URIs: `pkcs11:token=Citizen;object=signing-key?module-path=/usr/lib/…`. */
import { KeyError } from "./provider.js";

export interface Pkcs11Uri {
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  /** CKA_LABEL of the key (and its certificate) */
  object?: string;
  /** CKA_ID, raw octets */
  id?: Buffer;
  /** "private", "cert", … — only "private" (or absent) selects a signing key */
  type?: string;
  slotId?: number;
  modulePath?: string;
  /** the PIN in the URI itself: refused, a PIN belongs in an environment variable */
  pinValue?: string;
}

const PATH_ATTRS = new Set(["token", "manufacturer", "serial", "model", "object", "id", "type", "slot-id", "slot-description", "slot-manufacturer", "library-manufacturer", "library-description", "library-version"]);
const QUERY_ATTRS = new Set(["module-path", "module-name", "pin-value", "pin-source"]);

function pctDecode(v: string, what: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    if (ch === "%") {
      const h = v.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new KeyError("BAD_PKCS11_URI", `bad percent-encoding in ${what}`);
      out.push(parseInt(h, 16));
      i += 2;
    } else out.push(...Buffer.from(ch, "utf8"));
  }
  return Buffer.from(out);
}

export function isPkcs11Uri(s: string): boolean {
  return /^pkcs11:/i.test(s);
}

export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) throw new KeyError("BAD_PKCS11_URI", `not a PKCS#11 URI (RFC 7512): ${uri}`);
  const rest = uri.slice(7);
  const q = rest.indexOf("?");
  const path = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? rest.slice(q + 1) : "";
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  const put = (name: string, raw: string) => {
    if (seen.has(name)) throw new KeyError("BAD_PKCS11_URI", `PKCS#11 URI attribute "${name}" given twice`);
    seen.add(name);
    const bytes = pctDecode(raw, name);
    const text = bytes.toString("utf8");
    switch (name) {
      case "token": out.token = text; break;
      case "manufacturer": out.manufacturer = text; break;
      case "serial": out.serial = text; break;
      case "model": out.model = text; break;
      case "object": out.object = text; break;
      case "id": out.id = bytes; break;
      case "type": out.type = text; break;
      case "slot-id":
        if (!/^\d+$/.test(text)) throw new KeyError("BAD_PKCS11_URI", "slot-id must be a decimal number");
        out.slotId = Number(text);
        break;
      case "module-path": out.modulePath = text; break;
      case "pin-value": out.pinValue = text; break;
    }
  };
  for (const part of path.split(";").filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new KeyError("BAD_PKCS11_URI", `PKCS#11 URI path attribute without a value: "${part}"`);
    const name = part.slice(0, eq).toLowerCase();
    if (!PATH_ATTRS.has(name)) throw new KeyError("BAD_PKCS11_URI", `unknown PKCS#11 URI path attribute "${name}"`);
    put(name, part.slice(eq + 1));
  }
  for (const part of query.split("&").filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new KeyError("BAD_PKCS11_URI", `PKCS#11 URI query attribute without a value: "${part}"`);
    const name = part.slice(0, eq).toLowerCase();
    // RFC 7512 §2.3: unknown query attributes may be ignored
    if (QUERY_ATTRS.has(name)) put(name, part.slice(eq + 1));
  }
  if (out.type && out.type !== "private") throw new KeyError("BAD_PKCS11_URI", `PKCS#11 URI type=${out.type}: a signing key is type=private`);
  return out;
}
