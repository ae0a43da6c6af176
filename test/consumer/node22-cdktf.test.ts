/**
 * The archived cdktf CLI (0.21.0) where it still runs: Node 22 (installed from
 * the npm registry, see test/support/node.ts). On Node 24 it fails before synth
 * (its node-pty has no build for Node 24's ABI): the README recommends the
 * cdktn CLI there, tested in node24-cdktn.test.ts.
 */
import { consumerLifecycle } from "../support/consumer-lifecycle";
import { DEV } from "../support/consumer";
import { NODE_22 } from "../support/node";

consumerLifecycle(
  `on Node ${NODE_22}, a consumer app on cdktf ${DEV.cdktf} deployed with the cdktf CLI`,
  {
    cdktf: DEV.cdktf!,
    "cdktf-cli": DEV["cdktf-cli"]!,
    constructs: DEV.constructs!,
    typescript: DEV.typescript!,
    "@types/node": DEV["@types/node"]!,
  },
  { node: NODE_22 },
);
