/**
 * The bottom of the peer range package.json claims (cdktf >= 0.20.0,
 * constructs ^10.0.25): a user's app on exactly those versions. Keep these in
 * step with peerDependencies.
 */
import { consumerLifecycle } from "../support/consumer-lifecycle";
import { DEV } from "../support/consumer";

consumerLifecycle("a consumer app on the lowest cdktf claimed (0.20.0, constructs 10.0.25)", {
  cdktf: "0.20.0",
  "cdktf-cli": "0.20.0",
  constructs: "10.0.25",
  typescript: DEV.typescript!,
  "@types/node": DEV["@types/node"]!,
});
