import * as t from 'io-ts';

/** CSDS `baseURI.json` (all services): `baseURIs[]` of `{ service, baseURI }` (host[:port]). */
export const WireCsds = t.type({
  baseURIs: t.array(t.type({ service: t.string, baseURI: t.string })),
});

/** The parts of a login answer chatshift uses (legacy-chat-api.md §2.2). */
export const WireLogin = t.intersection([
  t.type({
    bearer: t.string,
    config: t.type({ userId: t.union([t.string, t.number]) }),
  }),
  t.partial({ csrf: t.string, sessionTTl: t.union([t.string, t.number]) }),
]);
export type WireLogin = t.TypeOf<typeof WireLogin>;
