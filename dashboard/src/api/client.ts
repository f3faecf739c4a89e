// The one way the dashboard talks to camptrack: GraphQL over HTTP with the caller's token.
// Every number the page shows comes through here, so it obeys the caller's role.

const TOKEN_KEY = "camptrack.token";

/** The bearer token, kept in this tab's sessionStorage only (never localStorage, never a cookie). */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** A GraphQL error as camptrack reports it (`extensions.code`). */
export class GqlError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface GqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Runs one GraphQL operation; rejects with a `GqlError` on any error. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json",
  };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let res: Response;
  try {
    res = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new GqlError("The server cannot be reached.", "NETWORK", 0);
  }
  let body: GqlResponse<T>;
  try {
    body = (await res.json()) as GqlResponse<T>;
  } catch {
    throw new GqlError(`The server answered ${res.status} without GraphQL.`, "INTERNAL", res.status);
  }
  const first = body.errors?.[0];
  if (first) throw new GqlError(first.message, first.extensions?.code ?? "GRAPHQL_VALIDATION_FAILED", res.status);
  if (body.data == null) throw new GqlError("The answer holds no data.", "INTERNAL", res.status);
  return body.data;
}

/** Field names of the root types, learnt once by introspection so panels for APIs this
 *  server lacks say so instead of failing. `null` when introspection is disabled: then every
 *  panel tries its query and reports a validation error as "not available". */
export interface Capabilities {
  query: Set<string> | null;
  subscription: Set<string> | null;
  /** Subscription fields with their required (non-null, no default) argument names. */
  subscriptionArgs: Map<string, string[]>;
}

const CAPABILITIES = `query Capabilities {
  __schema {
    queryType { fields { name } }
    subscriptionType { fields { name args { name defaultValue type { kind } } } }
  }
}`;

interface SchemaAnswer {
  __schema: {
    queryType: { fields: { name: string }[] };
    subscriptionType: {
      fields: { name: string; args: { name: string; defaultValue: string | null; type: { kind: string } }[] }[];
    } | null;
  };
}

/** Learns what this server offers. */
export async function capabilities(): Promise<Capabilities> {
  try {
    const d = await gql<SchemaAnswer>(CAPABILITIES);
    const subs = d.__schema.subscriptionType?.fields ?? [];
    return {
      query: new Set(d.__schema.queryType.fields.map((f) => f.name)),
      subscription: new Set(subs.map((f) => f.name)),
      subscriptionArgs: new Map(
        subs.map((f) => [f.name, f.args.filter((a) => a.type.kind === "NON_NULL" && a.defaultValue == null).map((a) => a.name)]),
      ),
    };
  } catch {
    return { query: null, subscription: null, subscriptionArgs: new Map() };
  }
}

/** Whether the server has a query field (unknown counts as yes; the query then tells). */
export function hasQuery(caps: Capabilities, field: string): boolean {
  return caps.query === null || caps.query.has(field);
}

/** Whether an error means "this server has no such field" rather than a failure. */
export function isMissingApi(err: unknown): boolean {
  return err instanceof GqlError && /Unknown field|Cannot query field/i.test(err.message);
}
