// The tests' own GraphQL client: every number the page shows is compared with the API's answer.

export const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:8080";

export const TOKENS = {
  admin: must("ADMIN_TOKEN"),
  partner: must("PARTNER_TOKEN"),
};

function must(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run scripts/browser-tests.sh)`);
  return v;
}

export async function gql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${BASE_URL}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
  return body.data as T;
}

export interface Cell {
  cell: string;
  figures: { households: number | null; suppressed: boolean; sites: number };
}

export async function cells(token: string, area: unknown, resolution: number): Promise<Cell[]> {
  const d = await gql<{ displacementByCell: { cells: Cell[] } }>(
    token,
    `query($area: AreaInput, $r: Int!) { displacementByCell(area: $area, resolution: $r) { cells { cell figures { households suppressed sites } } } }`,
    { area, r: resolution },
  );
  return d.displacementByCell.cells;
}

export async function totals(
  token: string,
  area: unknown,
  asOf: string | null = null,
): Promise<{ households: number | null; individuals: number | null; sites: number }> {
  const d = await gql<{ displacement: { households: number | null; individuals: number | null; sites: number } }>(
    token,
    `query($area: AreaInput, $asOf: NaiveDate) { displacement(area: $area, asOf: $asOf) { households individuals sites } }`,
    { area, asOf },
  );
  return d.displacement;
}

export async function hasSubscriptions(token: string): Promise<boolean> {
  const d = await gql<{ __schema: { subscriptionType: { name: string } | null } }>(token, `{ __schema { subscriptionType { name } } }`);
  return d.__schema.subscriptionType != null;
}

/** Creates a site at a point and submits one assessment for it; answers the site's id. */
export async function siteWithAssessment(
  token: string,
  opts: { code: string; lat: number; lon: number; households: number; individuals: number; clientUuid: string },
): Promise<string> {
  const site = await gql<{ createSite: { id: string } }>(
    token,
    `mutation($input: SiteInput!) { createSite(input: $input) { id } }`,
    {
      input: {
        code: opts.code,
        name: `Browser test ${opts.code}`,
        siteType: "COLLECTIVE_CENTRE",
        formalStatus: "INFORMAL",
        lat: opts.lat,
        lon: opts.lon,
        admin0Pcode: "NGA",
        openedOn: "2024-01-01",
      },
    },
  );
  const round = await gql<{ rounds: { nodes: { number: number }[] } }>(token, `{ rounds(first: 100) { nodes { number } } }`);
  const last = Math.max(...round.rounds.nodes.map((r) => r.number));
  await gql(
    token,
    `mutation($input: AssessmentInput!) { submitAssessment(input: $input) { duplicate } }`,
    {
      input: {
        clientUuid: opts.clientUuid,
        siteId: site.createSite.id,
        roundNumber: last,
        assessedOn: new Date().toISOString().slice(0, 10),
        households: opts.households,
        individuals: opts.individuals,
        capturedAt: new Date().toISOString(),
      },
    },
  );
  return site.createSite.id;
}
