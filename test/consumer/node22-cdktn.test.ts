/**
 * Where users run in late 2026: Node 22 (installed from the npm registry, see
 * test/support/node.ts) and the fork's CLI, `cdktn` (needs Node >= 22.19), end
 * to end: deploy, no-op, rotation, drift, rename, destroy.
 */
import { consumerLifecycle } from "../support/consumer-lifecycle";
import { DEV } from "../support/consumer";
import { NODE_22 } from "../support/node";

consumerLifecycle(
  `on Node ${NODE_22}, a consumer app on cdktn 0.24.0 deployed with the cdktn CLI`,
  {
    cdktf: "npm:cdktn@0.24.0",
    "cdktf-cli": "npm:cdktn-cli@0.24.0",
    constructs: "10.6.0",
    typescript: DEV.typescript!,
    "@types/node": DEV["@types/node"]!,
  },
  { cli: "cdktn", node: NODE_22 },
);
