/**
 * Stage: WSDL and XSD requests stop here (SPEC §5 step 3), after Basic auth
 * and the `wsdl_requires_soap_role` check.
 */
import type { GatewayConfig } from "../config/types.js";
import type { BasicUser, GatewayResponse, Route } from "../http/state.js";
import { canFetchWsdl } from "../authz/authorize.js";
import { generateWsdl, generateXsd, wsdlInputFor } from "../wsdl/generate.js";

export function describeService(input: {
  readonly config: GatewayConfig;
  readonly route: Extract<Route, { kind: "wsdl" | "xsd" }>;
  readonly user: BasicUser;
  readonly endpointUrl: string;
}): GatewayResponse {
  const { config, route } = input;
  if (!canFetchWsdl(config, input.user.account)) {
    return { kind: "http-error", status: 403, message: "the soap role is required to read service descriptions" };
  }
  if (route.kind === "xsd") {
    return { kind: "document", status: 200, contentType: "text/xml; charset=utf-8", body: generateXsd(route.table) };
  }
  const body = generateWsdl(wsdlInputFor(config, route.table, input.endpointUrl));
  return { kind: "document", status: 200, contentType: "text/xml; charset=utf-8", body };
}
