/** A user's app on the cdktf this repo develops with: the top of the supported range. */
import { consumerLifecycle } from "../support/consumer-lifecycle";
import { DEV } from "../support/consumer";

consumerLifecycle(`a consumer app on cdktf ${DEV.cdktf}, installed from the packed tarball`, {
  cdktf: DEV.cdktf!,
  "cdktf-cli": DEV["cdktf-cli"]!,
  constructs: DEV.constructs!,
  typescript: DEV.typescript!,
  "@types/node": DEV["@types/node"]!,
});
