import { debugOn } from "../../lib/shared/contract";

describe("TFYSG_DEBUG", () => {
  it.each(["1", "true", "TRUE", " yes ", "on"])("%j turns the request log on", (v) => expect(debugOn(v)).toBe(true));
  it.each([undefined, "", "0", "false", "no", "off", "2", "debug"])("%j leaves it off", (v) => expect(debugOn(v)).toBe(false));
});
